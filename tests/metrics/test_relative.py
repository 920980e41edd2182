"""Benchmark-relative metrics and total return: hand-computed values and invariants."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtest import metrics as m

IDX = pd.date_range("2000-01-31", periods=6, freq="ME")
B = pd.Series([0.01, -0.02, 0.03, 0.00, 0.015, -0.01], index=IDX)
RF = pd.Series(0.001, index=IDX)


def test_a_levered_benchmark_plus_a_constant_has_known_beta_alpha_te_ir() -> None:
    # r - rf = 1.5 (b - rf) + 0.002 exactly: beta 1.5, per-period alpha 0.002
    r = RF + 1.5 * (B - RF) + 0.002
    assert m.beta(r, B, RF) == pytest.approx(1.5, rel=1e-12)
    # empyrical's annualization of alpha: (1 + mean alpha)^ppy - 1
    assert m.alpha(r, B, RF, 12) == pytest.approx(1.002 ** 12 - 1, rel=1e-9)
    active = r - B  # 0.5 (b - rf) + 0.002
    te = float(np.std(active, ddof=1)) * math.sqrt(12)
    assert m.tracking_error(r, B, 12) == pytest.approx(te, rel=1e-12)
    assert m.information_ratio(r, B, 12) == pytest.approx(
        float(active.mean()) / float(np.std(active, ddof=1)) * math.sqrt(12), rel=1e-12)


def test_the_benchmark_against_itself() -> None:
    assert m.beta(B, B, RF) == pytest.approx(1.0)
    assert m.alpha(B, B, RF, 12) == pytest.approx(0.0, abs=1e-15)
    assert m.tracking_error(B, B, 12) == 0.0
    assert math.isnan(m.information_ratio(B, B, 12))  # 0 / 0: undefined, not 0 or inf


def test_constant_benchmark_gives_nan_beta_not_inf() -> None:
    flat = pd.Series(0.001, index=IDX)
    assert math.isnan(m.beta(B, flat, RF))
    assert math.isnan(m.alpha(B, flat, RF, 12))


def test_total_return_compounds() -> None:
    r = pd.Series([0.10, -0.20, 0.05, 0.10], index=IDX[:4])
    assert m.total_return(r) == pytest.approx(1.1 * 0.8 * 1.05 * 1.1 - 1, rel=1e-12)
    assert math.isnan(m.total_return(r.iloc[:0]))


def test_relative_metrics_use_common_dates_only() -> None:
    r = RF + 1.5 * (B - RF)
    shorter = B.iloc[1:]
    assert m.beta(r, shorter, RF) == pytest.approx(1.5, rel=1e-12)


def test_compute_metrics_without_and_with_a_benchmark() -> None:
    r = RF + 1.5 * (B - RF) + 0.002
    alone = m.compute_metrics(r, RF, periods_per_year=12)
    assert list(alone.index) == [str(k) for k in m.Metric]
    for key in m.BENCHMARK_METRICS:
        assert math.isnan(alone[str(key)])
    assert alone["total_return"] == pytest.approx(float((1 + r).prod() - 1))
    against = m.compute_metrics(r, RF, periods_per_year=12, benchmark=B)
    assert against["beta"] == pytest.approx(1.5)
    assert m.Metric.BETA.against_benchmark and not m.Metric.CAGR.against_benchmark
    assert m.Metric.TOTAL_RETURN.is_percent and not m.Metric.BETA.is_percent


@settings(max_examples=50, deadline=None)
@given(st.floats(0.2, 3.0), st.floats(-0.002, 0.002))
def test_beta_and_alpha_recover_a_linear_relation(scale: float, shift: float) -> None:
    r = RF + scale * (B - RF) + shift
    assert m.beta(r, B, RF) == pytest.approx(scale, rel=1e-9)
    assert m.alpha(r, B, RF, 12) == pytest.approx((1 + shift) ** 12 - 1, abs=1e-9)
    # the information ratio does not change when both series move by the same amount
    np.testing.assert_allclose(m.information_ratio(r + 0.01, B + 0.01, 12),
                               m.information_ratio(r, B, 12), rtol=1e-6, equal_nan=True)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(3, 60))
def test_aligned_series_skip_the_join_with_the_same_result(seed: int, n: int) -> None:
    # same dates and no NaN: the relative metrics skip the inner join; an extra date on
    # the benchmark (dropped by the join) must not change any of them
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2000-01-31", periods=n, freq="ME")
    r = pd.Series(rng.normal(0.01, 0.05, n), index=idx)
    b = pd.Series(rng.normal(0.01, 0.04, n), index=idx)
    rf = pd.Series(rng.uniform(0.0, 0.003, n), index=idx)
    extra = pd.concat([b, pd.Series([0.5], index=[idx[-1] + pd.offsets.MonthEnd(1)])])
    for fn, args in ((m.beta, (rf,)), (m.alpha, (rf, 12)), (m.tracking_error, (12,)),
                     (m.information_ratio, (12,))):
        fast, joined = fn(r, b, *args), fn(r, extra, *args)
        assert fast == joined or (math.isnan(fast) and math.isnan(joined)), fn.__name__
