"""The ``yahoo`` provider: daily total-return closes from Yahoo Finance via yfinance.

We call ``yfinance.download(ticker, period="max", auto_adjust=True,
actions=False, progress=False, ...)``. With ``auto_adjust=True`` yfinance
rescales the OHLC columns for splits **and** dividends, so ``Close`` *is* the
total-return close (Yahoo's "Adj Close"); there is no separate ``Adj Close``
column. If a frame does have ``Adj Close`` (a download with
``auto_adjust=False``), :func:`parse_yahoo_frame` reads that column instead,
never the raw ``Close``.

yfinance 1.x returns MultiIndex columns even for one ticker: levels
``(Price, Ticker)`` by default, ``(Ticker, Price)`` with ``group_by="ticker"``.
Both, and plain single-level columns, are handled. Indices (``^GSPC``) have
no dividends: their "total-return" close is the price index. Crypto pairs
(``BTC-USD``) trade every calendar day, so their frequency is ``C``.

Yahoo rescales the whole adjusted history at each dividend, so every fetch
downloads the full history; an incremental splice would leave a false jump.

yfinance reports failures by logging them (``1 Failed download: ...``) and
returning an empty frame. Those lines are captured, not printed: a failure
becomes one line of ours, a network failure naming Yahoo Finance and asking
"offline?" (:func:`backtest.data._http.unreachable`), anything else "no data
(unknown ticker?)" with yfinance's reason. Warnings that yfinance's own code
raises (pandas deprecations inside yfinance) are silenced: nothing a user can act on.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import pandas as pd

from backtest.data._http import network_failure, unreachable
from backtest.data.base import FetchedSeries, Kind, SeriesRequest, validate_series
from backtest.errors import DataError, ProviderError

__all__ = ["YahooProvider", "parse_yahoo_frame"]

_FIELDS = frozenset({"Adj Close", "Close", "Open", "High", "Low", "Volume", "Dividends"})
Download = Callable[..., Any]


def parse_yahoo_frame(frame: pd.DataFrame | None, ticker: str) -> pd.Series:
    """Extract one ticker's total-return close from a ``yfinance.download`` frame.

    Parameters
    ----------
    frame : pd.DataFrame or None
        Rows are dates. Columns are a ``(Price, Ticker)`` or ``(Ticker, Price)``
        MultiIndex (yfinance 1.x, one or several tickers) or single-level price
        fields. ``Adj Close`` is used when present (``auto_adjust=False``), else
        ``Close`` (which ``auto_adjust=True`` has already adjusted for
        dividends and splits).
    ticker : str
        The ticker to extract (matched case-insensitively).

    Returns
    -------
    pd.Series
        Floats on a sorted, unique, tz-naive DatetimeIndex named ``date``; NaN rows dropped.

    Raises
    ------
    DataError
        ``yahoo:XYZ: no data (unknown ticker?)`` for an empty or all-NaN frame;
        a frame without the ticker or without a close column; duplicate dates.
    """
    label = f"yahoo:{ticker}"
    if frame is None or frame.empty:
        raise DataError(f"{label}: no data (unknown ticker?)")
    fields = _ticker_fields(frame, ticker, label)
    column = "Adj Close" if "Adj Close" in fields.columns else "Close"
    if column not in fields.columns:
        raise DataError(f"{label}: no Close column (columns: {', '.join(map(str, fields))})")
    values = fields[column]
    if isinstance(values, pd.DataFrame):
        raise DataError(f"{label}: the frame has several {column!r} columns")
    values = pd.to_numeric(values, errors="coerce")
    if values.isna().all():
        raise DataError(f"{label}: no data (unknown ticker?)")
    values.index = pd.DatetimeIndex(values.index)
    return validate_series(values, label)


def _ticker_fields(frame: pd.DataFrame, ticker: str, label: str) -> pd.DataFrame:
    """Return the single-level frame of price fields for ``ticker``."""
    columns = frame.columns
    if not isinstance(columns, pd.MultiIndex):
        return frame
    if columns.nlevels != 2:
        raise DataError(f"{label}: unexpected column levels {list(columns.names)}")
    field_level = 0 if set(map(str, columns.levels[0])) & _FIELDS else 1
    ticker_level = 1 - field_level
    tickers = [str(t) for t in columns.get_level_values(ticker_level).unique()]
    match = [t for t in tickers if t.upper() == ticker.upper()]
    if not match:
        raise DataError(f"{label}: not in the downloaded frame (tickers: {', '.join(tickers)})")
    fields = frame.xs(match[0], axis=1, level=ticker_level)
    return fields if isinstance(fields, pd.DataFrame) else fields.to_frame()


class YahooProvider:
    """Fetch daily total-return closes with yfinance (imported lazily, as vectorbt's YFData does).

    Parameters
    ----------
    download : callable or None
        A stand-in for ``yfinance.download`` (tests pass fakes); the real one by default.
    timeout_s : float
        Per-request timeout passed to yfinance.
    """

    source: ClassVar[str] = "yahoo"

    def __init__(self, download: Download | None = None, *, timeout_s: float = 30.0) -> None:
        self._download = download
        self.timeout_s = timeout_s

    def fetch(self, request: SeriesRequest) -> FetchedSeries:
        """Download the whole daily history of ``request.name`` (a Yahoo ticker).

        Raises
        ------
        ProviderError
            yfinance raised (network, throttling, a changed Yahoo API).
        DataError
            No data came back (an unknown ticker; yfinance also reports some
            network failures this way).
        """
        ticker = request.name.strip()
        label = str(request)
        with _quiet_yfinance() as said:
            try:
                frame = self._get_download()(
                    ticker, period="max", interval="1d", auto_adjust=True, actions=False,
                    progress=False, threads=False, timeout=self.timeout_s,
                    multi_level_index=True,
                )
            except Exception as exc:  # yfinance raises anything from curl/json/pandas
                detail = " ".join(str(exc).split())[:120]
                why = network_failure(f"{type(exc).__name__} {exc}")
                if why is not None:
                    raise ProviderError(unreachable(label, why)) from None
                raise ProviderError(
                    f"{label}: yfinance failed ({type(exc).__name__}: {detail}); "
                    "try again later or use --offline"
                ) from None
        if frame is None or frame.empty:
            _raise_no_data(label, ticker, said)
        values = parse_yahoo_frame(frame, ticker)
        values.name = label
        crypto = ticker.upper().endswith("-USD")
        notes = "Yahoo Finance via yfinance (auto_adjust=True: close adjusted for splits and "
        notes += "dividends)" + ("; an index without dividends" if ticker.startswith("^") else "")
        units = "total-return price level (adjusted close, quote currency)"
        return FetchedSeries(request, values, Kind.PRICE, units, "C" if crypto else "D", notes)

    def _get_download(self) -> Download:
        if self._download is not None:
            return self._download
        try:
            import yfinance
        except ImportError:
            raise ProviderError(
                "yahoo: the yfinance package is not installed; pip install yfinance"
            ) from None
        download: Download = yfinance.download
        return download


class _Said(logging.Handler):
    """Collects what yfinance logs (instead of printing it)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            self.lines.append(" ".join(record.getMessage().split()))


@contextlib.contextmanager
def _quiet_yfinance() -> Iterator[list[str]]:
    """Capture yfinance's log lines and stray prints; silence its own warnings."""
    logger = logging.getLogger("yfinance")
    said = _Said()
    propagate = logger.propagate
    logger.addHandler(said)
    logger.propagate = False
    try:
        with (
            warnings.catch_warnings(),
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(io.StringIO()),
        ):
            warnings.filterwarnings("ignore", module=r"yfinance(\.|$)")
            yield said.lines
    finally:
        logger.removeHandler(said)
        logger.propagate = propagate


def _raise_no_data(label: str, ticker: str, said: list[str]) -> None:
    """An empty download: a network failure if yfinance's lines say so, else no data."""
    text = " ".join(said)
    why = network_failure(text)
    if why is not None:
        raise ProviderError(unreachable(label, why))
    mine = [line for line in said if ticker.upper() in line.upper()]
    reason = mine[-1].split("]: ", 1)[-1][:120] if mine else ""
    raise DataError(f"{label}: no data (unknown ticker?)" + (f"; yfinance: {reason}" if reason
                                                             else ""))
