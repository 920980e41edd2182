"""No look-ahead in sweeps: a trial's returns up to t do not change when data after t do.

Every kind and a swept signal parameter, on the synthetic market, monthly and
business-daily, with a loader that truncates every raw series at t or rewrites
everything after it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lookahead import future_loader
from sweep_support import CONFIGS, base_raw

from backtest.data.synthetic import SyntheticProvider
from backtest.sweep import SweepResult, prepare_sweep, run_sweep

PROVIDER = SyntheticProvider()
TRIALS: list[dict[str, Any]] = [
    {"strategy.enter": 0.5, "strategy.exit": 0.0},
    {"strategy.enter": 0.25, "strategy.min_hold_periods": 3, "strategy.rebalance": "monthly"},
    {"strategy.enter": 0.5, "signal.components.spread_3m_change.horizon_months": 6},
    {"strategy.kind": "graded_tilt", "strategy.shape": "logistic", "strategy.rebalance": "weekly"},
    {"strategy.kind": "duration_targeting", "strategy.rebalance": "on_change"},
    {"strategy.kind": "trend_rule", "strategy.lookback_months": 6},
    {"strategy.kind": "static_mix", "strategy.weights": {"LONG1": 0.5, "SHORT1": 0.5}},
]


def _raw(daily: bool) -> dict[str, Any]:
    raw = base_raw("synthetic", "binary_rotation")
    if daily:
        for table in (raw["data"]["assets"], raw["data"]["macro"]):
            for alias, value in table.items():
                if isinstance(value, dict):
                    value["id"] = value["id"].replace("seed=7", "seed=7,periods=1400,ppy=252")
                else:
                    table[alias] = value.replace("seed=7", "seed=7,periods=1400,ppy=252")
        raw["run"].update(frequency="B", periods_per_year=252)
        raw["sleeves"].update(window=252, min_periods=126, rerank="weekly")
    return raw


def _sweep(daily: bool, load: Any) -> SweepResult:
    path = CONFIGS["synthetic"]
    prepared = prepare_sweep(_raw(daily), TRIALS, source=str(path), base_dir=path.parent,
                             load=load)
    return run_sweep(prepared)


_FULL: dict[bool, SweepResult] = {}


def _full(daily: bool) -> SweepResult:
    if daily not in _FULL:
        _FULL[daily] = _sweep(daily, PROVIDER.fetch)
    return _FULL[daily]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=st.floats(0.05, 0.95), mode=st.sampled_from(["truncate", "rewrite"]),
       daily=st.booleans())
def test_data_after_t_changes_no_trial_up_to_t(where: float, mode: str, daily: bool) -> None:
    full = _full(daily)
    assert len(full.numbers) == len(TRIALS)
    cut = full.index[int(where * (len(full.index) - 1))]
    other = _sweep(daily, future_loader(PROVIDER.fetch, cut, mode))
    assert other.index[0] == full.index[0]  # the window starts where it did
    upto = int(np.searchsorted(full.index, cut, side="right"))
    assert np.array_equal(other.numbers, full.numbers)
    np.testing.assert_allclose(other.returns[:, :upto], full.returns[:, :upto], rtol=1e-13,
                               atol=0)
    if mode == "truncate":
        assert other.index[-1] == cut
    else:  # the test could see a change after t
        assert not np.array_equal(other.returns[:, upto:], full.returns[:, upto:])


def test_the_daily_market_is_daily() -> None:
    # 1,400 business days less the signal's and the sleeves' history: weekly and
    # monthly schedules are not every bar there
    index = _full(True).index
    assert len(index) > 400
    assert (index[1:] - index[:-1]).max().days <= 3
