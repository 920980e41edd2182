"""Effective number of independent trials, and the deflated Sharpe ratio that uses it."""

from __future__ import annotations

import numpy as np
import pytest

from backtest.errors import ConfigError, DataError
from backtest.stats import (
    EffectiveTrials,
    deflated_sharpe_ratio,
    effective_trials,
    expected_max_sharpe,
    objective_values,
)
from backtest.stats._effective import (
    _centred_traces_direct,
    _centred_traces_sampled,
    _correlations,
)


def _groups(rng: np.random.Generator, k: int, size: int, n_bars: int, noise: float,
            market: float = 0.0) -> np.ndarray:
    """k groups of `size` trials: a group series (+ own noise), + a factor common to all."""
    common = market * rng.normal(size=(1, n_bars))
    return (common + np.repeat(rng.normal(size=(k, n_bars)), size, axis=0)
            + noise * rng.normal(size=(k * size, n_bars)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_independent_trials_count_as_n(seed) -> None:
    # sample correlations of 1,000 bars alone would give ~N / (1 + N / T) = 286 of 400
    # without the finite-T correction; with it, within 5 % of N (seen: 400, clipped)
    rng = np.random.default_rng(seed)
    normal = effective_trials(rng.normal(size=(400, 1000)))
    heavy = effective_trials(rng.standard_t(4, size=(400, 1000)))  # fat tails
    for result in (normal, heavy):
        assert 380 <= result.n_effective <= 400, result
        assert (result.n_trials, result.n_flat, result.n_sampled) == (400, 0, 400)
    assert normal.method == "centred_participation_ratio" and normal.n_bars == 1000


def test_identical_trials_count_as_one() -> None:
    rng = np.random.default_rng(3)
    one = rng.normal(size=(1, 300))
    same = np.repeat(one, 50, axis=0)
    assert effective_trials(same).n_effective == 1.0
    # identical up to scale and shift (leverage, a fee drag): still one
    scaled = one * np.linspace(0.5, 2.0, 50)[:, None] + np.linspace(-1e-3, 1e-3, 50)[:, None]
    assert effective_trials(scaled).n_effective == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize(("k", "noise", "market", "low", "high"), [
    (5, 0.0, 0.0, 4.9, 5.2),  # identical within a group: exactly k directions
    (5, 0.0, 1.0, 4.9, 5.2),  # a factor common to every group changes nothing
    (5, 0.1, 1.0, 4.9, 5.5),  # within-group noise (rho = 0.99) adds a little
    (12, 0.05, 0.5, 11.7, 13.0),
])
def test_k_groups_of_identical_trials_count_as_k(k, noise, market, low, high) -> None:
    rng = np.random.default_rng(k)
    result = effective_trials(_groups(rng, k, 300 // k, 500, noise, market))
    assert low <= result.n_effective <= high, result


def test_a_common_factor_is_not_dependence_for_the_dsr() -> None:
    # 300 trials all correlated 0.7 through one factor: around their mean Sharpe ratio
    # they are independent (V sees only that part). The participation ratio of the
    # correlations themselves would be 300 / (1 + 299 * 0.49) = 2.0.
    rng = np.random.default_rng(4)
    trials = np.sqrt(0.7) * rng.normal(size=(1, 500)) + np.sqrt(0.3) * rng.normal(size=(300, 500))
    assert effective_trials(trials).n_effective >= 285


def test_flat_trials_are_reported_and_left_out() -> None:
    rng = np.random.default_rng(5)
    trials = rng.normal(size=(60, 400))
    trials[[3, 17, 40]] = 0.0  # never leaves cash: no excess return at all
    trials[50] = 0.0004 + 1e-19 * rng.normal(size=400)  # constant up to rounding
    result = effective_trials(trials)
    assert (result.n_trials, result.n_flat, result.n_sampled) == (60, 4, 56)
    assert 53 <= result.n_effective <= 56
    assert effective_trials(np.zeros((5, 30))).n_effective == 1.0
    assert effective_trials(np.vstack([np.zeros(30), rng.normal(size=30)])).n_effective == 1.0


def test_sampled_traces_are_exact_on_the_whole_sample_and_close_on_a_part() -> None:
    rng = np.random.default_rng(6)
    trials = _groups(rng, 10, 30, 400, 0.3, market=1.0)
    corr = _correlations(trials, np.arange(300))
    direct = _centred_traces_direct(corr)
    np.testing.assert_allclose(_centred_traces_sampled(corr, 300), direct, rtol=1e-10)
    # the U-statistics extrapolated from a seeded sample of 100 trials
    full = effective_trials(trials).n_effective
    sampled = effective_trials(trials, max_sample=100)
    assert sampled.n_sampled == 100
    assert sampled.n_effective == pytest.approx(full, rel=0.1)
    assert effective_trials(trials, max_sample=100) == sampled  # deterministic


def test_bad_input() -> None:
    with pytest.raises(DataError, match="2-D"):
        effective_trials(np.zeros(10))
    with pytest.raises(DataError, match="at least 3 bars"):
        effective_trials(np.ones((4, 2)))
    with pytest.raises(DataError, match="NaN"):
        effective_trials(np.array([[0.1, np.nan, 0.2], [0.1, 0.2, 0.3]]))
    with pytest.raises(ConfigError, match="max_sample"):
        effective_trials(np.ones((4, 10)), max_sample=3)


def test_real_n_and_its_floor_in_the_threshold() -> None:
    assert expected_max_sharpe(2.0, 1.0) == expected_max_sharpe(2, 1.0)
    assert expected_max_sharpe(1.1, 1.0) == 0.0  # the bracket is -0.32 there: floored
    assert 0.0 < expected_max_sharpe(1.5, 1.0) < expected_max_sharpe(2, 1.0)
    with pytest.raises(ConfigError):
        expected_max_sharpe(0.5, 1.0)
    with pytest.raises(ConfigError):
        expected_max_sharpe(float("nan"), 1.0)


def test_dsr_counts_every_trial_run_and_deflates_over_n_eff() -> None:
    rng = np.random.default_rng(7)
    trials = 0.01 * _groups(rng, 8, 25, 750, 0.2, market=1.0)
    trials[[5, 60]] = 0.0  # flat: Sharpe ratio NaN, still trials of the search
    sharpes = objective_values(trials, np.zeros(750), periods_per_year=1, objective="sharpe")
    series = rng.normal(0.0008, 0.01, 750)  # e.g. out-of-sample returns over a benchmark
    eff = effective_trials(trials)
    result = deflated_sharpe_ratio(series, sharpes, n_trials=203, effective=eff,
                                   reference="benchmark 'market'")
    assert (result.n_trials, result.reference) == (203, "benchmark 'market'")
    assert result.n_effective == eff.n_effective and 7 <= eff.n_effective <= 12
    assert result.effective_method == "centred_participation_ratio"
    assert result.sr0 == pytest.approx(expected_max_sharpe(eff.n_effective, result.variance))
    assert result.variance == pytest.approx(np.nanvar(sharpes, ddof=1))
    plain = deflated_sharpe_ratio(series, sharpes)
    assert (plain.n_trials, plain.n_effective, plain.effective_method) == (200, 200.0, "n_trials")
    assert plain.reference == "cash" and plain.dsr < result.dsr  # N over-deflates here
    with pytest.raises(ConfigError, match="more than"):
        deflated_sharpe_ratio(series, sharpes, n_trials=150, effective=eff)
    with pytest.raises(ConfigError, match="EffectiveTrials"):
        deflated_sharpe_ratio(series, sharpes, effective=12.0)  # type: ignore[arg-type]


def _skill_less(seed: int) -> np.ndarray:
    """200 zero-mean trials: a market factor (betas 0.5-1.5), 10 clusters, own noise."""
    rng = np.random.default_rng(seed)
    beta = rng.uniform(0.5, 1.5, (200, 1))
    return 0.01 * (beta * rng.normal(size=(1, 500)) + _groups(rng, 10, 20, 500, 0.5))


def test_null_dsr_of_the_best_of_skill_less_correlated_trials() -> None:
    # The selected trial's own series (selection bias at its largest). Measured over
    # these 300 seeds: 0.040 of them reach DSR >= 0.95 with N_eff (median N_eff 15.8);
    # 0.003 with N = 200 (over-deflated); with the participation ratio of the raw
    # correlations instead (median 4.1) 0.21 would. Monte Carlo standard error at
    # 5 %: sqrt(0.05 * 0.95 / 300) = 0.013.
    passed = 0
    for seed in range(300):
        trials = _skill_less(seed)
        sharpes = objective_values(trials, np.zeros(500), periods_per_year=1, objective="sharpe")
        best = int(np.argmax(sharpes))
        dsr = deflated_sharpe_ratio(trials[best], sharpes, effective=effective_trials(trials))
        passed += dsr.dsr >= 0.95
    assert passed / 300 <= 0.085, passed  # 5 % + 2.7 standard errors


def test_effective_trials_is_a_plain_record() -> None:
    result = effective_trials(np.random.default_rng(8).normal(size=(10, 50)))
    assert isinstance(result, EffectiveTrials) and isinstance(result.n_effective, float)


def test_relative_to_equals_subtracting_the_reference_first() -> None:
    from backtest.stats import effective_trials

    rng = np.random.default_rng(5)
    market = rng.normal(0.0005, 0.01, 400)
    trials = market + rng.normal(0, 0.01, (30, 400)) * rng.uniform(0.5, 2, (30, 1))
    direct = effective_trials(trials - market)
    relative = effective_trials(trials, relative_to=market)
    assert relative.n_effective == pytest.approx(direct.n_effective, rel=1e-12)
    assert relative.n_flat == direct.n_flat
