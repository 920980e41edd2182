from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from backtest.data.base import Kind, SeriesRequest
from backtest.data.csv import CsvProvider, infer_frequency, parse_csv_series
from backtest.errors import DataError


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def fetch(root: Path, name: str):
    return CsvProvider(root).fetch(SeriesRequest("csv", name))


def test_date_value_is_a_level(tmp_path):
    write(tmp_path, "macro/X.csv", "date,value\n2024-01-02,1.5\n2024-01-03,\n2024-01-04,1.7\n")
    got = fetch(tmp_path, "macro/X")
    assert (got.kind, got.units, got.frequency) == (Kind.LEVEL, "as in file", "D")
    assert list(got.values) == [1.5, 1.7] and got.values.name == "csv:macro/X"


def test_adj_close_is_a_price(tmp_path):
    rows = "2024-01-02,1,2,1.9,5\n2024-01-03,1,2,2.1,5\n"
    write(tmp_path, "a/Q.csv", "date,open,close,adj_close,volume\n" + rows)
    got = fetch(tmp_path, "a/Q")
    assert got.kind is Kind.PRICE and list(got.values) == [1.9, 2.1]


def test_close_without_adj_close_and_text_columns(tmp_path):
    write(tmp_path, "b.csv", "date,close,source\n2024-01-06,3,cm\n2024-01-07,4,yahoo\n")
    got = fetch(tmp_path, "b")
    assert got.kind is Kind.PRICE and got.frequency == "C" and list(got.values) == [3.0, 4.0]


def test_hash_column(tmp_path):
    rows = "2024-01-31,1,2\n2024-02-29,3,\n2024-03-31,5,6\n2024-04-30,7,8\n"
    write(tmp_path, "m.csv", "date,a,b\n" + rows)
    got = fetch(tmp_path, "m#b")
    assert (got.kind, got.units, got.frequency) == (Kind.LEVEL, "as in file", "M")
    assert list(got.values) == [2.0, 6.0, 8.0]


def test_non_monotonic_rows_are_sorted(tmp_path):
    write(tmp_path, "s.csv", "date,value\n2024-01-03,2\n2024-01-02,1\n")
    assert list(fetch(tmp_path, "s").values) == [1.0, 2.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("when,value\n2024-01-02,1\n", "no date column"),
        ("date,value\n2024-01-02,1\n2024-13-01,2\n", "line 3: '2024-13-01' is not a date in the format YYYY-MM-DD; other layouts"),
        ("date,value\n2024-01-02,1\n2024-01-03,abc\n", "line 3: non-numeric value 'abc'"),
        ("date,value\n2024-01-02,1\n\n2024-01-02,2\n", "line 4: duplicate date 2024-01-02"),
        ("date,value\n2024-01-02,1\n2024-01-03", "line 3 has 1 fields, expected 2"),
        ("<!DOCTYPE html>\n<html><body>404</body></html>", "got an HTML page"),
        ("date,a,b\n2024-01-02,1,2\n", "cannot tell which column"),
        ("date,value\n2024-01-02,\n", "no observations"),
        ("date,value\n2024-01-02,1\n", "at least two dates"),
    ],
)
def test_malformed_files_name_file_and_line(tmp_path, text, message):
    write(tmp_path, "bad.csv", text)
    with pytest.raises(DataError) as info:
        fetch(tmp_path, "bad")
    assert str(info.value).startswith("csv:bad")
    assert message in str(info.value) and "\n" not in str(info.value)


def test_unknown_column(tmp_path):
    write(tmp_path, "m.csv", "date,a,b\n2024-01-31,1,2\n")
    with pytest.raises(DataError, match="no column 'c'; columns: a, b"):
        fetch(tmp_path, "m#c")


def test_missing_file_names_path_root_and_suggests(tmp_path):
    write(tmp_path, "macro/DGS10.csv", "date,value\n2024-01-02,1\n")
    with pytest.raises(DataError) as info:
        fetch(tmp_path, "macro/DGS1O")
    text = str(info.value)
    assert text.startswith("csv:macro/DGS1O: no file macro/DGS1O.csv under the CSV root ")
    assert str(tmp_path) in text and "did you mean DGS10?" in text


@pytest.mark.parametrize("name", ["../secret", "a/../../secret", "/etc/passwd", "C:/x"])
def test_paths_may_not_escape_root(tmp_path, name):
    with pytest.raises(DataError, match="must stay inside the CSV root"):
        fetch(tmp_path / "root", name)


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        (pd.bdate_range("2024-01-01", periods=30), "D"),
        (pd.date_range("2024-01-01", periods=30, freq="D"), "C"),
        (pd.date_range("2024-01-05", periods=30, freq="W-FRI"), "W"),
        (pd.date_range("2024-01-01", periods=30, freq="MS"), "M"),
        (pd.date_range("2024-01-31", periods=30, freq="ME"), "M"),
        (pd.date_range("2000-03-31", periods=12, freq="QE"), "Q"),
        (pd.date_range("2000-12-31", periods=5, freq="YE"), "A"),
    ],
)
def test_infer_frequency(dates, expected):
    assert infer_frequency(pd.DatetimeIndex(dates), "x") == expected


def test_parse_csv_series_is_pure():
    values, kind, units = parse_csv_series("date,value\n2024-01-02,1\n", "x.csv")
    assert kind is Kind.LEVEL and units == "as in file" and values.index.name == "date"


# ---- the real files in ../shared/data ------------------------------------------------

REAL = [
    ("macro/DGS10", Kind.LEVEL, "D", 16172),
    ("macro/DFF", Kind.LEVEL, "C", 26320),
    ("macro/BAA", Kind.LEVEL, "M", 1293),
    ("macro/WALCL", Kind.LEVEL, "W", 1242),
    ("macro/NFCI", Kind.LEVEL, "W", 2891),
    ("macro/BAMLH0A0HYM2", Kind.LEVEL, "D", 7769),
    ("macro/EBP#ebp", Kind.LEVEL, "M", None),
    ("assets/QQQ", Kind.PRICE, "D", 6891),
    ("assets/GSPC", Kind.PRICE, "D", 24777),
    ("assets/BTC-USD", Kind.PRICE, "C", 4356),
    ("assets/BTC-USD_long", Kind.PRICE, "C", 5878),
    ("assets/Portfolios_Formed_on_BE-ME_monthly#Hi10", Kind.LEVEL, "M", 1196),
    ("assets/F-F_Research_Data_Factors_daily#RF", Kind.LEVEL, "D", 26233),
]


@pytest.mark.parametrize(("name", "kind", "frequency", "rows"), REAL)
def test_real_files(shared_data, name, kind, frequency, rows):
    got = fetch(shared_data, name)
    assert (got.kind, got.frequency) == (kind, frequency)
    if rows is not None:
        assert len(got.values) == rows
    assert got.values.index.is_monotonic_increasing and not got.values.isna().any()


def test_every_shared_csv_parses(shared_data):
    provider = CsvProvider(shared_data)
    paths = sorted(shared_data.glob("*/*.csv"))
    assert len(paths) > 40
    for path in paths:
        header = path.read_text().partition("\n")[0].split(",")
        layout_known = header[1:] == ["value"] or "close" in header or "adj_close" in header
        pick = "" if layout_known else f"#{header[1]}"
        name = f"{path.parent.name}/{path.stem}{pick}"
        fetched = provider.fetch(SeriesRequest("csv", name))
        # every row with a value in the picked column is read (annual ratio files
        # have 75-99 rows; blank cells are French's missing-value codes)
        col = next((header.index(c) for c in ("adj_close", "close") if c in header), 1)
        lines = path.read_text().splitlines()[1:]
        filled = sum(1 for line in lines if line.split(",")[col].strip())
        assert len(fetched.values) == filled > 50, name
