"""Mirror mode: serve ``fred:``, ``yahoo:`` and ``french:`` ids from a local directory.

A mirror is a directory laid out like ``../shared/data`` (or an offline archive of
your own)::

    DIR/macro/<ID>.csv                 date,value            fred:<ID>
    DIR/assets/<TICKER>.csv            date,adj_close,...    yahoo:<TICKER>  (``^GSPC`` -> GSPC.csv)
    DIR/assets/<FILE>_monthly.csv      date,<columns>        french:<FILE>/<COLUMN>
    DIR/assets/<FILE>.csv              (FILE ending _daily)  french:<FILE>/<COLUMN>
    DIR/assets/<FILE>_ratio_sum_annual.csv    french:<FILE>/<COLUMN>@sum
    DIR/assets/<FILE>_ratio_vwavg_annual.csv  french:<FILE>/<COLUMN>@value-weight-average

Each file is read by the :class:`~backtest.data.csv.CsvProvider` rooted at ``DIR``;
the result keeps the *live* request id (``fred:DGS10``), so the series gets the
same default publication lag, kind, units and frequency as a live download and
a run's results have the same structure. Only the notes differ: they start with
``mirror: DIR/macro/DGS10.csv``. Ken French files hold percent returns (the
first, value-weighted block of the library file); they are returned as decimal
returns (``Kind.RETURN``), as the live provider does. The annual valuation-ratio
blocks (``@sum``, ``@value-weight-average``) are levels as published. Mirror reads are local and
are never cached. A series missing from the mirror is an error naming the file
that was looked for; there is no fallback to the network.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from backtest.data.base import FetchedSeries, Kind, SeriesRequest
from backtest.data.csv import CsvProvider
from backtest.data.fred import KNOWN as FRED_KNOWN
from backtest.data.french import split_name
from backtest.errors import DataError

__all__ = ["MIRRORED_SOURCES", "MirrorProvider", "mirror_request"]

#: Remote sources a mirror serves.
MIRRORED_SOURCES = frozenset({"fred", "yahoo", "french"})
_RATIO_BLOCKS = {frozenset({"sum"}): "sum", frozenset({"value", "weight", "average"}): "vwavg"}


def mirror_request(request: SeriesRequest) -> SeriesRequest:
    """Return the ``csv:`` request (relative to the mirror root) that holds ``request``.

    Examples
    --------
    >>> str(mirror_request(SeriesRequest.parse("yahoo:^GSPC")))
    'csv:assets/GSPC'
    >>> str(mirror_request(SeriesRequest.parse("french:Portfolios_Formed_on_BE-ME/Hi 10")))
    'csv:assets/Portfolios_Formed_on_BE-ME_monthly#Hi10'
    """
    label = str(request)
    if request.source == "fred":
        return SeriesRequest("csv", f"macro/{_plain(request.name.strip().upper(), label)}")
    if request.source == "yahoo":
        return SeriesRequest("csv", f"assets/{_plain(request.name.strip().lstrip('^'), label)}")
    if request.source == "french":
        file, column, selector = split_name(request.name, label)
        if selector:
            block = ratio_block(selector)
            if block is None:
                raise DataError(
                    f"{label}: a mirror holds the first (value-weighted) block of each Ken "
                    f"French file and the annual ratio blocks (@sum, @value-weight-average); "
                    f"drop '@{selector}' or fetch the live file"
                )
            return SeriesRequest("csv", f"assets/{file}_ratio_{block}_annual#{column}")
        stem = file if file.endswith("_daily") else f"{file}_monthly"
        return SeriesRequest("csv", f"assets/{stem}#{column}")
    raise DataError(f"{label}: a mirror serves only {', '.join(sorted(MIRRORED_SOURCES))} ids")


def ratio_block(selector: str) -> str | None:
    """The tidy file's block name (``sum``, ``vwavg``) of a ratio selector, else None.

    ``@sum`` selects "Sum of X / Sum of ME" and ``@value-weight-average`` "Value Weight
    Average of X / ME" in the live library file; the mirror keeps each as
    ``FILE_ratio_sum_annual.csv`` / ``FILE_ratio_vwavg_annual.csv``.
    """
    words = frozenset(w for w in re.split(r"[-\s]+", selector.lower()) if w)
    return _RATIO_BLOCKS.get(words)


def _plain(name: str, label: str) -> str:
    if not name or any(c in name for c in "/\\#:") or name.startswith("."):
        raise DataError(f"{label}: {name!r} cannot name a file in a mirror")
    return name


class MirrorProvider:
    """Serve remote ids from a local mirror directory (see the module docstring).

    Parameters
    ----------
    root : Path
        The mirror directory, with ``macro/`` and ``assets/`` inside.
    """

    source: ClassVar[str] = "mirror"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._csv = CsvProvider(self.root)

    def path(self, request: SeriesRequest) -> Path:
        """The file that holds ``request`` (not checked for existence)."""
        return self._csv.path(mirror_request(request))

    def fetch(self, request: SeriesRequest) -> FetchedSeries:
        """Read ``request`` from the mirror, labelled as the live provider labels it.

        Raises
        ------
        DataError
            No such file, column or id form; a malformed file. The message names
            the requested id and the mirror file.
        """
        local = mirror_request(request)
        if not self.root.is_dir():
            raise DataError(f"{request}: the mirror directory {self.root} does not exist")
        try:
            got = self._csv.fetch(local)
        except DataError as exc:
            raise DataError(f"{request} (mirror): {exc}") from None
        where = f"mirror: {self.path(request)}"
        if request.source == "fred":
            return _as_fred(request, got, where)
        if request.source == "yahoo":
            return _as_yahoo(request, got, where)
        return _as_french(request, got, where)


def _as_fred(request: SeriesRequest, got: FetchedSeries, where: str) -> FetchedSeries:
    series_id = request.name.strip().upper()
    frequency, units, publisher = FRED_KNOWN.get(
        series_id, (got.frequency, "as published by FRED", "")
    )
    notes = f"{where}; FRED (St. Louis Fed)" + (f"; {publisher}" if publisher else "")
    if frequency == "M":
        notes += "; monthly values dated on the first day of the month"
    return _relabel(request, got, Kind.LEVEL, units, frequency, notes)


def _as_yahoo(request: SeriesRequest, got: FetchedSeries, where: str) -> FetchedSeries:
    if got.kind is not Kind.PRICE:
        raise DataError(f"{request} (mirror): {where} has no adj_close or close column")
    ticker = request.name.strip()
    crypto = ticker.upper().endswith("-USD")
    notes = f"{where}; Yahoo Finance ({got.units})"
    notes += "; an index without dividends" if ticker.startswith("^") else ""
    units = "total-return price level (adjusted close, quote currency)"
    return _relabel(request, got, Kind.PRICE, units, "C" if crypto else "D", notes)


def _as_french(request: SeriesRequest, got: FetchedSeries, where: str) -> FetchedSeries:
    selector = split_name(request.name, str(request))[2]
    if selector:  # an annual ratio block: a level as published, like the live provider
        notes = (f"{where}; Kenneth R. French Data Library, annual block @{selector} "
                 "(ratio as published; the row labelled t-12-31 is formed at the end of June t)")
        return _relabel(request, got, Kind.LEVEL, "as published by Ken French", "A", notes)
    notes = (
        f"{where}; Kenneth R. French Data Library, first block of the file (value-weighted "
        "returns, or the factors); "
        "percent returns divided by 100"
    )
    returns = got.values / 100.0
    return _relabel(request, replace(got, values=returns), Kind.RETURN, "decimal return",
                    got.frequency, notes)


def _relabel(
    request: SeriesRequest, got: FetchedSeries, kind: Kind, units: str, frequency: str, notes: str
) -> FetchedSeries:
    values = got.values.copy()
    values.name = str(request)
    return FetchedSeries(request, values, kind, units, frequency, notes)
