"""Cash from Treasury bill yields: hand-computed conversions, then the real TB3MS/DGS3MO splice."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

from backtest.config import AssetSpec, MacroSpec
from backtest.data import SeriesRequest, bills, make_loader
from backtest.data.bills import (
    bill_index,
    daily_rate_from_bond_equivalent,
    daily_rate_from_discount,
    discount_price,
    splice_rates,
)
from backtest.data.dataset import build_dataset
from backtest.errors import ConfigError, DataError, DataWarning


def test_doctests() -> None:
    assert doctest.testmod(bills).failed == 0


def test_discount_basis_hand_computed() -> None:
    # d = 5% on a 91-day bill: P = 1 - 0.05 * 91/360 = 0.987361111...
    # 91-day holding-period return 1/P - 1 = 0.0126389 / 0.9873611 = 1.28007% (not 5% * 91/360
    # = 1.26389%: the discount is quoted on face value, the return is earned on the price).
    p = 1 - 0.05 * 91 / 360
    assert discount_price(5.0) == pytest.approx(0.98736111111, abs=1e-11)
    assert 1 / p - 1 == pytest.approx(0.0128007, abs=5e-8)
    daily = daily_rate_from_discount(pd.Series([5.0]))[0]
    assert daily == pytest.approx(1.3978382e-4, rel=1e-7)
    assert (1 + daily) ** 91 == pytest.approx(1 / p, rel=1e-13)  # 91 days give the bill's return
    # effective annual rate over 365 days: 5.234%, above the 5% discount quote
    assert (1 + daily) ** 365 - 1 == pytest.approx(0.0523413, abs=1e-7)


def test_bond_equivalent_hand_computed() -> None:
    # y = 5% semiannual bond-equivalent: effective annual (1.025)^2 - 1 = 5.0625%
    daily = daily_rate_from_bond_equivalent(pd.Series([5.0]))[0]
    assert daily == pytest.approx(1.025 ** (2 / 365) - 1, rel=1e-14)
    assert (1 + daily) ** 365 == pytest.approx(1.050625, rel=1e-13)
    # 91 days: 1.050625^(91/365) - 1 = 1.2389%, below the discount-basis bill quoted at 5%
    assert (1 + daily) ** 91 - 1 == pytest.approx(0.0123886, abs=1e-7)


def test_bill_index_earns_the_rate_known_at_the_previous_close() -> None:
    idx = pd.DatetimeIndex(["2024-01-04", "2024-01-05", "2024-01-08", "2024-01-09", "2024-01-10"])
    rate = pd.Series([np.nan, 1e-4, 2e-4, np.nan, 3e-4], index=idx)
    level = bill_index(rate)
    assert np.isnan(level.iloc[0])  # nothing known yet
    assert level.iloc[1] == 1.0  # the first close at which a rate is known
    assert level.iloc[2] == pytest.approx((1 + 1e-4) ** 3)  # Fri -> Mon: three days at Friday's rate
    assert level.iloc[3] == pytest.approx((1 + 1e-4) ** 3 * (1 + 2e-4))  # Monday's rate
    assert np.isnan(level.iloc[4])  # Tuesday's rate unknown: the index stops, no silent zero


def test_splice_keeps_later_gaps() -> None:
    idx = pd.date_range("2024-01-01", periods=5, freq="D")
    later = pd.Series([np.nan, np.nan, 2.0, np.nan, 2.0], index=idx)
    earlier = pd.Series(1.0, index=idx)
    out = splice_rates(later, earlier, idx[2])
    assert out.tolist()[:3] == [1.0, 1.0, 2.0]
    assert np.isnan(out.iloc[3])


@pytest.mark.parametrize(
    ("table", "message"),
    [({"id": "fred:TB3MS", "kind": "bill_yield"}, "set basis = 'discount'"),
     ({"id": "fred:TB3MS", "kind": "bill_yield", "basis": "bond_equivalent"},
      "quoted on a discount basis"),
     ({"id": "fred:DGS3MO", "kind": "bill_yield", "basis": "bond_equivalent",
       "before": "fred:TB3MS", "before_basis": "bond_equivalent"}, "set before_basis = 'discount'"),
     ({"id": "fred:DGS3MO", "kind": "bill_yield", "basis": "bond_equivalent",
       "before_basis": "discount"}, "need before"),
     ({"id": "fred:DGS3MO - fred:DGS10", "kind": "bill_yield", "basis": "bond_equivalent"},
      "must be a single series"),
     ({"id": "yahoo:BIL", "basis": "discount"}, "only for kind = 'bill_yield'"),
     ({"id": "fred:DGS3MO", "kind": "bill_yield", "basis": "bond_equivalent", "lag": "2X"},
      "bad publication lag")],
)
def test_bill_yield_config_is_validated(table, message) -> None:
    with pytest.raises(ConfigError, match=message):
        AssetSpec(**table)


SPLICED = AssetSpec(id="fred:DGS3MO", kind="bill_yield", basis="bond_equivalent",
                    before="fred:TB3MS", before_basis="discount")


@pytest.fixture(scope="module")
def daily(shared_data):
    load = make_loader(mirror=shared_data)
    return build_dataset({"CASH": SPLICED}, {}, cash="CASH", frequency="B",
                         periods_per_year=252, load=load), load


def test_spliced_cash_on_real_yields(daily) -> None:
    ds, load = daily
    cash = ds.prices["CASH"]
    dgs3mo = load(SPLICED.request).values
    # DGS3MO starts 1981-09-01 and is known (1B) at the close of 1981-09-02: the switch
    assert cash.first_valid_index() == pd.Timestamp("1934-02-01")  # TB3MS's first release
    legs = {s.id: s for s in ds.sources}
    assert "used from 1981-09-02" in legs["fred:DGS3MO"].notes
    assert "used before 1981-09-02" in legs["fred:TB3MS"].notes
    assert legs["fred:TB3MS"].kind == "bill_yield (discount)"
    assert (legs["fred:TB3MS"].lag, legs["fred:DGS3MO"].lag) == ("next_month", "1B")
    # Mon 2019-06-03: the bar Fri 05-31 -> Mon earns three days at the yield known at
    # Friday's close, i.e. DGS3MO observed on Thursday 05-30 (published Friday)
    y = dgs3mo["2019-05-30"] / 100
    assert dgs3mo["2019-05-31"] != dgs3mo["2019-05-30"]  # the lag matters on this date
    got = cash["2019-06-03"] / cash["2019-05-31"] - 1
    assert got == pytest.approx((1 + y / 2) ** (6 / 365) - 1, rel=1e-12)
    # Fri 1975-06-13 -> Mon 06-16: the May 1975 average (dated 05-01) is known from June 1st
    tb3ms = load(SeriesRequest.parse("fred:TB3MS")).values
    d = tb3ms["1975-05-01"] / 100
    got = cash["1975-06-16"] / cash["1975-06-13"] - 1
    assert got == pytest.approx((1 - d * 91 / 360) ** (-3 / 91) - 1, rel=1e-12)
    # the cash index ends when DGS3MO is stale (10 days after its last release)
    assert cash.last_valid_index() <= dgs3mo.index[-1] + pd.Timedelta(days=12)


def test_bill_cash_tracks_french_rf_and_bil(daily) -> None:
    ds, load = daily
    cash = ds.prices["CASH"].dropna()
    yearly = cash.resample("YE").last().pct_change().dropna()["1936":"2024"]
    rf = load(SeriesRequest.parse("french:F-F_Research_Data_Factors/RF")).values
    rf_yearly = (1 + rf).resample("YE").prod().sub(1)["1936":"2024"]
    diff = (yearly - rf_yearly).abs()
    # 3-month vs 1-month bills, and the yield lagged by its publication: close, not equal
    assert diff.median() < 0.002  # measured: 0.13 pp
    assert (diff < 0.01).all()  # worst: 0.92 pp in 1980, when bill rates swung by 8 points
    bil = load(SeriesRequest.parse("yahoo:BIL")).values.resample("YE").last().pct_change()
    gap = (yearly - bil)["2008":"2024"].dropna()
    # BIL holds 1-3 month bills and charges 0.1354% a year: the bill index earns a bit more
    assert 0 < gap.median() < 0.003  # measured: 0.14 pp


def test_bill_yield_rejects_non_yields(shared_data) -> None:
    load = make_loader(mirror=shared_data)
    with pytest.warns(DataWarning, match="fred:WALCL is not a bill series this program knows"):
        bad = AssetSpec(id="fred:WALCL", kind="bill_yield", basis="bond_equivalent")
    with pytest.raises(DataError, match="needs a yield in percent"):
        build_dataset({"CASH": bad}, {}, cash="CASH", frequency="B", periods_per_year=252,
                      load=load)
    ok = {"CASH": SPLICED, "QQQ": AssetSpec(id="yahoo:QQQ")}
    ds = build_dataset(ok, {"D": MacroSpec(id="fred:DGS10")}, cash="CASH", frequency="M",
                       periods_per_year=12, load=load)
    assert ds.prices.index[-1] == pd.Timestamp("2026-07-31")  # QQQ's last month
    assert ds.prices["CASH"].notna().sum() > 1000


def test_a_user_files_bill_basis_that_cannot_be_checked_is_warned_about() -> None:
    with pytest.warns(DataWarning, match=r"csv:my/tbill3m is not a bill series this program "
                                         r"knows .* basis = 'discount' cannot be checked"):
        AssetSpec(id="csv:my/tbill3m", kind="bill_yield", basis="discount")
    # the same series in a user's copy of a FRED file is checked, not warned about
    with pytest.raises(ConfigError, match="quoted on a discount basis"):
        AssetSpec(id="csv:macro/TB3MS", kind="bill_yield", basis="bond_equivalent")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        AssetSpec(id="csv:macro/TB3MS#value", kind="bill_yield", basis="discount")
