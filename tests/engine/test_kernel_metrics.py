"""The kernel's metrics equal the empyrical path, and a trial's never depend on its company.

Reference: ``compute_metrics_batch`` (the sweep's path before the kernel) and
``compute_metrics`` (``backtest run``'s), both on the returns and turnover of the
engine's accounting functions. Tolerance: ``|kernel - reference| <= 1e-12 * max(1,
|reference|)`` per metric (absolute below 1, relative above), NaN exactly where the
reference has NaN. In practice the metrics agree to the last bit (the kernel re-traces
bottleneck's sequential sums and numpy's pairwise mean) but for CAGR, Calmar and alpha,
which differ from the batch path by an ulp at times (numpy's SIMD ``power`` on a whole
column there, libm's ``pow`` here and in ``compute_metrics``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtest.engine._accounting import bar_turnover, net_returns, value_path
from backtest.engine._kernel import (
    _ZERO,
    KERNEL_METRICS,
    N_METRICS,
    measure_compact,
    simulate_compact,
    simulate_measured,
)
from backtest.metrics import NUMERICAL_ZERO, compute_metrics
from backtest.metrics._batch import METRIC_NAMES, compute_metrics_batch
from backtest.strategy import BatchDecision

RISK_OFF = METRIC_NAMES.index("share_risk_off")
#: Raised to a power: libm's ``pow`` here, numpy's (SIMD on some CPUs) in the batch path.
POWER = ("cagr", "calmar", "alpha")


def _market(seed: int, n: int, k: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rets = rng.normal(3e-4, 0.012, (n, k))
    rets[:, -1] = rng.uniform(0.0, 2e-4)  # the cash asset: a steady bill return
    return np.ascontiguousarray(rng.uniform(0.5, 500.0, k) * np.cumprod(1 + rets, axis=0))


def _batch(n: int, k: int, seed: int, trials: int) -> BatchDecision:
    """Random mixes, plus the edge cases: never trades, all cash, one trade, buy and hold."""
    rng = np.random.default_rng(seed)
    frames = rng.dirichlet(np.ones(k), size=(3, n)) * rng.uniform(0.2, 1.0, (3, n, 1))
    frames[2] = 0.0
    frames[2, :, -1] = 1.0  # all in the cash asset
    a = rng.uniform(0.0, 1.0, (trials, n))
    b = 1.0 - a
    trade = rng.random((trials, n)) < rng.uniform(0.02, 1.0, (trials, 1))
    first, second = rng.integers(0, 2, trials), rng.integers(0, 3, trials)
    trade[0] = False  # never trades: the starting cash, held as the cash asset
    first[1] = second[1] = 2  # trades, but only into the cash asset: no excess risk
    if trials > 2:
        trade[2] = False
        trade[2, n // 2] = True  # one decision, half-way
    if trials > 3:
        trade[3] = False
        trade[3, 0] = True  # bought on the first close, then held
        a[3], b[3], first[3] = 1.0, 0.0, 0
    return BatchDecision(frames=frames, first=first, second=second, a=a, b=b, trade=trade)


def _simulated(close, batch, lag, fee, slip, capital):  # type: ignore[no-untyped-def]
    n_trials, n = batch.a.shape
    values, traded, pre = (np.empty((n_trials, n)) for _ in range(3))
    status, firsts = np.empty((n_trials, 2), dtype=np.int64), np.empty((n_trials, 2))
    simulate_compact(close, batch.frames, batch.first, batch.second, batch.a, batch.b,
                     batch.trade, close.shape[1] - 1, lag, fee, slip, capital, values, traded,
                     pre, status, firsts)
    assert not status[:, 0].any()
    return values, traded, pre, firsts


def _kernel(sim, lag, capital, ppy, cash, bench, which):  # type: ignore[no-untyped-def]
    values, traded, pre, firsts = sim
    n_trials, n = values.shape
    returns, metrics = np.empty((n_trials, n - 1)), np.empty((n_trials, N_METRICS))
    finite = np.empty(n_trials, dtype=bool)
    measure_compact(values, traded, pre, firsts, lag, capital, ppy, cash, bench, which,
                    returns, metrics, finite)
    return returns, metrics, finite


def _builds(firsts: np.ndarray, lag: np.ndarray, n: int) -> list[int | None]:
    return [None if f < 0 or f + g >= n else int(f + g)
            for f, g in zip(firsts[:, 1].astype(int), lag, strict=True)]


def assert_close(got: np.ndarray, want: np.ndarray) -> None:
    """NaN where the reference has NaN; elsewhere within 1e-12 (relative above 1)."""
    assert np.array_equal(np.isnan(got), np.isnan(want)), (got, want)
    ok = ~np.isnan(want)
    err = np.abs(got[ok] - want[ok]) / np.maximum(1.0, np.abs(want[ok]))
    assert err.max(initial=0.0) <= 1e-12, err.max()


def test_columns_and_guards_are_the_metrics_package_ones() -> None:
    assert KERNEL_METRICS == METRIC_NAMES
    assert len(METRIC_NAMES) == N_METRICS
    assert _ZERO == NUMERICAL_ZERO


COST = st.one_of(st.just(0.0), st.floats(1e-8, 1e-2), st.floats(0.01, 100.0))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 100_000), n=st.integers(1, 300), k=st.integers(2, 6),
       lag=st.integers(0, 3), fees=COST, slip=COST, ppy=st.sampled_from([12, 52, 252]),
       capital=st.sampled_from([1.0, 1e-3, 12_345.6]), with_bench=st.booleans())
def test_kernel_metrics_equal_the_empyrical_path(seed: int, n: int, k: int, lag: int,
                                                 fees: float, slip: float, ppy: int,
                                                 capital: float, with_bench: bool) -> None:
    close = _market(seed, n, k)
    trials = 5
    batch = _batch(n, k, seed + 1, trials)
    lags = np.full(trials, lag, dtype=np.int64)
    sim = _simulated(close, batch, lags, np.full(trials, fees / 1e4),
                     np.full(trials, slip / 1e4), np.full(trials, capital))
    cash = close[1:, -1] / close[:-1, -1] - 1.0
    rng = np.random.default_rng(seed + 2)
    bench = rng.normal(3e-4, 0.01, (1, n - 1)) if with_bench else np.empty((0, n - 1))
    which = np.full(trials, 0 if with_bench else -1, dtype=np.int64)
    returns, metrics, finite = _kernel(sim, lags, np.full(trials, capital),
                                       np.full(trials, ppy, dtype=np.int64), cash, bench, which)
    assert finite.all()
    values, traded, pre, firsts = sim
    want_returns = net_returns(value_path(values.T, np.full(trials, capital))).T
    assert np.array_equal(returns, want_returns)  # the engine's accounting, bit for bit
    turnover = bar_turnover(traded.T, pre.T, firsts[:, 0]).T
    builds = _builds(firsts, lags, n)
    if n > 1:  # (no return at all: the batch path raises, the sweep measures one by one)
        batched = compute_metrics_batch(returns, cash, periods_per_year=ppy,
                                        turnover=turnover, builds=builds,
                                        benchmark=bench[0] if with_bench else None)
        assert_close(metrics, batched)
        same = [j for j, m in enumerate(METRIC_NAMES) if m not in POWER]
        assert metrics[:, same].tobytes() == batched[:, same].tobytes()  # to the bit
    index = pd.bdate_range("2001-01-02", periods=n)
    for i in range(trials):  # and backtest run's path, one series at a time
        one = compute_metrics(
            pd.Series(returns[i], index=index[1:]), pd.Series(cash, index=index[1:]),
            periods_per_year=ppy, turnover=pd.Series(turnover[i], index=index),
            build=builds[i], benchmark=pd.Series(bench[0], index=index[1:]) if with_bench
            else None)
        assert_close(metrics[i], one.to_numpy())
    assert np.isnan(metrics[:, RISK_OFF]).all()  # taken outside the kernel


def test_edge_cases_give_the_reference_nans() -> None:
    n = 400
    close = _market(5, n, 4)
    batch = _batch(n, 4, 6, 4)
    lags = np.ones(4, dtype=np.int64)
    sim = _simulated(close, batch, lags, np.full(4, 1e-3), np.full(4, 2e-4), np.ones(4))
    cash = close[1:, -1] / close[:-1, -1] - 1.0
    _, metrics, _ = _kernel(sim, lags, np.ones(4), np.full(4, 252, dtype=np.int64), cash,
                            np.empty((0, n - 1)), np.full(4, -1, dtype=np.int64))
    names = list(METRIC_NAMES)
    never, cash_only = metrics[0], metrics[1]
    assert never[names.index("initial_turnover")] == 0.0  # nothing built
    assert never[names.index("annual_turnover")] == 0.0
    for row in (never, cash_only):  # excess returns of float noise: no Sharpe, no Sortino
        assert np.isnan(row[names.index("sharpe")]) and np.isnan(row[names.index("sortino")])
    assert np.isnan(metrics[:, [names.index(m) for m in ("beta", "alpha",
                                                          "information_ratio",
                                                          "tracking_error")]]).all()
    held = metrics[3]  # bought on the first close, then held: one build, no ongoing turnover
    assert held[names.index("initial_turnover")] > 0.05
    assert held[names.index("annual_turnover")] == 0.0


def test_a_path_that_is_not_finite_is_flagged_for_the_reference_path() -> None:
    values = np.array([[1.0, 1.1, 0.0, 0.5, 0.6], [1.0, 1.1, 1.2, 1.1, 1.3]])
    traded = np.zeros_like(values)
    pre = np.ones_like(values)
    firsts = np.array([[1.0, -1.0], [1.0, -1.0]])
    _, metrics, finite = _kernel((values, traded, pre, firsts), np.zeros(2, dtype=np.int64),
                                 np.ones(2), np.full(2, 252, dtype=np.int64), np.zeros(4),
                                 np.empty((0, 4)), np.full(2, -1, dtype=np.int64))
    assert finite.tolist() == [False, True]
    assert np.isfinite(metrics[1, 0])


def test_the_fused_kernel_equals_simulation_then_measurement() -> None:
    n, trials = 250, 6
    close = _market(11, n, 5)
    batch = _batch(n, 5, 12, trials)
    lag = np.array([0, 1, 2, 5, 1, 0], dtype=np.int64)
    fee, slip, capital = np.full(trials, 5e-4), np.full(trials, 2e-4), np.full(trials, 3.0)
    ppy = np.array([252, 252, 12, 252, 52, 252], dtype=np.int64)
    cash = close[1:, -1] / close[:-1, -1] - 1.0
    bench = np.random.default_rng(13).normal(3e-4, 0.01, (2, n - 1))
    which = np.array([0, 1, -1, 0, 1, 0], dtype=np.int64)
    sim = _simulated(close, batch, lag, fee, slip, capital)
    returns, metrics, finite = _kernel(sim, lag, capital, ppy, cash, bench, which)
    fused = _fused(close, batch, lag, fee, slip, capital, ppy, cash, bench, which)
    assert np.array_equal(fused[0], returns)
    assert fused[1].tobytes() == metrics.tobytes()
    assert np.array_equal(fused[3], finite)


def _fused(close, batch, lag, fee, slip, capital, ppy, cash, bench, which):  # type: ignore[no-untyped-def]
    n_trials, n = batch.a.shape
    returns, metrics = np.empty((n_trials, n - 1)), np.empty((n_trials, N_METRICS))
    status, finite = np.empty((n_trials, 2), dtype=np.int64), np.empty(n_trials, dtype=bool)
    simulate_measured(close, batch.frames, batch.first, batch.second, batch.a, batch.b,
                      batch.trade, close.shape[1] - 1, lag, fee, slip, capital, ppy, cash,
                      bench, which, returns, np.arange(n_trials), metrics, status, finite)
    return returns, metrics, status, finite


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), data=st.data())
def test_a_trials_metrics_do_not_depend_on_its_company(seed: int, data: st.DataObject) -> None:
    # any subset, in any order, with any benchmark rows around it: the same bits
    n, trials = 180, 8
    close = _market(seed, n, 4)
    batch = _batch(n, 4, seed + 1, trials)
    rng = np.random.default_rng(seed + 2)
    lag = rng.integers(0, 3, trials)
    fee, slip = rng.uniform(0, 1e-3, trials), rng.uniform(0, 1e-3, trials)
    capital, ppy = rng.uniform(0.5, 100.0, trials), rng.choice([12, 252], trials)
    cash = close[1:, -1] / close[:-1, -1] - 1.0
    bench = rng.normal(3e-4, 0.01, (3, n - 1))
    which = rng.integers(-1, 3, trials)
    whole = _fused(close, batch, lag, fee, slip, capital, ppy, cash, bench, which)
    rows = data.draw(st.lists(st.integers(0, trials - 1), min_size=1, max_size=trials,
                              unique=True))
    keep = np.array(rows)
    used = sorted({int(w) for w in which[keep] if w >= 0})  # only the benchmarks they use
    extra = data.draw(st.booleans())  # ... or those and an unused one
    order = used + ([j for j in range(3) if j not in used][:1] if extra else [])
    remap = np.array([order.index(int(w)) if w >= 0 else -1 for w in which[keep]])
    part = BatchDecision(frames=batch.frames, first=batch.first[keep],
                         second=batch.second[keep], a=batch.a[keep], b=batch.b[keep],
                         trade=batch.trade[keep])
    alone = _fused(close, part, lag[keep], fee[keep], slip[keep], capital[keep], ppy[keep],
                   cash, np.ascontiguousarray(bench[order]).reshape(len(order), n - 1),
                   remap.astype(np.int64))
    assert alone[0].tobytes() == whole[0][keep].tobytes()
    assert alone[1].tobytes() == whole[1][keep].tobytes()


@pytest.mark.parametrize("with_bench", [True, False])
def test_zero_volatility_gives_the_reference_numbers_and_nans(with_bench: bool) -> None:
    # a flat value path, a flat cash asset and a flat benchmark: volatility and tracking
    # error exactly 0, and every ratio over them NaN, as the reference has them
    n = 30
    values = np.ones((2, n))
    values[1] = 1.0 + 1e-3 * np.arange(n)  # a steady climb: no drawdown, no downside
    traded, pre = np.zeros_like(values), np.ones_like(values)
    firsts = np.array([[1.0, -1.0], [1.0, -1.0]])
    cash, lag = np.zeros(n - 1), np.zeros(2, dtype=np.int64)
    bench = np.zeros((1, n - 1)) if with_bench else np.empty((0, n - 1))
    which = np.full(2, 0 if with_bench else -1, dtype=np.int64)
    returns, metrics, finite = _kernel((values, traded, pre, firsts), lag, np.ones(2),
                                       np.full(2, 252, dtype=np.int64), cash, bench, which)
    assert finite.all()
    turnover = bar_turnover(traded.T, pre.T, firsts[:, 0]).T
    want = compute_metrics_batch(returns, cash, periods_per_year=252, turnover=turnover,
                                 builds=[None, None], benchmark=bench[0] if with_bench else None)
    assert_close(metrics, want)
    names = list(METRIC_NAMES)
    assert metrics[0, names.index("annual_volatility")] == 0.0
    assert np.isnan(metrics[0, names.index("sharpe")])  # flat: no excess risk
    for name in ("calmar", "sortino"):  # neither path ever fell, or fell short of cash
        assert np.isnan(metrics[:, names.index(name)]).all()
