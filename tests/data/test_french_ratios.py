"""Ken French annual valuation ratios: the june_of_year lag, the live parser, the mirror."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from backtest.data.align import PublicationLag, as_of, default_lag, release_dates
from backtest.data.base import Kind, SeriesRequest
from backtest.data.french import parse_french_csv, select_block
from backtest.data.mirror import MirrorProvider, mirror_request
from backtest.errors import ConfigError, DataError


def test_a_label_of_december_t_is_known_on_30_june_t() -> None:
    # SOURCES.md (Ken French valuation ratios): the row labelled t-12-31 belongs to the
    # portfolios formed at the end of June t, from fiscal-year t-1 accounts
    labels = pd.DatetimeIndex(["1951-12-31", "2025-12-31"], name="date")
    out = release_dates(labels, PublicationLag("june_of_year"))
    assert list(out.strftime("%Y-%m-%d")) == ["1951-06-30", "2025-06-30"]


def test_june_of_year_refuses_other_dates() -> None:
    with pytest.raises(DataError, match="labelled on 31 December"):
        release_dates(pd.DatetimeIndex(["1951-06-30"]), PublicationLag("june_of_year"))
    with pytest.raises(ConfigError, match="june_of_year"):
        PublicationLag("june")


def test_a_ratio_is_carried_from_june_to_june() -> None:
    values = pd.Series([0.10, 0.12], index=pd.DatetimeIndex(["1999-12-31", "2000-12-31"]))
    calendar = pd.date_range("1999-05-31", "2001-08-31", freq="ME")
    known = as_of(values, PublicationLag("june_of_year"), calendar, max_age_days=400)
    assert pd.isna(known.loc["1999-05-31"])
    assert known.loc["1999-06-30"] == 0.10 and known.loc["2000-05-31"] == 0.10
    assert known.loc["2000-06-30"] == 0.12 and known.loc["2001-06-30"] == 0.12
    # no release in June 2001: the 2000 value is carried at most 400 days (to 2001-08-04)
    assert known.loc["2001-07-31"] == 0.12 and pd.isna(known.loc["2001-08-31"])


@pytest.mark.parametrize("series_id", [
    "french:Portfolios_Formed_on_E-P/Hi10@sum",
    "french:Portfolios_Formed_on_CF-P/LE0@value-weight-average",
    "french:Portfolios_Formed_on_BE-ME/Lo10@sum",
    "csv:assets/Portfolios_Formed_on_E-P_ratio_vwavg_annual#Dec5",
])
def test_ratio_blocks_have_a_default_lag(series_id: str) -> None:
    assert str(default_lag(series_id, "A")) == "june_of_year"


def test_other_annual_series_still_need_a_lag() -> None:
    with pytest.raises(DataError, match="set one in the config"):
        default_lag("french:Portfolios_Formed_on_E-P/Hi10@annual", "A")


def _library_text() -> str:
    """A Ken French CSV with a return block and the two ratio blocks (E-P layout).

    Ratio values: the first rows of ../shared/data/assets/Portfolios_Formed_on_E-P_ratio_*.
    """
    header = ",<= 0,Lo 30,Med 40,Hi 30"
    return "\n".join([
        "This file was created using the 202602 CRSP database.", "",
        "  Value Weight Returns -- Monthly", header,
        "195107,3.01,6.4,8.56,6.03", "195108,14.65,3.91,5.74,6.62", "",
        "  Sum of E      / Sum of ME", header,
        "1951,-0.334,0.085,0.131,0.223", "1952,-0.063,0.069,0.109,0.185", "",
        "  Value Weight Average of E      / ME", header,
        "1951,-0.3,0.09,0.13,0.22", "1952,-0.06,0.07,0.11,0.19", "",
    ])


def test_the_live_parser_finds_the_ratio_blocks() -> None:
    blocks = parse_french_csv(_library_text(), "Portfolios_Formed_on_E-P")
    key = select_block(blocks, "sum", "french:x")
    frame = blocks[key]
    assert frame.attrs["frequency"] == "A"
    assert frame.loc["1951-12-31", "Hi30"] == 0.223 and frame.loc["1951-12-31", "LE0"] == -0.334
    vw = blocks[select_block(blocks, "value-weight-average", "french:x")]
    assert vw.loc["1952-12-31", "Lo30"] == 0.07


def test_the_mirror_serves_ratio_blocks_as_levels(shared_data: Path) -> None:
    request = SeriesRequest.parse("french:Portfolios_Formed_on_E-P/Hi10@sum")
    assert str(mirror_request(request)) == "csv:assets/Portfolios_Formed_on_E-P_ratio_sum_annual#Hi10"
    got = MirrorProvider(shared_data).fetch(request)
    assert got.kind is Kind.LEVEL and got.frequency == "A"
    assert got.values.loc["1951-12-31"] == 0.289  # not divided by 100
    assert str(got.request) == str(request)
    vw = mirror_request(SeriesRequest.parse("french:Portfolios_Formed_on_CF-P/LE0@Value Weight Average"))
    assert str(vw) == "csv:assets/Portfolios_Formed_on_CF-P_ratio_vwavg_annual#LE0"
    with pytest.raises(DataError, match="annual ratio blocks"):
        mirror_request(SeriesRequest.parse("french:Portfolios_Formed_on_E-P/Hi10@equal"))
