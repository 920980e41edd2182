"""CSV files as users have them: FRED-MD, Shiller, spreadsheets (issue 11, item 4 and 9)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import backtest
from backtest.config import AssetSpec, MacroSpec, parse_config
from backtest.data import make_loader
from backtest.data.base import SeriesRequest
from backtest.data.csv import CsvFormat, CsvName, CsvProvider, parse_csv_series
from backtest.errors import ConfigError, DataError


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def fetch(root: Path, name: str):
    return CsvProvider(root).fetch(SeriesRequest("csv", name))


def _fred_md(n_columns: int = 127, date: str = "sasdate") -> str:
    """A FRED-MD-like file: 127 columns, a Transform: row, M/D/YYYY dates."""
    names = ["RPI", "S&P 500", "S&P div yield", *[f"X{i}" for i in range(n_columns - 3)]]
    rows = [",".join([date, *names]), ",".join(["Transform:", *["5"] * n_columns])]
    for month in range(1, 13):
        rows.append(",".join([f"{month}/1/1959", *[f"{month}.{i}" for i in range(n_columns)]]))
    return "\n".join(rows) + "\n"


def test_fred_md_with_its_layout_stated(tmp_path: Path) -> None:
    write(tmp_path, "fredmd.csv", _fred_md())
    fmt = CsvFormat(date_format="M/D/YYYY", skip_rows=("Transform:",))
    name = CsvName("fredmd", "S&P 500", fmt).to_name()
    got = fetch(tmp_path, name)
    assert got.values.index[0] == pd.Timestamp("1959-01-01")
    assert got.values.index[-1] == pd.Timestamp("1959-12-01")
    assert list(got.values.iloc[:2]) == [1.1, 2.1] and got.frequency == "M"


@pytest.mark.parametrize(
    ("fmt", "message"),
    [
        (CsvFormat(date_format="M/D/YYYY"),
         "line 2: 'Transform:' is not a date in the format M/D/YYYY; if line 2 is not data, "
         "skip it with skip_rows = ['Transform:']"),
        (CsvFormat(skip_rows=("Transform:",)),
         "line 3: '1/1/1959' is not a date in the format YYYY-MM-DD; a slashed date is "
         "ambiguous (01/02/1960 is 2 January as M/D/YYYY, 1 February as D/M/YYYY) and never "
         "guessed: set date_format = 'M/D/YYYY' or 'D/M/YYYY'"),
        (CsvFormat(date_format="M/D/YYYY", skip_rows=("Transfrom:",)),
         "skip_rows ['Transfrom:'] match no row"),
    ],
)
def test_fred_md_without_its_layout_says_what_to_state(tmp_path, fmt, message) -> None:
    write(tmp_path, "fredmd.csv", _fred_md())
    with pytest.raises(DataError) as info:
        fetch(tmp_path, CsvName("fredmd", "RPI", fmt).to_name())
    assert message in str(info.value)


def test_a_missing_date_column_names_the_accepted_names_not_the_whole_header(tmp_path) -> None:
    write(tmp_path, "wide.csv", _fred_md(date="when"))
    with pytest.raises(DataError) as info:
        fetch(tmp_path, "wide#RPI")
    text = str(info.value)
    assert "no date column: expected one of date, observation_date, sasdate (any case), or " \
           "name it with date_column" in text
    assert "X100" not in text and len(text) < 300
    fmt = CsvFormat(date_column="when", date_format="M/D/YYYY", skip_rows=("Transform:",))
    assert len(fetch(tmp_path, CsvName("wide", "RPI", fmt).to_name()).values) == 12


@pytest.mark.parametrize("header", ["date", "DATE", "observation_date", "sasdate", "Date"])
def test_accepted_date_columns_in_any_position(tmp_path, header) -> None:
    write(tmp_path, "x.csv", f"value,{header}\n1.5,2024-01-31\n2.5,2024-02-29\n")
    assert list(fetch(tmp_path, "x").values) == [1.5, 2.5]  # the date column came second


@pytest.mark.parametrize(
    ("date_format", "cells", "first"),
    [
        ("M/D/YYYY", ["01/02/1960", "12/31/1960"], "1960-01-02"),
        ("D/M/YYYY", ["01/02/1960", "31/12/1960"], "1960-02-01"),
        ("YYYY-MM", ["1960-01", "1960-02"], "1960-01-01"),
        ("YYYYMM", ["196001", "196002"], "1960-01-01"),
        ("YYYYMMDD", ["19600131", "19600229"], "1960-01-31"),
    ],
)
def test_stated_date_formats(date_format, cells, first) -> None:
    text = "date,value\n" + "".join(f"{c},{i}\n" for i, c in enumerate(cells))
    values, _, _ = parse_csv_series(text, "x", fmt=CsvFormat(date_format=date_format))
    assert values.index[0] == pd.Timestamp(first)


@pytest.mark.parametrize(
    ("cell", "hint"),
    [
        ("1960-13-01", "is not a date in the format YYYY-MM-DD; other layouts: date_format = "
                       "'M/D/YYYY', 'D/M/YYYY', 'YYYY-MM', 'YYYYMM', 'YYYYMMDD'"),
        ("01/02/1960", "never guessed"),
        ("1960-01", "a month without a day needs date_format = 'YYYY-MM' or 'YYYYMM'"),
        ("٢٠٢٠-٠١-٠١", "is not a date in the format YYYY-MM-DD"),
    ],
)
def test_dates_are_never_guessed(cell, hint) -> None:
    with pytest.raises(DataError) as info:
        parse_csv_series(f"date,value\n2024-01-02,1\n{cell},2\n", "x.csv")
    assert f"x.csv: line 3: {cell!r}" in str(info.value) and hint in str(info.value)


def test_time_zone_offsets_are_read_as_written() -> None:
    # daylight saving: -05:00 and -04:00 in one file, one date without an offset
    text = ("date,close\n2020-03-06T00:00:00-05:00,1\n2020-03-09T00:00:00-04:00,2\n"
            "2020-03-10,3\n2020-03-11 16:00:00+00:00,4\n")
    values, _, _ = parse_csv_series(text, "x.csv")
    assert [d.isoformat() for d in values.index] == [
        "2020-03-06T00:00:00", "2020-03-09T00:00:00", "2020-03-10T00:00:00",
        "2020-03-11T16:00:00"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("date,close\n2024-01-02,1\n2024-01-03,0\n", "line 3: price '0' is not > 0"),
        ("date,close\n2024-01-02,-3\n2024-01-03,1\n", "line 2: price '-3' is not > 0"),
        ("date,value\n2024-01-02,1\n2024-01-03,inf\n", "line 3: value 'inf' is not a finite"),
        ("date,value\n2024-01-02,1e400\n2024-01-03,1\n", "line 2: value '1e400' is not a fini"),
        ("date,value\n2024-01-02,١٢\n2024-01-03,1\n", "line 2: non-numeric value '١٢'"),
        ("date,value\n2024-01-02,1\n2024-01-03," + "9" * 200_000 + "\n",
         "line 3: unreadable CSV (field larger than field limit"),
        ("date,value\n2024-01-02,1\n2024-01-03,\x00\n", "line 3: non-numeric value '\\x00'"),
        ('date,value\n2024-01-02,1\n"2024-01-03,2\n2024-01-04,3\n', "has 1 fields, expected 2"),
    ],
)
def test_bad_values_name_the_line_and_the_value(tmp_path, text, message) -> None:
    write(tmp_path, "bad.csv", text)
    with pytest.raises(DataError) as info:
        fetch(tmp_path, "bad")
    assert message in str(info.value) and "\n" not in str(info.value)


def test_columns_with_spaces_and_ampersands(tmp_path) -> None:
    write(tmp_path, "shiller.csv", "date,S&P 500,CPI\n2024-01-31,1,2\n2024-02-29,3,4\n")
    assert list(fetch(tmp_path, "shiller#S&P 500").values) == [1.0, 3.0]
    spec = MacroSpec(id="csv:shiller", column="S&P 500")
    assert spec.expr.names == ("csv:shiller#S&P 500",)
    with pytest.raises(DataError, match=r"no column 'S&P500'; did you mean 'S&P 500'\?"):
        fetch(tmp_path, "shiller#S&P500")


def test_layout_keys_are_checked_in_the_config() -> None:
    with pytest.raises(ConfigError, match="apply only to csv: series"):
        MacroSpec(id="fred:DGS10", date_format="M/D/YYYY")
    with pytest.raises(ConfigError, match="not to an expression"):
        MacroSpec(id="csv:a - csv:b", column="x")
    with pytest.raises(ConfigError, match="the column is given twice"):
        AssetSpec(id="csv:a#x", column="y")
    with pytest.raises(ConfigError, match="date_format 'DD.MM.YY' is not one of"):
        MacroSpec(id="csv:a", date_format="DD.MM.YY")  # type: ignore[arg-type]


def _monthly_on_the_first(root: Path) -> None:
    months = pd.date_range("1950-01-01", "2010-12-01", freq="MS")
    rng = np.random.default_rng(1)
    for name in ("A", "B"):
        level = 10 * np.cumprod(1 + rng.normal(0.006, 0.04, len(months)))
        text = "date,close\n" + "".join(f"{d:%Y-%m-%d},{v:.6f}\n" for d, v in zip(months, level,
                                                                                  strict=True))
        write(root, f"shiller/{name}.csv", text)


def _config(**sleeves) -> dict:
    return {
        "run": {"name": "monthly_first"},
        "data": {"cash": "RF", "assets": {"A": "csv:shiller/A", "B": "csv:shiller/B",
                                          "RF": "embedded:french/RF"},
                 "macro": {"AAA": "embedded:moody/AAA", "BAA": "embedded:moody/BAA"}},
        "signal": {"components": [{"preset": "credit_momentum"}]},
        "sleeves": sleeves or {"long": ["A"], "short": ["B"]},
        "strategy": {"kind": "binary_rotation", "risk_off_sleeve": "cash"},
    }


def test_monthly_prices_dated_on_the_first_are_priced_on_month_ends(tmp_path) -> None:
    """Shiller-style files: the issue's 'all assets are priced never .. never'."""
    _monthly_on_the_first(tmp_path)
    run = backtest.run(parse_config(_config()), load=make_loader(csv_root=tmp_path))
    assert run.window[0] == pd.Timestamp("1950-01-31")  # A's first month end
    assert run.window[-1] == pd.Timestamp("2010-12-31")
    raw = pd.read_csv(tmp_path / "shiller/A.csv", index_col=0, parse_dates=True)["close"]
    # the value of March 1980 (dated 1980-03-01) is the price at the March month end
    assert run.dataset.prices.loc["1980-03-31", "A"] == raw.loc["1980-03-01"]
    info = next(s for s in run.dataset.sources if s.alias == "A")
    assert "placed at its end" in info.notes


def test_two_values_in_one_month_are_refused(tmp_path) -> None:
    _monthly_on_the_first(tmp_path)
    path = tmp_path / "shiller/A.csv"
    path.write_text(path.read_text() + "2010-12-15,12.0\n")
    with pytest.raises(DataError, match=r"two values in one month \(2010-12-01, 2010-12-15\)"):
        backtest.run(parse_config(_config()), load=make_loader(csv_root=tmp_path))


def test_an_empty_sleeve_with_cash_risk_off_is_valid(tmp_path) -> None:
    _monthly_on_the_first(tmp_path)
    raw = _config(long=["A", "B"], short=[])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = backtest.run(parse_config(raw), load=make_loader(csv_root=tmp_path))
    assert run.sleeve_returns["short"].isna().all()  # no assets, no return
    assert run.regime_table()["long_minus_short"].isna().all()
    main = run.main
    assert set(main.targets.columns[(main.targets.fillna(0) > 0).any()]) == {"A", "B", "RF"}
    raw["benchmarks"] = {"short_duration": {"kind": "buy_and_hold", "sleeve": "short"}}
    with pytest.raises(ConfigError, match=r"strategy 'short_duration' \(buy_and_hold\): the "
                                          r"short sleeve is empty \(\[sleeves\] short = \[\]\)"):
        backtest.run(parse_config(raw), load=make_loader(csv_root=tmp_path))
    with pytest.raises(ConfigError, match="needs long = .* and short = "):
        parse_config({**raw, "sleeves": {"long": ["A"]}})


def test_sources_label_a_declared_kind_not_the_files_level(shared_data) -> None:
    """A CSV column declared kind = "return_pct" was listed as "kind": "level"."""
    from backtest.data.dataset import build_dataset

    assets = {"HI": AssetSpec(id="csv:assets/Portfolios_Formed_on_BE-ME_monthly#Hi10",
                              kind="return_pct"),
              "RF": AssetSpec(id="csv:assets/F-F_Research_Data_Factors_monthly#RF",
                              kind="return_pct")}
    ds = build_dataset(assets, {}, cash="RF", frequency="M", periods_per_year=12,
                       load=make_loader(csv_root=shared_data))
    assert {s.alias: s.kind for s in ds.sources} == {"HI": "return_pct", "RF": "return_pct"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("when,value\n2024-01-02,1\n2024-01-03,2\n", "no date column: expected one of date, "
                                                       "observation_date, sasdate"),
        ("value,date\n1,2024-01-02\n2,2024-01-03\n", None),  # moved: still found
        ('date,value\n2024-01-02,"1\n2024-01-03,2\n', "line 3: non-numeric value"),
        ("date,value\n2024-01-02,١\n2024-01-03,2\n", "line 2: non-numeric value '١'"),
        ("date,value\n٢٠٢٤-٠١-٠٢,1\n2024-01-03,2\n", "line 2: '٢٠٢٤-٠١-٠٢' is not a date"),
    ],
)
def test_broken_mirror_files_are_one_line_exit_1(tmp_path, text, message) -> None:
    """Red-team signatures: the message was not one line or the exit code not 1."""
    from typer.testing import CliRunner

    from backtest.cli import app

    write(tmp_path / "mirror", "macro/DGS10.csv", text)
    result = CliRunner().invoke(app, ["--mirror", str(tmp_path / "mirror"), "--data-dir",
                                      str(tmp_path / "cache"), "data", "fetch", "fred:DGS10"])
    if message is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: fred:DGS10 (mirror): ")
    assert message in lines[0]


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["truncate", "rewrite"])
@pytest.mark.parametrize("cut", ["1979-11-30", "1994-02-28"])
def test_month_end_placement_never_looks_ahead(tmp_path, mode, cut) -> None:
    """Values dated on the 1st move to their month's end; data after t changes nothing <= t."""
    from lookahead import assert_same_up_to, future_loader

    _monthly_on_the_first(tmp_path)
    config = parse_config(_config())
    fetch = make_loader(csv_root=tmp_path)
    full = backtest.run(config, load=fetch)
    other = backtest.run(config, load=future_loader(fetch, pd.Timestamp(cut), mode))
    assert_same_up_to(full, other, pd.Timestamp(cut), mode)
