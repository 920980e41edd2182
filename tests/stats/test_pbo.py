"""PBO by CSCV: ffn and a brute-force recomputation as references, noise vs planted edge."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from backtest.errors import ConfigError, DataError
from backtest.stats import OBJECTIVES, objective_values, pbo_cscv
from backtest.synthetic import RegimeDynamics, SyntheticSpec, generate_market


def _brute_force(returns, cash, bench, ppy, n_blocks, metric):
    """CSCV straight from the paper: every split recomputed from its bars."""
    n_trials, n_bars = returns.shape
    bounds = [i * n_bars // n_blocks for i in range(n_blocks + 1)]
    blocks = [np.arange(bounds[b], bounds[b + 1]) for b in range(n_blocks)]
    logits, is_best, oos_best = [], [], []
    for chosen in itertools.combinations(range(n_blocks), n_blocks // 2):
        ins = np.concatenate([blocks[b] for b in chosen])
        oos = np.concatenate([blocks[b] for b in range(n_blocks) if b not in chosen])
        train, test = (objective_values(returns[:, bars], cash[bars], periods_per_year=ppy,
                                        objective=metric, benchmark=bench[bars])
                       for bars in (ins, oos))
        winner = int(np.argmax(np.where(np.isnan(train), -np.inf, train)))
        rank = stats.rankdata(np.where(np.isnan(test), -np.inf, test))[winner]
        omega = rank / (n_trials + 1)
        logits.append(math.log(omega / (1 - omega)))
        is_best.append(train[winner])
        oos_best.append(test[winner])
    return np.array(logits), np.array(is_best), np.array(oos_best)


@pytest.mark.parametrize("metric", OBJECTIVES)
def test_block_statistics_equal_recomputing_every_split(metric) -> None:
    rng = np.random.default_rng(11)
    n_bars = 203  # not a multiple of the blocks: sizes 33/34, no bar dropped
    returns = rng.normal(0.004, 0.03, (9, n_bars)) * rng.uniform(0.3, 2.0, (9, 1))
    returns[4] = 0.001  # flat: equal to cash below -> undefined Sharpe in every half
    cash = np.full(n_bars, 0.001)
    bench = rng.normal(0.003, 0.02, n_bars)
    result = pbo_cscv(returns, cash, periods_per_year=12, n_blocks=6, metric=metric,
                      benchmark=bench)
    logits, is_best, oos_best = _brute_force(returns, cash, bench, 12, 6, metric)
    np.testing.assert_allclose(result.logits, logits, rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.is_best_perf, is_best, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(result.oos_perf_of_is_best, oos_best, rtol=1e-10, atol=1e-12)
    assert result.pbo == pytest.approx(np.mean(logits <= 0), abs=0)
    assert result.n_splits == 20 and result.n_blocks == 6 and result.n_trials == 9


@pytest.mark.parametrize(("n_blocks", "seed"), [(8, 0), (10, 1), (12, 2)])  # ffn: ~20 s at 16
def test_equals_ffn_on_its_domain(n_blocks, seed) -> None:
    import ffn  # dev dependency (with bt): the reference implementation

    rng = np.random.default_rng(seed)
    returns = rng.normal(0.0002, 0.01, (12, 480))  # a multiple of S: ffn drops the rest
    returns[3] += 0.002  # an edge, so that logits are not all symmetric noise
    theirs = ffn.core.calc_prob_backtest_overfitting(
        pd.DataFrame(returns.T), n_blocks=n_blocks, full_output=True)
    ours = pbo_cscv(returns, np.zeros(returns.shape[1]), periods_per_year=252, n_blocks=n_blocks)
    np.testing.assert_allclose(ours.logits, theirs["logits"].to_numpy(), rtol=0, atol=1e-12)
    assert ours.pbo == theirs["pbo"]
    assert np.mean(ours.oos_rank_of_is_best) == pytest.approx(theirs["mean_oos_rank"], rel=1e-12)


def test_hand_computed_two_blocks() -> None:
    # S = 2: split 1 trains on bars 0-1, tests on 2-3; split 2 the reverse.
    # Objective "excess" over a zero benchmark = 12 x mean monthly return.
    returns = np.array([[0.03, 0.03, 0.01, 0.01],   # A: best first, worst second
                        [0.02, 0.02, 0.02, 0.02],   # B: middle both times
                        [0.01, 0.01, 0.03, 0.03]])  # C: worst first, best second
    zero = np.zeros(4)
    result = pbo_cscv(returns, zero, periods_per_year=12, n_blocks=2, metric="excess",
                      benchmark=zero)
    # split 1: A wins in sample (0.36/yr), ranks 1st of 3 out of sample -> omega 1/4;
    # split 2: C wins (0.36), ranks 1st -> omega 1/4; logit log(1/3) both times.
    np.testing.assert_allclose(result.logits, [math.log(1 / 3)] * 2, rtol=1e-14)
    np.testing.assert_allclose(result.oos_rank_of_is_best, [0.25, 0.25])
    np.testing.assert_allclose(result.is_best_perf, [0.36, 0.36], rtol=1e-12)
    np.testing.assert_allclose(result.oos_perf_of_is_best, [0.12, 0.12], rtol=1e-12)
    assert result.pbo == 1.0 and result.prob_oos_loss == 0.0
    assert math.isnan(result.degradation_slope)  # one in-sample value: no regression


def test_pure_noise_lands_around_one_half_over_seeds() -> None:
    # iid noise: the in-sample best's out-of-sample rank is uniform, so E[PBO] = 1/2.
    # Splits share their bars, so one seed's PBO is very noisy (0.1-0.8 seen): the
    # band is on the mean over 20 seeds (its spread is ~0.2/sqrt(20) ~ 0.045).
    values = []
    for seed in range(20):
        returns = np.random.default_rng(seed).normal(0.0, 0.01, (50, 1600))
        values.append(pbo_cscv(returns, np.zeros(1600), periods_per_year=252).pbo)
    assert 0.4 <= np.mean(values) <= 0.6, values
    assert 0.35 <= np.median(values) <= 0.65, values


def test_planted_edge_gives_pbo_near_zero_over_seeds() -> None:
    # one trial of 50 has a true Sharpe ratio of 3 a year; the others none
    for seed in range(8):
        returns = np.random.default_rng(seed).normal(0.0, 0.01, (50, 1600))
        returns[7] += 0.01 * 3.0 / math.sqrt(252)
        result = pbo_cscv(returns, np.zeros(1600), periods_per_year=252)
        assert result.pbo <= 0.05, (seed, result.pbo)
        assert result.prob_oos_loss <= 0.05


# The project's synthetic market with a planted, strong rising-cost regime: yields
# drift up 4 pp a year in it, so the long-minus-short-duration spread falls hard.
RISING = RegimeDynamics(spell_years=2.0, yield_drift_pp=4.0, yield_vol_pp=0.6,
                        spread_drift_pp=0.5, spread_vol_pp=0.2)


def _threshold_rules(seed: int, link: float) -> np.ndarray:
    """18 trials: short the LONG1-SHORT2 spread when the 3-month yield change is above
    (direction +1) or below (-1) a threshold in -0.5..0.5 pp, decided at t, held at t+1."""
    market = generate_market(SyntheticSpec(seed=seed, link=link, n_periods=1200, rising=RISING))
    y = market.yields.to_numpy()
    r = market.prices.pct_change().fillna(0.0).to_numpy()
    spread = r[:, 0] - r[:, 4]  # LONG1 (25y) minus SHORT2 (1y)
    signal = np.full(y.size, np.nan)
    signal[3:] = y[3:] - y[:-3]
    rules = []
    for direction in (1, -1):
        for threshold in np.linspace(-0.5, 0.5, 9):
            risk_off = np.nan_to_num(direction * (signal - threshold)) > 0
            held = np.concatenate([[False], risk_off[:-1]])  # one bar of execution lag
            rules.append(np.where(held, -1.0, 1.0) * spread)
    return np.array(rules)[:, 4:]


def test_synthetic_market_planted_link_vs_no_link() -> None:
    linked, unlinked = [], []
    for seed in range(10):
        for link, out in ((1.0, linked), (0.0, unlinked)):
            trials = _threshold_rules(seed, link)
            out.append(pbo_cscv(trials, np.zeros(trials.shape[1]), periods_per_year=12).pbo)
    assert max(linked) <= 0.05, linked  # the rule that reads the link wins out of sample too
    assert 0.3 <= np.mean(unlinked) <= 0.7, unlinked  # no link: selection is a coin toss


def test_flat_trials_never_win_and_do_not_poison_the_result() -> None:
    rng = np.random.default_rng(4)
    returns = rng.normal(0.0, 0.01, (6, 160))
    returns[2] = 0.0  # e.g. a rule that never leaves cash: no excess, no volatility
    result = pbo_cscv(returns, np.zeros(160), periods_per_year=252, n_blocks=8)
    assert np.isfinite(result.pbo) and np.isfinite(result.logits).all()
    assert result.n_undefined == 0
    everything_flat = pbo_cscv(np.zeros((3, 40)), np.zeros(40), periods_per_year=12, n_blocks=4)
    assert everything_flat.n_undefined == 6 and math.isnan(everything_flat.pbo)


def test_degradation_is_the_ols_fit_of_oos_on_is() -> None:
    returns = np.random.default_rng(9).normal(0.0, 0.01, (20, 320))
    result = pbo_cscv(returns, np.zeros(320), periods_per_year=252, n_blocks=8)
    slope, intercept = np.polyfit(result.is_best_perf, result.oos_perf_of_is_best, 1)
    assert result.degradation_slope == pytest.approx(slope, rel=1e-12)
    assert result.degradation_intercept == pytest.approx(intercept, rel=1e-12)
    assert result.prob_oos_loss == pytest.approx(np.mean(result.oos_perf_of_is_best < 0))


def test_bad_input() -> None:
    returns = np.zeros((4, 100))
    cash = np.zeros(100)
    for bad, message in ((7, "even"), (0, "even"), (22, "2..20"), (2.0, "even integer")):
        with pytest.raises(ConfigError, match=message):
            pbo_cscv(returns, cash, periods_per_year=12, n_blocks=bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="at least 2"):
        pbo_cscv(returns[:1], cash, periods_per_year=12)
    with pytest.raises(ConfigError, match="needs at least 32 bars"):
        pbo_cscv(returns[:, :31], cash[:31], periods_per_year=12)
    with pytest.raises(ConfigError, match="needs a benchmark"):
        pbo_cscv(returns, cash, periods_per_year=12, metric="excess")
    with pytest.raises(DataError, match="cash must have shape"):
        pbo_cscv(returns, cash[:50], periods_per_year=12)
