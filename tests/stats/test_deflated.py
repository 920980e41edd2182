"""Deflated Sharpe ratio: the paper's worked example, E[max] of normals, ffn as a cross-check."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from backtest.errors import ConfigError, DataError
from backtest.stats import (
    deflated_sharpe_ratio,
    expected_max_sharpe,
    objective_values,
    probabilistic_sharpe_ratio,
)


def test_paper_worked_example() -> None:
    # Bailey & López de Prado (2014), JPM 40(5), section "A numerical example":
    # SR 2.5 a year, N = 100 trials with V[SR] = 0.5 a year, T = 1,250 daily bars
    # at 250 a year, skew -3, kurtosis 10 -> SR0 ~ 0.1132 per bar, DSR ~ 0.9004.
    variance = 0.5 / 250
    sr0 = expected_max_sharpe(100, variance)
    assert sr0 == pytest.approx(0.1132, abs=5e-5)
    dsr = probabilistic_sharpe_ratio(2.5 / math.sqrt(250), sr0, 1250, -3.0, 10.0)
    assert dsr == pytest.approx(0.9004, abs=5e-5)


def test_expected_max_of_100_standard_normals() -> None:
    # the paper's approximation of E[max of N standard normals] for N = 100: 2.5306
    assert expected_max_sharpe(100, 1.0) == pytest.approx(2.5306, abs=5e-5)
    # and it is an approximation of the truth (Monte Carlo, 20,000 draws of 100 normals)
    draws = np.random.default_rng(0).standard_normal((20_000, 100)).max(axis=1).mean()
    assert expected_max_sharpe(100, 1.0) == pytest.approx(draws, abs=0.04)


def test_single_trial_has_no_selection_threshold() -> None:
    assert expected_max_sharpe(1, 0.3) == 0.0
    assert expected_max_sharpe(50, 0.0) == 0.0


def test_psr_against_a_zero_threshold_is_the_normal_case() -> None:
    # normal returns (skew 0, kurtosis 3): PSR(0) = Phi(SR sqrt(T-1) / sqrt(1 + SR^2/2))
    sr, t = 0.1, 250
    expected = stats.norm.cdf(sr * math.sqrt(t - 1) / math.sqrt(1 + sr**2 / 2))
    assert probabilistic_sharpe_ratio(sr, 0.0, t, 0.0, 3.0) == pytest.approx(expected, rel=1e-14)
    assert math.isnan(probabilistic_sharpe_ratio(0.5, 0.0, 100, 10.0, 3.0))  # variance < 0
    assert math.isnan(probabilistic_sharpe_ratio(0.1, 0.0, 1, 0.0, 3.0))


def test_matches_ffn_components_and_differs_only_by_the_moment_estimator() -> None:
    import ffn  # dev dependency (with bt); its DSR is the cross-check

    rng = np.random.default_rng(3)
    returns = rng.standard_t(5, 1500) * 0.01 + 0.0008
    trial_sr = rng.normal(0.03, 0.02, 200)  # per-bar Sharpe ratios of 200 trials
    ours = deflated_sharpe_ratio(returns, trial_sr)
    # identical threshold: ffn's expected max takes the standard deviation
    assert ours.sr0 == pytest.approx(
        ffn.core.calc_expected_max_sharpe(200, float(np.std(trial_sr, ddof=1))), rel=1e-12)
    theirs = ffn.core.calc_deflated_sharpe_ratio(
        pd.Series(returns), trial_sr, nperiods=252, annualized_trials=False)
    # ffn feeds pandas' bias-corrected skew/kurtosis; we use the plug-in moments of the
    # authors' derivation. With those swapped in, the two agree exactly.
    x = pd.Series(returns)
    swapped = probabilistic_sharpe_ratio(ours.sr, ours.sr0, ours.n_bars, float(x.skew()),
                                         float(x.kurt()) + 3.0)
    assert swapped == pytest.approx(theirs, rel=1e-12)
    assert ours.dsr == pytest.approx(theirs, abs=2e-3)  # O(1/T) apart


def test_deflated_sharpe_result_fields() -> None:
    rng = np.random.default_rng(5)
    returns = rng.normal(0.001, 0.01, 1000)
    trials = rng.normal(0.0, 0.01, (30, 1000))
    trials[0] = returns
    per_bar = objective_values(trials, np.zeros(1000), periods_per_year=1, objective="sharpe")
    result = deflated_sharpe_ratio(returns, per_bar)
    assert result.n_trials == 30 and result.n_bars == 1000
    assert result.sr == pytest.approx(returns.mean() / returns.std(ddof=1), rel=1e-12)
    assert result.variance == pytest.approx(np.var(per_bar, ddof=1), rel=1e-12)
    assert result.skew == pytest.approx(stats.skew(returns), rel=1e-12)
    assert result.kurtosis == pytest.approx(stats.kurtosis(returns, fisher=False), rel=1e-12)
    assert 0.0 < result.dsr < 1.0
    annual_sr, annual_sr0 = result.annualized(252)
    assert annual_sr == pytest.approx(result.sr * math.sqrt(252))
    assert annual_sr0 == pytest.approx(result.sr0 * math.sqrt(252))
    # more trials searched (e.g. failed ones) raise the bar and lower the DSR
    assert deflated_sharpe_ratio(returns, per_bar, n_trials=3000).dsr < result.dsr


def test_flat_selected_returns_and_bad_input() -> None:
    flat = deflated_sharpe_ratio(np.zeros(50), np.array([0.1, 0.2, np.nan]))
    # a flat trial (NaN Sharpe ratio) is a trial of the search: N counts it (issue 15)
    assert math.isnan(flat.dsr) and flat.n_trials == 3 and flat.n_effective == 3.0
    with pytest.raises(DataError):
        deflated_sharpe_ratio(np.array([0.1, np.nan, 0.2, 0.3]), np.array([0.1, 0.2]))
    with pytest.raises(ConfigError):
        deflated_sharpe_ratio(np.ones(10), np.array([0.1, 0.2]), n_trials=0)
    with pytest.raises(ConfigError):
        expected_max_sharpe(10, -1.0)
