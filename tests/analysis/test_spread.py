"""The spread by state, decade and regime: known answers and coverage over many seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from planted import planted_spread

from backtest.analysis import (
    BootstrapSettings,
    decade_spreads,
    hac_ols,
    period_spread,
    regime_spreads,
    state_spread,
)
from backtest.errors import DataError
from backtest.regimes import Regime, RegimeKind

FAST = BootstrapSettings(reps=300, seed=0)


def test_state_spread_hand_example() -> None:
    idx = pd.date_range("2000-01-31", periods=6, freq="ME")
    spread = pd.Series([0.01, -0.02, -0.04, 0.03, 0.01, -0.01], index=idx)
    off = pd.Series([False, True, True, False, False, True], index=idx)
    s = state_spread(spread, off, periods_per_year=12,
                     settings=BootstrapSettings(reps=200, seed=1, min_bars=4))
    assert s.bars_off == 3 and s.bars_on == 3
    assert s.mean_off == pytest.approx(-0.07 / 3 * 12)
    assert s.mean_on == pytest.approx(0.05 / 3 * 12)
    assert s.difference.estimate == pytest.approx((-0.07 / 3 - 0.05 / 3) * 12)
    # risk-off bars below zero: 3 of 3; risk-on bars above zero: 3 of 3
    assert s.hit_rate == 1.0 and s.hit_rate_off == 1.0 and s.hit_rate_on == 1.0
    # the Newey-West t is the t of the slope on the risk-off dummy
    fit = hac_ols(spread.to_numpy(), [off.to_numpy(dtype=float)], ["off"])
    assert s.nw_t == pytest.approx(fit.get("off")[2])
    assert fit.get("off")[0] * 12 == pytest.approx(s.difference.estimate)


def test_state_spread_rejects_a_state_that_never_changes() -> None:
    spread, off = planted_spread(0, 0.0, n=50)
    with pytest.raises(DataError, match="never changes"):
        state_spread(spread, off & False, periods_per_year=12, settings=FAST)
    with pytest.raises(DataError, match="missing"):
        state_spread(spread.where(spread > 0), off, periods_per_year=12, settings=FAST)


def test_a_planted_difference_is_recovered() -> None:
    spread, off = planted_spread(7, -0.20, n=1200)
    s = state_spread(spread, off, periods_per_year=12, settings=FAST)
    assert s.difference.low < -0.20 < s.difference.high
    assert s.difference.sign == -1 and s.nw_t < -2


def _coverage(difference: float, seeds: range, phi: float) -> float:
    hits = 0
    for seed in seeds:
        spread, off = planted_spread(seed, difference, phi=phi)
        iv = state_spread(spread, off, periods_per_year=12,
                          settings=BootstrapSettings(reps=300, seed=seed)).difference
        hits += iv.low <= difference <= iv.high
    return hits / len(seeds)


@pytest.mark.slow
@pytest.mark.parametrize("difference", [0.0, -0.06])
def test_interval_covers_the_truth_about_95_percent_of_the_time(difference: float) -> None:
    # 200 seeds x 600 months of a persistent state (mean spell 20 months) and serially
    # uncorrelated noise: binomial s.e. of the coverage is 1.5 pp. Measured 0.94 and
    # 0.94 at this commit; the band allows ~3 s.e. below 95% and excludes a broken CI.
    coverage = _coverage(difference, range(200), phi=0.0)
    assert 0.91 <= coverage <= 0.99, coverage


@pytest.mark.slow
def test_coverage_with_autocorrelated_noise_is_measured() -> None:
    # AR(1) noise with phi = 0.3: the Politis-White block length is MSE-optimal, not
    # coverage-optimal, and the bootstrap variance comes out ~10% too small; over 600
    # seeds the coverage was 0.91 (docs/thesis.md), on these 100 seeds 0.94. It must not
    # collapse.
    coverage = _coverage(0.0, range(100), phi=0.3)
    assert 0.86 <= coverage <= 0.98, coverage


def test_decades_split_by_calendar_decade() -> None:
    spread, off = planted_spread(3, -0.1, n=300)  # 1960-01 .. 1984-12
    decades = decade_spreads(spread, off, periods_per_year=12, settings=FAST)
    assert [d.label for d in decades] == ["1960s", "1970s", "1980s"]
    assert [d.bars for d in decades] == [120, 120, 60]
    first = decades[0]
    inside = spread.index.year < 1970
    assert first.spread is not None and first.difference is not None
    assert first.spread.estimate == pytest.approx(spread[inside].mean() * 12)
    expected = (spread[inside & off].mean() - spread[inside & ~off].mean()) * 12
    assert first.difference.estimate == pytest.approx(expected)
    assert first.kind == "decade" and first.verdict is None and first.expected_sign == 0
    assert first.spread.low < first.spread.estimate < first.spread.high


def test_a_short_decade_gets_point_estimates_only() -> None:
    spread, off = planted_spread(3, -0.1, n=125)  # 1960s full, 1970s 5 bars
    last = decade_spreads(spread, off, periods_per_year=12, settings=FAST)[-1]
    assert last.bars == 5 and last.spread is not None
    assert np.isfinite(last.spread.estimate) and np.isnan(last.spread.low)


def _regime(kind: RegimeKind) -> Regime:
    return Regime("r", pd.Timestamp("2000-01-01"), pd.Timestamp("2002-12-31"), kind, "d", "r")


def _sleeves(seed: int, long_mean: float, n: int = 36) -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2000-01-31", periods=n, freq="ME")
    return (pd.Series(rng.normal(long_mean, 0.02, n), index=idx),
            pd.Series(rng.normal(0.0, 0.01, n), index=idx))


@pytest.mark.parametrize(("kind", "long_mean", "verdict"), [
    (RegimeKind.RATE_SHOCK, -0.03, "counts"),
    (RegimeKind.EASING, -0.03, "fails"),
    (RegimeKind.EASING, 0.03, "counts"),
    (RegimeKind.CREDIT_STRESS, 0.0, "inconclusive"),
])
def test_regime_verdicts(kind: RegimeKind, long_mean: float, verdict: str) -> None:
    long, short = _sleeves(1, long_mean)
    regime = _regime(kind)
    (row,) = regime_spreads(long, short, [(regime, np.ones(36, bool))], settings=FAST)
    assert row.verdict == verdict
    assert row.spread is not None
    assert row.spread.estimate == pytest.approx(np.prod(1 + long) - np.prod(1 + short))
    assert row.expected_sign == (1 if kind == RegimeKind.EASING else -1)


def test_a_short_regime_is_too_short_and_an_empty_one_is_left_out() -> None:
    long, short = _sleeves(1, -0.05)
    mask = np.zeros(36, bool)
    mask[:5] = True
    row = period_spread(long, short, mask, label="r", kind="rate_shock", start=long.index[0],
                        end=long.index[4], expected_sign=-1, settings=FAST)
    assert row.verdict == "too short" and row.bars == 5 and row.spread is not None
    assert np.isnan(row.spread.low)
    assert regime_spreads(long, short, [(_regime(RegimeKind.EASING), np.zeros(36, bool))],
                          settings=FAST) == []


@pytest.mark.slow
def test_regime_interval_coverage() -> None:
    # compounded spread over 36 iid months; truth (1 + mu_L)^36 - (1 + mu_S)^36.
    # Measured 0.93 over 400 seeds at this commit (percentile intervals of a product).
    hits, seeds = 0, range(200)
    truth = (1 - 0.01) ** 36 - (1 + 0.005) ** 36
    for seed in seeds:
        rng = np.random.default_rng(seed)
        idx = pd.date_range("2000-01-31", periods=36, freq="ME")
        long = pd.Series(rng.normal(-0.01, 0.05, 36), index=idx)
        short = pd.Series(rng.normal(0.005, 0.03, 36), index=idx)
        row = period_spread(long, short, np.ones(36, bool), label="x", kind="rate_shock",
                            start=idx[0], end=idx[-1], expected_sign=-1,
                            settings=BootstrapSettings(reps=300, seed=seed))
        assert row.spread is not None
        hits += row.spread.low <= truth <= row.spread.high
    assert 0.88 <= hits / len(seeds) <= 0.99
