"""Real data that ships inside installed packages, so the main job runs offline.

Series ids
----------
``embedded:french/<COL>``
    Monthly Ken French returns 1949-01..2017-03 from ``linearmodels.datasets.french``:
    size/book-to-market ``S1V1 S1V3 S1V5 S3V1 S3V3 S3V5 S5V1 S5V3 S5V5``,
    size/momentum ``S1M1 ... S5M5``, 12 industries ``NoDur Durbl Manuf Enrgy Chems
    BusEq Telcm Utils Shops Hlth Money Other``, factors ``MktRF SMB HML Mom`` and the
    one-month T-bill return ``RF``. ``french/Mkt`` is the market total return
    ``MktRF + RF``. Decimal returns; a month's return is dated on its last day.
``embedded:moody/AAA``, ``embedded:moody/BAA``
    Moody's seasoned Aaa/Baa corporate bond yields, monthly averages 1919-01..2018-12
    in percent (``arch.data.default``), dated on the first of the month (FRED's
    convention); they are known only after the month ends (see ``align``).
``embedded:sp500``, ``embedded:nasdaq``
    Daily closes 1999-01-04..2018-12-31 (``arch.data``); price indices, *without*
    dividends.
``embedded:core_cpi``
    US core CPI index (CPILFESL), monthly 1957..2018 (``arch.data.core_cpi``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import ClassVar

import pandas as pd

from backtest.data.base import FetchedSeries, Kind, SeriesRequest, validate_series
from backtest.errors import DataError

__all__ = ["EmbeddedProvider", "embedded_names"]

_FRENCH_NOTE = (
    "Kenneth R. French Data Library, via linearmodels.datasets.french "
    "(monthly, value-weighted; decimals)"
)
_MOODY_NOTE = "Moody's seasoned corporate bond yields, monthly averages, via arch.data.default"


@cache
def _french() -> pd.DataFrame:
    from linearmodels.datasets import french

    raw = french.load()
    dates = pd.DatetimeIndex(raw.pop("dates")) + pd.offsets.MonthEnd(0)
    frame = raw.set_axis(pd.DatetimeIndex(dates, name="date")).astype("float64")
    frame["Mkt"] = frame["MktRF"] + frame["RF"]
    return frame


def _arch(name: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        import importlib

        module = importlib.import_module(f"arch.data.{name}")
        frame: pd.DataFrame = module.load()
        return frame

    return load


_ARCH: dict[str, tuple[Callable[[], pd.DataFrame], str, Kind, str, str, str]] = {
    # name: (loader, column, kind, units, frequency, notes)
    "moody/AAA": (_arch("default"), "AAA", Kind.LEVEL, "percent", "M", _MOODY_NOTE),
    "moody/BAA": (_arch("default"), "BAA", Kind.LEVEL, "percent", "M", _MOODY_NOTE),
    "sp500": (_arch("sp500"), "Adj Close", Kind.PRICE, "index points (price index, no dividends)",
              "D", "S&P 500 index close via arch.data.sp500 (excludes dividends)"),
    "nasdaq": (_arch("nasdaq"), "Adj Close", Kind.PRICE,
               "index points (price index, no dividends)", "D",
               "NASDAQ Composite close via arch.data.nasdaq (excludes dividends)"),
    "core_cpi": (_arch("core_cpi"), "CPILFESL", Kind.LEVEL, "index 1982-84=100", "M",
                 "US core CPI (CPILFESL), BLS via arch.data.core_cpi"),
}


def embedded_names() -> list[str]:
    """List every valid ``embedded:`` name."""
    return [f"french/{c}" for c in _french().columns] + list(_ARCH)


class EmbeddedProvider:
    """Serve the embedded series; no network, no cache needed."""

    source: ClassVar[str] = "embedded"

    def fetch(self, request: SeriesRequest) -> FetchedSeries:
        """Return the whole embedded history of ``request``."""
        name, label = request.name, str(request)
        if name.startswith("french/"):
            column = name.removeprefix("french/")
            frame = _french()
            if column not in frame.columns:
                raise DataError(
                    f"{label}: unknown column {column!r}; valid: {', '.join(frame.columns)}"
                )
            values = validate_series(frame[column], label)
            return FetchedSeries(request, values, Kind.RETURN, "decimal return", "M", _FRENCH_NOTE)
        if name not in _ARCH:
            raise DataError(
                f"{label}: unknown embedded series; valid: french/<column>, {', '.join(_ARCH)}"
            )
        loader, column, kind, units, frequency, notes = _ARCH[name]
        values = validate_series(loader()[column], label)
        return FetchedSeries(request, values, kind, units, frequency, notes)
