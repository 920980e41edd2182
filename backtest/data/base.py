"""The provider contract: what a series id is and what a fetch returns.

Series ids are namespaced ``source:name`` strings, for example ``fred:DGS10``,
``yahoo:QQQ``, ``embedded:french/S5V1`` or
``french:Portfolios_Formed_on_BE-ME/Hi10``. Everything after the first colon
belongs to the provider.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Protocol

import numpy as np
import pandas as pd

from backtest.errors import ConfigError, DataError

__all__ = ["FetchedSeries", "Kind", "Provider", "SeriesRequest", "validate_series"]

SOURCES = ("embedded", "csv", "fred", "yahoo", "french", "synthetic")
_ID = re.compile(r"^(?P<source>[a-z]+):(?P<name>\S.*)$")


@dataclass(frozen=True, order=True)
class SeriesRequest:
    """One series to fetch.

    Parameters
    ----------
    source : str
        Provider name, one of ``embedded``, ``csv``, ``fred``, ``yahoo``,
        ``french``, ``synthetic``.
    name : str
        The provider's own name for the series (``DGS10``, ``QQQ``,
        ``french/S5V1``).
    """

    source: str
    name: str

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ConfigError(
                f"unknown data source {self.source!r} in {self.source}:{self.name}; "
                f"valid sources: {', '.join(SOURCES)}"
            )
        if not self.name.strip():
            raise ConfigError(f"empty series name for source {self.source!r}")

    @classmethod
    def parse(cls, text: str) -> SeriesRequest:
        """Parse ``source:name``.

        Examples
        --------
        >>> SeriesRequest.parse("fred:DGS10")
        SeriesRequest(source='fred', name='DGS10')
        """
        match = _ID.match(text.strip())
        if match is None:
            raise ConfigError(
                f"series id {text!r} is not of the form source:name "
                f"(e.g. fred:DGS10, yahoo:QQQ, embedded:french/S5V1)"
            )
        return cls(match["source"], match["name"].strip())

    def __str__(self) -> str:
        return f"{self.source}:{self.name}"


class Kind(StrEnum):
    """What the numbers of a series mean."""

    #: A total-return price level (dividends reinvested); returns come from its ratios.
    PRICE = "price"
    #: Simple periodic returns in decimals (Ken French portfolios after /100).
    RETURN = "return"
    #: A macro level such as a yield in percent or a balance in millions of USD.
    LEVEL = "level"


@dataclass(frozen=True)
class FetchedSeries:
    """A series as a provider returns it, before any alignment or lag.

    Parameters
    ----------
    request : SeriesRequest
        What was asked for.
    values : pd.Series
        Float values on a tz-naive, sorted, unique ``DatetimeIndex`` named
        ``date``; no NaN (missing observations are dropped).
    kind : Kind
        Price level, periodic return or macro level.
    units : str
        Human-readable units (``percent``, ``decimal return``, ``millions of USD``).
    frequency : str
        ``D`` (business daily), ``C`` (calendar daily, crypto), ``W`` or ``M``.
        For monthly series the date is the provider's convention, stated in
        ``notes`` (FRED dates a month's average on its first day).
    notes : str
        Provenance shown in reports (publisher, licence hints).
    """

    request: SeriesRequest
    values: pd.Series
    kind: Kind
    units: str
    frequency: str
    notes: str = ""


class Provider(Protocol):
    """Fetches raw series for one source. Network code lives only in providers."""

    source: ClassVar[str]

    def fetch(self, request: SeriesRequest) -> FetchedSeries:
        """Return the whole available history of ``request``.

        Raises
        ------
        ProviderError
            The source failed (network, HTTP status, malformed payload); the
            message names source and series.
        DataError
            The series does not exist at the source.
        """
        ...


def validate_series(values: pd.Series, label: str) -> pd.Series:
    """Check and normalise a provider's output to the contract of ``FetchedSeries.values``.

    Raises :class:`DataError` naming ``label`` for duplicate dates, non-numeric or
    infinite values or an empty series; sorts a non-monotonic index (with no loss).
    """
    if not isinstance(values.index, pd.DatetimeIndex):
        raise DataError(f"{label}: index is not a date index")
    if values.index.tz is not None:
        values = values.tz_localize(None)
    if values.index.has_duplicates:
        dup = values.index[values.index.duplicated()][0]
        raise DataError(f"{label}: duplicate date {dup.date()}")
    try:
        values = values.astype("float64")
    except (TypeError, ValueError) as exc:
        raise DataError(f"{label}: non-numeric values ({exc})") from None
    values = values.dropna().sort_index()
    if values.empty:
        raise DataError(f"{label}: no observations")
    infinite = np.isinf(values.to_numpy())
    if infinite.any():
        when = values.index[infinite][0]
        raise DataError(f"{label}: the value on {when.date()} is {values[when]}, not a finite "
                        "number")
    try:
        values.index = pd.DatetimeIndex(values.index, name="date").as_unit("ns")
    except (OverflowError, ValueError):  # pandas' OutOfBoundsDatetime is a ValueError
        raise DataError(
            f"{label}: dates {values.index[0]} .. {values.index[-1]} reach outside the "
            "supported range (1678 to 2261)"
        ) from None
    values.name = label
    return values
