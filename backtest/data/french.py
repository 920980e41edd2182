"""The ``french`` provider: portfolios and factors from the Kenneth R. French Data Library.

Each library file is a zip holding one CSV: prose header lines, then blocks.
A block is an optional title line (``  Value Weight Returns -- Monthly``), a
header line starting with a comma (``,<= 0,Lo 30,...``) and rows keyed by
``YYYYMM`` (monthly), ``YYYY`` (annual) or ``YYYYMMDD`` (daily); it ends at
the first blank or non-data line. ``-99.99`` and ``-999`` mean missing.
Returns are in percent.

Series names are ``FILE/COLUMN`` with an optional block selector::

    french:F-F_Research_Data_Factors/RF
    french:Portfolios_Formed_on_BE-ME/Hi10              first monthly block (value weighted)
    french:Portfolios_Formed_on_BE-ME/Hi10@equal        first block whose title says "equal"
    french:Portfolios_Formed_on_BE-ME/Hi10@annual       first annual block
    french:F-F_Research_Data_Factors_daily/Mkt-RF       the daily file's only block

Selector words (separated by ``-`` or spaces) must all appear in the block's
title or its frequency word (``monthly``, ``annual``, ``daily``). Column names
are normalised as in :func:`normalise_column`, for the request too, so
``Hi 10`` and ``Hi10`` name the same column. Return blocks come back as
decimal returns (divided by 100); other blocks (firm counts, average size,
BE/ME) as levels "as published".
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from typing import ClassVar

import numpy as np
import pandas as pd

from backtest.data._http import HttpClient, HttpError, RetryPolicy, Session
from backtest.data.base import FetchedSeries, Kind, SeriesRequest, validate_series
from backtest.errors import DataError, ProviderError

__all__ = ["URL", "FrenchProvider", "normalise_column", "parse_french_csv", "split_name"]

URL = "https://mba.tuck.dartmouth.edu/pages/faculty/ken.french/ftp/{file}_CSV.zip"
_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_ROW = re.compile(r"^\s*\d+\s*,")
_FREQ = {4: "A", 6: "M", 8: "D"}
_WORD = {"A": "annual", "M": "monthly", "D": "daily"}
_SORT = re.compile(r"^(Lo|Med|Hi|Qnt|Dec)\s+(\d+)$")
_EXCEL_DEC = re.compile(r"^(\d+)-(Dec|Qnt)$")
_VINTAGE = re.compile(r"using the (\d{6}) CRSP database")


def normalise_column(name: str) -> str:
    """Normalise a column label as the tidy files do.

    ``<= 0`` -> ``LE0``; ``Lo 30`` -> ``Lo30``; ``Qnt 2`` -> ``Qnt2``;
    ``Dec 2`` and the 2026 label ``2-Dec`` -> ``Dec2``; other runs of spaces -> ``_``.

    Examples
    --------
    >>> [normalise_column(n) for n in ("<= 0", "Hi 10", "2-Dec", "SMALL LoBM", "Mkt-RF")]
    ['LE0', 'Hi10', 'Dec2', 'SMALL_LoBM', 'Mkt-RF']
    """
    text = name.strip()
    if text.replace(" ", "") == "<=0":
        return "LE0"
    if match := _SORT.match(text):
        return match[1] + match[2]
    if match := _EXCEL_DEC.match(text):
        return match[2] + match[1]
    return "_".join(text.split())


def parse_french_csv(text: str, file: str) -> dict[str, pd.DataFrame]:
    """Parse a Ken French library CSV into its blocks.

    Parameters
    ----------
    text : str
        The CSV as found in the library zip.
    file : str
        The file name, for error messages.

    Returns
    -------
    dict of str to pd.DataFrame
        In file order, keyed by block title (untitled blocks by their frequency
        word, ``Monthly``/``Annual``/``Daily``; repeated keys get `` (2)``).
        Each frame has a DatetimeIndex named ``date`` (month-end, Dec 31 or the
        day), normalised columns, values in the file's units (percent for
        returns) and NaN for ``-99.99``/``-999``. ``frame.attrs["frequency"]``
        is ``M``, ``A`` or ``D``; ``frame.attrs["title"]`` the raw title.

    Raises
    ------
    DataError
        HTML, no blocks, a row with the wrong number of fields, a non-numeric
        value, mixed date formats in a block, or duplicate dates; names the line.
    """
    label = f"french:{file}"
    if text.lstrip()[:15].lower().startswith(("<!doctype", "<html")):
        raise DataError(f"{label}: got an HTML page, not a Ken French CSV")
    lines = text.splitlines()
    blocks: dict[str, pd.DataFrame] = {}
    i = 0
    while i < len(lines):
        if lines[i].lstrip().startswith(","):
            title = _title_above(lines, i)
            end = i + 1
            while end < len(lines) and _ROW.match(lines[end]):
                end += 1
            frame = _parse_block(lines, i, end, f"{label} ({title or 'untitled block'})")
            frame.attrs["title"] = title
            key = title or _WORD[frame.attrs["frequency"]].capitalize()
            blocks[_unique_key(blocks, key)] = frame
            i = end
        elif _ROW.match(lines[i]):
            raise DataError(f"{label}: line {i + 1}: data row outside a block")
        else:
            i += 1
    if not blocks:
        raise DataError(f"{label}: no data blocks found (not a Ken French CSV?)")
    return blocks


def _title_above(lines: list[str], header_at: int) -> str:
    """Join the non-blank, non-data lines directly above a header (at most two)."""
    title: list[str] = []
    j = header_at - 1
    while j >= 0 and len(title) < 2 and lines[j].strip() and not _ROW.match(lines[j]):
        title.insert(0, lines[j].strip())
        j -= 1
    return " ".join(title)


def _unique_key(blocks: dict[str, pd.DataFrame], key: str) -> str:
    candidate, n = key, 1
    while candidate in blocks:
        n += 1
        candidate = f"{key} ({n})"
    return candidate


def _parse_block(lines: list[str], header_at: int, end: int, label: str) -> pd.DataFrame:
    columns = [normalise_column(c) for c in lines[header_at].split(",")[1:]]
    keys: list[str] = []
    rows: list[list[float]] = []
    for lineno in range(header_at + 2, end + 1):
        cells = [c.strip() for c in lines[lineno - 1].split(",")]
        if len(cells) != len(columns) + 1:
            raise DataError(
                f"{label}: line {lineno} has {len(cells)} fields, expected {len(columns) + 1} "
                "(truncated or garbled row)"
            )
        rows.append(_floats(cells[1:], f"{label}: line {lineno}"))
        width = len(keys[0]) if keys else len(cells[0])
        if len(cells[0]) != width or width not in _FREQ:
            raise DataError(f"{label}: line {lineno}: date {cells[0]!r} breaks the block's format")
        keys.append(cells[0])
    if not keys:
        raise DataError(f"{label}: line {header_at + 1}: header without data rows")
    frame = pd.DataFrame(rows, index=_dates(keys, width), columns=columns, dtype=float)
    frame = frame.mask(np.isclose(frame, -99.99) | np.isclose(frame, -999.0))
    if frame.index.has_duplicates:
        dup = frame.index[frame.index.duplicated()][0]
        raise DataError(f"{label}: duplicate date {dup.date().isoformat()}")
    frame.attrs["frequency"] = _FREQ[width]
    return frame.sort_index()


def _floats(cells: list[str], where: str) -> list[float]:
    out: list[float] = []
    for cell in cells:
        try:
            out.append(float(cell) if cell else np.nan)
        except ValueError:
            raise DataError(f"{where}: non-numeric value {cell!r}") from None
    return out


def _dates(keys: list[str], width: int) -> pd.DatetimeIndex:
    if width == 8:
        stamps = pd.to_datetime(keys, format="%Y%m%d")
    elif width == 6:
        stamps = pd.to_datetime(keys, format="%Y%m") + pd.offsets.MonthEnd(0)
    else:
        stamps = pd.to_datetime(keys, format="%Y") + pd.offsets.YearEnd(0)
    return pd.DatetimeIndex(stamps, name="date")


def select_block(blocks: dict[str, pd.DataFrame], selector: str, label: str) -> str:
    """Return the key of the block named by ``selector`` (``""``: first monthly, else first)."""
    if not selector:
        monthly = [k for k, f in blocks.items() if f.attrs["frequency"] == "M"]
        return monthly[0] if monthly else next(iter(blocks))
    words = [w for w in re.split(r"[-\s]+", selector.lower()) if w]
    for key, frame in blocks.items():
        haystack = f"{key} {_WORD[frame.attrs['frequency']]}".lower()
        if all(word in haystack for word in words):
            return key
    raise DataError(f"{label}: no block matches @{selector}; blocks: {'; '.join(blocks)}")


def extract_csv(payload: bytes, label: str) -> str:
    """Return the text of the single CSV inside a library zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            if not names:
                raise ProviderError(f"{label}: the zip holds no CSV ({archive.namelist()})")
            return archive.read(names[0]).decode("latin-1")
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise ProviderError(f"{label}: corrupt zip from the French library ({exc})") from None


def _is_return_block(title: str) -> bool:
    lowered = title.lower()
    return not title or "return" in lowered or "factor" in lowered


class FrenchProvider:
    """Fetch a column of a Ken French library file (see the module docstring).

    Parameters
    ----------
    session : Session or None
        HTTP session; a ``requests.Session`` by default. Tests pass fakes.
    sleep : callable or None
        Waits between retries; ``time.sleep`` by default.
    retry : RetryPolicy or None
        Attempts, timeout and backoff.
    """

    source: ClassVar[str] = "french"

    def __init__(
        self,
        session: Session | None = None,
        *,
        sleep: Callable[[float], object] | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._http = HttpClient(session, sleep, retry)

    def fetch(self, request: SeriesRequest) -> FetchedSeries:
        """Download ``FILE_CSV.zip`` and return one column of one block.

        Raises
        ------
        DataError
            Malformed name, unknown file (HTTP 404), unknown block or column
            (the message lists the available ones).
        ProviderError
            Network failures, server errors, a corrupt zip.
        """
        label = str(request)
        file, column, selector = split_name(request.name, label)
        try:
            payload = self._http.get(URL.format(file=file), label=label, expect="zip")
        except HttpError as exc:
            if exc.status == 404:
                raise DataError(f"{label}: no file {file!r} in the Ken French library") from None
            raise
        text = extract_csv(payload, label)
        blocks = parse_french_csv(text, file)
        key = select_block(blocks, selector, label)
        frame = blocks[key]
        if column not in frame.columns:
            raise DataError(f"{label}: no column {column!r}; columns: {', '.join(frame.columns)}")
        values = validate_series(frame[column], label)
        vintage = _VINTAGE.search(text)
        notes = f"Kenneth R. French Data Library: {file}, block {key!r}"
        notes += f", CRSP vintage {vintage[1]}" if vintage else ""
        if _is_return_block(frame.attrs["title"]):
            return FetchedSeries(
                request, values / 100.0, Kind.RETURN, "decimal return",
                frame.attrs["frequency"], notes + "; percent returns divided by 100",
            )
        return FetchedSeries(
            request, values, Kind.LEVEL, "as published by Ken French",
            frame.attrs["frequency"], notes,
        )


def split_name(name: str, label: str) -> tuple[str, str, str]:
    """Split ``FILE/COLUMN[@block]`` into file, normalised column and block selector."""
    file, _, rest = name.partition("/")
    column, _, selector = rest.partition("@")
    file, column = file.strip(), normalise_column(column)
    if not _FILE.match(file) or not column:
        raise DataError(
            f"{label}: expected FILE/COLUMN[@block], e.g. "
            "french:Portfolios_Formed_on_BE-ME/Hi10 or french:F-F_Research_Data_Factors/RF@annual"
        )
    return file, column, selector.strip()
