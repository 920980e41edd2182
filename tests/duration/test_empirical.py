"""Rolling empirical duration: recovery of a planted duration and no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtest.duration import empirical_duration
from backtest.errors import ConfigError


def _planted(n: int = 400, seed: int = 1) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2000-01-31", periods=n, freq="ME", name="date")
    dy = pd.Series(rng.normal(0.0, 0.0025, n), index=index)  # 25 bp monthly, decimal
    returns = pd.DataFrame(
        {
            "LONG": 0.005 - 20.0 * dy + rng.normal(0, 0.01, n),
            "SHORT": 0.003 - 2.0 * dy + rng.normal(0, 0.001, n),
            "NONE": 0.004 + rng.normal(0, 0.01, n),
        },
        index=index,
    )
    return returns, dy


def test_exact_linear_relation_is_recovered_exactly() -> None:
    # No noise: R = 0.01 − 7·Δy, so every full window's slope is exactly −7.
    _, dy = _planted()
    exact = pd.DataFrame({"A": 0.01 - 7.0 * dy}, index=dy.index)
    got = empirical_duration(exact, dy, window=12, min_periods=12)
    assert got["A"].iloc[:11].isna().all()
    np.testing.assert_allclose(got["A"].iloc[11:], 7.0, rtol=1e-8)


def test_two_point_window_by_hand() -> None:
    # Δy = [0.01, 0.03], R = [0.00, −0.10]: slope = −0.10/0.02 = −5 → duration 5.
    index = pd.date_range("2020-01-31", periods=2, freq="ME")
    got = empirical_duration(
        pd.DataFrame({"A": [0.0, -0.10]}, index=index),
        pd.Series([0.01, 0.03], index=index),
        window=2,
        min_periods=2,
    )
    assert np.isnan(got["A"].iloc[0])
    assert got["A"].iloc[1] == pytest.approx(5.0, rel=1e-12)


def test_planted_durations_are_recovered_with_noise() -> None:
    returns, dy = _planted()
    got = empirical_duration(returns, dy, window=60, min_periods=36).median()
    # Noise sd 1% vs signal 20·0.25% = 5% per month; standard error of a 60-month slope
    # ≈ 0.01/(0.0025·√60) ≈ 0.5 years, so the median over windows is within 1.
    assert got["LONG"] == pytest.approx(20.0, abs=1.0)
    assert got["SHORT"] == pytest.approx(2.0, abs=0.1)
    assert got["NONE"] == pytest.approx(0.0, abs=1.0)


def test_missing_data_is_skipped_pairwise() -> None:
    returns, dy = _planted()
    gappy = returns.copy()
    gappy.iloc[100:110, 0] = np.nan
    dy_gappy = dy.drop(dy.index[200:205])  # dates missing from the yield series
    got = empirical_duration(gappy, dy_gappy, window=60, min_periods=36)
    assert got.index.equals(returns.index)
    assert got["LONG"].iloc[150] == pytest.approx(20.0, abs=3.0)
    # Window of 60 containing 10 gaps still has 50 >= 36 pairs, so no NaN after warm-up.
    assert got["LONG"].iloc[35:].notna().all()


def test_no_variance_in_yield_changes_gives_nan() -> None:
    index = pd.date_range("2020-01-31", periods=5, freq="ME")
    got = empirical_duration(
        pd.DataFrame({"A": [0.01, 0.02, 0.0, 0.01, 0.03]}, index=index),
        pd.Series(0.001, index=index),
        window=3,
        min_periods=2,
    )
    assert got["A"].isna().all()


@settings(max_examples=40, deadline=None)
@given(cut=st.integers(0, 399), seed=st.integers(0, 2**32 - 1))
def test_truncation_does_not_change_the_past(cut: int, seed: int) -> None:
    # No look-ahead: values at or before t use only data up to t, so truncating the
    # inputs after t (and replacing the future with junk) leaves them bit-identical.
    returns, dy = _planted(seed=seed % 1000)
    full = empirical_duration(returns, dy, window=60, min_periods=24)
    t = returns.index[cut]
    cut_only = empirical_duration(returns.loc[:t], dy.loc[:t], window=60, min_periods=24)
    pd.testing.assert_frame_equal(cut_only, full.loc[:t], check_exact=True, check_freq=False)
    rng = np.random.default_rng(seed)
    future = returns.index > t
    junk = returns.copy()
    junk.loc[future] = rng.normal(0, 1, (int(future.sum()), returns.shape[1]))
    perturbed = empirical_duration(junk, dy, window=60, min_periods=24)
    pd.testing.assert_frame_equal(
        perturbed.loc[:t], full.loc[:t], check_exact=True, check_freq=False
    )


@pytest.mark.parametrize(("window", "min_periods"), [(1, 1), (10, 1), (10, 11)])
def test_bad_windows_raise(window: int, min_periods: int) -> None:
    returns, dy = _planted(n=20)
    with pytest.raises(ConfigError):
        empirical_duration(returns, dy, window=window, min_periods=min_periods)
