"""The ``csv`` provider: a directory of CSV files, one series per file.

Series names are paths relative to the root, without ``.csv``, optionally with
``#COLUMN`` for files with several columns::

    csv:macro/DGS10                                  date,value           -> Kind.LEVEL
    csv:assets/QQQ                                   date,adj_close,...   -> Kind.PRICE
    csv:assets/BTC-USD_long                          date,close,...       -> Kind.PRICE
    csv:assets/Portfolios_Formed_on_BE-ME_monthly#Hi10   any column       -> Kind.LEVEL

A ``#COLUMN`` series is returned as a level "as in file": the Dataset decides
whether it is, say, a percent return. Frequencies are inferred from the median
spacing of the dates (see :func:`infer_frequency`); local files carry no other
statement of it.

The helpers :func:`read_table`, :func:`to_dates` and :func:`to_numbers` are
pure and shared with the FRED parser: every error names the file (or series)
and the first bad line.
"""

from __future__ import annotations

import csv as _csv
import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import ClassVar

import numpy as np
import pandas as pd

from backtest.data.base import FetchedSeries, Kind, SeriesRequest, validate_series
from backtest.errors import DataError

__all__ = ["CsvProvider", "Table", "infer_frequency", "parse_csv_series", "read_table"]

#: Cell values read as a missing observation (FRED writes ``.``).
MISSING = frozenset({"", ".", "NA", "N/A", "NaN", "nan", "null", "#N/A"})
_DATE_NAMES = ("date", "observation_date")
_ISO_DAY = r"\d{4}-\d{2}-\d{2}(?:$|[ T])"


@dataclass(frozen=True)
class Table:
    """Rows of a CSV text: header, then data rows with their 1-based line numbers."""

    header: tuple[str, ...]
    lines: tuple[int, ...]
    rows: tuple[tuple[str, ...], ...]

    def column(self, index: int) -> list[str]:
        """Cells of column ``index``, stripped."""
        return [row[index].strip() for row in self.rows]


def read_table(text: str, label: str) -> Table:
    """Split CSV ``text`` into a header and rows, skipping blank lines.

    Raises
    ------
    DataError
        HTML instead of CSV, no header, or a row with a different number of
        fields than the header (a truncated or garbled line).
    """
    if text.lstrip("\ufeff \t\r\n").startswith("<"):
        raise DataError(f"{label}: got an HTML page, not CSV")
    header: tuple[str, ...] | None = None
    lines: list[int] = []
    rows: list[tuple[str, ...]] = []
    for lineno, row in enumerate(_csv.reader(text.lstrip("\ufeff").splitlines()), start=1):
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = tuple(cell.strip() for cell in row)
            continue
        if len(row) != len(header):
            raise DataError(
                f"{label}: line {lineno} has {len(row)} fields, expected {len(header)} "
                f"(truncated or garbled row: {','.join(row)[:60]!r})"
            )
        lines.append(lineno)
        rows.append(tuple(row))
    if header is None:
        raise DataError(f"{label}: empty file (no header line)")
    return Table(header, tuple(lines), tuple(rows))


def to_dates(cells: Sequence[str], lines: Sequence[int], label: str) -> pd.DatetimeIndex:
    """Parse ISO dates (``YYYY-MM-DD``, optionally with a time); name the first bad line."""
    raw = pd.Series(list(cells), dtype=object)
    dates = pd.to_datetime(raw, format="ISO8601", errors="coerce")
    full = raw.str.match(_ISO_DAY).to_numpy(dtype=bool)  # "2024-01" is ISO but truncated
    bad = np.flatnonzero(dates.isna().to_numpy() | ~full)
    if bad.size:
        first = int(bad[0])
        raise DataError(f"{label}: line {lines[first]}: unparseable date {cells[first]!r}")
    index = pd.DatetimeIndex(dates, name="date")
    return index.tz_localize(None) if index.tz is not None else index


def to_numbers(cells: Sequence[str], lines: Sequence[int], label: str) -> np.ndarray:
    """Parse floats; cells in :data:`MISSING` become NaN; name the first bad line."""
    raw = pd.Series(list(cells), dtype=object)
    missing = raw.isin(MISSING).to_numpy()
    numbers = np.asarray(pd.to_numeric(raw.where(~missing, np.nan), errors="coerce"), dtype=float)
    bad = np.flatnonzero(np.isnan(numbers) & ~missing)
    if bad.size:
        first = int(bad[0])
        raise DataError(f"{label}: line {lines[first]}: non-numeric value {cells[first]!r}")
    return numbers


def check_unique(index: pd.DatetimeIndex, lines: Sequence[int], label: str) -> None:
    """Raise DataError naming the first line whose date repeats an earlier one."""
    dup = np.flatnonzero(index.duplicated())
    if dup.size:
        first = int(dup[0])
        raise DataError(
            f"{label}: line {lines[first]}: duplicate date {index[first].date().isoformat()}"
        )


def infer_frequency(index: pd.DatetimeIndex, label: str) -> str:
    """Infer ``D``/``C``/``W``/``M``/``Q``/``A`` from the median spacing of sorted dates.

    Daily spacing is ``C`` (calendar daily, crypto) when more than a tenth of
    the dates fall on weekends, else ``D`` (business daily; the occasional
    weekend row of, e.g., ICE month-end spreads does not change that).
    Bands: under 4 days daily, under 20 weekly, under 60 monthly, under 200
    quarterly, else annual.
    """
    if len(index) < 2:
        raise DataError(f"{label}: need at least two dates to infer the frequency")
    days = float(np.median(np.diff(index.sort_values().as_unit("ns").asi8))) / 86_400e9
    if days < 4:
        weekend_share = float(np.mean(index.day_of_week >= 5))
        return "C" if weekend_share > 0.1 else "D"
    for limit, code in ((20, "W"), (60, "M"), (200, "Q")):
        if days < limit:
            return code
    return "A"


def parse_csv_series(
    text: str, label: str, column: str | None = None
) -> tuple[pd.Series, Kind, str]:
    """Parse a local CSV file into one series.

    Parameters
    ----------
    text : str
        The file's content.
    label : str
        The file name or series id used in error messages.
    column : str or None
        The column to read; ``None`` picks ``value``, ``adj_close`` or ``close``.

    Returns
    -------
    values : pd.Series
        Floats on a sorted, unique DatetimeIndex named ``date``; missing cells dropped.
    kind : Kind
        ``PRICE`` for ``adj_close``/``close``, else ``LEVEL``.
    units : str
        What the numbers are, as far as the layout tells.
    """
    table = read_table(text, label)
    lowered = [name.lower() for name in table.header]
    date_at = next((lowered.index(n) for n in _DATE_NAMES if n in lowered), None)
    if date_at is None:
        raise DataError(f"{label}: no date column (header: {','.join(table.header)})")
    at, kind, units = _pick_column(table.header, lowered, column, label)
    index = to_dates(table.column(date_at), table.lines, label)
    check_unique(index, table.lines, label)
    numbers = to_numbers(table.column(at), table.lines, label)
    values = validate_series(pd.Series(numbers, index=index), label)
    return values, kind, units


def _pick_column(
    header: tuple[str, ...], lowered: list[str], column: str | None, label: str
) -> tuple[int, Kind, str]:
    if column is not None:
        if column not in header:
            raise DataError(
                f"{label}: no column {column!r}; columns: {', '.join(header[1:])}"
            )
        return header.index(column), Kind.LEVEL, "as in file"
    if lowered[1:] == ["value"]:
        return 1, Kind.LEVEL, "as in file"
    if "adj_close" in lowered:
        return lowered.index("adj_close"), Kind.PRICE, "total-return price level (adj_close)"
    if "close" in lowered:
        return lowered.index("close"), Kind.PRICE, "price level (close, as in file)"
    raise DataError(
        f"{label}: cannot tell which column to read (header: {','.join(header)}); "
        "name one with #COLUMN, e.g. csv:path/file#column"
    )


class CsvProvider:
    """Series from CSV files under ``root``; see the module docstring for names and layouts.

    Parameters
    ----------
    root : Path
        Directory holding the files. Names may not leave it (no ``..``, no absolute paths).
    """

    source: ClassVar[str] = "csv"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, request: SeriesRequest) -> Path:
        """Return the file behind ``request`` (not checked for existence)."""
        rel = self._relative(request)
        return self.root.joinpath(*rel.parts).with_name(rel.name + ".csv")

    def fetch(self, request: SeriesRequest) -> FetchedSeries:
        """Read and parse the file; see :func:`parse_csv_series`."""
        rel = self._relative(request)
        path = self.path(request)
        column = request.name.partition("#")[2] or None
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise DataError(self._missing_message(request, rel, path)) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(f"{request}: cannot read {path} ({exc})") from None
        values, kind, units = parse_csv_series(text, f"{request} ({rel}.csv)", column)
        frequency = infer_frequency(values.index, str(request))
        values.name = str(request)
        return FetchedSeries(request, values, kind, units, frequency, notes=f"local CSV {rel}.csv")

    def _relative(self, request: SeriesRequest) -> PurePosixPath:
        stem = request.name.partition("#")[0].strip()
        rel = PurePosixPath(stem.replace("\\", "/"))
        if not stem or rel.is_absolute() or ".." in rel.parts or ":" in stem:
            raise DataError(
                f"{request}: the path must stay inside the CSV root {self.root} "
                "(no '..', no absolute paths)"
            )
        return rel

    def _missing_message(self, request: SeriesRequest, rel: PurePosixPath, path: Path) -> str:
        message = f"{request}: no file {rel}.csv under the CSV root {self.root}"
        if path.parent.is_dir():
            stems = sorted(p.stem for p in path.parent.glob("*.csv"))
            close = difflib.get_close_matches(path.stem, stems, n=3)
            if close:
                message += f"; did you mean {', '.join(close)}?"
        return message
