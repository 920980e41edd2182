"""The statistics behind the new verdict lines: regime p-values and their adjustment,
"too noisy", concentration, the idea-date split, counter-evidence per asset class.

Arithmetic by hand, and against a null: on sleeves with no spread at all the regime
count after Holm's adjustment claims evidence in about 5% of samples, where the
unadjusted count does so in about a quarter to a third.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backtest.analysis import (
    BootstrapSettings,
    Interval,
    PeriodSpread,
    adjust_p_values,
    asset_class,
    bootstrap_p_value,
    classify_assets,
    concentration,
    expected_block_length,
    idea_split,
    largest_contributor,
    percentile_interval,
    regime_spreads,
    sharpe_differences,
    state_spread,
)
from backtest.analysis._spread import too_noisy
from backtest.regimes import load_catalog, regime_mask

REPO = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- p-values

def test_bootstrap_p_value_by_hand() -> None:
    draws = np.array([-1.0, 0.5, 1.0, 2.0, 3.0, np.nan])  # 5 finite: 1 below zero
    assert bootstrap_p_value(draws) == pytest.approx(2 * (1 + 1) / 6)
    assert bootstrap_p_value(np.array([1.0] * 999)) == pytest.approx(2 / 1000)  # the floor
    assert bootstrap_p_value(np.array([-1.0, 1.0])) == 1.0
    assert math.isnan(bootstrap_p_value(np.array([np.nan])))


def test_the_p_value_agrees_with_the_percentile_interval() -> None:
    rng = np.random.default_rng(3)
    for shift in np.linspace(-0.2, 0.2, 41):
        draws = rng.normal(shift, 0.1, 2000)
        iv = percentile_interval(shift, draws, 0.95, 1.0)
        p = bootstrap_p_value(draws)
        if iv.sign != 0:
            assert p < 0.055, (shift, p)
        if p < 0.045:
            assert iv.sign != 0, (shift, p)


def _period(p: float) -> PeriodSpread:
    iv = Interval(-0.1, -0.2, -0.01, 0.95, "x")
    return PeriodSpread("r", "rate_shock", pd.Timestamp("2000"), pd.Timestamp("2001"), 24, iv,
                        -1, "counts", p_value=p)


def test_holm_and_benjamini_hochberg_by_hand() -> None:
    periods = [_period(p) for p in (0.01, 0.04, 0.03, math.nan, 0.20)]
    out = adjust_p_values(periods, alpha=0.05)
    # Holm on 4 tests, sorted 0.01, 0.03, 0.04, 0.20: 0.04, 0.09, max(0.09, 0.08), 0.20
    assert [o.p_holm for o in out][:3] == pytest.approx([0.04, 0.09, 0.09])
    assert math.isnan(out[3].p_holm) and out[4].p_holm == pytest.approx(0.20)
    # BH: 0.01*4/1, 0.03*4/2, 0.04*4/3, 0.20 -> monotone from the top: 0.04, 0.0533, 0.0533
    assert [o.p_bh for o in out][:3] == pytest.approx([0.04, 0.16 / 3, 0.06 / 1.5 * 4 / 3])


def test_too_noisy_needs_a_wide_interval_wider_than_its_estimate() -> None:
    def iv(e: float, lo: float, hi: float) -> Interval:
        return Interval(e, lo, hi, 0.95, "x")

    assert too_noisy(iv(0.03, -0.91, 1.99))  # the 1999-2000 regime
    assert too_noisy(iv(1.506, 0.013, 5.968), 3.0)  # wide, half-width above the estimate
    assert not too_noisy(iv(-1.398, -2.593, -0.671), 0.8)  # wide but far from zero
    assert not too_noisy(iv(-0.537, -0.923, -0.180))  # ±37 pp
    assert not too_noisy(iv(0.1, -0.9, 1.1), 3.0)  # ±100 pp over 3 years is ±33 pp a year
    assert not too_noisy(iv(0.1, math.nan, math.nan))


@pytest.mark.slow
def test_regime_count_after_holm_holds_its_level_on_noise() -> None:
    """Sleeves whose spread is pure noise, over the catalog's 9 judged regimes of 1960-2019.

    Measured at this commit: at least one regime "counted" for the thesis in 13 of
    these 60 samples unadjusted (22%), in 3 after Holm (5%) and 3 after BH; over 400
    samples 32%, 5.5% and 7%. ("Counts" or "fails" after Holm: 8 of 60, 13% of 400:
    percentile intervals of 13-37 bars still reject a true zero about 7.5% of the time
    each, not 5%.) The bounds allow the binomial tail of a 10% rate.
    """
    catalog = [r for r in load_catalog(REPO / "data" / "regimes.toml")
               if r.start.year >= 1960 and r.end.year <= 2019]
    index = pd.date_range("1960-01-31", "2019-12-31", freq="ME")
    masks = [(r, regime_mask(index, r)) for r in catalog]
    raw = holm = bh = 0
    for seed in range(60):
        rng = np.random.default_rng(seed)
        short = pd.Series(rng.normal(0.008, 0.04, len(index)), index=index)
        long = short + rng.normal(0.0, 0.04, len(index))
        periods = regime_spreads(long, short, masks,
                                 settings=BootstrapSettings(reps=1000, seed=seed),
                                 periods_per_year=12)
        assert sum(math.isfinite(p.p_value) for p in periods) == 9
        counts = [p for p in periods if p.verdict == "counts"]
        raw += bool(counts)
        holm += any(p.p_holm < 0.05 for p in counts)
        bh += any(p.p_bh < 0.05 for p in counts)
    assert raw >= 8, raw  # the adjustment has something to do
    assert holm <= 10 and bh <= 10, (raw, holm, bh)  # P(X > 10 | n = 60, p = 0.1) = 8%


def test_regimes_share_the_whole_series_block_length() -> None:
    idx = pd.date_range("1960-01-31", periods=240, freq="ME")
    rng = np.random.default_rng(5)
    short = pd.Series(rng.normal(0.0, 0.03, 240), index=idx)
    long = short + pd.Series(rng.normal(0.0, 0.03, 240), index=idx)
    catalog = load_catalog(REPO / "data" / "regimes.toml")
    masks = [(r, regime_mask(pd.DatetimeIndex(idx), r)) for r in catalog]
    periods = [p for p in regime_spreads(long, short, masks, settings=BootstrapSettings(reps=50))
               if p.spread is not None and p.spread.block_length is not None]
    whole = expected_block_length((long - short).to_numpy())
    assert periods and all(p.spread.block_length == pytest.approx(min(whole, p.bars / 3))
                           for p in periods if p.spread is not None)


# ---------------------------------------------------------------- concentration

def test_largest_contributor_by_magnitude_without_cash_and_costs() -> None:
    c = pd.Series({"MU": 0.61, "BTC": -0.70, "BIL": 0.9, "costs": -2.0})
    assert largest_contributor(c, exclude=("BIL",)) == ("BTC", -0.70)
    assert largest_contributor(pd.Series({"A": 0.0, "costs": -0.1})) is None


def test_concentration_share_and_metrics() -> None:
    idx = pd.date_range("2020-01-31", periods=24, freq="ME")
    r = pd.Series(np.tile([0.02, -0.01], 12), index=idx)
    without = r * 0.5
    cash = pd.Series(0.001, index=idx)
    c = concentration(strategy="s", asset="MU", contribution=0.3, total=0.5, returns=r,
                      returns_without=without, cash=cash, periods_per_year=12)
    assert c.share == pytest.approx(0.6) and c.concentrated
    assert c.cagr == pytest.approx(float(np.prod(1 + r)) ** (12 / 24) - 1)
    assert c.cagr_without < c.cagr
    loss = concentration(strategy="s", asset="MU", contribution=-0.3, total=-0.1, returns=r,
                         returns_without=without, cash=cash, periods_per_year=12)
    assert math.isnan(loss.share) and not loss.concentrated


# ---------------------------------------------------------------- idea date

def test_idea_split_counts_bars_and_recomputes_each_side_alone() -> None:
    idx = pd.date_range("1990-01-31", periods=240, freq="ME")
    rng = np.random.default_rng(0)
    spread = pd.Series(rng.normal(0, 0.03, 240), index=idx)
    state = pd.Series(np.arange(240) % 7 < 3, index=idx)
    strategy = pd.Series(rng.normal(0.005, 0.03, 240), index=idx, name="s")
    alt = {"always short": pd.Series(rng.normal(0.004, 0.02, 240), index=idx)}
    cash = pd.Series(0.002, index=idx)
    settings = BootstrapSettings(reps=200, seed=1)
    split = idea_split(spread, state, idea_date=pd.Timestamp("2005-06-30"), strategy=strategy,
                       alternatives=alt, cash=cash, periods_per_year=12, settings=settings)
    assert split.before.bars == 186 and split.after.bars == 54  # 1990-01..2005-06 inclusive
    assert split.before.end == pd.Timestamp("2005-06-30")
    assert split.after.start == pd.Timestamp("2005-07-31")
    assert split.share_before == pytest.approx(186 / 240) and split.hindsight
    after = idx > pd.Timestamp("2005-06-30")
    alone = state_spread(spread[after], state[after], periods_per_year=12, settings=settings,
                         label="state after the idea")
    assert split.after.state == alone
    sharpe = sharpe_differences(strategy[after], {k: v[after] for k, v in alt.items()}, cash,
                                periods_per_year=12, settings=settings)
    assert split.after.sharpe == sharpe
    late = idea_split(spread, state, idea_date=pd.Timestamp("2009-09-30"), strategy=strategy,
                      alternatives=alt, cash=cash, periods_per_year=12, settings=settings)
    assert late.after.bars == 3 and late.after.state is None
    assert late.after.missing == "3 bars, fewer than 12"
    early = idea_split(spread, state, idea_date=pd.Timestamp("1980-01-01"), strategy=strategy,
                       alternatives=alt, cash=cash, periods_per_year=12, settings=settings)
    assert early.before.bars == 0 and early.before.start is None and not early.hindsight


def test_a_side_whose_state_never_changes_says_so() -> None:
    idx = pd.date_range("1990-01-31", periods=60, freq="ME")
    state = pd.Series(idx.year < 1994, index=idx)  # risk-off until 1994, then never again
    spread = pd.Series(np.random.default_rng(1).normal(0, 0.03, 60), index=idx)
    split = idea_split(spread, state, idea_date=pd.Timestamp("1993-12-31"),
                       strategy=spread.rename("s"), alternatives={},
                       cash=pd.Series(0.0, index=idx), periods_per_year=12,
                       settings=BootstrapSettings(reps=100))
    assert split.before.state is None and "never changes" in str(split.before.missing)


# ---------------------------------------------------------------- counter-evidence

@pytest.mark.parametrize(("series_id", "expected"), [
    ("yahoo:BTC-USD", "crypto"), ("yahoo:ETH-USD", "crypto"),
    ("csv:assets/BTC_coinmetrics_PriceUSD", "crypto"), ("yahoo:TLT", "bonds"),
    ("yahoo:SHY", "bonds"), ("yahoo:GLD", "other"), ("yahoo:QQQ", "equities"),
    ("yahoo:MU", "equities"), ("embedded:french/S5V1", "equities"),
    ("french:Portfolios_Formed_on_E-P/Lo10", "equities"),
    ("french:F-F_Research_Data_Factors/Mkt-RF + french:F-F_Research_Data_Factors/RF",
     "equities"),
    ("csv:assets/Portfolios_Formed_on_BE-ME_monthly#Hi10", "equities"),
    ("synthetic:seed=7/asset/LONG1", "other"), ("csv:mine", "other"),
])
def test_asset_classes(series_id: str, expected: str) -> None:
    assert asset_class(series_id) == expected


def test_shipped_configs_get_the_evidence_of_what_they_hold() -> None:
    def classes(name: str) -> dict[str, tuple[str, ...]]:
        raw = tomllib.loads((REPO / "strategies" / name).read_text())
        assets = {k: v if isinstance(v, str) else v["id"]
                  for k, v in raw["data"]["assets"].items() if k != raw["data"]["cash"]}
        return dict(classify_assets(assets))

    assert classes("seed_2026.toml") == {"equities": ("ARKK", "IGV", "MU", "COWZ", "SCHD",
                                                      "SPY"), "crypto": ("BTC",)}
    assert set(classes("etf_rotation.toml")) == {"equities", "bonds"}
    assert set(classes("duration_rotation.toml")) == {"equities"}
    assert set(classes("synthetic_rotation.toml")) == {"other"}
