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

import importlib
import importlib.util
from collections.abc import Callable
from functools import cache
from pathlib import Path
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


def _shipped_file(package: str, *parts: str) -> Path | None:
    """Locate a data file inside an installed package without importing the package.

    Importing ``arch`` or ``linearmodels`` pulls in statsmodels and scipy (about 1.5 s);
    their ``load()`` functions are a ``pd.read_csv`` of these files, which we repeat.
    ``tests/data/test_embedded_dataset.py`` checks both routes give identical frames,
    and a missing file falls back to the package's own ``load()``.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations)), *parts)
    return path if path.is_file() else None


def _load_french() -> pd.DataFrame:
    path = _shipped_file("linearmodels", "datasets", "french", "french.csv.bz2")
    if path is None:
        from linearmodels.datasets import french

        frame: pd.DataFrame = french.load()
        return frame
    raw = pd.read_csv(path)
    raw["dates"] = pd.to_datetime(raw["dates"])
    return raw


def _load_arch(name: str, file: str) -> pd.DataFrame:
    path = _shipped_file("arch", "data", name, file)
    if path is None:
        frame: pd.DataFrame = importlib.import_module(f"arch.data.{name}").load()
        return frame
    raw = pd.read_csv(path)  # as arch.data.utility.load_file does
    if "Date" in raw:
        raw["Date"] = pd.to_datetime(raw["Date"])
        raw = raw.set_index("Date")
    return raw.apply(pd.to_numeric, errors="coerce")


@cache
def _french() -> pd.DataFrame:
    raw = _load_french()
    dates = pd.DatetimeIndex(raw.pop("dates")) + pd.offsets.MonthEnd(0)
    frame = raw.set_axis(pd.DatetimeIndex(dates, name="date")).astype("float64")
    frame["Mkt"] = frame["MktRF"] + frame["RF"]
    return frame


def _arch(name: str, file: str) -> Callable[[], pd.DataFrame]:
    return cache(lambda: _load_arch(name, file))


_MOODY = _arch("default", "default.csv.gz")
_NO_DIVIDENDS = "index points (price index, no dividends)"
_ARCH: dict[str, tuple[Callable[[], pd.DataFrame], str, Kind, str, str, str]] = {
    # name: (loader, column, kind, units, frequency, notes)
    "moody/AAA": (_MOODY, "AAA", Kind.LEVEL, "percent", "M", _MOODY_NOTE),
    "moody/BAA": (_MOODY, "BAA", Kind.LEVEL, "percent", "M", _MOODY_NOTE),
    "sp500": (_arch("sp500", "sp500.csv.gz"), "Adj Close", Kind.PRICE, _NO_DIVIDENDS, "D",
              "S&P 500 index close via arch.data.sp500 (excludes dividends)"),
    "nasdaq": (_arch("nasdaq", "nasdaq.csv.gz"), "Adj Close", Kind.PRICE, _NO_DIVIDENDS, "D",
               "NASDAQ Composite close via arch.data.nasdaq (excludes dividends)"),
    "core_cpi": (_arch("core_cpi", "core-cpi.csv.gz"), "CPILFESL", Kind.LEVEL,
                 "index 1982-84=100", "M", "US core CPI (CPILFESL), BLS via arch.data.core_cpi"),
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
