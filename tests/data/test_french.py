from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from backtest.data.base import Kind, SeriesRequest
from backtest.data.french import URL, FrenchProvider, normalise_column, parse_french_csv
from backtest.errors import DataError, ProviderError

BEME = "Portfolios_Formed_on_BE-ME"


@pytest.fixture
def beme(fixtures) -> str:
    return (fixtures / f"french_{BEME}.csv").read_text()


@pytest.fixture
def factors(fixtures) -> str:
    return (fixtures / "french_F-F_Research_Data_Factors.csv").read_text()


def zipped(text: str, name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{name}.CSV", text)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("raw", "tidy"),
    [("<= 0", "LE0"), ("Lo 30", "Lo30"), ("Med 40", "Med40"), ("Hi 30", "Hi30"),
     ("Lo 20", "Lo20"), ("Qnt 2", "Qnt2"), ("Hi 20", "Hi20"), ("Lo 10", "Lo10"),
     ("Dec 2", "Dec2"), ("2-Dec", "Dec2"), ("9-Dec", "Dec9"), ("Hi 10", "Hi10"),
     ("SMALL LoBM", "SMALL_LoBM"), ("ME1 BM2", "ME1_BM2"), ("Mkt-RF", "Mkt-RF"),
     ("Food ", "Food"), ("Mom   ", "Mom")],
)
def test_normalise_column(raw, tidy):
    assert normalise_column(raw) == tidy


def test_blocks_titles_and_frequencies(beme):
    blocks = parse_french_csv(beme, BEME)
    assert list(blocks) == [
        "Value Weight Returns -- Monthly",
        "Equal Weight Returns -- Monthly",
        "Value Weight Returns -- Annual from January to December",
        "Number of Firms in Portfolios",
    ]
    assert [b.attrs["frequency"] for b in blocks.values()] == ["M", "M", "A", "M"]
    vw = blocks["Value Weight Returns -- Monthly"]
    assert list(vw.columns[:4]) == ["LE0", "Lo30", "Med40", "Hi30"]
    assert vw.index[0] == pd.Timestamp("1926-07-31") and vw.index.name == "date"
    assert vw.loc["1926-07-31", "LE0"] == 12.07
    assert vw.loc["1944-11-30":"1945-01-31", "LE0"].isna().all()  # -99.99
    annual = blocks["Value Weight Returns -- Annual from January to December"]
    assert list(annual.index) == [pd.Timestamp("1927-12-31")]


def test_vw_block_equals_the_tidy_file(beme, shared_data):
    tidy = pd.read_csv(shared_data / "assets" / f"{BEME}_monthly.csv", index_col="date",
                       parse_dates=True)
    vw = parse_french_csv(beme, BEME)["Value Weight Returns -- Monthly"]
    assert list(vw.columns) == list(tidy.columns)
    pd.testing.assert_frame_equal(vw, tidy.loc[vw.index], check_freq=False, check_names=False,
                                  check_index_type=False)


def test_untitled_factor_blocks(factors):
    blocks = parse_french_csv(factors, "F-F_Research_Data_Factors")
    assert list(blocks) == ["Monthly", "Annual Factors: January-December"]
    assert blocks["Monthly"].loc["2026-01-31", "RF"] == 0.30


def test_daily_block(fixtures):
    text = (fixtures / "french_F-F_Research_Data_Factors_daily.csv").read_text()
    (daily,) = parse_french_csv(text, "F-F_Research_Data_Factors_daily").values()
    assert daily.attrs["frequency"] == "D"
    assert daily.index[0] == pd.Timestamp("1926-07-01") and len(daily) == 12


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("192608,  -9.73,", "192608,  -9.73x,"),
         "line 13: non-numeric value '-9.73x'"),
        (lambda t: t.replace("192608,  -9.73,   2.66,", "192608,"), "line 13 has"),
        (lambda t: t.replace("192608,", "192607,", 1), "duplicate date 1926-07-31"),
        (lambda t: t.replace("192608,", "1926080,", 1), "line 13: date '1926080' breaks the block"),
        (lambda t: "<!DOCTYPE html><html></html>", "HTML page"),
        (lambda t: "just prose\n", "no data blocks"),
    ],
)
def test_malformed_payloads(beme, edit, message):
    with pytest.raises(DataError) as info:
        parse_french_csv(edit(beme), BEME)
    assert str(info.value).startswith(f"french:{BEME}")
    assert message in str(info.value) and "\n" not in str(info.value)


def provider(session, respond, sleeps, payload: bytes, status: int = 200) -> FrenchProvider:
    return FrenchProvider(session(respond(status, payload)), sleep=sleeps.append)


def test_fetch_default_block_in_decimals(session, respond, sleeps, beme):
    fp = provider(session, respond, sleeps, zipped(beme, BEME))
    fetched = fp.fetch(SeriesRequest.parse(f"french:{BEME}/Hi 10"))
    assert (fetched.kind, fetched.units, fetched.frequency) == (Kind.RETURN, "decimal return", "M")
    assert fetched.values.iloc[0] == pytest.approx(0.0056)
    assert "Value Weight Returns -- Monthly" in fetched.notes and "202602" in fetched.notes
    assert fp._http.session().calls[0][0] == URL.format(file=BEME)


def test_fetch_missing_codes_are_dropped(session, respond, sleeps, beme):
    fetched = provider(session, respond, sleeps, zipped(beme, BEME)).fetch(
        SeriesRequest("french", f"{BEME}/LE0"))
    assert len(fetched.values) == 18  # the three -99.99 rows are gone


@pytest.mark.parametrize(
    ("selector", "first", "frequency", "kind"),
    [("equal", 0.011, "M", Kind.RETURN), ("annual", 0.4394, "A", Kind.RETURN),
     ("number-of-firms", 21.0, "M", Kind.LEVEL)],
)
def test_fetch_block_selector(session, respond, sleeps, beme, selector, first, frequency, kind):
    fetched = provider(session, respond, sleeps, zipped(beme, BEME)).fetch(
        SeriesRequest("french", f"{BEME}/Lo30@{selector}"))
    assert fetched.values.iloc[0] == pytest.approx(first)
    assert (fetched.frequency, fetched.kind) == (frequency, kind)


def test_fetch_factor_rf(session, respond, sleeps, factors):
    name = "F-F_Research_Data_Factors"
    fetched = provider(session, respond, sleeps, zipped(factors, name)).fetch(
        SeriesRequest("french", f"{name}/RF"))
    assert fetched.values.loc["1926-07-31"] == pytest.approx(0.0022)
    np.testing.assert_allclose(fetched.values.abs().max(), 0.0034)


def test_unknown_column_lists_columns(session, respond, sleeps, beme):
    with pytest.raises(DataError, match=r"no column 'Hi11'; columns: LE0, Lo30, .*Hi10$"):
        provider(session, respond, sleeps, zipped(beme, BEME)).fetch(
            SeriesRequest("french", f"{BEME}/Hi11"))


def test_unknown_block_lists_blocks(session, respond, sleeps, beme):
    with pytest.raises(DataError, match="no block matches @weekly; blocks: Value Weight"):
        provider(session, respond, sleeps, zipped(beme, BEME)).fetch(
            SeriesRequest("french", f"{BEME}/Hi10@weekly"))


def test_unknown_file_404(session, respond, sleeps):
    with pytest.raises(DataError, match="no file 'Nope' in the Ken French library"):
        provider(session, respond, sleeps, b"<html></html>", 404).fetch(
            SeriesRequest("french", "Nope/RF"))


def test_bad_zip_is_provider_error(session, respond, sleeps):
    with pytest.raises(ProviderError, match=r"^french:F/RF: corrupt zip"):
        provider(session, respond, sleeps, b"PK\x03\x04truncated").fetch(
            SeriesRequest("french", "F/RF"))


def test_html_instead_of_zip(session, respond, sleeps):
    with pytest.raises(ProviderError, match="french sent an HTML page"):
        provider(session, respond, sleeps, b"<!DOCTYPE html><html></html>").fetch(
            SeriesRequest("french", "F/RF"))


@pytest.mark.parametrize("name", ["F", "F/", "../etc/RF", "a b/RF"])
def test_malformed_names(name):
    with pytest.raises(DataError, match="expected FILE/COLUMN"):
        FrenchProvider(session=object()).fetch(SeriesRequest("french", name))  # type: ignore[arg-type]
