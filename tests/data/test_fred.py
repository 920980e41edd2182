from __future__ import annotations

import json

import pandas as pd
import pytest

from backtest.data.base import Kind, SeriesRequest
from backtest.data.fred import CSV_URL, JSON_URL, FredProvider, parse_fred_csv, parse_fred_json
from backtest.errors import DataError, ProviderError

DGS10 = SeriesRequest("fred", "DGS10")


@pytest.fixture
def new_layout(fixtures):
    return (fixtures / "fred_DGS10_observation_date.csv").read_text()


@pytest.fixture
def old_layout(fixtures):
    return (fixtures / "fred_DGS10_DATE.csv").read_text()


def test_both_header_layouts_parse_to_the_same_series(new_layout, old_layout):
    new = parse_fred_csv(new_layout, "DGS10")
    old = parse_fred_csv(old_layout, "DGS10")
    pd.testing.assert_series_equal(new, old)
    assert len(new) == 20  # 22 business days, 2 holidays missing
    assert new.index.name == "date" and new.index.is_monotonic_increasing
    assert pd.Timestamp("2024-12-25") not in new.index
    assert new[pd.Timestamp("2025-01-10")] == 4.77


def test_json_api_parses_like_the_csv(fixtures, new_layout):
    text = (fixtures / "fred_DGS10_observations.json").read_text()
    expected = parse_fred_csv(new_layout, "DGS10")
    pd.testing.assert_series_equal(parse_fred_json(text, "DGS10"), expected)


def test_fixture_matches_the_real_file(new_layout, shared_data):
    real = pd.read_csv(shared_data / "macro" / "DGS10.csv", index_col="date", parse_dates=True)
    parsed = parse_fred_csv(new_layout, "DGS10")
    expected = real["value"].loc[parsed.index[0]:parsed.index[-1]]
    assert (parsed.to_numpy() == expected.to_numpy()).all()


def test_blank_lines_and_non_monotonic_rows_are_handled():
    text = "DATE,DGS10\n\n2024-01-03,3.91\n\n2024-01-02,3.95\n\n"
    parsed = parse_fred_csv(text, "DGS10")
    assert list(parsed.index) == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<!DOCTYPE html><html>Error</html>", "HTML page"),
        ("DATE,DGS10\n2024-01-02,3.95\n2024-01", "line 3 has 1 fields, expected 2"),
        ("DATE,DGS10\n2024-01-02,3.95\n2024-01,3.9\n", "line 3: '2024-01' is not a date in the format YYYY-MM-DD"),
        ("DATE,DGS10\n2024-01-02,3.95\n2024-01-03,n/a\n", "line 3: non-numeric value 'n/a'"),
        ("DATE,DGS10\n2024-01-02,3.95\n2024-01-02,3.96\n", "line 3: duplicate date 2024-01-02"),
        ("DATE,DGS2\n2024-01-02,3.95\n", "the download is for 'DGS2', not 'DGS10'"),
        ("when,DGS10\n2024-01-02,3.95\n", "unexpected CSV header"),
        ("DATE,DGS10\n2024-01-02,.\n", "no observations"),
        ("", "empty file"),
    ],
)
def test_malformed_csv_raises_one_line_naming_series(text, message):
    with pytest.raises(DataError) as info:
        parse_fred_csv(text, "DGS10")
    assert str(info.value).startswith("fred:DGS10: ")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_json_api_error_object():
    error = "Bad Request.  The series does not exist."
    text = json.dumps({"error_code": 400, "error_message": error})
    with pytest.raises(DataError, match=r"^fred:XYZ: FRED API error Bad Request"):
        parse_fred_json(text, "XYZ")


def test_fetch_uses_the_public_csv(session, respond, sleeps, new_layout):
    fake = session(respond(200, new_layout.encode()))
    fetched = FredProvider(fake, sleep=sleeps.append).fetch(DGS10)
    assert fake.calls == [(CSV_URL, {"id": "DGS10"})]
    assert (fetched.kind, fetched.units, fetched.frequency) == (Kind.LEVEL, "percent", "D")
    assert fetched.notes.startswith("FRED (St. Louis Fed); Board of Governors")
    assert fetched.values.name == "fred:DGS10" and len(fetched.values) == 20


def test_fetch_with_api_key_uses_json(session, respond, sleeps, fixtures):
    payload = (fixtures / "fred_DGS10_observations.json").read_bytes()
    fake = session(respond(200, payload))
    fetched = FredProvider(fake, api_key="k" * 32, sleep=sleeps.append).fetch(DGS10)
    assert fake.calls[0][0] == JSON_URL
    assert fake.calls[0][1]["series_id"] == "DGS10" and fake.calls[0][1]["file_type"] == "json"
    assert len(fetched.values) == 20


def test_unknown_series_404(session, respond, sleeps):
    fake = session(respond(404, b"<!DOCTYPE html><html><title>Error</title></html>"))
    with pytest.raises(DataError) as info:
        FredProvider(fake, sleep=sleeps.append).fetch(SeriesRequest("fred", "XYZ"))
    assert not isinstance(info.value, ProviderError)
    assert str(info.value).startswith("fred:XYZ: unknown series at FRED (HTTP 404)")


def test_unknown_series_html_page(session, respond, sleeps):
    page = b"<html><head><title>FRED - Series not found</title></head></html>"
    fake = session(respond(200, page))
    with pytest.raises(DataError, match=r"^fred:XYZ: unknown series at FRED \(fred sent an HTML"):
        FredProvider(fake, sleep=sleeps.append).fetch(SeriesRequest("fred", "XYZ"))


def test_bad_api_key(session, respond, sleeps):
    body = (b'{"error_code":400,"error_message":"Bad Request.  '
            b'The value for variable api_key is not registered."}')
    fake = session(respond(400, body))
    with pytest.raises(ProviderError, match="FRED rejected the API key"):
        FredProvider(fake, api_key="bad", sleep=sleeps.append).fetch(DGS10)


def test_server_errors_end_in_provider_error(session, respond, sleeps):
    fake = session(*[respond(503) for _ in range(4)])
    with pytest.raises(ProviderError, match=r"^fred:DGS10: HTTP 503 from fred after 4 attempts"):
        FredProvider(fake, sleep=sleeps.append).fetch(DGS10)


def test_truncated_download_is_a_data_error(session, respond, sleeps, new_layout):
    cut = new_layout[: new_layout.index("2025-01-06") + 7]  # "2025-01" then EOF
    with pytest.raises(DataError, match="fred:DGS10: line 17 has 1 fields"):
        FredProvider(session(respond(200, cut.encode())), sleep=sleeps.append).fetch(DGS10)


def test_unknown_id_frequency_inferred(session, respond, sleeps):
    months = pd.date_range("2020-01-01", periods=24, freq="MS")
    rows = [f"{d:%Y-%m-%d},{i}" for i, d in enumerate(months)]
    text = "observation_date,MYSERIES\n" + "\n".join(rows)
    fetched = FredProvider(session(respond(200, text.encode())), sleep=sleeps.append).fetch(
        SeriesRequest("fred", "myseries")
    )
    assert fetched.frequency == "M"
    assert fetched.units == "as published by FRED"
    assert "first day of the month" in fetched.notes
