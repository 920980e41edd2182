"""The sweep kernel equals the vectorbt engine (run_backtest) on every cost setting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtest.config import CostModel
from backtest.engine import BacktestResult, run_backtest, validate_weights
from backtest.engine._accounting import bar_turnover, net_returns, value_path
from backtest.engine._kernel import CHECK_NAMES, simulate_compact
from backtest.errors import StrategyError
from backtest.strategy import BatchDecision, Decision


def _market(seed: int, n: int, k: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2000-01-31", periods=n, freq="ME", name="date")
    rets = rng.normal(0.005, 0.06, (n, k))
    rets[:, -1] = rng.uniform(0.0, 0.004)  # the cash asset: a steady bill return
    base = rng.uniform(0.5, 500.0, k)  # prices of any scale
    return pd.DataFrame(base * np.cumprod(1 + rets, axis=0), index=idx,
                        columns=[*(f"A{j}" for j in range(k - 1)), "CASH"])


def _batch(prices: pd.DataFrame, seed: int, trials: int) -> BatchDecision:
    """Random sleeves, coefficients and trade masks in compact form."""
    rng = np.random.default_rng(seed)
    n, k = prices.shape
    frames = rng.dirichlet(np.ones(k), size=(4, n)) * rng.uniform(0.2, 1.0, (4, n, 1))
    frames[2] = rng.dirichlet(np.ones(k) * 0.3, size=n)  # sparse mixes, zeros included
    frames[3] = 0.0
    frames[3, :, -1] = 1.0  # all in the cash asset
    mode = rng.integers(0, 4, trials)
    a = np.where(mode[:, None] == 0, rng.integers(0, 2, (trials, n)).astype(float),
                 rng.uniform(0.0, 1.0, (trials, n)))
    b = np.where(mode[:, None] == 0, 1.0 - a, (1.0 - a) * rng.uniform(0.0, 1.0, (trials, 1)))
    # tiny mixes (a logistic map near saturation, the rest in cash): trades far below 1e-9
    # of a position, where vectorbt's relative tolerances decide what is snapped
    tiny = 10.0 ** -rng.uniform(8.0, 16.0, (trials, n))
    a = np.where(mode[:, None] == 3, tiny, a)
    b = np.where(mode[:, None] == 3, 1.0 - tiny, b)
    trade = rng.random((trials, n)) < rng.uniform(0.05, 1.0, (trials, 1))
    second = np.where(mode == 3, 3, rng.integers(0, 3, trials))  # tiny: P vs all cash
    return BatchDecision(frames=frames, first=rng.integers(0, 3, trials), second=second, a=a,
                         b=b, trade=trade)


def _run(prices: pd.DataFrame, batch: BatchDecision, costs: CostModel, lag: int,
         capital: float, out: dict[str, np.ndarray] | None = None,
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n_trials, n = batch.a.shape
    values, traded, pre = np.empty((n_trials, n)), np.empty((n_trials, n)), np.empty((n_trials, n))
    status, firsts = np.empty((n_trials, 2), dtype=np.int64), np.empty((n_trials, 2))
    simulate_compact(
        np.ascontiguousarray(prices.to_numpy()), batch.frames, batch.first, batch.second,
        batch.a, batch.b, batch.trade, prices.shape[1] - 1, np.full(n_trials, lag),
        np.full(n_trials, costs.fees_bps / 1e4), np.full(n_trials, costs.slippage_bps / 1e4),
        np.full(n_trials, capital), values, traded, pre, status, firsts,
    )
    if out is not None:
        out.update(pre=pre, first_cash=firsts[:, 0], first_decision=firsts[:, 1])
    return values, traded, status


def _returns(values: np.ndarray, capital: float) -> np.ndarray:
    """Net returns of (n_trials, n_bars) values after trades (the engine's functions)."""
    return net_returns(value_path(values.T, capital)).T


def _kernel(prices: pd.DataFrame, batch: BatchDecision, costs: CostModel, lag: int,
            capital: float) -> tuple[np.ndarray, np.ndarray]:
    values, traded, status = _run(prices, batch, costs, lag, capital)
    assert not status[:, 0].any()  # valid weights
    return values, traded


# every cost setting, including costs below 0.01 bp where vectorbt's relative 1e-9
# cash tolerance decides between a full and a partial fill (the kernel mirrors it)
COST_BPS = st.one_of(st.just(0.0), st.floats(1e-8, 1e-2), st.floats(0.01, 100.0))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 100_000), n=st.integers(3, 90), k=st.integers(2, 7),
       lag=st.integers(0, 3), fees=COST_BPS, slip=COST_BPS,
       capital=st.sampled_from([1.0, 1e-3, 12_345.6]))
def test_kernel_equals_vectorbt(seed: int, n: int, k: int, lag: int, fees: float, slip: float,
                                capital: float) -> None:
    prices = _market(seed, n, k)
    batch = _batch(prices, seed + 1, trials=3)
    costs = CostModel(fees_bps=fees, slippage_bps=slip)
    out: dict[str, np.ndarray] = {}
    values, traded, status = _run(prices, batch, costs, lag, capital, out)
    assert not status[:, 0].any()  # valid weights
    returns = _returns(values, capital)
    for i in range(3):
        decision = Decision(pd.DataFrame(batch.weights(i), index=prices.index,
                                         columns=prices.columns))
        res = run_backtest(decision, prices, cash="CASH", costs=costs, execution_lag=lag,
                           periods_per_year=12, initial_capital=capital)
        np.testing.assert_allclose(returns[i], res.returns.to_numpy(), rtol=0, atol=1e-10)
        np.testing.assert_allclose(value_path(values[i], capital), res.values.to_numpy(),
                                   rtol=1e-10, atol=0)
        turnover = bar_turnover(traded[i], out["pre"][i], out["first_cash"][i])
        np.testing.assert_allclose(turnover, res.turnover.to_numpy(), rtol=0, atol=1e-12)
        assert res.build_bar == (None if out["first_decision"][i] < 0
                                 or out["first_decision"][i] + lag >= n
                                 else int(out["first_decision"][i]) + lag)


def test_kernel_is_bit_identical_to_vectorbt_on_a_long_rotation() -> None:
    # not only within 1e-10: the kernel re-traces vectorbt's operations one by one
    prices = _market(7, 400, 5)
    batch = _batch(prices, 8, trials=4)
    costs = CostModel(fees_bps=10.0, slippage_bps=5.0)
    values, _ = _kernel(prices, batch, costs, 1, 1.0)
    for i in range(4):
        decision = Decision(pd.DataFrame(batch.weights(i), index=prices.index,
                                         columns=prices.columns))
        res = run_backtest(decision, prices, cash="CASH", costs=costs, execution_lag=1,
                           periods_per_year=12)
        assert np.array_equal(_returns(values, 1.0)[i], res.returns.to_numpy())


def test_trials_do_not_interact() -> None:
    # a trial's numbers are the same alone or among others (chunking cannot matter)
    prices = _market(3, 60, 4)
    batch = _batch(prices, 4, trials=5)
    costs = CostModel(fees_bps=20.0, slippage_bps=3.0)
    together, _ = _kernel(prices, batch, costs, 1, 1.0)
    for i in range(5):
        keep = np.arange(5) == i
        single = BatchDecision(frames=batch.frames, first=batch.first[keep],
                               second=batch.second[keep], a=batch.a[keep], b=batch.b[keep],
                               trade=batch.trade[keep])
        alone, _ = _kernel(prices, single, costs, 1, 1.0)
        assert np.array_equal(alone[0], together[i])


def test_bar_zero_holds_cash_and_nan_rows_do_not_trade() -> None:
    prices = _market(1, 6, 3)
    frames = np.zeros((1, 6, 3))
    frames[0, :, 0] = 1.0
    frames[0, 2] = np.nan  # an all-NaN mix on a traded row: no trade
    batch = BatchDecision(frames=frames, first=np.zeros(1, np.int64),
                          second=np.zeros(1, np.int64), a=np.ones((1, 6)), b=np.zeros((1, 6)),
                          trade=np.array([[False, False, True, True, False, False]]))
    values, traded = _kernel(prices, batch, CostModel(), 1, 1.0)
    cash = prices["CASH"].to_numpy()
    a0 = prices["A0"].to_numpy()
    assert traded[0, 1] == 0 and traded[0, 3] == 0  # bar 3 executes row 2: NaN
    np.testing.assert_allclose(values[0, :4], cash[:4] / cash[0], rtol=1e-14)
    np.testing.assert_allclose(values[0, 5] / values[0, 4], a0[5] / a0[4], rtol=1e-14)


def _validate(weights: np.ndarray) -> int:
    """Code of the first check validate_weights fails, 0 if none."""
    frame = pd.DataFrame(weights, index=pd.date_range("2001-01-31", periods=len(weights),
                                                      freq="ME"))
    try:
        validate_weights(frame, "x")
    except StrategyError as exc:
        return next(i for i, name in enumerate(CHECK_NAMES) if i and _says(str(exc), name))
    return 0


def _says(message: str, name: str) -> bool:
    words = {"partly NaN": "NaN for some", "infinite": "infinite", "negative": "negative",
             "sum above 1": "more than 1"}
    return words[name] in message


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), bad=st.sampled_from(["none", "nan", "inf", "neg", "sum"]),
       lag=st.integers(0, 2))
def test_the_kernel_flags_what_validate_weights_rejects(seed: int, bad: str, lag: int) -> None:
    # every decision row is checked, also those too late to execute (as run_backtest does)
    rng = np.random.default_rng(seed)
    n, k = 12, 4
    frames = rng.dirichlet(np.ones(k), size=(1, n))
    row, col = rng.integers(0, n), rng.integers(0, k)
    value = {"none": frames[0, row, col], "nan": np.nan, "inf": np.inf,
             "neg": -rng.uniform(2e-9, 0.5), "sum": frames[0, row, col] + rng.uniform(2e-9, 1)}
    frames[0, row, col] = value[bad]
    frames[0, rng.integers(0, n), 0] -= 1e-10  # tolerated round-off
    trade = rng.random((1, n)) < 0.7
    trade[0, row] = True
    batch = BatchDecision(frames=frames, first=np.zeros(1, np.int64),
                          second=np.zeros(1, np.int64), a=np.ones((1, n)), b=np.zeros((1, n)),
                          trade=trade)
    prices = _market(seed, n, k)
    _, _, status = _run(prices, batch, CostModel(), lag, 1.0)
    assert status[0, 0] == _validate(batch.weights(0))
    if bad != "none":
        assert status[0, 1] == row or status[0, 0] != {"nan": 1, "inf": 2, "neg": 3,
                                                         "sum": 4}[bad]


@pytest.mark.parametrize("lag", [0, 1, 2])
def test_returns_compound_to_the_final_value_for_every_lag(lag: int) -> None:
    prices = _market(11, 30, 3)
    rng = np.random.default_rng(12)
    frames = rng.dirichlet(np.ones(3), size=(1, 30))
    frames[0, :, -1] = 0.0  # all invested: the first trade has costs
    batch = BatchDecision(frames=frames, first=np.zeros(1, np.int64),
                          second=np.zeros(1, np.int64), a=np.ones((1, 30)), b=np.zeros((1, 30)),
                          trade=np.ones((1, 30), dtype=bool))
    values, _ = _kernel(prices, batch, CostModel(fees_bps=30.0, slippage_bps=10.0), lag, 2.0)
    returns = _returns(values, 2.0)[0]
    assert np.prod(1 + returns) == pytest.approx(values[0, -1] / 2.0, rel=1e-12)
    if lag == 0:  # the first trade's costs fall into the first return
        free, _ = _kernel(prices, batch, CostModel(), lag, 2.0)
        assert returns[0] < _returns(free, 2.0)[0, 0]


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 100_000), lag=st.integers(0, 2), fees=COST_BPS)
def test_pre_trade_values_and_first_holdings_are_vectorbts(seed: int, lag: int,
                                                           fees: float) -> None:
    # what the turnover of the initial build is measured with: the value before each
    # close's trades (vectorbt's cash and shares of the previous close at this close's
    # prices) and the cash asset held after the first close's trades
    import vectorbt as vbt

    from backtest.engine import execute_targets

    prices = _market(seed, 40, 4)
    batch = _batch(prices, seed + 1, trials=1)
    costs = CostModel(fees_bps=fees, slippage_bps=2.0)
    out: dict[str, np.ndarray] = {}
    _run(prices, batch, costs, lag, 1.0, out)
    weights = pd.DataFrame(batch.weights(0), index=prices.index, columns=prices.columns)
    is_cash = (prices.columns == "CASH").astype(float)
    pf = vbt.Portfolio.from_orders(
        close=prices, size=execute_targets(weights.clip(lower=0.0), "CASH", lag),
        size_type="targetpercent", direction="longonly", price=np.inf, val_price=np.inf,
        fees=(fees / 1e4 * (1 - is_cash))[None, :], fixed_fees=0.0,
        slippage=(2e-4 * (1 - is_cash))[None, :], min_size=0.0, max_size=np.inf,
        allow_partial=True, raise_reject=False, lock_cash=False, init_cash=1.0,
        cash_sharing=True, group_by=True, call_seq="auto", update_value=False,
        ffill_val_price=True, engine="rust")  # every setting as backtest/engine/_vbt.py
    cash = np.asarray(pf.cash(), dtype="float64").reshape(-1)
    shares = pf.assets().to_numpy()
    want = np.r_[1.0, cash[:-1] + np.einsum("ij,ij->i", shares[:-1], prices.to_numpy()[1:])]
    np.testing.assert_allclose(out["pre"][0], want, rtol=1e-12, atol=0)
    held = pf.asset_value(group_by=False)["CASH"].iloc[0]
    assert out["first_cash"][0] == pytest.approx(held, rel=1e-12, abs=1e-15)
    decided = np.flatnonzero(batch.trade[0] & ~np.isnan(batch.weights(0)).all(axis=1))
    assert out["first_decision"][0] == (decided[0] if len(decided) else -1)


def _both(decision: Decision, prices: pd.DataFrame, costs: CostModel, lag: int,
          capital: float) -> tuple[BacktestResult, BacktestResult]:
    runs = tuple(run_backtest(decision, prices, cash="CASH", costs=costs, execution_lag=lag,
                              periods_per_year=12, initial_capital=capital, engine=engine)
                 for engine in ("vectorbt", "kernel"))
    return runs[0], runs[1]


def assert_same_result(kernel: BacktestResult, vbt: BacktestResult, atol: float = 1e-10) -> None:
    """Every path of a run_backtest result (not only the returns) within ``atol``."""
    assert (kernel.engine, vbt.engine) == ("kernel", "vectorbt")
    np.testing.assert_allclose(kernel.returns, vbt.returns, rtol=0, atol=atol)
    np.testing.assert_allclose(kernel.values, vbt.values, rtol=atol, atol=0)
    np.testing.assert_allclose(kernel.weights, vbt.weights, rtol=0, atol=atol)
    np.testing.assert_allclose(kernel.turnover, vbt.turnover, rtol=0, atol=atol)
    pd.testing.assert_index_equal(kernel.weights.columns, vbt.weights.columns)
    pd.testing.assert_index_equal(kernel.returns.index, vbt.returns.index)
    assert kernel.build_bar == vbt.build_bar
    pd.testing.assert_series_equal(kernel.stats(), vbt.stats(), rtol=1e-8, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 100_000), n=st.integers(3, 90), k=st.integers(2, 7),
       lag=st.integers(0, 3), fees=COST_BPS, slip=COST_BPS,
       capital=st.sampled_from([1.0, 1e-3, 12_345.6]))
def test_run_backtest_on_the_kernel_equals_vectorbt(seed: int, n: int, k: int, lag: int,
                                                    fees: float, slip: float,
                                                    capital: float) -> None:
    # the engine="kernel" path of run_backtest (thesis): values, holdings, turnover
    prices = _market(seed, n, k)
    batch = _batch(prices, seed + 1, trials=2)
    costs = CostModel(fees_bps=fees, slippage_bps=slip)
    for i in range(2):
        weights = pd.DataFrame(batch.weights(i), index=prices.index, columns=prices.columns)
        vbt, kernel = _both(Decision(weights), prices, costs, lag, capital)
        assert_same_result(kernel, vbt)


def test_the_kernel_path_is_vectorbts_to_the_bit_on_a_long_rotation() -> None:
    prices = _market(7, 400, 5)
    batch = _batch(prices, 8, trials=2)
    for i in range(2):
        weights = pd.DataFrame(batch.weights(i), index=prices.index, columns=prices.columns)
        vbt, kernel = _both(Decision(weights), prices, CostModel(fees_bps=10.0, slippage_bps=5.0), 1, 1.0)
        assert np.array_equal(kernel.values.to_numpy(), vbt.values.to_numpy())
        assert np.array_equal(kernel.weights.to_numpy(), vbt.weights.to_numpy())


def test_an_unknown_engine_is_refused() -> None:
    prices = _market(1, 5, 2)
    with pytest.raises(ValueError, match="engine must be one of"):
        run_backtest(Decision(prices * np.nan), prices, cash="CASH", costs=CostModel(),
                     execution_lag=1, periods_per_year=12, engine="numpy")  # type: ignore[arg-type]


def test_add_is_vectorbts_add_nb_to_the_bit() -> None:
    """The kernel's one-test ``_add`` returns vectorbt's ``add_nb``, sign by sign."""
    from vectorbt.utils.math_ import add_nb

    from backtest.engine._kernel import _add

    rng = np.random.default_rng(0)
    special = [0.0, 5e-324, 1e-300, 1e-13, 5e-13, 1e-12, 1.0000000001e-12, 2e-12, 1e-9,
               1.0, 3.0, 1e3, 1e12, 1e300, 1.7e308, np.inf, np.nan]
    scale = 10.0 ** rng.uniform(-14.0, 12.0, 300)
    near = [1.0 + 1e-9, 1.0 - 1e-9, 1.0 + 2e-9, 1.0 + 1e-10, 1.0 + 1e-16]
    pairs = [(x, y) for x in special for y in special]
    pairs += [(x, -x * f) for x in scale for f in near]  # within or out of 1e-9 of each other
    pairs += [(x, -x + d) for x in scale[:50] for d in (1e-13, 1e-12, 2e-12, -1e-12)]
    pairs += list(zip(scale, rng.choice([-1.0, 1.0], 300) * scale[::-1], strict=True))
    for x, y in pairs:
        for a, b in ((x, y), (-x, y), (x, -y), (-x, -y), (y, x)):
            got, want = np.float64(_add(a, b)), np.float64(add_nb(a, b))
            assert got.tobytes() == want.tobytes(), (a, b, got, want)
