"""The ``csv`` provider: a directory of CSV files, one series per file.

Series names are paths relative to the root, without ``.csv``, optionally with
``#COLUMN`` for files with several columns::

    csv:macro/DGS10                                  date,value           -> Kind.LEVEL
    csv:assets/QQQ                                   date,adj_close,...   -> Kind.PRICE
    csv:assets/BTC-USD_long                          date,close,...       -> Kind.PRICE
    csv:assets/Portfolios_Formed_on_BE-ME_monthly#Hi10   any column       -> Kind.LEVEL

A ``#COLUMN`` series is returned as a level "as in file": the Dataset decides
whether it is, say, a percent return. Everything after ``#`` is the column's
header as written (spaces, ``&``: ``#S&P 500``). Files as users have them
(FRED-MD, spreadsheets) state their layout (:class:`~backtest.data._table.CsvFormat`):
the date column (found by name — ``date``, ``observation_date``, ``sasdate``, any
case — in any position, or named), the date layout (ISO unless stated; never
guessed) and rows that are not data. In a config these are keys of the series'
table (``column``, ``date_column``, ``date_format``, ``skip_rows``); in the series
name they travel as ``PATH?date_format=M%2FD%2FYYYY&skip_rows=Transform%3A#COLUMN``.
Frequencies are inferred from the median spacing of the dates (see
:func:`infer_frequency`); local files carry no other statement of it.

The helpers :func:`read_table`, :func:`to_dates` and :func:`to_numbers` are
pure and shared with the FRED parser: every error names the file (or series)
and the first bad line.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import ClassVar

import numpy as np
import pandas as pd

from backtest.data._table import (
    DATE_COLUMNS,
    MISSING,
    CsvFormat,
    Table,
    check_unique,
    read_table,
    to_dates,
    to_numbers,
)
from backtest.data.base import FetchedSeries, Kind, SeriesRequest, validate_series
from backtest.errors import DataError

__all__ = [
    "MISSING",
    "CsvFormat",
    "CsvName",
    "CsvProvider",
    "Table",
    "check_unique",
    "infer_frequency",
    "parse_csv_series",
    "read_table",
    "to_dates",
    "to_numbers",
]


@dataclass(frozen=True)
class CsvName:
    """A ``csv:`` series name taken apart: ``PATH[?OPTIONS][#COLUMN]``."""

    path: str
    column: str | None
    fmt: CsvFormat

    @classmethod
    def parse(cls, name: str, label: str) -> CsvName:
        """Split a series name (options percent-encoded, the column verbatim)."""
        head, sep, column = name.partition("#")
        path, _, query = head.partition("?")
        fmt = CsvFormat.from_query(query, label) if query else CsvFormat()
        return cls(path.strip(), column if sep and column else None, fmt)

    def to_name(self) -> str:
        """Inverse of :meth:`parse`."""
        return self.path + self.fmt.to_query() + (f"#{self.column}" if self.column else "")


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
    text: str, label: str, column: str | None = None, fmt: CsvFormat | None = None
) -> tuple[pd.Series, Kind, str]:
    """Parse a local CSV file into one series.

    Parameters
    ----------
    text : str
        The file's content.
    label : str
        The file name or series id used in error messages.
    column : str or None
        The column to read; ``None`` picks the only column besides the date that is
        named ``value``, else ``adj_close`` or ``close``.
    fmt : CsvFormat or None
        The file's layout (date column, date format, rows to skip); defaults otherwise.

    Returns
    -------
    values : pd.Series
        Floats on a sorted, unique DatetimeIndex named ``date``; missing cells dropped.
    kind : Kind
        ``PRICE`` for ``adj_close``/``close``, else ``LEVEL``.
    units : str
        What the numbers are, as far as the layout tells.
    """
    fmt = fmt or CsvFormat()
    table = read_table(text, label)
    date_at = _date_column(table.header, fmt, label)
    if fmt.skip_rows:
        table = table.without(date_at, fmt.skip_rows, label)
    at, kind, units = _pick_column(table.header, date_at, column, label)
    index = to_dates(table.column(date_at), table.lines, label, fmt.date_format)
    check_unique(index, table.lines, label)
    numbers = to_numbers(table.column(at), table.lines, label)
    if kind is Kind.PRICE:
        bad = np.flatnonzero(numbers <= 0)
        if bad.size:
            i = int(bad[0])
            raise DataError(f"{label}: line {table.lines[i]}: price {table.rows[i][at].strip()!r} "
                            "is not > 0 (prices must be positive)")
    values = validate_series(pd.Series(numbers, index=index), label)
    return values, kind, units


def _few(names: tuple[str, ...] | list[str], limit: int = 8) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


def _date_column(header: tuple[str, ...], fmt: CsvFormat, label: str) -> int:
    lowered = [name.lower() for name in header]
    if fmt.date_column is not None:
        wanted = fmt.date_column.strip().lower()
        if wanted in lowered:
            return lowered.index(wanted)
        raise DataError(f"{label}: no date column {fmt.date_column!r}; columns: {_few(header)}")
    found = next((lowered.index(n) for n in DATE_COLUMNS if n in lowered), None)
    if found is None:
        raise DataError(
            f"{label}: no date column: expected one of {', '.join(DATE_COLUMNS)} (any case), "
            f"or name it with date_column = \"...\"; the header starts {_few(header, 5)}"
        )
    return found


def _pick_column(
    header: tuple[str, ...], date_at: int, column: str | None, label: str
) -> tuple[int, Kind, str]:
    others = [name for i, name in enumerate(header) if i != date_at]
    lowered = [name.lower() for name in header]
    if column is not None:
        if column not in header or header.index(column) == date_at:
            close = difflib.get_close_matches(column, others, n=3)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise DataError(f"{label}: no column {column!r}{hint}; columns: {_few(others)}")
        return header.index(column), Kind.LEVEL, "as in file"
    if [name.lower() for name in others] == ["value"]:
        return lowered.index("value"), Kind.LEVEL, "as in file"
    if "adj_close" in lowered:
        return lowered.index("adj_close"), Kind.PRICE, "total-return price level (adj_close)"
    if "close" in lowered:
        return lowered.index("close"), Kind.PRICE, "price level (close, as in file)"
    raise DataError(
        f"{label}: cannot tell which column to read (columns: {_few(others)}); name one "
        "with #COLUMN (csv:path/file#column) or column = \"...\" in the series' table"
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
        name = CsvName.parse(request.name, str(request))
        rel = self._relative(request)
        path = self.path(request)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise DataError(self._missing_message(request, rel, path)) from None
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise DataError(f"{request}: cannot read {path} ({reason})") from None
        column = f"#{name.column}" if name.column else ""
        label = f"csv:{rel}{column} ({rel}.csv)"
        values, kind, units = parse_csv_series(text, label, name.column, name.fmt)
        frequency = infer_frequency(values.index, str(request))
        values.name = str(request)
        return FetchedSeries(request, values, kind, units, frequency, notes=f"local CSV {rel}.csv")

    def _relative(self, request: SeriesRequest) -> PurePosixPath:
        stem = CsvName.parse(request.name, str(request)).path
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
