"""Returns, values, turnover and metrics agree for every execution lag (issue 11, item 2).

The agreed semantics (``backtest/engine/_accounting.py``): ``values[0]`` is the
initial capital, before the first close's trades; with lag 0 the first trade and its
costs fall into the first reported return; turnover keeps bar 0's trade, and the
initial build is reported apart from ongoing turnover.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import backtest
from backtest.config import CostModel
from backtest.engine import run_backtest
from backtest.strategy import Decision

FEES, SLIP = 10.0, 5.0
CAPITAL = 1000.0
COST = (1 + SLIP / 1e4) * (1 + FEES / 1e4)  # a buy of value V leaves V / COST in the asset


def _prices(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    idx = pd.date_range("2001-01-31", periods=n, freq="ME", name="date")
    rets = np.column_stack([rng.normal(0.01, 0.05, n), rng.normal(0.005, 0.03, n),
                            np.full(n, 0.002)])
    return pd.DataFrame(100 * np.cumprod(1 + rets, axis=0), index=idx, columns=["A", "B", "CASH"])


def _buy_and_hold(prices: pd.DataFrame, lag: int, costs: CostModel):
    targets = pd.DataFrame(np.nan, index=prices.index, columns=prices.columns)
    targets.iloc[0] = [1.0, 0.0, 0.0]
    return run_backtest(Decision(targets), prices, cash="CASH", costs=costs, execution_lag=lag,
                        periods_per_year=12, initial_capital=CAPITAL)


@pytest.mark.parametrize("lag", [0, 1, 2])
def test_values_returns_and_metrics_agree(lag: int) -> None:
    prices = _prices()
    res = _buy_and_hold(prices, lag, CostModel(fees_bps=FEES, slippage_bps=SLIP))
    assert res.values.iloc[0] == CAPITAL  # the money on hand before the first close's trades
    assert len(res.returns) == len(prices) - 1
    growth = float(np.prod(1 + res.returns.to_numpy()))
    assert growth == pytest.approx(res.values.iloc[-1] / res.values.iloc[0], rel=1e-13)
    np.testing.assert_allclose(res.returns, res.values.pct_change().iloc[1:], rtol=0, atol=1e-15)
    stats = res.stats()
    years = len(res.returns) / 12
    assert stats["cagr"] == pytest.approx(growth ** (1 / years) - 1, rel=1e-12)


@pytest.mark.parametrize("lag", [0, 1, 2])
def test_the_first_trade_pays_its_costs_in_the_return_of_its_bar(lag: int) -> None:
    prices = _prices()
    res = _buy_and_hold(prices, lag, CostModel(fees_bps=FEES, slippage_bps=SLIP))
    rets = prices.pct_change()
    if lag == 0:  # bought at the close of bar 0: bar 1 earns A less the purchase costs
        expected = (1 + rets["A"].iloc[1]) / COST - 1
        assert res.returns.iloc[0] == pytest.approx(expected, rel=1e-12)
    else:  # cash until the close of bar `lag`, then bought there
        np.testing.assert_allclose(res.returns.iloc[: lag - 1], rets["CASH"].iloc[1:lag],
                                   rtol=1e-12)
        expected = (1 + rets["CASH"].iloc[lag]) / COST - 1
        assert res.returns.iloc[lag - 1] == pytest.approx(expected, rel=1e-12)
        assert res.returns.iloc[lag] == pytest.approx(rets["A"].iloc[lag + 1], rel=1e-12)
    free = _buy_and_hold(prices, lag, CostModel())
    assert res.values.iloc[-1] / free.values.iloc[-1] == pytest.approx(1 / COST, rel=1e-12)


@pytest.mark.parametrize("lag", [0, 1, 2])
def test_the_initial_build_is_reported_apart_from_ongoing_turnover(lag: int) -> None:
    prices = _prices()
    res = _buy_and_hold(prices, lag, CostModel(fees_bps=FEES, slippage_bps=SLIP))
    assert res.build_bar == lag
    # sold: the starting money (or the cash asset it bought); bought: A for V / (1 + fees)
    build = 0.5 * (1 + 1 / (1 + FEES / 1e4))
    assert res.turnover.iloc[lag] == pytest.approx(build, rel=1e-12)
    assert res.turnover.drop(res.turnover.index[lag]).abs().max() < 1e-12
    stats = res.stats()
    assert stats["initial_turnover"] == pytest.approx(build, rel=1e-12)
    assert stats["annual_turnover"] == 0.0


def test_the_build_is_the_same_trade_whatever_the_lag() -> None:
    prices = _prices()
    costs = CostModel(fees_bps=FEES, slippage_bps=SLIP)
    builds = [_buy_and_hold(prices, lag, costs).stats()["initial_turnover"] for lag in (0, 1, 2)]
    assert builds == pytest.approx([builds[0]] * 3, rel=1e-12)


def test_no_decision_inside_the_window_builds_nothing() -> None:
    prices = _prices(6)
    targets = pd.DataFrame(np.nan, index=prices.index, columns=prices.columns)
    targets.iloc[4] = [1.0, 0.0, 0.0]  # decided at bar 4, would execute at bar 6: outside
    res = run_backtest(Decision(targets), prices, cash="CASH", costs=CostModel(fees_bps=FEES),
                       execution_lag=2, periods_per_year=12)
    assert res.build_bar is None
    assert res.stats()["initial_turnover"] == 0.0 and res.stats()["annual_turnover"] == 0.0
    np.testing.assert_allclose(res.returns, prices["CASH"].pct_change().iloc[1:], rtol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("lag", [0, 1, 2])
def test_the_default_run_agrees_for_every_lag(lag: int) -> None:
    run = backtest.run(overrides=[f"run.execution_lag={lag}"])
    for label, res in run.results.items():
        assert res.values.iloc[0] == 1.0, label
        growth = float(np.prod(1 + res.returns.to_numpy()))
        assert growth == pytest.approx(res.values.iloc[-1], rel=1e-12), label
        assert res.build_bar == lag, label
    market = run.results["market"]
    raw = run.dataset.prices["MKT"].pct_change().loc[run.window]
    if lag == 0:
        # the issue: the first return was the raw month's 0.0033, without the 15 bp
        assert market.returns.iloc[0] == pytest.approx((1 + raw.iloc[1]) / 1.0015005 - 1,
                                                       rel=1e-6)
    stats = run.metrics()
    assert stats.loc["market", "annual_turnover"] == 0.0  # bought once, never rebalanced
    assert stats.loc["market", "initial_turnover"] == pytest.approx(0.5 * (1 + 1 / 1.001), rel=1e-12)
    assert stats.loc["sixty_forty", "initial_turnover"] == pytest.approx(0.6, abs=1e-3)


def test_a_short_buy_and_hold_is_not_reported_as_high_turnover() -> None:
    # the issue: a 9-month buy-and-hold showed 132%/yr, its purchase annualized
    run = backtest.run(overrides=["run.start=2000-01-31", "run.end=2000-09-30"])
    stats = run.metrics()
    assert stats.loc["market", "annual_turnover"] == 0.0
    assert stats.loc["market", "initial_turnover"] == pytest.approx(0.5 * (1 + 1 / 1.001), rel=1e-12)
