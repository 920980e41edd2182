"""Publication lags and as-of alignment (pure).

A macro observation dated ``d`` is not known at the close of ``d``: FRED dates a
monthly average on the first of its month, a daily H.15 yield is published the
next business day, the NFCI for the week ending Friday comes out the following
Wednesday. :func:`release_dates` maps observation dates to the first date on
whose close the value is known; :func:`as_of` puts a series on a trading
calendar using only values released on or before each date. This module is the
only place that shifts data in time (the engine alone applies *execution* lag).

Lag specs (strings, so they can be overridden per series in a TOML config):

``none``             known at the close of its own date (prices, returns)
``<N>B``             N business days after the observation date (``1B`` daily H.15)
``<N>D``             N calendar days after the observation date
``next_month``       the first day of the following month (monthly averages)
``next_month+<N>B``  N business days after the first day of the following month
                     (``next_month+3B`` = 4th business day: excess bond premium)
``next_<DAY>``       the first given weekday strictly after the observation date
                     (``next_WED`` for NFCI, ``next_THU`` for the H.4.1 balance sheet)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from backtest.errors import ConfigError

__all__ = ["PublicationLag", "as_of", "default_lag", "release_dates"]

_DAYS = {"MON": 0, "TUE": 1, "WED": 2, "THU": 3, "FRI": 4, "SAT": 5, "SUN": 6}
_SPEC = re.compile(
    r"^(?:(?P<none>none)|(?P<n>\d+)(?P<unit>[BD])|(?P<month>next_month)(?:\+(?P<mb>\d+)B)?"
    r"|next_(?P<day>MON|TUE|WED|THU|FRI|SAT|SUN))$"
)


@dataclass(frozen=True)
class PublicationLag:
    """A parsed publication-lag spec; see the module docstring for the forms."""

    spec: str

    def __post_init__(self) -> None:
        if _SPEC.match(self.spec) is None:
            raise ConfigError(
                f"bad publication lag {self.spec!r}; use none, <N>B, <N>D, next_month, "
                "next_month+<N>B or next_<DAY> (e.g. 1B, next_month, next_WED)"
            )

    def __str__(self) -> str:
        return self.spec


def release_dates(dates: pd.DatetimeIndex, lag: PublicationLag) -> pd.DatetimeIndex:
    """Return, for each observation date, the first date on whose close it is known.

    Examples
    --------
    >>> d = pd.DatetimeIndex(["2024-01-01", "2024-02-01"])
    >>> list(release_dates(d, PublicationLag("next_month")).strftime("%Y-%m-%d"))
    ['2024-02-01', '2024-03-01']
    """
    m = _SPEC.match(lag.spec)
    assert m is not None  # validated in __post_init__
    if m["none"]:
        out = dates
    elif m["n"]:
        n = int(m["n"])
        out = dates + (pd.offsets.BDay(n) if m["unit"] == "B" else pd.Timedelta(days=n))
    elif m["month"]:
        out = dates + pd.offsets.MonthBegin(1)
        if m["mb"]:
            # the first business day on or after the 1st, then N more
            out = out + pd.offsets.BDay(0) + pd.offsets.BDay(int(m["mb"]))
    else:
        target = _DAYS[m["day"]]
        ahead = (target - dates.day_of_week) % 7
        ahead = ahead.where(ahead != 0, 7)
        out = dates + pd.to_timedelta(ahead, unit="D")
    return pd.DatetimeIndex(out, name="date")


def as_of(
    values: pd.Series, lag: PublicationLag, calendar: pd.DatetimeIndex, *, max_age_days: int
) -> pd.Series:
    """Align ``values`` to ``calendar`` using only what was released by each date.

    Parameters
    ----------
    values : pd.Series
        Observations on their own (observation-date) index.
    lag : PublicationLag
        When each observation becomes known.
    calendar : pd.DatetimeIndex
        The trading calendar; each date means "at that day's close".
    max_age_days : int
        A released value is carried forward at most this many days; after that the
        series is treated as missing (NaN) rather than silently stale.

    Returns
    -------
    pd.Series
        Indexed by ``calendar``; at each date, the latest observation whose release
        date is on or before it.
    """
    released = pd.Series(values.to_numpy(), index=release_dates(values.index, lag))
    released = released[~released.index.duplicated(keep="last")]
    stamp = pd.Series(released.index, index=released.index)
    aligned = released.reindex(calendar, method="ffill")
    age = calendar.to_series() - stamp.reindex(calendar, method="ffill")
    aligned[age > pd.Timedelta(days=max_age_days)] = float("nan")
    aligned.name = values.name
    return aligned


# Default lags by source and name; the frequency rule below covers the rest.
_KNOWN: dict[str, str] = {
    "fred:NFCI": "next_WED",
    "fred:ANFCI": "next_WED",
    "fred:WALCL": "next_THU",
    "fred:WTREGEN": "next_THU",
    "fred:WDTGAL": "next_THU",
    "fred:WRESBAL": "next_THU",
    "csv:macro/NFCI": "next_WED",
    "csv:macro/WALCL": "next_THU",
    "csv:macro/WTREGEN": "next_THU",
    "csv:macro/EBP#ebp": "next_month+3B",
    "csv:macro/EBP#gz_spread": "next_month+3B",
    "csv:macro/EBP#est_prob": "next_month+3B",
}


def default_lag(series_id: str, frequency: str) -> PublicationLag:
    """Return the default publication lag of a macro series.

    Daily series (H.15 yields, ICE OAS, ON RRP): one business day. Monthly
    averages dated on the first of the month: the first day of the next month.
    Weekly series: the next business day unless listed (NFCI: next Wednesday;
    H.4.1 balance-sheet items: next Thursday). Override per series in the config.
    """
    if series_id in _KNOWN:
        return PublicationLag(_KNOWN[series_id])
    if frequency == "M":
        return PublicationLag("next_month")
    return PublicationLag("1B")
