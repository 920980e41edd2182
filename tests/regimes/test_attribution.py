"""regime_table and signal_timing on hand-computed inputs, plus a compounding property."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtest.errors import ConfigError, DataError
from backtest.regimes import Regime, RegimeKind, regime_table, signal_timing


def regime(name: str, start: str, end: str, kind: RegimeKind = RegimeKind.RATE_SHOCK) -> Regime:
    return Regime(name, pd.Timestamp(start), pd.Timestamp(end), kind, "d", "r")


# Six month-end bars, Jan..Jun 2022.
MONTHS = pd.DatetimeIndex(
    ["2022-01-31", "2022-02-28", "2022-03-31", "2022-04-30", "2022-05-31", "2022-06-30"],
    name="date",
)
RETURNS = pd.DataFrame(
    {
        "growth": [0.05, 0.10, -0.20, 0.05, -0.10, 0.20],
        "value": [0.01, 0.02, -0.01, 0.00, 0.03, 0.01],
    },
    index=MONTHS,
)

# Hand computation. A bar dated d covers the days after the previous bar's date up to d
# (Feb bar: 1..28 Feb); the first bar gets the median spacing, 30 days (steps 28, 31, 30,
# 31, 30), so the Jan bar covers 2..31 Jan. A bar belongs to a regime when those days
# overlap [start, end], except a bar of more than two weekdays closing on `start`.
#
# "inside": 2022-02-01 .. 2022-04-30 -> bars Feb, Mar, Apr (Jan ends before, May after).
#   growth  0.10, -0.20, 0.05: wealth 1 -> 1.1 -> 0.88 -> 0.924
#           return 0.924 - 1 = -0.076; peak 1.1, trough 0.88: 0.88 / 1.1 - 1 = -0.20
#   value   0.02, -0.01, 0.00: wealth 1 -> 1.02 -> 1.0098 -> 1.0098
#           return 0.0098; 1.0098 / 1.02 - 1 = -0.01
#   long = growth, short = value: -0.076 - 0.0098 = -0.0858
#   both series cover 2 Jan .. 30 Jun, so coverage is full.
# "on a bar date": 2022-02-28 .. 2022-04-30. The Feb bar closes on the start day but
#   earned its return over 1..28 Feb, before the regime: left out -> bars Mar, Apr.
#   growth -0.20, 0.05: wealth 0.8 -> 0.84; return -0.16; drawdown -0.20
#   value  -0.01, 0.00: wealth 0.99 -> 0.99; return -0.01; drawdown -0.01
#   long - short = -0.16 - (-0.01) = -0.15; full.
# "mid-month end": 2022-02-01 .. 2022-03-15 -> bars Feb and Mar (Mar covers 1..15 Mar);
#   under the old date-only rule the Mar bar (dated 31 Mar) was dropped.
#   growth 0.10, -0.20: wealth 1.1 -> 0.88; return -0.12; drawdown 0.88 / 1.1 - 1 = -0.20
#   value  0.02, -0.01: wealth 1.02 -> 1.0098; return 0.0098; drawdown -0.01
#   long - short = -0.12 - 0.0098 = -0.1298; full.
# "within a month": 2022-03-05 .. 2022-03-20 -> bar Mar only (it holds the whole regime).
#   growth -0.20 (drawdown -0.20), value -0.01 (drawdown -0.01); spread -0.19; full.
# "tail": 2022-05-01 .. 2022-08-31 -> bars May, Jun; the data stop in June: partial.
#   growth -0.10, 0.20: wealth 0.9 -> 1.08; return 0.08; drawdown 0.9 / 1 - 1 = -0.10
#   value   0.03, 0.01: wealth 1.03 -> 1.0403; return 0.0403; never below its peak: 0
#   long - short = 0.08 - 0.0403 = 0.0397
# "head": 2021-12-01 .. 2022-01-31 -> bar Jan only; the data start on 2 Jan: partial.
#   growth 0.05 (drawdown 0), value 0.01 (drawdown 0); spread 0.04
# "later" (2023) overlaps no bar: left out.
CATALOG = (
    regime("inside", "2022-02-01", "2022-04-30"),
    regime("on a bar date", "2022-02-28", "2022-04-30"),
    regime("mid-month end", "2022-02-01", "2022-03-15"),
    regime("within a month", "2022-03-05", "2022-03-20", RegimeKind.LIQUIDITY_DRAIN),
    regime("tail", "2022-05-01", "2022-08-31", RegimeKind.CREDIT_STRESS),
    regime("later", "2023-01-01", "2023-02-01"),
    regime("head", "2021-12-01", "2022-01-31", RegimeKind.EASING),
)


@pytest.fixture
def table() -> pd.DataFrame:
    return regime_table(
        RETURNS, CATALOG, long_returns=RETURNS["growth"], short_returns=RETURNS["value"]
    )


def test_regime_table_shape_and_columns(table: pd.DataFrame) -> None:
    assert list(table.columns) == [
        "regime",
        "kind",
        "start",
        "end",
        "strategy",
        "bars",
        "return",
        "max_drawdown",
        "long_minus_short",
        "coverage",
    ]
    names = ["inside", "on a bar date", "mid-month end", "within a month", "tail", "head"]
    assert list(zip(table["regime"], table["strategy"], strict=True)) == [
        (name, strategy) for name in names for strategy in ("growth", "value")
    ]
    assert list(table["kind"]) == (
        ["rate_shock"] * 6 + ["liquidity_drain"] * 2 + ["credit_stress"] * 2 + ["easing"] * 2
    )
    assert table.loc[0, "start"] == pd.Timestamp("2022-02-01")
    assert table.loc[0, "end"] == pd.Timestamp("2022-04-30")


def test_regime_table_hand_computed_numbers(table: pd.DataFrame) -> None:
    got = table.set_index(["regime", "strategy"])
    expected = {
        # (regime, strategy): (bars, return, max_drawdown, long_minus_short, coverage)
        ("inside", "growth"): (3, -0.076, -0.20, -0.0858, "full"),
        ("inside", "value"): (3, 0.0098, -0.01, -0.0858, "full"),
        ("on a bar date", "growth"): (2, -0.16, -0.20, -0.15, "full"),
        ("on a bar date", "value"): (2, -0.01, -0.01, -0.15, "full"),
        ("mid-month end", "growth"): (2, -0.12, -0.20, -0.1298, "full"),
        ("mid-month end", "value"): (2, 0.0098, -0.01, -0.1298, "full"),
        ("within a month", "growth"): (1, -0.20, -0.20, -0.19, "full"),
        ("within a month", "value"): (1, -0.01, -0.01, -0.19, "full"),
        ("tail", "growth"): (2, 0.08, -0.10, 0.0397, "partial"),
        ("tail", "value"): (2, 0.0403, 0.0, 0.0397, "partial"),
        ("head", "growth"): (1, 0.05, 0.0, 0.04, "partial"),
        ("head", "value"): (1, 0.01, 0.0, 0.04, "partial"),
    }
    for key, (bars, ret, mdd, spread, coverage) in expected.items():
        row = got.loc[key]
        assert row["bars"] == bars, key
        assert row["return"] == pytest.approx(ret, abs=1e-12), key
        assert row["max_drawdown"] == pytest.approx(mdd, abs=1e-12), key
        assert row["long_minus_short"] == pytest.approx(spread, abs=1e-12), key
        assert row["coverage"] == coverage, key


def test_regime_table_without_sleeves_has_nan_spread() -> None:
    table = regime_table(RETURNS, CATALOG)
    assert len(table) == 12
    assert table["long_minus_short"].isna().all()


def test_regime_table_skips_nan_bars_and_marks_partial() -> None:
    # "late" starts trading in March: inside "inside" it has only Mar (-0.5) and Apr (+0.5).
    # wealth 1 -> 0.5 -> 0.75: return -0.25, drawdown -0.5; its data cover 1 Mar on, after
    # the regime starts on 1 Feb, so coverage is partial. In "head" it has no bar at all:
    # no row. Its Mar bar covers 1..31 Mar, so it covers all of "within a month": full.
    late = RETURNS.assign(late=[np.nan, np.nan, -0.5, 0.5, 0.0, 0.0])
    table = regime_table(late, CATALOG).set_index(["regime", "strategy"])
    row = table.loc[("inside", "late")]
    assert (row["bars"], row["coverage"]) == (2, "partial")
    assert row["return"] == pytest.approx(-0.25)
    assert row["max_drawdown"] == pytest.approx(-0.5)
    assert ("head", "late") not in table.index
    assert table.loc[("inside", "growth"), "coverage"] == "full"
    row = table.loc[("within a month", "late")]
    assert (row["bars"], row["coverage"], row["return"]) == (1, "full", -0.5)


def test_regime_table_sleeves_compound_over_common_bars() -> None:
    # The short sleeve misses March, so inside "inside" both sleeves use Feb and Apr:
    # long 1.1 * 1.05 - 1 = 0.155, short 1.02 * 1.00 - 1 = 0.02, spread 0.135.
    short = RETURNS["value"].copy()
    short.iloc[2] = np.nan
    table = regime_table(RETURNS, CATALOG[:1], long_returns=RETURNS["growth"], short_returns=short)
    assert table["long_minus_short"].tolist() == pytest.approx([0.135, 0.135])


def test_regime_table_sleeve_gap_does_not_widen_the_next_bar() -> None:
    # "within a month" holds only the Mar bar, which the short sleeve misses: no spread.
    # (Had the missing bar been dropped first, the Apr bar would cover 1 Mar..30 Apr and
    # wrongly stand in for it.)
    short = RETURNS["value"].copy()
    short.iloc[2] = np.nan
    table = regime_table(RETURNS, CATALOG[3:4], long_returns=RETURNS["growth"], short_returns=short)
    assert table["long_minus_short"].isna().all()
    assert table["bars"].tolist() == [1, 1]


def test_regime_ending_mid_month_keeps_the_crash_month() -> None:
    # 1987-style: monthly bars dated at month-end, a regime from 17 Mar to the crash on
    # 19 Oct. Bars Mar..Oct belong to it (Mar covers 1..31 Mar, Oct covers 1..31 Oct);
    # Feb ends before 17 Mar and Nov starts after 19 Oct.
    # Returns +2% Mar..Sep (7 bars), -20% Oct:
    #   wealth 1.02**7 = 1.14868566764928, then * 0.8 = 0.918948534119424
    #   return -0.081051465880576; drawdown 0.8 - 1 = -0.20 (peak at the end of Sep).
    # The old date-only rule dropped the Oct bar (dated 31 Oct > 19 Oct): +14.9%.
    idx = pd.date_range("1987-01-31", periods=12, freq="ME", name="date")
    rets = [0.05, 0.05] + [0.02] * 7 + [-0.20, 0.10, 0.10]
    frame = pd.DataFrame({"stocks": rets}, index=idx)
    crash = regime("1987 bond selloff and crash", "1987-03-17", "1987-10-19")
    row = regime_table(frame, [crash]).iloc[0]
    assert row["bars"] == 8
    assert row["return"] == pytest.approx(-0.081051465880576, abs=1e-12)
    assert row["max_drawdown"] == pytest.approx(-0.20, abs=1e-12)
    assert row["coverage"] == "full"


@pytest.mark.parametrize(
    ("start", "end", "bars"),
    [
        # Jan bar covers 1..31 Jan and ends before 1 Feb; Feb (1..29 Feb) and Mar
        # (1..31 Mar, holding 1..15 Mar) belong; Apr starts after 15 Mar.
        ("2000-02-01", "2000-03-15", ["2000-02-29", "2000-03-31"]),
        # Starting ON a bar date: the Jan bar earned all but its last day before the
        # regime began, so the regime starts with the Feb bar.
        ("2000-01-31", "2000-03-15", ["2000-02-29", "2000-03-31"]),
        # One day earlier the Jan bar holds two regime days and counts, whole.
        ("2000-01-30", "2000-03-15", ["2000-01-31", "2000-02-29", "2000-03-31"]),
        # Ending ON a bar date: the Mar bar is the last one; Apr starts on 1 Apr.
        ("2000-02-01", "2000-03-31", ["2000-02-29", "2000-03-31"]),
        # Ending on the first day of a bar: that bar counts.
        ("2000-02-01", "2000-04-01", ["2000-02-29", "2000-03-31", "2000-04-30"]),
        # A one-day regime inside a month keeps that month's bar.
        ("2000-03-10", "2000-03-10", ["2000-03-31"]),
        # A one-day regime on a month-end date is the start-day case: no bar.
        ("2000-03-31", "2000-03-31", []),
    ],
)
def test_monthly_bar_membership(start: str, end: str, bars: list[str]) -> None:
    idx = pd.date_range("2000-01-31", periods=6, freq="ME", name="date")
    # Each return is a distinct power of two, so the compounded return names the bars.
    frame = pd.DataFrame({"s": [2.0**k - 1.0 for k in range(1, 7)]}, index=idx)
    table = regime_table(frame, [regime("r", start, end)])
    if not bars:
        assert table.empty
        return
    expected = np.prod([1.0 + frame.loc[b, "s"] for b in bars]) - 1.0
    assert table["bars"].tolist() == [len(bars)]
    assert table["return"].tolist() == pytest.approx([expected])


def test_daily_and_weekly_bar_on_the_start_day() -> None:
    # Business days: the bar dated on the start day is that day's return and belongs,
    # also on a Monday (it covers Sat..Mon, one weekday) and after a one-day holiday
    # (Tue 2 Jan 2024 follows the Mon 1 Jan holiday: two weekdays).
    daily = pd.DatetimeIndex(["2023-12-28", "2023-12-29", "2024-01-02", "2024-01-03"])
    frame = pd.DataFrame({"s": [0.1, 0.2, 0.3, 0.4]}, index=daily)
    monday = pd.DatetimeIndex(["2024-01-04", "2024-01-05", "2024-01-08", "2024-01-09"])
    after_weekend = pd.DataFrame({"s": [0.1, 0.2, 0.3, 0.4]}, index=monday)
    for data, start, first in (
        (frame, "2024-01-02", 0.3),
        (after_weekend, "2024-01-08", 0.3),
    ):
        table = regime_table(data, [regime("r", start, start)])
        assert table["bars"].tolist() == [1]
        assert table["return"].tolist() == pytest.approx([first])
    # A regime ending on a Sunday also takes the Monday bar, which covers Sat..Mon.
    table = regime_table(after_weekend, [regime("r", "2024-01-05", "2024-01-07")])
    assert table["bars"].tolist() == [2]
    # Weekly bars (Fridays 5, 12, 19, 26 Jan): the bar closing on the start day, 12 Jan,
    # spans five weekdays, all but the last before the regime: left out. The 19 Jan bar
    # (13..19 Jan) and the 26 Jan bar (20..26 Jan, holding the end day) belong.
    weekly = pd.date_range("2024-01-05", periods=4, freq="W-FRI")
    table = regime_table(
        pd.DataFrame({"s": [0.1, 0.2, 0.3, 0.4]}, index=weekly),
        [regime("r", "2024-01-12", "2024-01-20")],
    )
    assert table["bars"].tolist() == [2]
    assert table["return"].tolist() == pytest.approx([1.3 * 1.4 - 1.0])


def test_first_bar_gets_the_median_spacing() -> None:
    # Steps 28, 31, 30, 31, 30 days: median 30, so the Jan bar covers 2..31 Jan.
    inside = regime("inside", "2022-01-10", "2022-01-15")
    before = regime("before", "2021-12-20", "2021-12-31")
    table = regime_table(RETURNS, [inside, before])
    assert table["regime"].unique().tolist() == ["inside"]
    assert table["bars"].tolist() == [1, 1]
    assert table["coverage"].tolist() == ["full", "full"]
    # A single bar has no spacing: it covers its own day only.
    one = RETURNS.iloc[:1]
    assert regime_table(one, [inside]).empty
    assert regime_table(one, [regime("day", "2022-01-31", "2022-01-31")])["bars"].tolist() == [
        1,
        1,
    ]


def test_regime_table_ignores_time_of_day() -> None:
    # A bar stamped at 16:00 on the regime's last day is inside it.
    idx = pd.DatetimeIndex(["2022-04-29 16:00", "2022-04-30 16:00", "2022-05-02 16:00"])
    rets = pd.DataFrame({"s": [0.1, 0.2, 0.3]}, index=idx)
    table = regime_table(rets, [regime("r", "2022-04-30", "2022-04-30")])
    assert table["bars"].tolist() == [1]
    assert table["return"].tolist() == pytest.approx([0.2])


def test_regime_table_empty_when_nothing_overlaps() -> None:
    table = regime_table(RETURNS, [regime("later", "2023-01-01", "2023-02-01")])
    assert table.empty
    assert "long_minus_short" in table.columns


def test_regime_table_rejects_bad_input() -> None:
    with pytest.raises(TypeError, match="both long_returns and short_returns"):
        regime_table(RETURNS, CATALOG, long_returns=RETURNS["growth"])
    with pytest.raises(DataError, match="DatetimeIndex"):
        regime_table(RETURNS.reset_index(drop=True), CATALOG)
    with pytest.raises(DataError, match="increasing"):
        regime_table(RETURNS.iloc[::-1], CATALOG)
    with pytest.raises(DataError, match="tz-aware"):
        regime_table(RETURNS.tz_localize("UTC"), CATALOG)
    with pytest.raises(DataError, match="must hold numbers"):
        regime_table(RETURNS.assign(bad="x"), CATALOG)
    with pytest.raises(DataError, match="duplicate column"):
        regime_table(RETURNS.rename(columns={"value": "growth"}), CATALOG)
    with pytest.raises(DataError, match="short_returns index"):
        regime_table(
            RETURNS,
            CATALOG,
            long_returns=RETURNS["growth"],
            short_returns=RETURNS["value"].iloc[::-1],
        )


@settings(max_examples=200, deadline=None)
@given(
    rets=st.lists(
        st.floats(min_value=-0.9, max_value=1.0, allow_nan=False), min_size=1, max_size=60
    ),
    bounds=st.tuples(st.integers(0, 59), st.integers(0, 59)),
    freq=st.sampled_from(["D", "B"]),
)
def test_regime_return_is_compounded_window(
    rets: list[float], bounds: tuple[int, int], freq: str
) -> None:
    # On daily data (calendar or business days) a regime from one bar date to another
    # holds exactly the bars dated within it, as under the plain start <= date <= end.
    idx = pd.date_range("2000-01-03", periods=len(rets), freq=freq, name="date")
    lo, hi = (min(b, len(rets) - 1) for b in sorted(bounds))
    frame = pd.DataFrame({"s": rets}, index=idx)
    table = regime_table(frame, [regime("r", str(idx[lo].date()), str(idx[hi].date()))])
    window = rets[lo : hi + 1]
    row = table.iloc[0]
    assert row["bars"] == len(window)
    expected = float(np.prod(1.0 + np.asarray(window)) - 1.0)
    assert math.isclose(row["return"], expected, rel_tol=1e-9, abs_tol=1e-12)
    # Drawdown by a plain loop over the wealth path, starting from 1.
    wealth, peak, worst = 1.0, 1.0, 0.0
    for r in window:
        wealth *= 1.0 + r
        peak = max(peak, wealth)
        worst = min(worst, wealth / peak - 1.0)
    assert math.isclose(row["max_drawdown"], worst, rel_tol=1e-9, abs_tol=1e-12)
    assert row["coverage"] == "full"


# --- signal_timing ----------------------------------------------------------------------

DAYS = pd.date_range("2020-01-01", "2020-12-31", freq="D", name="date")


def risk_off_between(*spans: tuple[str, str]) -> pd.Series:
    flags = pd.Series(False, index=DAYS)
    for start, end in spans:
        flags[start:end] = True
    return flags


# Risk-off 2 May..10 Jun and 11 Sep..30 Sep 2020; lead window 31 days.
# "led":    1..30 Jun. Window opens 1 May; first risk-off 2 May = 30 days early -> -30.
#           Inside: 1..10 Jun = 10 of 30 days -> 1/3.
# "lagged": 1..30 Sep. Window opens 1 Aug; first risk-off 11 Sep -> +10.
#           Inside: 11..30 Sep = 20 of 30 days -> 2/3.
# "missed": 1..30 Nov. Window opens 1 Oct; no risk-off in Oct or Nov.
# "early":  15..31 Jan. Window opens 15 Dec 2019, before the data: partial.
# "outside": 2021, no bar: left out.
SIGNAL = risk_off_between(("2020-05-02", "2020-06-10"), ("2020-09-11", "2020-09-30"))
TIMING_CATALOG = (
    regime("led", "2020-06-01", "2020-06-30"),
    regime("lagged", "2020-09-01", "2020-09-30"),
    regime("missed", "2020-11-01", "2020-11-30"),
    regime("early", "2020-01-15", "2020-01-31"),
    regime("outside", "2021-01-01", "2021-01-31"),
)


@pytest.fixture
def timing() -> pd.DataFrame:
    return signal_timing(SIGNAL, TIMING_CATALOG, lead_window_days=31).set_index("regime")


def test_signal_timing_columns(timing: pd.DataFrame) -> None:
    assert list(timing.reset_index().columns) == [
        "regime",
        "kind",
        "start",
        "end",
        "signal_hit",
        "first_risk_off",
        "lead_days",
        "share_risk_off",
        "bars",
        "coverage",
    ]
    assert list(timing.index) == ["led", "lagged", "missed", "early"]


def test_signal_timing_lead(timing: pd.DataFrame) -> None:
    row = timing.loc["led"]
    assert bool(row["signal_hit"])
    assert row["first_risk_off"] == pd.Timestamp("2020-05-02")
    assert row["lead_days"] == -30
    assert row["share_risk_off"] == pytest.approx(10 / 30)
    assert (row["bars"], row["coverage"]) == (30, "full")


def test_signal_timing_lag(timing: pd.DataFrame) -> None:
    row = timing.loc["lagged"]
    assert bool(row["signal_hit"])
    assert row["first_risk_off"] == pd.Timestamp("2020-09-11")
    assert row["lead_days"] == 10
    assert row["share_risk_off"] == pytest.approx(20 / 30)


def test_signal_timing_miss(timing: pd.DataFrame) -> None:
    row = timing.loc["missed"]
    assert not bool(row["signal_hit"])
    assert pd.isna(row["first_risk_off"])
    assert math.isnan(row["lead_days"])
    assert row["share_risk_off"] == 0.0
    assert timing.loc["early", "coverage"] == "partial"


def test_signal_timing_default_window_reaches_back_six_months() -> None:
    # With the default 183 days, the May risk-off also "calls" the September regime.
    row = signal_timing(SIGNAL, TIMING_CATALOG[1:2]).iloc[0]
    assert row["first_risk_off"] == pd.Timestamp("2020-05-02")
    assert row["lead_days"] == -122  # 2 May -> 1 Sep


def test_signal_stuck_risk_off_is_floored_at_the_window() -> None:
    always = pd.Series(True, index=DAYS)
    row = signal_timing(always, TIMING_CATALOG[:1], lead_window_days=31).iloc[0]
    assert row["lead_days"] == -31
    assert row["share_risk_off"] == 1.0


def test_signal_timing_rejects_bad_input() -> None:
    with pytest.raises(ConfigError, match="lead_window_days must be >= 0"):
        signal_timing(SIGNAL, TIMING_CATALOG, lead_window_days=-1)
    with pytest.raises(DataError, match="boolean"):
        signal_timing(SIGNAL.astype(float), TIMING_CATALOG)
    with pytest.raises(DataError, match="missing values"):
        signal_timing(SIGNAL.astype("boolean").where(SIGNAL.index != DAYS[3]), TIMING_CATALOG)
    with pytest.raises(DataError, match="increasing"):
        signal_timing(SIGNAL.iloc[::-1], TIMING_CATALOG)


# Monthly signal on MONTHS (Jan..Jun 2022): risk-off only at the end of March.
# lead_window_days=0, so a hit needs a risk-off reading dated within [start, end].
# "mid-month end" 1 Feb..15 Mar: bars Feb, Mar belong -> share 1/2. But the reading dated
#   31 Mar came after the regime ended: no hit (the lead window stays date-based).
# "on a bar date" 31 Mar..15 May: the Mar bar is left out -> bars Apr, May, share 0; the
#   reading dated 31 Mar is known on the start day -> hit, lead 0.
# "within a month" 5..20 Mar: bar Mar -> share 1; no reading dated within it: no hit.
MONTHLY_SIGNAL = pd.Series([False, False, True, False, False, False], index=MONTHS)


def test_signal_timing_monthly_bars() -> None:
    catalog = (
        regime("mid-month end", "2022-02-01", "2022-03-15"),
        regime("on a bar date", "2022-03-31", "2022-05-15"),
        regime("within a month", "2022-03-05", "2022-03-20"),
    )
    got = signal_timing(MONTHLY_SIGNAL, catalog, lead_window_days=0).set_index("regime")
    assert got["bars"].to_dict() == {"mid-month end": 2, "on a bar date": 2, "within a month": 1}
    assert got["share_risk_off"].to_dict() == {
        "mid-month end": 0.5,
        "on a bar date": 0.0,
        "within a month": 1.0,
    }
    assert got["signal_hit"].to_dict() == {
        "mid-month end": False,
        "on a bar date": True,
        "within a month": False,
    }
    assert got.loc["on a bar date", "first_risk_off"] == pd.Timestamp("2022-03-31")
    assert got.loc["on a bar date", "lead_days"] == 0
    assert (got["coverage"] == "full").all()


def _bars_by_days(index: pd.DatetimeIndex, start: pd.Timestamp, end: pd.Timestamp) -> int:
    """Count member bars the slow way, with sets of calendar days."""
    dates = [d.normalize() for d in index]
    if len(dates) > 1:
        steps = sorted((b - a).days for a, b in itertools.pairwise(dates))
        spacing = max(1, math.ceil(float(np.median(steps))))
    else:
        spacing = 1
    regime_days = set(pd.date_range(start, end, freq="D"))
    count = 0
    for i, close in enumerate(dates):
        previous = dates[i - 1] if i else close - pd.Timedelta(days=spacing)
        covered = set(pd.date_range(previous + pd.Timedelta(days=1), close, freq="D"))
        weekdays = sum(day.weekday() < 5 for day in covered)
        if covered & regime_days and not (close == start and weekdays > 2):
            count += 1
    return count


@settings(max_examples=200, deadline=None)
@given(
    freq=st.sampled_from(["ME", "W-FRI", "B", "D", "QE"]),
    periods=st.integers(1, 24),
    offset=st.integers(-40, 400),
    length=st.integers(0, 120),
)
def test_bar_membership_matches_day_sets(freq: str, periods: int, offset: int, length: int) -> None:
    idx = pd.date_range("2001-01-01", periods=periods, freq=freq, name="date")
    start = idx[0] + pd.Timedelta(days=offset)
    end = start + pd.Timedelta(days=length)
    frame = pd.DataFrame({"s": 0.0}, index=idx)
    r = regime("r", str(start.date()), str(end.date()))
    expected = _bars_by_days(idx, start, end)
    table = regime_table(frame, [r])
    assert (table["bars"].tolist() or [0]) == [expected]
    timing = signal_timing(pd.Series(True, index=idx), [r])
    assert (timing["bars"].tolist() or [0]) == [expected]
