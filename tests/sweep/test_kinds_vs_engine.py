"""The sweep's path (decide_batch + kernel) equals run_backtest on every kind and cost setting.

So does ``run_backtest(engine="kernel")`` (what ``thesis`` runs on), holdings included.

Hypothesis draws a strategy of each kind, costs (zero, below 0.01 bp, up to 100 bp),
the execution lag and the initial capital; the sweep's decision and simulation must
give run_backtest's returns (vectorbt) on the strategy's own decide() to 1e-10.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sweep_support import prepared_sweep

from backtest.config import CostModel
from backtest.engine import run_backtest
from backtest.errors import ConfigError
from backtest.runner import load_strategy
from backtest.sweep import PreparedSweep
from backtest.sweep._evaluate import decide_trials, reported, simulate_trials

LEVELS = st.sampled_from([-1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 1.5])
SCHEDULES = st.sampled_from(["every_bar", "weekly", "monthly", "never", "on_change"])
PARAMS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "binary_rotation": st.fixed_dictionaries({
        "enter": LEVELS, "exit": st.one_of(st.none(), LEVELS), "min_hold_periods":
        st.integers(1, 6), "risk_off_sleeve": st.sampled_from(["short", "cash"]),
        "rebalance": SCHEDULES}),
    "graded_tilt": st.fixed_dictionaries({
        "shape": st.sampled_from(["linear", "logistic"]), "low": LEVELS, "high": LEVELS,
        "short_weight_min": st.sampled_from([0.0, 0.3]), "risk_off_sleeve":
        st.sampled_from(["short", "cash"]), "rebalance": SCHEDULES}),
    "duration_targeting": st.fixed_dictionaries({
        "signal_low": LEVELS, "signal_high": LEVELS, "duration_min_years":
        st.sampled_from([0.0, 2.0, 4.0]), "rebalance": SCHEDULES}),
    "trend_rule": st.fixed_dictionaries({
        "sleeve": st.sampled_from(["long", "short"]), "lookback_months": st.integers(1, 12),
        "risk_off_sleeve": st.sampled_from(["cash", "short"]), "rebalance": SCHEDULES}),
    "static_mix": st.fixed_dictionaries({
        "weights": st.fixed_dictionaries({"LONG1": st.floats(0, 0.5), "MID": st.floats(0, 0.5)}),
        "rebalance": st.sampled_from(["every_bar", "weekly", "monthly", "never"])}),
}
COST_BPS = st.one_of(st.just(0.0), st.floats(1e-8, 1e-2), st.floats(0.01, 100.0))


def _prepared(kind: str) -> PreparedSweep:
    return prepared_sweep("synthetic", kind, [{}] if kind != "static_mix" else [
        {"strategy.weights": {"LONG1": 0.5}}])


@pytest.mark.parametrize("kind", list(PARAMS))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), fees=COST_BPS, slip=COST_BPS, lag=st.integers(0, 2),
       capital=st.sampled_from([1.0, 250.0]))
def test_sweep_path_equals_run_backtest(kind: str, data: st.DataObject, fees: float,
                                        slip: float, lag: int, capital: float) -> None:
    prepared = _prepared(kind)
    try:
        strategy = load_strategy(kind, data.draw(PARAMS[kind]))
    except ConfigError:
        return  # an invalid combination: skipped by sweeps
    trial = replace(prepared.trials[0], strategy=strategy, execution_lag=lag,
                    costs=CostModel(fees_bps=fees, slippage_bps=slip), initial_capital=capital)
    slot = prepared.markets[trial.market]
    batches, failed = decide_trials([trial], slot)
    assert not failed
    sim = simulate_trials([trial], batches[0][1], slot)
    assert sim.status[0, 0] == 0
    returns, turnover = reported([trial], sim)
    prices = slot.market.prices.loc[prepared.index]
    res = run_backtest(strategy.decide(slot.market), prices, cash=prepared.config.data.cash,
                       costs=trial.costs, execution_lag=lag, periods_per_year=12,
                       initial_capital=capital)
    np.testing.assert_allclose(returns[0], res.returns.to_numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(turnover[0], res.turnover.to_numpy(), rtol=0, atol=1e-12)
    # run_backtest on the kernel (what `thesis` runs on): vectorbt's holdings too
    ours = run_backtest(strategy.decide(slot.market), prices, cash=prepared.config.data.cash,
                        costs=trial.costs, execution_lag=lag, periods_per_year=12,
                        initial_capital=capital, engine="kernel")
    np.testing.assert_allclose(ours.returns, res.returns, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.weights, res.weights, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.turnover, res.turnover, rtol=0, atol=1e-12)
