"""The Dataset on real daily, crypto and monthly series: holidays, gaps, ends, frequencies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backtest.config import AssetSpec
from backtest.data import SeriesRequest, make_loader
from backtest.data.dataset import build_dataset
from backtest.errors import CacheMissError, DataError


def _build(load, assets: dict[str, str | AssetSpec], frequency: str = "B", macro=None):
    specs = {a: s if isinstance(s, AssetSpec) else AssetSpec(id=s) for a, s in assets.items()}
    ppy = {"B": 252, "D": 365, "W": 52, "M": 12}[frequency]
    return build_dataset(specs, macro or {}, cash=next(iter(specs)), frequency=frequency,
                         periods_per_year=ppy, load=load)


@pytest.fixture(scope="module")
def load(shared_data: Path):
    return make_loader(mirror=shared_data, csv_root=shared_data)


def test_business_days_carry_holidays_and_closures(load) -> None:
    ds = _build(load, {"SPY": "yahoo:SPY", "GSPC": "yahoo:^GSPC"})
    spy, gspc = ds.prices["SPY"], ds.prices["GSPC"]
    raw = load(SeriesRequest.parse("yahoo:SPY")).values
    # 9/11: the NYSE closed four days; the last close is carried, the reopening bar
    # holds the whole move
    assert (spy["2001-09-11":"2001-09-14"] == raw["2001-09-10"]).all()
    assert spy["2001-09-17"] / spy["2001-09-14"] == pytest.approx(raw["2001-09-17"] / raw["2001-09-10"])
    assert spy["2024-07-04"] == raw["2024-07-03"]  # a holiday: zero return
    # the 1933 bank holiday (eight business days, 11 calendar days) is still bridged
    assert gspc["1933-03-06":"2000-01-01"].notna().all()
    assert ds.frequency == "B" and ds.periods_per_year == 252


def test_an_asset_is_not_priced_after_its_last_close(load) -> None:
    ds = _build(load, {"QQQ": "yahoo:QQQ", "BTC": "yahoo:BTC-USD"})
    assert ds.prices.index[-1] == pd.Timestamp("2026-08-20")  # BTC's last day
    assert ds.prices["QQQ"].last_valid_index() == pd.Timestamp("2026-07-31")
    assert ds.prices["QQQ"]["2026-08-03":].isna().all()  # never a silent stale price
    both = ds.prices.dropna()
    assert both.index[0] == pd.Timestamp("2014-09-17") and both.index[-1] == pd.Timestamp("2026-07-31")


def test_bitcoin_on_a_business_day_calendar(load) -> None:
    ds = _build(load, {"QQQ": "yahoo:QQQ", "BTC": "yahoo:BTC-USD"})
    raw = load(SeriesRequest.parse("yahoo:BTC-USD")).values
    # sampled at business-day closes: the weekend's move lands in Monday's return
    monday = ds.prices["BTC"]["2021-11-08"] / ds.prices["BTC"]["2021-11-05"]
    assert monday == pytest.approx(raw["2021-11-08"] / raw["2021-11-05"])
    assert "2021-11-06" not in ds.prices.index
    assert ds.prices["BTC"]["2021"].max() == pytest.approx(67566.83, abs=1)  # 2021-11-08 close
    crypto = _build(load, {"BTC": "yahoo:BTC-USD", "ETH": "yahoo:ETH-USD"}, frequency="D")
    assert crypto.periods_per_year == 365
    assert crypto.prices.loc["2021-11-06", "BTC"] == raw["2021-11-06"]  # every calendar day


def test_month_end_calendar_takes_the_last_close_of_the_month(load) -> None:
    ds = _build(load, {"SPY": "yahoo:SPY"}, frequency="M")
    raw = load(SeriesRequest.parse("yahoo:SPY")).values
    assert ds.prices.loc["2026-05-31", "SPY"] == raw["2026-05-29"]  # May 31st is a Sunday
    yearly = ds.prices["SPY"].resample("YE").last().pct_change()
    assert yearly["2008"].iloc[0] == pytest.approx(-0.368, abs=0.001)  # SOURCES.md
    assert yearly["2022"].iloc[0] == pytest.approx(-0.182, abs=0.001)


def test_gaps_longer_than_two_weeks_are_missing(tmp_path: Path, shared_data: Path) -> None:
    dates = pd.bdate_range("2024-01-01", "2024-03-29", name="date")
    dates = dates[(dates < "2024-02-01") | (dates > "2024-02-20")]  # a 20-day hole
    (tmp_path / "P.csv").write_text(
        pd.Series(np.linspace(100, 110, len(dates)), index=dates, name="adj_close").to_csv())
    rets = pd.date_range("2020-01-31", "2021-12-31", freq="ME", name="date").delete(5)
    (tmp_path / "R.csv").write_text(pd.Series(0.01, index=rets, name="value").to_csv())
    load = make_loader(mirror=shared_data, csv_root=tmp_path)
    p = _build(load, {"P": "csv:P"}).prices["P"]
    assert p["2024-02-01":"2024-02-14"].notna().all()  # up to 14 days: carried
    assert p["2024-02-15":"2024-02-20"].isna().all()  # beyond: missing, not a flat price
    r = _build(load, {"R": AssetSpec(id="csv:R", kind="return")}, frequency="M").prices["R"]
    assert np.isnan(r["2020-06-30"])  # a missing month is not a zero return


@pytest.mark.parametrize(
    ("assets", "frequency", "message"),
    [({"HI": "french:Portfolios_Formed_on_BE-ME/Hi10"}, "B",
      "monthly data cannot price a business-daily calendar"),
     ({"X": "fred:DGS10"}, "B", "neither prices nor returns; as an asset set kind"),
     ({"X": AssetSpec(id="french:F-F_Research_Data_Factors/RF", kind="return_pct")}, "M",
      "already holds decimal returns"),
     ({"X": "french:F-F_Research_Data_Factors/RF + yahoo:SPY"}, "M",
      "yahoo:SPY is a price series"),
     ({"X": "french:F-F_Research_Data_Factors/RF + french:F-F_Research_Data_Factors_daily/RF"},
      "M", "monthly data cannot price|different frequencies")],
)
def test_unusable_assets_fail_with_one_clear_line(load, assets, frequency, message) -> None:
    with pytest.raises(DataError, match=message):
        _build(load, assets, frequency=frequency)


def test_annual_returns_cannot_drive_a_monthly_calendar(tmp_path: Path, shared_data: Path) -> None:
    years = pd.date_range("1990-12-31", "2020-12-31", freq="YE", name="date")
    (tmp_path / "A.csv").write_text(pd.Series(0.05, index=years, name="value").to_csv())
    load = make_loader(mirror=shared_data, csv_root=tmp_path)
    with pytest.raises(DataError, match="annual data cannot price a monthly calendar"):
        _build(load, {"A": AssetSpec(id="csv:A", kind="return")}, frequency="M")


def test_expression_asset_adds_returns(load, shared_data: Path) -> None:
    mkt = "french:F-F_Research_Data_Factors/Mkt-RF + french:F-F_Research_Data_Factors/RF"
    ds = _build(load, {"RF": "french:F-F_Research_Data_Factors/RF", "MKT": mkt}, frequency="M")
    rets = ds.prices["MKT"].pct_change()
    rf = ds.prices["RF"].pct_change()
    assert rets["1987-10-31"] - rf["1987-10-31"] == pytest.approx(-0.2319, abs=1e-12)
    assert rets["1929-10-31"] - rf["1929-10-31"] == pytest.approx(-0.2007, abs=1e-12)
    file = pd.read_csv(shared_data / "assets" / "F-F_Research_Data_Factors_monthly.csv",
                       index_col="date", parse_dates=True)
    expected = (file["Mkt-RF"] + file["RF"]) / 100
    np.testing.assert_allclose(rets.dropna().to_numpy(), expected.to_numpy(), rtol=1e-10)
    terms = [s for s in ds.sources if s.alias == "MKT"]
    assert [t.id for t in terms] == ["french:F-F_Research_Data_Factors/Mkt-RF",
                                     "french:F-F_Research_Data_Factors/RF"]
    assert all("returns added" in t.notes for t in terms)


def test_offline_names_every_missing_series_in_one_fetch(tmp_path: Path) -> None:
    load = make_loader(offline=True, data_dir=str(tmp_path))
    assets = {"BIL": "yahoo:BIL", "QQQ": "yahoo:QQQ"}
    from backtest.config import MacroSpec

    with pytest.raises(CacheMissError) as err:
        _build(load, assets, macro={"N": MacroSpec(id="fred:WALCL - fred:RRPONTSYD*1000")})
    message = str(err.value)
    assert "\n" not in message
    assert message == (f"4 series are not in the cache at {tmp_path}; run: backtest data fetch "
                       "yahoo:BIL yahoo:QQQ fred:WALCL fred:RRPONTSYD")
    with pytest.raises(CacheMissError, match=r"^yahoo:BIL is not in the cache at .*; "
                                             r"run: backtest data fetch yahoo:BIL$"):
        _build(load, {"BIL": "yahoo:BIL"})
