"""run_segments: one exact backtest following different trials over consecutive rows."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sweep_support import prepared_sweep

from backtest.engine import run_backtest
from backtest.errors import ConfigError
from backtest.strategy import Decision
from backtest.sweep import PreparedSweep, Segment, run_segments, run_sweep, segment_weights

TRIALS: list[dict[str, Any]] = [
    {"strategy.enter": 0.5, "strategy.exit": 0.0},
    {"strategy.enter": 1.0, "strategy.rebalance": "never", "strategy.risk_off_sleeve": "cash"},
    {"strategy.kind": "graded_tilt", "strategy.shape": "logistic"},
    {"strategy.kind": "trend_rule", "strategy.lookback_months": 6},
    {"strategy.kind": "static_mix", "strategy.weights": {"LONG1": 0.5, "SHORT1": 0.3}},
    {"strategy.kind": "duration_targeting", "strategy.rebalance": "never"},
    {"strategy.enter": 0.5, "costs.fees_bps": 50.0},  # other costs: not mixable with the rest
]


def _prepared() -> PreparedSweep:
    return prepared_sweep("synthetic", "binary_rotation", TRIALS)


def _engine(prepared: PreparedSweep, weights: pd.DataFrame, trial: int) -> pd.Series:
    t = prepared.trial(trial)
    slot = prepared.markets[t.market]
    prices = slot.market.prices.loc[prepared.index]
    return run_backtest(Decision(weights), prices, cash=prepared.config.data.cash, costs=t.costs,
                        execution_lag=t.execution_lag, periods_per_year=t.periods_per_year,
                        initial_capital=t.initial_capital).returns


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_segments_equal_the_engine_on_the_same_weights(data: st.DataObject) -> None:
    prepared = _prepared()
    n = len(prepared.index)
    cuts = sorted(data.draw(st.sets(st.integers(1, n - 2), min_size=1, max_size=5)))
    first = data.draw(st.integers(0, cuts[0] - 1))
    edges = [first, *cuts, n]
    segments = [Segment(trial=data.draw(st.sampled_from([0, 1, 2, 3, 4, 5])), first=a,
                        last=b - 1) for a, b in itertools.pairwise(edges)]
    got = run_segments(prepared, segments)
    weights = segment_weights(prepared, segments)
    want = _engine(prepared, weights, segments[0].trial)
    want = want.loc[prepared.index[first + 1]: prepared.index[segments[-1].last]]
    assert got.index.equals(want.index)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=0, atol=1e-10)
    assert weights.iloc[:first].isna().all().all()  # cash before the first segment
    for s in segments:  # a rebalance is forced where each segment starts
        assert weights.iloc[s.first].notna().all()


def test_one_segment_over_the_window_is_the_trial_itself() -> None:
    prepared = _prepared()
    result = run_sweep(prepared)
    n = len(prepared.index)
    for row, number in enumerate(result.numbers[:6]):
        got = run_segments(prepared, [Segment(int(number), 0, n - 1)])
        assert np.array_equal(got.to_numpy(), result.returns[row])


def test_the_forced_rebalance_targets_the_trials_current_mix() -> None:
    prepared = _prepared()
    trial = prepared.trial(1)  # rebalance "never": trades on its first bar and its flips
    market = prepared.markets[trial.market].market
    own = trial.strategy.decide(market).weights.to_numpy()
    row = next(i for i in range(20, len(prepared.index) - 2)
               if np.isnan(own[i]).all() and np.isnan(own[i + 1]).all())
    weights = segment_weights(prepared, [Segment(0, 0, row - 1), Segment(1, row, row + 1)])
    # a switch into trial 1 rebalances to its current mix (cash or the long sleeve) there,
    # then follows its own decisions (none on the next row)
    state = trial.strategy.decide(market).risk_off.to_numpy()[row]
    sleeve = market.sleeve("cash" if state else "long").to_numpy()[row]
    np.testing.assert_array_equal(weights.to_numpy()[row], sleeve)
    assert weights.iloc[row + 1].isna().all()


@pytest.mark.parametrize(("segments", "message"), [
    ([], "at least one segment"),
    ([Segment(0, 5, 3)], "rows must satisfy"),
    ([Segment(0, 0, 10), Segment(1, 10, 20)], "without overlap"),
    ([Segment(0, 0, 10**6)], "rows must satisfy"),
    ([Segment(0, 0, 10), Segment(6, 11, 20)], "one backtest needs one engine setting"),
    ([Segment(99, 0, 10)], "does not exist"),
])
def test_bad_segments_are_config_errors(segments: list[Segment], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        run_segments(_prepared(), segments)
