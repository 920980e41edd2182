"""Objectives vectorized over trials agree with backtest.metrics (empyrical) per series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtest import metrics
from backtest.errors import ConfigError, DataError
from backtest.stats import OBJECTIVES, objective_values


def _panel(seed: int, n_trials: int = 7, n_bars: int = 300) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    returns = rng.normal(0.006, 0.04, (n_trials, n_bars)) * rng.uniform(0.2, 2.0, (n_trials, 1))
    cash = rng.uniform(0.0, 0.004, n_bars)
    bench = rng.normal(0.005, 0.03, n_bars)
    return returns, cash, bench


def _reference(objective: str, r: pd.Series, cash: pd.Series, bench: pd.Series, ppy: int) -> float:
    if objective == "sharpe":
        return metrics.sharpe_ratio(r, cash, ppy)
    if objective == "sortino":
        return metrics.sortino_ratio(r, cash, ppy)
    if objective == "calmar":
        return metrics.calmar_ratio(r, ppy)
    if objective == "cagr":
        return metrics.cagr(r, ppy)
    return float((r - bench).mean() * ppy)  # the docstring's definition of "excess"


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize(("seed", "ppy"), [(0, 12), (1, 252), (2, 52)])
def test_each_row_equals_backtest_metrics_to_1e12(objective, seed, ppy) -> None:
    returns, cash, bench = _panel(seed)
    got = objective_values(returns, cash, periods_per_year=ppy, objective=objective,
                           benchmark=bench)
    assert got.shape == (returns.shape[0],)
    for row, value in zip(returns, got, strict=True):
        expected = _reference(objective, pd.Series(row), pd.Series(cash), pd.Series(bench), ppy)
        assert np.isfinite(expected)
        assert value == pytest.approx(expected, rel=1e-12, abs=1e-12), objective


def test_hand_computed_values() -> None:
    # four months +10%, -20%, +5%, +10% (tests/metrics hand case): wealth 1.1, .88, .924, 1.0164
    r = np.array([[0.10, -0.20, 0.05, 0.10]])
    zero = np.zeros(4)
    cagr = 1.0164**3 - 1
    assert objective_values(r, zero, periods_per_year=12, objective="cagr")[0] == pytest.approx(cagr, rel=1e-12)
    calmar = objective_values(r, zero, periods_per_year=12, objective="calmar")[0]
    assert calmar == pytest.approx(cagr / 0.2, rel=1e-12)  # MDD 0.88/1.1 - 1 = -20 %
    bench = np.full(4, 0.01)  # mean(r - b) = 0.0125 - 0.01 = 0.0025 a month -> 3 % a year
    excess = objective_values(r, zero, periods_per_year=12, objective="excess", benchmark=bench)[0]
    assert excess == pytest.approx(0.03, rel=1e-12)


def test_undefined_values_are_nan_never_inf() -> None:
    cash = np.full(5, 0.001)
    flat = np.full((1, 5), 0.001)  # equal to cash: zero excess, zero volatility
    up = np.array([[0.01, 0.02, 0.01, 0.03, 0.02]])  # never below cash, never a drawdown
    for objective, rows in (("sharpe", flat), ("sortino", up), ("calmar", up)):
        value = objective_values(rows, cash, periods_per_year=12, objective=objective)
        assert np.isnan(value).all(), objective
    short = objective_values(np.ones((2, 1)) * 0.01, np.zeros(1), periods_per_year=12,
                             objective="sharpe")
    assert np.isnan(short).all()  # one bar: no standard deviation


def test_bad_input_is_a_clear_error() -> None:
    r, cash, _ = _panel(3)
    with pytest.raises(ConfigError, match="needs a benchmark"):
        objective_values(r, cash, periods_per_year=12, objective="excess")
    with pytest.raises(ConfigError, match="unknown objective 'omega'"):
        objective_values(r, cash, periods_per_year=12, objective="omega")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="periods_per_year"):
        objective_values(r, cash, periods_per_year=0, objective="sharpe")
    with pytest.raises(DataError, match="cash must have shape"):
        objective_values(r, cash[:-1], periods_per_year=12, objective="sharpe")
    bad = r.copy()
    bad[0, 3] = np.nan
    with pytest.raises(DataError, match="NaN"):
        objective_values(bad, cash, periods_per_year=12, objective="sharpe")
    with pytest.raises(DataError, match="2-D"):
        objective_values(r[0], cash, periods_per_year=12, objective="sharpe")


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.1, 10.0))
def test_sharpe_and_sortino_are_scale_free_in_excess_returns(seed, scale) -> None:
    returns, cash, _ = _panel(seed, n_trials=4, n_bars=60)
    scaled = cash + scale * (returns - cash)
    for objective in ("sharpe", "sortino"):
        base = objective_values(returns, cash, periods_per_year=12, objective=objective)
        again = objective_values(scaled, cash, periods_per_year=12, objective=objective)
        np.testing.assert_allclose(again, base, rtol=1e-9)


def test_batches_do_not_change_results(monkeypatch) -> None:
    # rows are processed in batches to bound memory; the cut must not matter
    import backtest.stats._arrays as arrays

    returns, cash, bench = _panel(4, n_trials=50, n_bars=40)
    whole = {o: objective_values(returns, cash, periods_per_year=12, objective=o, benchmark=bench)
             for o in OBJECTIVES}
    monkeypatch.setattr(arrays, "BATCH_ELEMENTS", 100)  # 2 rows per batch
    for objective, expected in whole.items():
        got = objective_values(returns, cash, periods_per_year=12, objective=objective, benchmark=bench)
        np.testing.assert_array_equal(got, expected)
