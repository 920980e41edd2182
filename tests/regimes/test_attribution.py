"""regime_table and signal_timing on hand-computed inputs, plus a compounding property."""

from __future__ import annotations

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

# Hand computation.
#
# "inside": 2022-02-28 .. 2022-04-30, bounds inclusive -> bars Feb, Mar, Apr.
#   growth  0.10, -0.20, 0.05: wealth 1 -> 1.1 -> 0.88 -> 0.924
#           return 0.924 - 1 = -0.076; peak 1.1, trough 0.88: 0.88 / 1.1 - 1 = -0.20
#   value   0.02, -0.01, 0.00: wealth 1 -> 1.02 -> 1.0098 -> 1.0098
#           return 0.0098; 1.0098 / 1.02 - 1 = -0.01
#   long = growth, short = value: -0.076 - 0.0098 = -0.0858
#   both series run Jan..Jun, so coverage is full.
# "tail": 2022-05-01 .. 2022-08-31 -> bars May, Jun; the data stop in June: partial.
#   growth -0.10, 0.20: wealth 0.9 -> 1.08; return 0.08; drawdown 0.9 / 1 - 1 = -0.10
#   value   0.03, 0.01: wealth 1.03 -> 1.0403; return 0.0403; never below its peak: 0
#   long - short = 0.08 - 0.0403 = 0.0397
# "head": 2021-12-01 .. 2022-01-31 -> bar Jan only; the data start in January: partial.
#   growth 0.05 (drawdown 0), value 0.01 (drawdown 0); spread 0.04
# "gap" (2022-03-05 .. 2022-03-20) and "later" (2023) hold no month-end bar: left out.
CATALOG = (
    regime("inside", "2022-02-28", "2022-04-30"),
    regime("gap", "2022-03-05", "2022-03-20", RegimeKind.LIQUIDITY_DRAIN),
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
    assert list(zip(table["regime"], table["strategy"], strict=True)) == [
        ("inside", "growth"),
        ("inside", "value"),
        ("tail", "growth"),
        ("tail", "value"),
        ("head", "growth"),
        ("head", "value"),
    ]
    assert list(table["kind"]) == ["rate_shock"] * 2 + ["credit_stress"] * 2 + ["easing"] * 2
    assert table.loc[0, "start"] == pd.Timestamp("2022-02-28")
    assert table.loc[0, "end"] == pd.Timestamp("2022-04-30")


def test_regime_table_hand_computed_numbers(table: pd.DataFrame) -> None:
    got = table.set_index(["regime", "strategy"])
    expected = {
        # (regime, strategy): (bars, return, max_drawdown, long_minus_short, coverage)
        ("inside", "growth"): (3, -0.076, -0.20, -0.0858, "full"),
        ("inside", "value"): (3, 0.0098, -0.01, -0.0858, "full"),
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
    assert len(table) == 6
    assert table["long_minus_short"].isna().all()


def test_regime_table_skips_nan_bars_and_marks_partial() -> None:
    # "late" starts trading in March: inside "inside" it has only Mar (-0.5) and Apr (+0.5).
    # wealth 1 -> 0.5 -> 0.75: return -0.25, drawdown -0.5; its data start after the
    # regime starts, so coverage is partial. In "head" it has no bar at all: no row.
    late = RETURNS.assign(late=[np.nan, np.nan, -0.5, 0.5, 0.0, 0.0])
    table = regime_table(late, CATALOG).set_index(["regime", "strategy"])
    row = table.loc[("inside", "late")]
    assert (row["bars"], row["coverage"]) == (2, "partial")
    assert row["return"] == pytest.approx(-0.25)
    assert row["max_drawdown"] == pytest.approx(-0.5)
    assert ("head", "late") not in table.index
    assert table.loc[("inside", "growth"), "coverage"] == "full"


def test_regime_table_sleeves_compound_over_common_bars() -> None:
    # The short sleeve misses March, so inside "inside" both sleeves use Feb and Apr:
    # long 1.1 * 1.05 - 1 = 0.155, short 1.02 * 1.00 - 1 = 0.02, spread 0.135.
    short = RETURNS["value"].copy()
    short.iloc[2] = np.nan
    table = regime_table(RETURNS, CATALOG[:1], long_returns=RETURNS["growth"], short_returns=short)
    assert table["long_minus_short"].tolist() == pytest.approx([0.135, 0.135])


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
)
def test_regime_return_is_compounded_window(rets: list[float], bounds: tuple[int, int]) -> None:
    idx = pd.date_range("2000-01-03", periods=len(rets), freq="D", name="date")
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
