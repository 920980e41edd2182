from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtest.config import CostModel
from backtest.engine import Engine, execute_targets, run_backtest, validate_weights
from backtest.errors import StrategyError
from backtest.strategy import Decision

sys.path.insert(0, str(Path(__file__).parent))
from reference import simulate_reference


def _market(seed: int, n: int = 120, k: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2000-01-31", periods=n, freq="ME", name="date")
    rets = rng.normal(0.005, 0.05, (n, k))
    rets[:, -1] = 0.003  # the cash asset: a steady bill return
    return pd.DataFrame(
        50 * np.cumprod(1 + rets, axis=0), index=idx, columns=[*"ABC"[: k - 1], "CASH"]
    )


def _random_targets(prices: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n, k = prices.shape
    w = pd.DataFrame(np.nan, index=prices.index, columns=prices.columns)
    for i in range(n):
        if rng.random() < 0.4:
            w.iloc[i] = rng.dirichlet(np.ones(k)) * rng.choice([1.0, rng.uniform(0.3, 1.0)])
    return w


# Costs are zero or at least 0.01 bp: below that, vectorbt's relative float tolerance
# of 1e-9 on its cash checks is larger than the costs themselves, and the engine and
# the reference legitimately differ by up to ~1e-9 (hypothesis found 6e-8 bp).
COST_BPS = st.one_of(st.just(0.0), st.floats(0.01, 50))


#: Both executors of the rules: vectorbt (run, compare) and the kernel (thesis).
ENGINES = pytest.mark.parametrize("engine", ["vectorbt", "kernel"])


@ENGINES
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), lag=st.integers(0, 3), fees=COST_BPS, slip=COST_BPS)
def test_engine_equals_numpy_reference(engine: Engine, seed: int, lag: int, fees: float,
                                       slip: float) -> None:
    prices = _market(seed)
    targets = _random_targets(prices, seed + 1)
    costs = CostModel(fees_bps=fees, slippage_bps=slip)
    res = run_backtest(Decision(targets), prices, cash="CASH", costs=costs, execution_lag=lag,
                       periods_per_year=12, engine=engine)
    executed = execute_targets(targets, "CASH", lag).to_numpy()
    per_asset = np.array([fees, fees, fees, 0.0]) / 1e4  # the cash asset trades free
    traded, pre = np.zeros(prices.shape), np.zeros(len(prices))
    ref = simulate_reference(prices.to_numpy(), executed, per_asset,
                             np.array([slip, slip, slip, 0.0]) / 1e4, 1.0, traded, pre)
    # the reported path starts at the initial capital, before bar 0's trades
    path = np.concatenate([[1.0], ref[1:]])
    np.testing.assert_allclose(res.values.to_numpy(), path, rtol=1e-10, atol=0)
    np.testing.assert_allclose(res.returns.to_numpy(), path[1:] / path[:-1] - 1, rtol=0,
                               atol=1e-10)
    # turnover: half the filled value over the value before the trades; at bar 0 the
    # starting money is the cash asset, so only the non-cash buys and the money not put
    # in the cash asset trade
    one_way = 0.5 * traded.sum(axis=1) / pre
    one_way[0] = 0.5 * (traded[0, :3].sum() + abs(1.0 - traded[0, 3])) / 1.0
    np.testing.assert_allclose(res.turnover.to_numpy(), one_way, rtol=1e-9, atol=1e-12)


@ENGINES
def test_execution_lag_trades_one_bar_later(engine: Engine) -> None:
    prices = _market(0)
    targets = pd.DataFrame(np.nan, index=prices.index, columns=prices.columns)
    targets.iloc[10] = [1.0, 0.0, 0.0, 0.0]
    res = run_backtest(Decision(targets), prices, cash="CASH", costs=CostModel(),
                       execution_lag=1, periods_per_year=12, engine=engine)
    # held cash until bar 11's close, then asset A
    assert res.weights["CASH"].iloc[:11].eq(1.0).all()
    assert res.weights["A"].iloc[11] == pytest.approx(1.0)
    expected = prices["A"].pct_change().iloc[12]
    assert res.returns.iloc[11] == pytest.approx(expected, rel=1e-12)  # returns start at bar 1
    assert res.returns.iloc[10] == pytest.approx(prices["CASH"].pct_change().iloc[11], rel=1e-12)


def test_residual_weight_earns_the_cash_return() -> None:
    prices = _market(1)
    targets = pd.DataFrame(0.0, index=prices.index, columns=prices.columns)
    targets["A"] = 0.25  # 75% unallocated -> cash asset
    res = run_backtest(Decision(targets), prices, cash="CASH", costs=CostModel(),
                       execution_lag=0, periods_per_year=12)
    rets = prices.pct_change().iloc[1:]
    np.testing.assert_allclose(res.returns, 0.25 * rets["A"] + 0.75 * rets["CASH"], atol=1e-12)


@given(seed=st.integers(0, 1000), asset=st.sampled_from(["A", "B", "C"]))
@settings(max_examples=15, deadline=None)
def test_zero_cost_buy_and_hold_equals_the_asset(seed: int, asset: str) -> None:
    prices = _market(seed)
    targets = pd.DataFrame(np.nan, index=prices.index, columns=prices.columns)
    targets.iloc[0] = [1.0 if c == asset else 0.0 for c in prices.columns]
    res = run_backtest(Decision(targets), prices, cash="CASH", costs=CostModel(),
                       execution_lag=0, periods_per_year=12)
    np.testing.assert_allclose(res.returns, prices[asset].pct_change().iloc[1:], atol=1e-12)


def test_costs_reduce_the_final_value_by_the_traded_amount() -> None:
    prices = _market(2)
    targets = pd.DataFrame(np.nan, index=prices.index, columns=prices.columns)
    targets.iloc[0] = [1.0, 0, 0, 0]
    targets.iloc[1] = [0, 1.0, 0, 0]
    free = run_backtest(Decision(targets), prices, cash="CASH", costs=CostModel(),
                        execution_lag=0, periods_per_year=12)
    paid = run_backtest(Decision(targets), prices, cash="CASH", costs=CostModel(fees_bps=100),
                        execution_lag=0, periods_per_year=12)
    # bar 0: buy A for 1/(1.01) of the value; bar 1: sell A (1% fee), buy B (1% fee)
    ratio = paid.values.iloc[-1] / free.values.iloc[-1]
    assert ratio == pytest.approx(0.99 / 1.01 / 1.01 * 1.0, rel=1e-9)
    assert free.turnover.iloc[1] == pytest.approx(1.0)  # a full switch: one-way turnover 100%


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ([0.5, np.nan, 0.5, 0.0], "NaN for some assets"),
        ([np.inf, 0.0, 0.0, 0.0], "infinite"),
        ([-0.1, 0.6, 0.5, 0.0], "negative weight"),
        ([0.6, 0.6, 0.0, 0.0], "more than 1"),
    ],
)
def test_invalid_weights_name_strategy_and_date(row: list[float], message: str) -> None:
    prices = _market(0, n=5)
    targets = pd.DataFrame(np.nan, index=prices.index, columns=prices.columns)
    targets.iloc[3] = row
    with pytest.raises(StrategyError, match=rf"'rot'.*2000-04-30.*{message}"):
        validate_weights(targets, "rot")


def test_result_is_immutable_and_summarised() -> None:
    prices = _market(0)
    res = run_backtest(Decision(_random_targets(prices, 5)), prices, cash="CASH",
                       costs=CostModel(fees_bps=5), execution_lag=1, periods_per_year=12,
                       label="demo")
    with pytest.raises(AttributeError):
        res.label = "x"  # type: ignore[misc]
    assert "periods_per_year=12" in res.summary()
    assert "execution_lag=1" in repr(res)
    frame = res.to_frame()
    assert {"return", "value", "turnover", "w_A"} <= set(frame.columns)
    np.testing.assert_allclose(res.weights.sum(axis=1), 1.0, atol=1e-9)


@ENGINES
@pytest.mark.parametrize("scale", [2.0**-990, 2.0**990, 1e-298, 1e298])
def test_the_price_level_changes_no_number(engine: Engine, scale: float) -> None:
    # issue 18 item 11: prices near 1e-298 overflowed vectorbt's share counts (a
    # traceback). Only returns matter: a power of two gives the same bits, any other
    # scale the same numbers to rounding.
    prices = _market(3)
    targets = _random_targets(prices, 4)
    costs = CostModel(fees_bps=5.0, slippage_bps=2.0)
    plain = run_backtest(Decision(targets), prices, cash="CASH", costs=costs,
                         execution_lag=1, periods_per_year=12, engine=engine)
    scaled = run_backtest(Decision(targets), prices * scale, cash="CASH", costs=costs,
                          execution_lag=1, periods_per_year=12, engine=engine)
    for name in ("values", "returns", "weights", "turnover"):
        a, b = getattr(plain, name).to_numpy(), getattr(scaled, name).to_numpy()
        if np.log2(scale).is_integer():
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_simulation_prices_rescale_only_far_out_assets_and_keep_their_returns() -> None:
    from backtest.engine._accounting import simulation_prices

    close = _market(5).to_numpy() * np.array([1.0, 1e-298, 1e300, 2.0**70])
    out = simulation_prices(close)
    np.testing.assert_array_equal(out[:, 0], close[:, 0])  # 50-ish: as quoted
    assert np.all((out[0, 1:] >= 0.5) & (out[0, 1:] < 1.0))
    np.testing.assert_array_equal(out[1:] / out[:-1], close[1:] / close[:-1])


@ENGINES
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), lag=st.integers(0, 2), cut=st.integers(5, 110))
def test_prices_and_targets_after_t_change_nothing_at_or_before_t(engine: Engine, seed: int,
                                                                  lag: int, cut: int) -> None:
    # no look-ahead in either executor: rewrite every price and target after bar t
    prices = _market(seed)
    targets = _random_targets(prices, seed + 1)
    later = prices.index > prices.index[cut]
    rng = np.random.default_rng(seed + 2)
    prices2, targets2 = prices.copy(), targets.copy()
    prices2.loc[later] = prices.loc[later] * rng.uniform(0.2, 3.0, (later.sum(), 4))
    targets2.loc[later] = _random_targets(prices, seed + 3).loc[later]
    costs = CostModel(fees_bps=10.0, slippage_bps=5.0)
    a, b = (run_backtest(Decision(t), p, cash="CASH", costs=costs, execution_lag=lag,
                         periods_per_year=12, engine=engine)
            for p, t in ((prices, targets), (prices2, targets2)))
    assert a.values.iloc[: cut + 1].equals(b.values.iloc[: cut + 1])
    assert a.weights.iloc[: cut + 1].equals(b.weights.iloc[: cut + 1])
    assert a.turnover.iloc[: cut + 1].equals(b.turnover.iloc[: cut + 1])
    assert not a.values.iloc[cut + 1:].equals(b.values.iloc[cut + 1:])  # the test can see
