"""The ``fred`` provider: series from FRED (Federal Reserve Bank of St. Louis).

Without an API key it downloads the public CSV
``https://fred.stlouisfed.org/graph/fredgraph.csv?id=ID``, whose header is
``observation_date,ID`` in current files and ``DATE,ID`` in older ones, with
``.`` (or an empty cell) for a missing observation. With a key (the
``FRED_API_KEY`` environment variable, read by the CLI and passed in) it uses
the JSON observations API instead. Either way the whole history comes back.

FRED dates a monthly average on the first day of its month and a weekly value
on its observation date; the Dataset applies publication lags, not this module.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import ClassVar

import pandas as pd

from backtest.data._http import HtmlPageError, HttpClient, HttpError, RetryPolicy, Session
from backtest.data.base import FetchedSeries, Kind, SeriesRequest, validate_series
from backtest.data.csv import check_unique, infer_frequency, read_table, to_dates, to_numbers
from backtest.errors import DataError, ProviderError

__all__ = ["CSV_URL", "JSON_URL", "FredProvider", "parse_fred_csv", "parse_fred_json"]

CSV_URL = "https://fred.stlouisfed.org/graph/fredgraph.csv"
JSON_URL = "https://api.stlouisfed.org/fred/series/observations"

_H15 = "Board of Governors of the Federal Reserve System (H.15)"
_H41 = "Board of Governors of the Federal Reserve System (H.4.1)"
_MOODYS = "Moody's"
_ICE = "ICE Data Indices (ICE BofA)"
#: id -> (frequency, units, publisher) for the series this project uses most.
KNOWN: dict[str, tuple[str, str, str]] = {
    **{sid: ("D", "percent", _H15) for sid in (
        "DGS1MO", "DGS3MO", "DGS6MO", "DGS1", "DGS2", "DGS5", "DGS7", "DGS10", "DGS20", "DGS30",
        "DFII5", "DFII10", "DFII30", "DTB3", "DTB6")},
    "DFF": ("C", "percent", _H15),
    **{sid: ("D", "percentage points", "FRED (St. Louis Fed) from H.15")
       for sid in ("T10Y2Y", "T10Y3M", "T10YIE", "T5YIE")},
    **{sid: ("M", "percent", _H15) for sid in ("GS10", "GS2", "TB3MS", "FEDFUNDS")},
    **{sid: ("M", "percent", _MOODYS) for sid in ("AAA", "BAA")},
    **{sid: ("D", "percent", _MOODYS) for sid in ("DAAA", "DBAA")},
    **{sid: ("D", "percentage points", _MOODYS) for sid in ("BAA10Y", "AAA10Y")},
    **{sid: ("D", "percent", _ICE) for sid in ("BAMLH0A0HYM2", "BAMLC0A0CM")},
    **{sid: ("W", "millions of USD", _H41) for sid in ("WALCL", "WTREGEN", "WDTGAL", "WRESBAL")},
    "RRPONTSYD": ("D", "billions of USD", "Federal Reserve Bank of New York"),
    "SOFR": ("D", "percent", "Federal Reserve Bank of New York"),
    "NFCI": ("W", "index (standard deviations)", "Federal Reserve Bank of Chicago"),
    "ANFCI": ("W", "index (standard deviations)", "Federal Reserve Bank of Chicago"),
    "VIXCLS": ("D", "index", "Cboe Global Markets"),
    "CPIAUCSL": ("M", "index 1982-1984=100", "U.S. Bureau of Labor Statistics"),
    "CPILFESL": ("M", "index 1982-1984=100", "U.S. Bureau of Labor Statistics"),
}
_DATE_HEADERS = ("observation_date", "date")


def parse_fred_csv(text: str, series_id: str) -> pd.Series:
    """Parse a ``fredgraph.csv`` download.

    Parameters
    ----------
    text : str
        The CSV: header ``observation_date,ID`` or ``DATE,ID``, then ``YYYY-MM-DD,value``
        rows; ``.`` or an empty cell marks a missing observation; blank lines are skipped.
    series_id : str
        The FRED id asked for; the header's second column must name it.

    Returns
    -------
    pd.Series
        Floats on a sorted, unique DatetimeIndex named ``date``; missing observations dropped.

    Raises
    ------
    DataError
        HTML, a header for another series, truncated rows, values that are not
        numbers or ``.``, duplicate dates, or no observations; names the line.
    """
    label = f"fred:{series_id}"
    table = read_table(text, label)
    header = [name.lower() for name in table.header]
    if len(header) != 2 or header[0] not in _DATE_HEADERS:
        raise DataError(f"{label}: unexpected CSV header {','.join(table.header)!r}")
    if header[1] != series_id.lower():
        raise DataError(f"{label}: the download is for {table.header[1]!r}, not {series_id!r}")
    index = to_dates(table.column(0), table.lines, label, hints=False)
    check_unique(index, table.lines, label)
    numbers = to_numbers(table.column(1), table.lines, label)
    return validate_series(pd.Series(numbers, index=index), label)


def parse_fred_json(text: str, series_id: str) -> pd.Series:
    """Parse the JSON of ``fred/series/observations`` (``{"observations": [{date, value}]}``).

    Raises
    ------
    DataError
        Not JSON, an API error object, malformed observations, duplicate dates
        or no observations.
    """
    label = f"fred:{series_id}"
    try:
        payload = json.loads(text)
    except ValueError:
        raise DataError(f"{label}: the FRED API response is not JSON") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("observations"), list):
        detail = payload.get("error_message", "") if isinstance(payload, dict) else ""
        raise DataError(f"{label}: FRED API error {detail}".rstrip())
    try:
        dates = [str(obs["date"]) for obs in payload["observations"]]
        cells = [str(obs["value"]) for obs in payload["observations"]]
    except (KeyError, TypeError):
        raise DataError(f"{label}: malformed observation in the FRED API response") from None
    lines = list(range(1, len(dates) + 1))
    index = to_dates(dates, lines, f"{label} observation", hints=False)
    check_unique(index, lines, f"{label} observation")
    numbers = to_numbers(cells, lines, f"{label} observation")
    return validate_series(pd.Series(numbers, index=index), label)


class FredProvider:
    """Fetch FRED series (see the module docstring).

    Parameters
    ----------
    session : Session or None
        HTTP session; a ``requests.Session`` by default. Tests pass fakes.
    api_key : str or None
        A FRED API key; ``None`` uses the public CSV download (no key needed).
    sleep : callable or None
        Waits between retries; ``time.sleep`` by default.
    retry : RetryPolicy or None
        Attempts, timeout and backoff.
    """

    source: ClassVar[str] = "fred"

    def __init__(
        self,
        session: Session | None = None,
        api_key: str | None = None,
        *,
        sleep: Callable[[float], object] | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._http = HttpClient(session, sleep, retry)
        self._api_key = api_key or None

    def fetch(self, request: SeriesRequest) -> FetchedSeries:
        """Download the whole history of ``request`` (a FRED id such as ``DGS10``).

        Raises
        ------
        DataError
            ``fred:XYZ: unknown series at FRED`` for an id FRED does not know.
        ProviderError
            Network failures, throttling, server errors, a rejected API key.
        """
        series_id = request.name.strip().upper()
        label = str(request)
        try:
            if self._api_key is None:
                body = self._http.get(CSV_URL, label=label, params={"id": series_id})
                values = parse_fred_csv(body.decode("utf-8-sig"), series_id)
            else:
                params = {"series_id": series_id, "api_key": self._api_key, "file_type": "json"}
                body = self._http.get(JSON_URL, label=label, params=params, expect="json")
                values = parse_fred_json(body.decode("utf-8-sig"), series_id)
        except HtmlPageError as exc:
            raise DataError(_unknown(label, series_id, str(exc).partition(": ")[2])) from None
        except HttpError as exc:
            raise _classify(exc, label, series_id) from None
        values.name = label
        frequency, units, publisher = KNOWN.get(series_id, ("", "as published by FRED", ""))
        notes = "FRED (St. Louis Fed)" + (f"; {publisher}" if publisher else "")
        if not frequency:
            frequency = infer_frequency(values.index, label)
        if frequency == "M":
            notes += "; monthly values dated on the first day of the month"
        return FetchedSeries(request, values, Kind.LEVEL, units, frequency, notes)


def _unknown(label: str, series_id: str, why: str) -> str:
    return (
        f"{label}: unknown series at FRED ({why}); "
        f"check the id at https://fred.stlouisfed.org/series/{series_id}"
    )


def _classify(exc: HttpError, label: str, series_id: str) -> DataError:
    body = exc.body.decode("utf-8", "replace").lower()
    if exc.status in (400, 404) and "api_key" in body:
        return ProviderError(
            f"{label}: FRED rejected the API key (FRED_API_KEY); fix it, "
            "or unset it to use the public CSV download"
        )
    if exc.status in (400, 404):
        return DataError(_unknown(label, series_id, f"HTTP {exc.status}"))
    return exc

