"""Publication lags on real data: a value is never visible before its release date.

Known weeks and months are checked by hand, then every macro value of a Dataset built
from the shared files is checked against an independent as-of join on release dates.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backtest.config import AssetSpec, MacroSpec
from backtest.data import SeriesRequest, make_loader
from backtest.data.align import PublicationLag, default_lag, known_lags, release_dates
from backtest.data.dataset import _MAX_AGE_DAYS, build_dataset
from backtest.data.expr import parse_expr
from backtest.errors import DataError

REPO = Path(__file__).resolve().parents[2]
CONFIGS = ("etf_rotation", "seed_2026", "ff_duration")

#: The lag every series of the three real configs must get (issue 3's table).
EXPECTED = {
    **dict.fromkeys(["DGS10", "DFII10", "DGS2", "DGS3MO", "T10Y2Y", "T10Y3M", "DFF"], "1B"),
    **dict.fromkeys(["BAMLH0A0HYM2", "BAMLC0A0CM", "BAA10Y", "RRPONTSYD"], "1B"),
    **dict.fromkeys(["AAA", "BAA", "GS10", "TB3MS", "FEDFUNDS"], "next_month"),
    "NFCI": "next_WED",
    "WALCL": "next_THU",
    "WTREGEN": "next_THU",
}


def test_lag_table_covers_every_macro_series_of_the_real_configs() -> None:
    table = known_lags()
    used = set()
    for name in CONFIGS:
        raw = tomllib.loads((REPO / "strategies" / f"{name}.toml").read_text())
        for value in raw["data"].get("macro", {}).values():
            text = value if isinstance(value, str) else value["id"]
            used |= set(parse_expr(text).names)
    assert used, "the configs name no macro series"
    for sid in sorted(used):
        assert sid in table, f"{sid} has no listed publication lag"
        assert table[sid] == EXPECTED[sid.removeprefix("fred:")], sid
    for sid, lag in EXPECTED.items():  # and the same for their csv: mirror ids
        assert table[f"fred:{sid}"] == lag
        assert table[f"csv:macro/{sid}"] == lag
    for col in ("ebp", "gz_spread", "est_prob"):
        assert table[f"csv:macro/EBP#{col}"] == "next_month+3B"


def test_quarterly_and_annual_series_need_an_explicit_lag() -> None:
    with pytest.raises(DataError, match=r'fred:GDP: no default publication lag for a quarterly '
                                        r'series; set one .*lag = "90D"'):
        default_lag("fred:GDP", "Q")
    with pytest.raises(DataError, match="annual"):
        default_lag("csv:macro/X", "A")
    assert str(default_lag("fred:SOMETHING", "W")) == "1B"


MACRO = {
    "DGS10": MacroSpec(id="fred:DGS10"),
    "BAA": MacroSpec(id="fred:BAA"),
    "NFCI": MacroSpec(id="fred:NFCI"),
    "WALCL": MacroSpec(id="fred:WALCL"),
    "WTREGEN": MacroSpec(id="fred:WTREGEN"),
    "RRP": MacroSpec(id="fred:RRPONTSYD"),
    "HY": MacroSpec(id="fred:BAMLH0A0HYM2"),
    "EBP": MacroSpec(id="csv:macro/EBP#ebp"),
}
FREQ = {"DGS10": "D", "BAA": "M", "NFCI": "W", "WALCL": "W", "WTREGEN": "W", "RRP": "D",
        "HY": "D", "EBP": "M"}


@pytest.fixture(scope="module")
def panel(shared_data: Path):
    load = make_loader(mirror=shared_data, csv_root=shared_data)
    assets = {"SPY": AssetSpec(id="yahoo:SPY"), "BIL": AssetSpec(id="yahoo:BIL")}
    ds = build_dataset(assets, MACRO, cash="BIL", frequency="B", periods_per_year=252, load=load)
    raw = {alias: load(SeriesRequest.parse(spec.id)).values for alias, spec in MACRO.items()}
    return ds, raw


@pytest.mark.parametrize(
    ("alias", "before", "on", "obs", "previous"),
    [  # NFCI for the week ending Fri 2020-03-20 is released Wed 2020-03-25
     ("NFCI", "2020-03-24", "2020-03-25", "2020-03-20", "2020-03-13"),
     # H.4.1: the Wednesday 2020-03-18 balance sheet is released Thu 2020-03-19
     ("WALCL", "2020-03-18", "2020-03-19", "2020-03-18", "2020-03-11"),
     ("WTREGEN", "2022-06-15", "2022-06-16", "2022-06-15", "2022-06-08"),
     # Moody's Baa, March 2020 average (dated 03-01): known from April 1st, not March 31st
     ("BAA", "2020-03-31", "2020-04-01", "2020-03-01", "2020-02-01"),
     # H.15: the 2020-03-09 yield (0.54%) is published the next business day
     ("DGS10", "2020-03-09", "2020-03-10", "2020-03-09", "2020-03-06"),
     ("HY", "2008-12-15", "2008-12-16", "2008-12-15", "2008-12-12"),
     ("RRP", "2022-12-29", "2022-12-30", "2022-12-29", "2022-12-28"),
     # EBP for October 2008 (its 3.54 peak): Nov 1st is a Saturday, the first business
     # day is Mon Nov 3rd, the 4th business day Thu Nov 6th
     ("EBP", "2008-11-05", "2008-11-06", "2008-10-01", "2008-09-01")],
)
def test_known_releases(panel, alias, before, on, obs, previous) -> None:
    ds, raw = panel
    values = raw[alias]
    assert values[obs] != values[previous]  # so the check can tell them apart
    assert ds.macro.loc[before, alias] == values[previous]
    assert ds.macro.loc[on, alias] == values[obs]


def test_no_value_is_visible_before_its_release(panel) -> None:
    ds, raw = panel
    calendar = ds.macro.index
    for alias, spec in MACRO.items():
        values = raw[alias]
        lag = default_lag(spec.id, FREQ[alias])
        released = pd.DataFrame({"release": release_dates(values.index, lag),
                                 "obs": values.index, "value": values.to_numpy()})
        released = released.sort_values("release", kind="stable").drop_duplicates("release", keep="last")
        expected = pd.merge_asof(pd.DataFrame({"date": calendar}), released,
                                 left_on="date", right_on="release", direction="backward")
        got = ds.macro[alias].to_numpy()
        seen = ~np.isnan(got)
        # wherever a value is shown, it is the latest one released on or before that day
        np.testing.assert_array_equal(got[seen], expected["value"].to_numpy()[seen])
        assert (expected["release"].to_numpy()[seen] <= calendar.to_numpy()[seen]).all()
        # and a value is hidden exactly when nothing was released yet or it is stale
        age = (calendar - pd.DatetimeIndex(expected["release"])).days.to_numpy()
        fresh = ~np.isnan(age) & (age <= _MAX_AGE_DAYS[FREQ[alias]])
        np.testing.assert_array_equal(seen, fresh)


def test_a_macro_series_that_ended_is_not_carried_forward(panel) -> None:
    ds, raw = panel
    last = raw["WTREGEN"].index[-1]
    assert last == pd.Timestamp("2025-11-19")  # the shared copy ends here
    col = ds.macro["WTREGEN"]
    assert col["2025-12-05"] == raw["WTREGEN"].iloc[-1]  # 15 days after its release: kept
    assert col["2025-12-08":].isna().all()  # more than 16 days: missing, never stale
    assert col.loc[:"2025-12-05"].last_valid_index() == pd.Timestamp("2025-12-05")


def test_quarterly_macro_with_an_explicit_lag(tmp_path: Path, shared_data: Path) -> None:
    quarters = pd.date_range("2000-01-01", "2010-10-01", freq="QS", name="date")
    (tmp_path / "GDPQ.csv").write_text(
        pd.Series(np.arange(len(quarters), dtype=float), index=quarters, name="value").to_csv())
    load = make_loader(mirror=shared_data, csv_root=tmp_path)
    assets = {"SPY": AssetSpec(id="yahoo:SPY")}
    with pytest.raises(DataError, match="no default publication lag for a quarterly series"):
        build_dataset(assets, {"G": MacroSpec(id="csv:GDPQ")}, cash="SPY", frequency="M",
                      periods_per_year=12, load=load)
    ds = build_dataset(assets, {"G": MacroSpec(id="csv:GDPQ", lag="120D")}, cash="SPY",
                       frequency="M", periods_per_year=12, load=load)
    g = ds.macro["G"]
    # 2005-Q1 (dated 2005-01-01, value 20) is released 2005-05-01
    assert g["2005-04-30"] == 19 and g["2005-05-31"] == 20
    last_release = pd.Timestamp("2010-10-01") + pd.Timedelta(days=120)
    assert g[: last_release + pd.Timedelta(days=130)].iloc[-1] == len(quarters) - 1
    assert g[last_release + pd.Timedelta(days=140):].isna().all()  # 130 days, then missing
    PublicationLag("120D")
