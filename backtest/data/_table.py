"""Pure parsing of CSV text: rows, dates and numbers, and how a user's file is laid out.

Shared by the ``csv`` provider (users' files, the mirror) and the FRED parser.
Every error is one :class:`~backtest.errors.DataError` line naming the file (or
series), the line and the offending cell, and says what was expected.

Dates are never guessed. The default layout is ISO ``YYYY-MM-DD`` (a time may
follow); any other layout must be stated with :class:`CsvFormat` ``date_format``
(``01/02/1960`` is 2 January as ``M/D/YYYY`` and 1 February as ``D/M/YYYY``). A
time-zone offset after a time (``2020-03-09T00:00:00-04:00``) is dropped: the date
and time as written — the exchange's local clock — count, so a file mixing
offsets (daylight saving) or mixing dates with and without one reads as written.
"""

from __future__ import annotations

import csv as _csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args
from urllib.parse import parse_qsl, quote, urlencode

import numpy as np
import pandas as pd

from backtest.errors import ConfigError, DataError

__all__ = [
    "DATE_COLUMNS",
    "DATE_FORMATS",
    "MISSING",
    "CsvFormat",
    "DateFormat",
    "Table",
    "check_unique",
    "read_table",
    "to_dates",
    "to_numbers",
]

#: Cell values read as a missing observation (FRED writes ``.``).
MISSING = frozenset({"", ".", "NA", "N/A", "NaN", "nan", "null", "#N/A"})
#: Date column names found without a ``date_column`` key (any case): plain files,
#: FRED downloads (``observation_date``, older ``DATE``), FRED-MD (``sasdate``).
DATE_COLUMNS = ("date", "observation_date", "sasdate")
#: Date layouts a file may state; ``YYYY-MM`` and ``YYYYMM`` date a month on its 1st.
DateFormat = Literal["YYYY-MM-DD", "M/D/YYYY", "D/M/YYYY", "YYYY-MM", "YYYYMM", "YYYYMMDD"]
DATE_FORMATS: tuple[str, ...] = get_args(DateFormat)
_STRPTIME = {"M/D/YYYY": "%m/%d/%Y", "D/M/YYYY": "%d/%m/%Y", "YYYY-MM": "%Y-%m",
             "YYYYMM": "%Y%m", "YYYYMMDD": "%Y%m%d"}
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}(?:$|[ T])")
_OFFSET = re.compile(r"(?<=\d\d:\d\d)(?::\d\d(?:\.\d+)?)?\s*(?:Z|[+-]\d\d(?::?\d\d)?)$")
_SLASHED = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")
_MONTH = re.compile(r"^\d{4}-?\d{2}$")
_FIRST, _LAST = pd.Timestamp("1678-01-01"), pd.Timestamp("2261-12-31")


@dataclass(frozen=True)
class CsvFormat:
    """How a user's CSV file is laid out, beyond the defaults.

    Parameters
    ----------
    date_column : str or None
        The date column's header; ``None`` finds one of :data:`DATE_COLUMNS`.
    date_format : DateFormat
        The dates' layout (:data:`DATE_FORMATS`); ISO unless stated.
    skip_rows : tuple of str
        Rows that are not data, by the text in their date column (FRED-MD's
        ``Transform:`` row of transformation codes).
    """

    date_column: str | None = None
    date_format: DateFormat = "YYYY-MM-DD"
    skip_rows: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.date_format not in DATE_FORMATS:
            raise ConfigError(
                f"date_format {self.date_format!r} is not one of {', '.join(DATE_FORMATS)}"
            )
        if self.date_column is not None and not self.date_column.strip():
            raise ConfigError("date_column is empty")
        if any(not row.strip() for row in self.skip_rows):
            raise ConfigError("skip_rows holds an empty label")

    def to_query(self) -> str:
        """The options as ``?key=value&...`` for a ``csv:`` series name ('' for defaults)."""
        pairs: list[tuple[str, str]] = []
        if self.date_column is not None:
            pairs.append(("date_column", self.date_column))
        if self.date_format != "YYYY-MM-DD":
            pairs.append(("date_format", self.date_format))
        pairs += [("skip_rows", row) for row in self.skip_rows]
        return "?" + urlencode(pairs, quote_via=quote, safe="") if pairs else ""

    @classmethod
    def from_query(cls, query: str, label: str) -> CsvFormat:
        """Inverse of :meth:`to_query` (without the ``?``)."""
        try:
            pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
        except ValueError:
            raise DataError(f"{label}: cannot read the options {query!r}") from None
        known = {"date_column", "date_format", "skip_rows"}
        unknown = sorted({k for k, _ in pairs} - known)
        if unknown:
            raise DataError(f"{label}: unknown option {', '.join(unknown)}; valid: "
                            f"{', '.join(sorted(known))}")
        single = {k: v for k, v in pairs if k != "skip_rows"}
        try:
            return cls(
                date_column=single.get("date_column"),
                date_format=single.get("date_format", "YYYY-MM-DD"),  # type: ignore[arg-type]
                skip_rows=tuple(v for k, v in pairs if k == "skip_rows"),
            )
        except ConfigError as exc:
            raise DataError(f"{label}: {exc}") from None


@dataclass(frozen=True)
class Table:
    """Rows of a CSV text: header, then data rows with their 1-based line numbers."""

    header: tuple[str, ...]
    lines: tuple[int, ...]
    rows: tuple[tuple[str, ...], ...]

    def column(self, index: int) -> list[str]:
        """Cells of column ``index``, stripped."""
        return [row[index].strip() for row in self.rows]

    def without(self, index: int, labels: Sequence[str], label: str) -> Table:
        """The table without the rows whose column ``index`` holds one of ``labels``."""
        wanted = {text.strip() for text in labels}
        keep = [i for i, row in enumerate(self.rows) if row[index].strip() not in wanted]
        found = {row[index].strip() for row in self.rows} & wanted
        if wanted - found:
            raise DataError(f"{label}: skip_rows {sorted(wanted - found)} match no row")
        return Table(self.header, tuple(self.lines[i] for i in keep),
                     tuple(self.rows[i] for i in keep))


def _shown(row: Sequence[str]) -> str:
    return repr(",".join(row)[:60])


def read_table(text: str, label: str) -> Table:
    """Split CSV ``text`` into a header and rows, skipping blank lines.

    Raises
    ------
    DataError
        HTML instead of CSV, no header, a row with a different number of fields
        than the header (a truncated or garbled line), or a line the csv module
        cannot read (a NUL byte, a field over its size limit).
    """
    if text.lstrip("\ufeff \t\r\n").startswith("<"):
        raise DataError(f"{label}: got an HTML page, not CSV")
    header: tuple[str, ...] | None = None
    lines: list[int] = []
    rows: list[tuple[str, ...]] = []
    reader = _csv.reader(text.lstrip("\ufeff").splitlines())
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = tuple(cell.strip() for cell in row)
                continue
            if len(row) != len(header):
                raise DataError(
                    f"{label}: line {reader.line_num} has {len(row)} fields, expected "
                    f"{len(header)} (truncated or garbled row: {_shown(row)})"
                )
            lines.append(reader.line_num)
            rows.append(tuple(row))
    except _csv.Error as exc:
        raise DataError(f"{label}: line {reader.line_num}: unreadable CSV ({exc})") from None
    if header is None:
        raise DataError(f"{label}: empty file (no header line)")
    return Table(header, tuple(lines), tuple(rows))


def _date_hint(cell: str, date_format: str, line: int) -> str:
    if not any(c.isdigit() for c in cell):
        return f"; if line {line} is not data, skip it with skip_rows = [{cell!r}]"
    if date_format == "YYYY-MM-DD" and _SLASHED.match(cell):
        return ("; a slashed date is ambiguous (01/02/1960 is 2 January as M/D/YYYY, "
                "1 February as D/M/YYYY) and never guessed: set date_format = 'M/D/YYYY' "
                "or 'D/M/YYYY'")
    if date_format == "YYYY-MM-DD" and _MONTH.match(cell):
        return "; a month without a day needs date_format = 'YYYY-MM' or 'YYYYMM'"
    return f"; other layouts: date_format = {', '.join(repr(f) for f in DATE_FORMATS[1:])}"


def _keep_seconds(match: re.Match[str]) -> str:
    """Drop the offset of a matched ``[:SS[.f]] OFFSET`` tail, keep the seconds."""
    seconds = re.match(r":\d\d(?:\.\d+)?", match.group(0))
    return seconds.group(0) if seconds else ""


def to_dates(
    cells: Sequence[str],
    lines: Sequence[int],
    label: str,
    date_format: str = "YYYY-MM-DD",
    *,
    hints: bool = True,
) -> pd.DatetimeIndex:
    """Parse dates in ``date_format`` (ISO by default, a time may follow); name the first bad line.

    A time-zone offset is dropped (the wall-clock time as written counts). ``hints``
    adds what a user's file could state instead (``date_format``, ``skip_rows``);
    a provider's payload (FRED) has no such keys.
    """
    raw = pd.Series([_OFFSET.sub(_keep_seconds, cell.strip()) for cell in cells], dtype=object)
    ascii_ok = raw.map(str.isascii).to_numpy(dtype=bool)
    if date_format == "YYYY-MM-DD":
        dates = pd.to_datetime(raw.where(ascii_ok, ""), format="ISO8601", errors="coerce")
        shape_ok = raw.map(lambda c: _ISO_DAY.match(c) is not None).to_numpy(dtype=bool)
    else:
        dates = pd.to_datetime(raw.where(ascii_ok, ""), format=_STRPTIME[date_format],
                               errors="coerce")
        shape_ok = np.ones(len(raw), dtype=bool)
    bad = np.flatnonzero(dates.isna().to_numpy() | ~ascii_ok | ~shape_ok)
    if bad.size:
        i = int(bad[0])
        raise DataError(
            f"{label}: line {lines[i]}: {cells[i]!r} is not a date in the format {date_format}"
            + (_date_hint(cells[i].strip(), date_format, lines[i]) if hints else "")
        )
    index = pd.DatetimeIndex(dates, name="date")
    index = index.tz_localize(None) if index.tz is not None else index
    outside = np.flatnonzero((index < _FIRST) | (index > _LAST))
    if outside.size:
        i = int(outside[0])
        raise DataError(f"{label}: line {lines[i]}: {cells[i]!r} is outside the supported "
                        "range of dates (1678 to 2261)")
    return index.as_unit("ns")


def to_numbers(cells: Sequence[str], lines: Sequence[int], label: str) -> np.ndarray:
    """Parse finite floats; cells in :data:`MISSING` become NaN; name the first bad line."""
    raw = pd.Series([cell.strip() for cell in cells], dtype=object)
    missing = raw.isin(MISSING).to_numpy()
    plain = raw.map(str.isascii).to_numpy(dtype=bool)
    numbers = np.asarray(
        pd.to_numeric(raw.where(~missing & plain, np.nan), errors="coerce"), dtype=float
    )
    bad = np.flatnonzero((np.isnan(numbers) & ~missing) | ~plain)
    if bad.size:
        i = int(bad[0])
        raise DataError(f"{label}: line {lines[i]}: non-numeric value {cells[i]!r}")
    infinite = np.flatnonzero(np.isinf(numbers))
    if infinite.size:
        i = int(infinite[0])
        raise DataError(f"{label}: line {lines[i]}: value {cells[i]!r} is not a finite number")
    return numbers


def check_unique(index: pd.DatetimeIndex, lines: Sequence[int], label: str) -> None:
    """Raise DataError naming the first line whose date repeats an earlier one."""
    dup = np.flatnonzero(index.duplicated())
    if dup.size:
        first = int(dup[0])
        raise DataError(
            f"{label}: line {lines[first]}: duplicate date {index[first].date().isoformat()}"
        )
