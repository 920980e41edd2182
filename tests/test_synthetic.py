"""The seeded synthetic market (ground truth) and its provider."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from backtest.data.base import Kind, SeriesRequest
from backtest.data.synthetic import SyntheticProvider, parse_synthetic_name
from backtest.duration import empirical_duration
from backtest.errors import ConfigError, DataError
from backtest.synthetic import REGIMES, SyntheticSpec, generate_market

MONTHLY = SyntheticSpec(seed=0)


def _dy_decimal(yields_pct: pd.Series) -> pd.Series:
    return yields_pct.diff() / 100.0


# --- determinism and shape ---------------------------------------------------------------


def test_same_seed_same_market_and_different_seeds_differ() -> None:
    a, b = generate_market(SyntheticSpec(seed=3)), generate_market(SyntheticSpec(seed=3))
    pd.testing.assert_frame_equal(a.prices, b.prices, check_exact=True)
    pd.testing.assert_series_equal(a.yields, b.yields, check_exact=True)
    pd.testing.assert_series_equal(a.regimes, b.regimes)
    c = generate_market(SyntheticSpec(seed=4))
    assert not np.allclose(a.prices.to_numpy(), c.prices.to_numpy())
    assert not np.allclose(a.yields.to_numpy(), c.yields.to_numpy())


def test_monthly_shapes_and_calendar() -> None:
    m = generate_market(MONTHLY)
    assert m.prices.shape == (600, 5)
    assert list(m.prices.columns) == ["LONG1", "LONG2", "MID", "SHORT1", "SHORT2"]
    assert m.prices.index.equals(pd.date_range("1970-01-31", periods=600, freq="ME"))
    assert m.prices.index.name == "date"
    for series in (m.yields, m.spread, m.regimes):
        assert series.index.equals(m.prices.index)
    np.testing.assert_array_equal(m.prices.iloc[0], 1.0)
    assert (m.prices > 0).all().all()
    assert set(m.regimes.unique()) <= set(REGIMES)
    assert m.durations.to_dict() == dict(MONTHLY.durations)
    assert (m.spread >= MONTHLY.spread_floor_pp).all()


def test_daily_calendar_is_business_days() -> None:
    m = generate_market(SyntheticSpec(seed=0, periods_per_year=252, n_periods=300))
    assert m.prices.index.equals(pd.date_range("1970-01-31", periods=300, freq="B"))
    assert m.prices.index[0] == pd.Timestamp("1970-02-02")  # 1970-01-31 was a Saturday


# --- the planted regimes ---------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_yields_drift_up_when_rising_and_down_when_calm(seed: int) -> None:
    m = generate_market(SyntheticSpec(seed=seed))
    mean_dy = _dy_decimal(m.yields).groupby(m.regimes).mean()
    assert mean_dy["rising"] > 0 > mean_dy["calm"]
    # Spreads widen on average in rising and stress spells, tighten in calm ones.
    mean_ds = m.spread.diff().groupby(m.regimes).mean()
    assert mean_ds["calm"] < 0 < mean_ds["rising"] < mean_ds["stress"]


def test_regimes_persist() -> None:
    for spec in (MONTHLY, SyntheticSpec(periods_per_year=252)):
        p = spec.transition_matrix()
        np.testing.assert_allclose(p.sum(axis=1), 1.0)
        expected_bars = 1.0 / (1.0 - np.diag(p))
        # A rising spell lasts >= 12 months on average, at either frequency.
        assert expected_bars[REGIMES.index("rising")] / spec.periods_per_year >= 1.0
    # And the simulated chain agrees: mean rising run length over a long sample.
    regimes = generate_market(SyntheticSpec(seed=5, n_periods=6000)).regimes
    runs = regimes.groupby((regimes != regimes.shift()).cumsum()).agg(["first", "size"])
    assert runs.loc[runs["first"] == "rising", "size"].mean() >= 12


# --- returns: noise vs link ---------------------------------------------------------------


def test_link_zero_returns_do_not_depend_on_yields() -> None:
    spec = SyntheticSpec(seed=11, n_periods=2400)
    noise = generate_market(dataclasses.replace(spec, link=0.0))
    linked = generate_market(spec)
    pd.testing.assert_series_equal(noise.yields, linked.yields)  # same draws, only link differs
    dy = _dy_decimal(noise.yields)
    corr_noise = noise.prices.pct_change().corrwith(dy)
    corr_linked = linked.prices.pct_change().corrwith(dy)
    # n = 2400: the sampling sd of a zero correlation is ~1/√2400 ≈ 0.02, so 0.1 is 5 sd.
    assert corr_noise.abs().max() < 0.1
    assert corr_linked["LONG1"] < -0.5  # the same check fails when returns do load on Δy


@pytest.mark.parametrize(
    ("spec", "window"),
    [
        (SyntheticSpec(seed=0), 60),  # 50 years monthly, 60-month window
        (SyntheticSpec(seed=1), 60),
        (SyntheticSpec(seed=2), 60),
        (SyntheticSpec(seed=0, periods_per_year=252, n_periods=2520), 252),  # 10 years daily
    ],
)
def test_empirical_duration_recovers_planted_durations(spec: SyntheticSpec, window: int) -> None:
    # Acceptance test: the median of the rolling estimates is within ±15% of the planted
    # duration for every asset. Omitted credit exposure (β·Δspread, correlated with Δy
    # through the regimes) and noise are the sources of error; at the default noise the
    # worst asset over seeds 0–39 (monthly, 600 bars) was off by ~11%.
    m = generate_market(spec)
    returns = m.prices.pct_change()
    estimates = empirical_duration(
        returns, _dy_decimal(m.yields), window=window, min_periods=window
    )
    recovered = estimates.median()
    relative_error = (recovered / m.durations - 1.0).abs()
    assert relative_error.max() <= 0.15, relative_error.round(3).to_dict()
    # Ordering of the planted durations is recovered too.
    assert list(recovered.sort_values().index) == list(m.durations.sort_values().index)


@pytest.mark.parametrize(
    "changes",
    [
        {"periods_per_year": 52},
        {"n_periods": 1},
        {"start": "not a date"},
        {"link": -1.0},
        {"credit_betas": (("LONG1", -1.0),)},
        {"durations": (("A", 1.0), ("A", 2.0))},
        {"exit_probabilities": ((0.5, 0.5, 0.0), (0.5, 0.0, 0.5), (0.5, 0.5, 0.0))},
    ],
)
def test_bad_specs_raise(changes: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        dataclasses.replace(SyntheticSpec(), **changes)  # type: ignore[arg-type]


def test_spec_is_hashable() -> None:
    assert hash(SyntheticSpec(seed=1)) == hash(SyntheticSpec(seed=1))


# --- provider --------------------------------------------------------------------------------


def test_provider_serves_the_market() -> None:
    provider = SyntheticProvider()
    market = generate_market(SyntheticSpec(seed=7))
    y = provider.fetch(SeriesRequest.parse("synthetic:seed=7/yield"))
    assert (y.kind, y.units, y.frequency) == (Kind.LEVEL, "percent", "M")
    np.testing.assert_array_equal(y.values.to_numpy(), market.yields.to_numpy())
    assert y.values.index.name == "date"
    s = provider.fetch(SeriesRequest.parse("synthetic:seed=7/spread"))
    assert (s.kind, s.units) == (Kind.LEVEL, "percentage points")
    p = provider.fetch(SeriesRequest.parse("synthetic:seed=7/asset/LONG1"))
    assert p.kind is Kind.PRICE
    np.testing.assert_array_equal(p.values.to_numpy(), market.prices["LONG1"].to_numpy())
    assert "synthetic" in p.notes


def test_provider_parameters() -> None:
    spec, what = parse_synthetic_name("seed=7,periods=2520,ppy=252/asset/SHORT2")
    assert spec == SyntheticSpec(seed=7, n_periods=2520, periods_per_year=252)
    assert what == "asset/SHORT2"
    daily = SyntheticProvider().fetch(SeriesRequest.parse("synthetic:seed=7,ppy=252/yield"))
    assert daily.frequency == "D"
    assert parse_synthetic_name("seed=1,link=0/yield")[0].link == 0.0


def test_provider_output_is_a_copy() -> None:
    provider = SyntheticProvider()
    request = SeriesRequest.parse("synthetic:seed=8/yield")
    first = provider.fetch(request)
    first.values.iloc[:] = -1.0
    assert (provider.fetch(request).values > -1.0).any()


@pytest.mark.parametrize(
    "name",
    [
        "seed=7",
        "yield",
        "seed=7/asset/NOPE",
        "seed=x/yield",
        "seed=7,foo=1/yield",
        "periods=100/yield",
        "seed=7/price",
        "seed=7,ppy=52/yield",
    ],
)
def test_provider_rejects_bad_names_listing_valid_forms(name: str) -> None:
    with pytest.raises(DataError, match=r"valid forms|assets: LONG1|periods_per_year"):
        SyntheticProvider().fetch(SeriesRequest("synthetic", name))
