"""Statistics of a parameter search (pure: numpy, scipy, arch; no I/O).

What ``backtest tune`` reports about a search besides the selected trial's
numbers: objectives vectorized over trials, walk-forward and holdout splits, the
deflated Sharpe ratio (over an effective number of independent trials), the
probability of backtest overfitting (CSCV), Hansen's studentized SPA test with
White's Reality Check beside it, the stability of the selected point among its
neighbours, the tie rule shared by every selection, and the gate expressions that
turn them into an exit code.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backtest.stats._baseline import Tolerance, Tolerances, baseline_check, parse_tolerances
    from backtest.stats._deflated import (
        DeflatedSharpe,
        deflated_sharpe_ratio,
        expected_max_sharpe,
        probabilistic_sharpe_ratio,
    )
    from backtest.stats._effective import EffectiveTrials, effective_trials
    from backtest.stats._gates import Gate, GateOutcome, parse_gate
    from backtest.stats._objectives import OBJECTIVES, Objective, objective_values
    from backtest.stats._pbo import PBOResult, pbo_cscv
    from backtest.stats._spa import spa_test
    from backtest.stats._spa_result import RealityCheck, SPAResult
    from backtest.stats._splits import Fold, holdout, parse_length, walk_forward
    from backtest.stats._stability import Stability, neighbour_stability
    from backtest.stats._ties import RELATIVE_TIE, first_best, tied

# Names load on first use: a gate or a tolerance is parsed (and a bad one refused)
# without importing arch, statsmodels and scipy (a second, at the start of a command).
_LAZY = {
    "Tolerance": "backtest.stats._baseline",
    "Tolerances": "backtest.stats._baseline",
    "baseline_check": "backtest.stats._baseline",
    "parse_tolerances": "backtest.stats._baseline",
    "DeflatedSharpe": "backtest.stats._deflated",
    "deflated_sharpe_ratio": "backtest.stats._deflated",
    "expected_max_sharpe": "backtest.stats._deflated",
    "probabilistic_sharpe_ratio": "backtest.stats._deflated",
    "EffectiveTrials": "backtest.stats._effective",
    "effective_trials": "backtest.stats._effective",
    "Gate": "backtest.stats._gates",
    "GateOutcome": "backtest.stats._gates",
    "parse_gate": "backtest.stats._gates",
    "OBJECTIVES": "backtest.stats._objectives",
    "Objective": "backtest.stats._objectives",
    "objective_values": "backtest.stats._objectives",
    "PBOResult": "backtest.stats._pbo",
    "pbo_cscv": "backtest.stats._pbo",
    "RealityCheck": "backtest.stats._spa_result",
    "SPAResult": "backtest.stats._spa_result",
    "spa_test": "backtest.stats._spa",
    "Fold": "backtest.stats._splits",
    "holdout": "backtest.stats._splits",
    "parse_length": "backtest.stats._splits",
    "walk_forward": "backtest.stats._splits",
    "Stability": "backtest.stats._stability",
    "neighbour_stability": "backtest.stats._stability",
    "RELATIVE_TIE": "backtest.stats._ties",
    "first_best": "backtest.stats._ties",
    "tied": "backtest.stats._ties",
}

__all__ = [
    "OBJECTIVES",
    "RELATIVE_TIE",
    "DeflatedSharpe",
    "EffectiveTrials",
    "Fold",
    "Gate",
    "GateOutcome",
    "Objective",
    "PBOResult",
    "RealityCheck",
    "SPAResult",
    "Stability",
    "Tolerance",
    "Tolerances",
    "baseline_check",
    "deflated_sharpe_ratio",
    "effective_trials",
    "expected_max_sharpe",
    "first_best",
    "holdout",
    "neighbour_stability",
    "objective_values",
    "parse_gate",
    "parse_length",
    "parse_tolerances",
    "pbo_cscv",
    "probabilistic_sharpe_ratio",
    "spa_test",
    "tied",
    "walk_forward",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'backtest.stats' has no attribute {name!r}")
