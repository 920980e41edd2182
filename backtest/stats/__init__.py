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
from backtest.stats._spa import RealityCheck, SPAResult, spa_test
from backtest.stats._splits import Fold, holdout, parse_length, walk_forward
from backtest.stats._stability import Stability, neighbour_stability
from backtest.stats._ties import RELATIVE_TIE, first_best, tied

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
