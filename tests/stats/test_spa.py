"""SPA: the Reality Check equals arch.bootstrap.SPA; the studentized SPA equals Hansen's formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
from arch.bootstrap import SPA, StationaryBootstrap, optimal_block_length

from backtest.errors import ConfigError, DataError
from backtest.stats import spa_test
from backtest.stats._kernel import kernel_variances
from backtest.stats._spa import _bootstrap_counts


def _problem(seed: int, n_bars: int = 600, n_trials: int = 40, edge: float = 0.0):
    rng = np.random.default_rng(seed)
    bench = rng.normal(0.0003, 0.01, n_bars)
    common = rng.normal(0.0, 0.006, n_bars)
    trials = (0.5 * bench[:, None] + common[:, None]
              + rng.normal(0.0, 0.008, (n_bars, n_trials)) * rng.uniform(0.5, 2.0, n_trials))
    trials[:, 3] += edge
    return bench, trials


@pytest.mark.parametrize(("seed", "block_size", "edge"), [
    (0, 5, 0.0), (1, 12, 0.0008), (2, 30, 0.0003), (3, 1, 0.0015), (4, None, 0.0005),
])
def test_fast_path_gives_archs_pvalues_exactly(seed, block_size, edge) -> None:
    bench, trials = _problem(seed, edge=edge)
    trials[:, 7] = trials[:, 2]  # duplicates are counted once by the fast path
    trials[:, 9] = bench  # a trial identical to the benchmark: zero differential
    arch = spa_test(bench, trials, seed=seed, block_size=block_size, method="arch")
    fast = spa_test(bench, trials, seed=seed, block_size=block_size, method="fast")
    # the sweep's layout: the transposed view of a C-ordered trials x bars matrix
    view = spa_test(bench, np.ascontiguousarray(trials.T).T, seed=seed,
                    block_size=block_size, method="fast")
    assert view == fast
    assert (arch.method, fast.method) == ("arch", "fast")
    assert (fast.rc.lower, fast.rc.consistent, fast.rc.upper) == (
        arch.rc.lower, arch.rc.consistent, arch.rc.upper)
    assert fast.rc.statistic == pytest.approx(arch.rc.statistic, rel=1e-12)
    # the studentized SPA is the batched path either way
    assert (fast.lower, fast.consistent, fast.upper, fast.statistic) == (
        arch.lower, arch.consistent, arch.upper, arch.statistic)
    assert fast.block_size == arch.block_size and fast.n_distinct == 39 and fast.n_trials == 40
    assert fast.n_degenerate == 1  # column 9: the benchmark itself, no t-statistic
    # and arch itself, called as documented (losses = minus returns)
    direct = SPA(-bench, -trials, block_size=arch.block_size, reps=1000, seed=seed)
    direct.compute()
    assert tuple(direct.pvalues) == (arch.rc.lower, arch.rc.consistent, arch.rc.upper)
    # arch's studentize flag changes no number (why the SPA is computed here)
    flagged = SPA(-bench, -trials, block_size=arch.block_size, reps=1000, seed=seed,
                  studentize=False)
    flagged.compute()
    assert tuple(flagged.pvalues) == tuple(direct.pvalues)


def test_bootstrap_counts_are_archs_indices() -> None:
    data = np.arange(50.0)
    bootstrap = StationaryBootstrap(7, data, seed=3)
    expected = np.array([np.bincount(bootstrap.index, minlength=50)
                         for _ in bootstrap.bootstrap(20)], dtype=float)
    np.testing.assert_array_equal(_bootstrap_counts(50, 7, 20, 3), expected)


def test_kernel_variances_equal_archs_loop_over_lags() -> None:
    bench, trials = _problem(5, n_bars=400, n_trials=6)
    for block in (1, 2, 4, 10, 25, 399):
        spa = SPA(-bench, -trials, block_size=block, reps=10, seed=0)
        spa.compute()
        ours = kernel_variances(np.ascontiguousarray(trials - bench[:, None]), block)
        np.testing.assert_allclose(ours, spa._loss_diff_var, rtol=1e-10)


def test_default_block_size_is_the_rounded_up_median_politis_white_length() -> None:
    bench, trials = _problem(6, n_trials=10)
    lengths = optimal_block_length(trials - bench[:, None])["stationary"]
    result = spa_test(bench, trials, seed=0, reps=50)
    assert result.block_size == math.ceil(float(np.median(lengths)))


def _hansen(bench, trials, block, reps, seed):
    """Hansen (2005) eq. (5)-(8) written out: studentized T_SPA with the same bootstrap."""
    d = trials - bench[:, None]
    n = d.shape[0]
    mean = d.mean(axis=0)
    omega = np.sqrt(_arch_var(bench, trials, block))  # arch's loop over lags
    t_spa = max(np.max(math.sqrt(n) * mean / omega), 0.0)
    bound = -np.sqrt(omega**2 / n * 2 * math.log(math.log(n)))
    centers = [np.maximum(mean, 0.0), np.where(mean >= bound, mean, 0.0), mean]
    bootstrap = StationaryBootstrap(block, d, seed=seed)
    stats = np.array([[max(np.max(math.sqrt(n) * (data[0].mean(axis=0) - g) / omega), 0.0)
                       for g in centers] for data, _ in bootstrap.bootstrap(reps)])
    if t_spa == 0.0:  # every mean <= 0: nothing beats the benchmark in sample
        return np.ones(3), t_spa
    return (stats > t_spa).mean(axis=0), t_spa


def _arch_var(bench, trials, block):
    spa = SPA(-bench, -trials, block_size=block, reps=1, seed=0)
    spa._compute_variance()
    return spa._loss_diff_var


@pytest.mark.parametrize(("seed", "edge"), [(0, 0.0), (1, 0.0006), (2, -0.0004), (3, -0.01)])
def test_studentized_equals_hansens_formulas(seed, edge) -> None:
    bench, trials = _problem(seed, n_bars=300, n_trials=15, edge=edge)
    if edge < -0.005:  # every trial clearly worse than the benchmark: T_SPA = 0, p = 1
        trials -= 0.01
    expected, t_spa = _hansen(bench, trials, 8, 300, seed)
    got = spa_test(bench, trials, seed=seed, reps=300, block_size=8)
    assert got.method == "fast" and got.n_degenerate == 0
    assert (got.lower, got.consistent, got.upper) == tuple(expected)
    assert got.statistic == pytest.approx(t_spa, rel=1e-9)
    assert (t_spa == 0.0) == (edge < -0.005)


def test_every_trial_losing_is_no_evidence_against_the_benchmark() -> None:
    # the floor of T_SPA: with share(T* > 0) as p, trials that all lose 0.4 % a bar
    # "beat" the benchmark at p = 0 (what this package's studentized path returned)
    rng = np.random.default_rng(0)
    bench = rng.normal(0.0, 0.01, 500)
    trials = bench[:, None] - 0.004 + rng.normal(0.0, 0.01, (500, 20))
    result = spa_test(bench, trials, seed=0, reps=500, block_size=5)
    assert result.statistic == 0.0
    assert (result.lower, result.consistent, result.upper) == (1.0, 1.0, 1.0)
    assert result.rc.upper == 1.0 and result.rc.statistic < 0


def test_trials_equal_to_the_benchmark_up_to_rounding_have_no_t_statistic() -> None:
    # rounding noise (1 ulp) studentized is a t-statistic of order 1: left out
    rng = np.random.default_rng(1)
    bench = rng.normal(0.0, 0.01, 400)
    trials = bench[:, None] - 0.002 + rng.normal(0.0, 0.01, (400, 6))
    noisy = trials.copy()
    noisy[:, 0] = bench
    noisy[::2, 0] = np.nextafter(bench[::2], np.inf)
    exact = noisy.copy()
    exact[:, 0] = bench
    a = spa_test(bench, exact, seed=0, reps=200, block_size=4)
    b = spa_test(bench, noisy, seed=0, reps=200, block_size=4)
    assert (b.lower, b.consistent, b.upper, b.statistic) == (
        a.lower, a.consistent, a.upper, a.statistic)
    assert a.n_degenerate == b.n_degenerate == 1
    # a trial that beats the benchmark by the same amount on every bar: p = 0
    sure = exact.copy()
    sure[:, 1] = bench + 0.001
    certain = spa_test(bench, sure, seed=0, reps=200, block_size=4)
    assert certain.statistic == math.inf and certain.consistent == 0.0  # omega: rounding only
    zero = np.zeros(400)  # against a zero benchmark the differential is exactly constant
    exactly = spa_test(zero, np.column_stack([zero + 0.001, trials]), seed=0, reps=50,
                       block_size=4)
    assert exactly.statistic == math.inf and exactly.upper == 0.0 and exactly.n_degenerate == 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_studentized_equals_the_recentred_rc_when_studentizing_is_the_identity(seed) -> None:
    # columns = one series + constants: identical demeaned data, identical omega, so
    # dividing by omega rescales every statistic alike; with a positive best mean (the
    # floor at 0 never binds) the SPA orders replications exactly as the RC does
    rng = np.random.default_rng(8 + seed)
    bench = rng.normal(0.0, 0.01, 500)
    base = bench + rng.normal(0.0, 0.01, 500)
    trials = base[:, None] + np.linspace(-0.001, 0.0008, 12)
    trials -= min(0.0, (trials - bench[:, None]).mean(axis=0).max() - 1e-4)
    result = spa_test(bench, trials, seed=seed, block_size=6, method="arch")
    variances = kernel_variances(trials - bench[:, None], 6)
    np.testing.assert_allclose(variances, variances[0], rtol=1e-9)
    assert result.rc.statistic > 0
    assert (result.lower, result.consistent, result.upper) == (
        result.rc.lower, result.rc.consistent, result.rc.upper)
    assert result.statistic == pytest.approx(
        result.rc.statistic * math.sqrt(500 / variances[0]), rel=1e-9)


def test_p_values_detect_a_planted_edge_and_not_noise() -> None:
    planted, null = [], []
    for seed in range(12):
        # trial 3 beats the benchmark by 0.3 % a bar: a t-statistic of 5 or more
        bench, trials = _problem(seed, n_bars=1000, n_trials=30, edge=0.003)
        found = spa_test(bench, trials, seed=seed, reps=300, block_size=5)
        planted += [found.consistent, found.rc.consistent]
        # every trial's sample mean differential set to exactly 0: nothing beats it
        bench, trials = _problem(seed + 100, n_bars=1000, n_trials=30)
        trials -= (trials - bench[:, None]).mean(axis=0)
        nothing = spa_test(bench, trials, seed=seed, reps=300, block_size=5)
        null += [nothing.consistent, nothing.rc.consistent]
    assert max(planted) <= 0.01, planted
    assert min(null) >= 0.2, null


def test_ordering_of_the_three_p_values() -> None:
    for seed in range(6):
        bench, trials = _problem(seed, n_bars=300, n_trials=10, edge=0.0004 * (seed - 2))
        r = spa_test(bench, trials, seed=seed, reps=200, block_size=4)
        assert r.lower <= r.consistent <= r.upper
        assert r.rc.lower <= r.rc.consistent <= r.rc.upper


def test_result_is_plain_json_with_the_rc_labelled() -> None:
    from backtest.report.json import to_plain

    bench, trials = _problem(0, n_bars=200, n_trials=5)
    doc = to_plain(spa_test(bench, trials, seed=0, reps=100, block_size=3))
    assert set(doc) >= {"lower", "consistent", "upper", "statistic", "rc", "label"}
    assert set(doc["rc"]) == {"lower", "consistent", "upper", "statistic", "label"}
    assert "Hansen" in doc["label"] and "Reality Check" in doc["rc"]["label"]


def test_prints_nothing(capsys) -> None:
    bench, trials = _problem(0, n_bars=200, n_trials=5)
    spa_test(bench, trials, seed=0, reps=50)
    spa_test(bench, trials, seed=0, reps=50, method="fast")
    assert capsys.readouterr() == ("", "")


def test_bad_input() -> None:
    bench, trials = _problem(0, n_bars=50, n_trials=4)
    with pytest.raises(ConfigError, match="seed must be an integer"):
        spa_test(bench, trials, seed=None)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="reps must be >= 1"):
        spa_test(bench, trials, seed=0, reps=0)
    with pytest.raises(ConfigError, match="block_size"):
        spa_test(bench, trials, seed=0, block_size=0)
    with pytest.raises(ConfigError, match="method"):
        spa_test(bench, trials, seed=0, method="slow")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="benchmark must have shape"):
        spa_test(bench[:-1], trials, seed=0)
    with pytest.raises(DataError, match="NaN"):
        spa_test(bench, np.where(trials > 0.02, np.nan, trials), seed=0)


# 8-12 bars: the lag window reaches past the series' end (issue 18 item 11: an IndexError
# for a monthly series with a gap, where arch itself still answers)
@pytest.mark.parametrize("n_obs", [8, 9, 11, 12, 64, 400, 3000])
def test_vectorized_block_lengths_equal_archs(n_obs) -> None:
    from backtest.stats._blocklength import stationary_block_lengths

    rng = np.random.default_rng(n_obs)
    x = rng.normal(size=(n_obs, 6))
    x[:, 1] = np.cumsum(x[:, 1]) * 0.1 + x[:, 1]  # persistent
    x[:, 2] = np.convolve(rng.normal(size=n_obs + 9), np.ones(10), "valid")  # MA(9)
    x[:, 3] = 0.0  # constant: undefined
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = optimal_block_length(x)["stationary"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        np.testing.assert_allclose(stationary_block_lengths(x), expected, rtol=1e-10)
    assert np.isnan(expected[3])


@pytest.mark.parametrize("n_obs", range(2, 8))
def test_block_lengths_of_a_series_too_short_for_arch_are_defined(n_obs) -> None:
    from backtest.stats._blocklength import stationary_block_lengths

    x = np.random.default_rng(n_obs).normal(size=(n_obs, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        lengths = stationary_block_lengths(x)  # arch raises ValueError below 8 bars
    assert np.all((lengths > 0) & (lengths <= np.ceil(n_obs / 3)))  # the cap, as arch
