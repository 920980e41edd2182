"""compute_metrics_batch: every metric of many series equals compute_metrics of each one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtest.metrics import Metric, compute_metrics
from backtest.metrics._batch import METRIC_NAMES, compute_metrics_batch

PPY = 252


def _one_by_one(returns, cash, turnover, builds, risk_off, benchmark) -> np.ndarray:
    n = returns.shape[1]
    index = pd.bdate_range("2000-01-04", periods=n + 1)
    rows = []
    for i in range(returns.shape[0]):
        stats = compute_metrics(
            pd.Series(returns[i], index=index[1:]), pd.Series(cash, index=index[1:]),
            periods_per_year=PPY, turnover=pd.Series(turnover[i], index=index),
            build=builds[i],
            risk_off=None if risk_off is None else pd.Series(risk_off[i], index=index[1:]),
            benchmark=None if benchmark is None else pd.Series(benchmark, index=index[1:]),
        )
        assert tuple(stats.index) == METRIC_NAMES
        rows.append(stats.to_numpy())
    return np.array(rows)


def _case(seed: int, n: int = 500) -> dict:
    rng = np.random.default_rng(seed)
    cash = rng.uniform(0.0, 2e-4, n)
    returns = rng.normal(3e-4, 0.01, (6, n))
    returns[1] = cash  # cash only: no excess risk -> Sharpe, Sortino "—"
    returns[2] = np.abs(returns[2]) * 0.01  # never falls -> Calmar "—"
    benchmark = rng.normal(3e-4, 0.012, n)
    returns[3] = benchmark  # against itself: information ratio "—"
    turnover = np.abs(rng.normal(0, 0.05, (6, n + 1)))
    risk_off = rng.random((6, n)) < 0.3
    builds = [0, None, 5, n, 3, n - 1]  # n: the last bar of the window builds
    return {"returns": returns, "cash": cash, "turnover": turnover, "builds": builds,
            "risk_off": risk_off, "benchmark": benchmark}


@pytest.mark.parametrize("with_benchmark", [True, False])
@pytest.mark.parametrize("with_state", [True, False])
def test_batch_equals_compute_metrics_row_by_row(with_benchmark: bool, with_state: bool) -> None:
    case = _case(3)
    if not with_benchmark:
        case["benchmark"] = None
    if not with_state:
        case["risk_off"] = None
    got = compute_metrics_batch(case["returns"], case["cash"], periods_per_year=PPY,
                                turnover=case["turnover"], builds=case["builds"],
                                risk_off=case["risk_off"], benchmark=case["benchmark"])
    want = _one_by_one(**case)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    assert np.array_equal(np.isnan(got), np.isnan(want))  # the same "—" cells
    names = list(METRIC_NAMES)
    assert np.isnan(got[1, names.index("sharpe")]) and np.isnan(got[1, names.index("sortino")])
    assert np.isnan(got[2, names.index("calmar")])
    assert np.isnan(got[3, names.index("information_ratio")])  # itself, or no benchmark
    assert got[1, names.index("initial_turnover")] == 0.0  # nothing built


def test_benchmark_without_excess_variance_has_no_beta_or_alpha() -> None:
    case = _case(5)
    case["benchmark"] = case["cash"].copy()  # the benchmark is the cash asset
    got = compute_metrics_batch(case["returns"], case["cash"], periods_per_year=PPY,
                                turnover=case["turnover"], builds=case["builds"],
                                risk_off=case["risk_off"], benchmark=case["benchmark"])
    want = _one_by_one(**case)
    names = list(METRIC_NAMES)
    for name in ("beta", "alpha"):
        assert np.isnan(got[:, names.index(name)]).all()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 300), split=st.integers(1, 5))
def test_a_rows_numbers_do_not_depend_on_the_other_rows(seed: int, n: int, split: int) -> None:
    """The same bits whether a row is measured alone, in a slice or with every row
    (what makes sweep results identical across chunk sizes and executors)."""
    case = _case(seed, n)
    case["builds"] = [b if b is None or b <= n else n for b in case["builds"]]

    def batch(rows: list[int]) -> np.ndarray:
        return compute_metrics_batch(
            case["returns"][rows], case["cash"], periods_per_year=PPY,
            turnover=case["turnover"][rows], builds=[case["builds"][i] for i in rows],
            risk_off=case["risk_off"][rows], benchmark=case["benchmark"])

    every = batch(list(range(6)))
    assert every[:split].tobytes() == batch(list(range(split))).tobytes()
    assert every[split:].tobytes() == batch(list(range(split, 6))).tobytes()
    for i in range(6):
        assert every[i].tobytes() == batch([i])[0].tobytes()
    np.testing.assert_allclose(every, _one_by_one(**case), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("block_rows", [1, 4])
def test_cache_sized_blocks_change_no_bit(monkeypatch: pytest.MonkeyPatch, block_rows: int) -> None:
    from backtest.metrics import _batch

    case = _case(11, 400)
    args = (case["returns"], case["cash"])
    kwargs = {"periods_per_year": PPY, "turnover": case["turnover"], "builds": case["builds"],
              "risk_off": case["risk_off"], "benchmark": case["benchmark"]}
    whole = compute_metrics_batch(*args, **kwargs)
    monkeypatch.setattr(_batch, "_BLOCK_BYTES", 8 * 400 * block_rows)
    assert compute_metrics_batch(*args, **kwargs).tobytes() == whole.tobytes()


@pytest.mark.parametrize("only", [
    {Metric.SHARPE, Metric.SORTINO},
    {Metric.CAGR, Metric.ANNUAL_VOLATILITY, Metric.MAX_DRAWDOWN, Metric.TOTAL_RETURN},
    {Metric.CALMAR, Metric.ANNUAL_TURNOVER, Metric.SHARE_RISK_OFF},
    {Metric.BETA, Metric.INFORMATION_RATIO, Metric.INITIAL_TURNOVER},
])
def test_only_some_metrics_are_the_same_bits(only: set[Metric]) -> None:
    case = _case(7, 300)
    args = (case["returns"], case["cash"])
    kwargs = {"periods_per_year": PPY, "turnover": case["turnover"], "builds": case["builds"],
              "risk_off": case["risk_off"], "benchmark": case["benchmark"]}
    whole = compute_metrics_batch(*args, **kwargs)
    some = compute_metrics_batch(*args, **kwargs, only=only)
    for i, metric in enumerate(Metric):
        if metric in only:
            assert some[:, i].tobytes() == whole[:, i].tobytes(), metric
        else:
            assert np.isnan(some[:, i]).all(), metric
