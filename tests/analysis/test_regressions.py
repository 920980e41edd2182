"""Newey-West OLS, the predictive regression with out-of-sample R2, and the mechanism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtest.analysis import (
    expanding_forecasts,
    hac_ols,
    mechanism,
    newey_west_lags,
    predictive_regression,
)
from backtest.errors import DataError

IDX = pd.date_range("1950-01-31", periods=600, freq="ME", name="date")


def test_newey_west_lag_rule() -> None:
    # floor(4 (n/100)^(2/9)), Newey & West (1994)
    assert [newey_west_lags(n) for n in (50, 100, 818, 2400)] == [3, 4, 6, 8]


def test_hac_standard_errors_match_the_bartlett_formula() -> None:
    # reference: (X'X)^-1 [sum x u^2 x' + sum_l (1 - l/(L+1)) (G_l + G_l')] (X'X)^-1,
    # Newey & West (1987), computed by hand; statsmodels applies no small-sample factor.
    rng = np.random.default_rng(3)
    n = 200
    x = rng.standard_normal(n)
    y = 0.5 * x + rng.standard_normal(n)
    fit = hac_ols(y, [x], ["x"], lags=4)
    design = np.column_stack([np.ones(n), x])
    beta = np.linalg.lstsq(design, y, rcond=None)[0]
    score = design * (y - design @ beta)[:, None]
    meat = score.T @ score
    for lag in range(1, 5):
        gamma = score[lag:].T @ score[:-lag]
        meat += (1 - lag / 5) * (gamma + gamma.T)
    bread = np.linalg.inv(design.T @ design)
    se = np.sqrt(np.diag(bread @ meat @ bread))
    np.testing.assert_allclose(fit.se, se, rtol=1e-10)
    np.testing.assert_allclose(fit.coef, beta, rtol=1e-10)
    assert fit.names == ("const", "x") and fit.lags == 4 and fit.nobs == n


def test_hac_rejects_too_few_rows_and_flat_regressors() -> None:
    with pytest.raises(DataError, match="complete rows"):
        hac_ols([1.0, 2.0, np.nan], [[1.0, 2.0, 3.0]], ["x"])
    with pytest.raises(DataError, match="no variance"):
        hac_ols(np.arange(10.0), [np.ones(10)], ["flat"])


def test_expanding_forecasts_equal_a_regression_on_the_past() -> None:
    rng = np.random.default_rng(1)
    x = pd.Series(rng.standard_normal(80), index=IDX[:80])
    y = pd.Series(0.3 - 0.5 * x.to_numpy() + rng.standard_normal(80), index=IDX[:80])
    fc = expanding_forecasts(y, x, min_train=10)
    assert fc.model.iloc[:10].isna().all()
    for t in (10, 33, 79):
        b, a = np.polyfit(x.iloc[:t], y.iloc[:t], 1)
        assert fc.model.iloc[t] == pytest.approx(a + b * x.iloc[t])
        assert fc.slope.iloc[t] == pytest.approx(b)
        assert fc.mean.iloc[t] == pytest.approx(y.iloc[:t].mean())
    # Campbell-Thompson sign restriction: a slope with the wrong sign -> the mean
    wrong = expanding_forecasts(y, -x, min_train=10, expected_sign=-1)
    positive = wrong.slope > 0
    np.testing.assert_allclose(wrong.restricted[positive], wrong.mean[positive])


@settings(max_examples=25, deadline=None)
@given(cut=st.integers(12, 70), mode=st.sampled_from(["truncate", "rewrite"]))
def test_forecasts_never_use_the_future(cut: int, mode: str) -> None:
    rng = np.random.default_rng(cut)
    x = pd.Series(rng.standard_normal(80), index=IDX[:80])
    y = pd.Series(rng.standard_normal(80), index=IDX[:80])
    full = expanding_forecasts(y, x, min_train=10)
    if mode == "truncate":
        x2, y2 = x.iloc[: cut + 1], y.iloc[: cut + 1]
    else:  # rewrite every value after the cut, predictor and target
        x2, y2 = x.copy(), y.copy()
        x2.iloc[cut + 1 :] = rng.uniform(-50, 50, 79 - cut)
        y2.iloc[cut + 1 :] = rng.uniform(-50, 50, 79 - cut)
    other = expanding_forecasts(y2, x2, min_train=10)
    for name in ("model", "restricted", "mean", "slope"):
        pd.testing.assert_series_equal(getattr(full, name).iloc[: cut + 1],
                                       getattr(other, name).iloc[: cut + 1])


def test_planted_predictability_is_found_in_and_out_of_sample() -> None:
    rng = np.random.default_rng(2)
    x = pd.Series(rng.standard_normal(600), index=IDX)
    y = pd.Series(-0.4 * x.to_numpy() + rng.standard_normal(600), index=IDX)
    p = predictive_regression(y, x, min_train=60)
    assert p.slope == pytest.approx(-0.4, abs=0.1) and p.slope_t < -5
    assert p.oos_r2 > 0.05 and p.oos_r2_restricted > 0.05
    assert p.cw_t > 3 and p.cw_p < 0.01
    assert p.oos_bars == 540 and p.oos_start == IDX[60]


def test_no_predictability_does_not_beat_the_mean() -> None:
    r2 = []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        x = pd.Series(rng.standard_normal(300), index=IDX[:300])
        y = pd.Series(rng.standard_normal(300), index=IDX[:300])
        r2.append(predictive_regression(y, x, min_train=60).oos_r2)
    # estimation noise makes the unrestricted forecast worse than the mean on average
    assert np.mean(r2) < 0 and np.mean(np.array(r2) > 0) < 0.3


def test_mechanism_recovers_a_planted_duration_gap() -> None:
    # spread = -0.01 * gap * dy_pp + beta_c * dc_pp + noise, gap = 12 years, beta_c = -2 %/100bp
    rng = np.random.default_rng(4)
    dy = pd.Series(rng.normal(0, 0.25, 600), index=IDX)
    dc = pd.Series(rng.normal(0, 0.1, 600), index=IDX)
    spread = -0.12 * dy - 0.02 * dc + rng.normal(0, 0.01, 600)
    m = mechanism(spread, dy, dc, confidence=0.95)
    assert m.duration_gap.low < 12 < m.duration_gap.high
    assert m.duration_gap.estimate == pytest.approx(-100 * m.yield_beta.estimate)
    assert m.yield_beta.estimate == pytest.approx(-0.12, abs=0.01)
    assert m.credit_beta.low < -0.02 < m.credit_beta.high
    assert m.duration_gap.method == "Newey-West (normal)"
    assert m.nobs == 600 and m.r2 > 0.5
