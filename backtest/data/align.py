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
``june_of_year``     30 June of the observation's year, for annual values *labelled*
                     31 December of year t but formed at the end of June t: Ken
                     French's annual valuation ratios (E/P, CF/P, BE/ME of the
                     portfolios formed in June t from fiscal-year t-1 accounts,
                     public by then on Fama and French's assumption). The value is
                     known six months *before* its label; any other date than
                     31 December is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from backtest.errors import ConfigError, DataError

__all__ = ["PublicationLag", "as_of", "default_lag", "known_lags", "release_dates"]

#: The longest lag a series may state, in days or business days.
_MAX_LAG = 3660
_DAYS = {"MON": 0, "TUE": 1, "WED": 2, "THU": 3, "FRI": 4, "SAT": 5, "SUN": 6}
_SPEC = re.compile(
    r"^(?:(?P<none>none)|(?P<n>\d+)(?P<unit>[BD])|(?P<month>next_month)(?:\+(?P<mb>\d+)B)?"
    r"|next_(?P<day>MON|TUE|WED|THU|FRI|SAT|SUN)|(?P<june>june_of_year))$"
)


@dataclass(frozen=True)
class PublicationLag:
    """A parsed publication-lag spec; see the module docstring for the forms."""

    spec: str

    def __post_init__(self) -> None:
        match = _SPEC.match(self.spec)
        if match is None:
            raise ConfigError(
                f"bad publication lag {self.spec!r}; use none, <N>B, <N>D, next_month, "
                "next_month+<N>B, next_<DAY> or june_of_year (e.g. 1B, next_month, next_WED)"
            )
        count = match["n"] or match["mb"]
        if count is not None and int(count) > _MAX_LAG:
            raise ConfigError(f"publication lag {self.spec!r}: at most {_MAX_LAG} days or "
                              "business days (a release later than ten years is no lag)")

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
    elif m["june"]:
        year_end = (dates.month == 12) & (dates.day == 31)
        if not year_end.all():
            bad = dates[~year_end][0].date()
            raise DataError(
                f"publication lag june_of_year applies to annual values labelled on 31 December "
                f"(Ken French's ratio blocks); got an observation dated {bad}"
            )
        out = pd.DatetimeIndex(dates.year.astype(str) + "-06-30").as_unit(dates.unit)
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


# Default lags of the series this project uses, by FRED id. Each entry also covers the
# ``csv:macro/<ID>`` id of the same series in a local directory laid out like
# ../shared/data (the tidy copies keep FRED's observation dates).
_H15_DAILY = (  # Board of Governors H.15, published the next business day (~4:15 pm ET)
    "DGS1MO", "DGS3MO", "DGS6MO", "DGS1", "DGS2", "DGS5", "DGS7", "DGS10", "DGS20", "DGS30",
    "DFII5", "DFII10", "DFII20", "DFII30", "DTB3", "DTB6", "DTB4WK", "DFF",
    "T10Y2Y", "T10Y3M", "T10YIE", "T5YIE",  # FRED spreads of H.15 yields
)
_OTHER_DAILY = (
    "BAA10Y", "AAA10Y", "DAAA", "DBAA",  # Moody's daily yields and their spreads over DGS10
    "BAMLH0A0HYM2", "BAMLC0A0CM",  # ICE BofA option-adjusted spreads
    "RRPONTSYD", "SOFR",  # New York Fed, next business day
)
_MONTHLY_AVERAGES = (  # monthly averages of daily market data, dated on the 1st
    "AAA", "BAA", "GS1", "GS2", "GS5", "GS10", "GS20", "GS30", "TB3MS", "TB6MS", "FEDFUNDS",
)
_KNOWN_BY_ID: dict[str, str] = {
    **dict.fromkeys(_H15_DAILY + _OTHER_DAILY, "1B"),
    **dict.fromkeys(_MONTHLY_AVERAGES, "next_month"),
    # CPI is released around mid-month for the month before (BLS schedule); the 13th
    # business day of the next month is a conservative bound
    "CPIAUCSL": "next_month+12B",
    "CPILFESL": "next_month+12B",
    # Chicago Fed NFCI: week ending Friday, released the following Wednesday
    "NFCI": "next_WED",
    "ANFCI": "next_WED",
    # H.4.1: Wednesday levels / week averages, released the Thursday after
    "WALCL": "next_THU",
    "WTREGEN": "next_THU",
    "WDTGAL": "next_THU",
    "WRESBAL": "next_THU",
}
# Excess bond premium (Gilchrist-Zakrajsek, Federal Reserve Board): monthly, published
# around the 4th business day of the following month; not a FRED series.
_EBP = {f"csv:macro/EBP#{col}": "next_month+3B" for col in ("ebp", "gz_spread", "est_prob")}
_KNOWN: dict[str, str] = {
    **{f"fred:{sid}": lag for sid, lag in _KNOWN_BY_ID.items()},
    **{f"csv:macro/{sid}": lag for sid, lag in _KNOWN_BY_ID.items()},
    **_EBP,
}


# Ken French annual valuation ratios ("Sum of X / Sum of ME", "Value Weight Average of
# X / ME") of the portfolios formed on BE-ME, E-P and CF-P: live ids with a block selector
# and their tidy copies (../shared/data/assets/*_ratio_*_annual.csv; SOURCES.md there).
_FRENCH_RATIOS = re.compile(
    r"^(?:french:Portfolios_Formed_on_(?:BE-ME|E-P|CF-P)/[^@]+@\s*(?:sum|value[-\s]weight"
    r"[-\s]average)\s*|csv:assets/Portfolios_Formed_on_(?:BE-ME|E-P|CF-P)_ratio_(?:sum|vwavg)"
    r"_annual#.+)$"
)


def known_lags() -> dict[str, str]:
    """The table of default publication lags by series id (a copy), for docs and tests."""
    return dict(_KNOWN)


def default_lag(series_id: str, frequency: str) -> PublicationLag:
    """Return the default publication lag of a macro series.

    Series of this project are listed by id (:func:`known_lags`): daily H.15 yields,
    Moody's daily spreads, ICE BofA OAS and ON RRP one business day; monthly averages
    (Moody's AAA/BAA, GS10, TB3MS, FEDFUNDS) the first day of the next month; NFCI the
    next Wednesday; H.4.1 items (WALCL, WTREGEN) the next Thursday; the excess bond
    premium the 4th business day of the next month; Ken French's annual ratio blocks
    (``french:Portfolios_Formed_on_E-P/Hi10@sum`` and their ``csv:assets/..._ratio_...``
    copies) 30 June of the label's year (``june_of_year``). Other series fall back on their
    frequency: daily and weekly one business day, monthly the next month (right for
    monthly *averages of market data*, too early for macro releases such as payrolls:
    set ``lag``). Quarterly and annual series have no safe default.

    Raises
    ------
    DataError
        For a quarterly (``Q``) or annual (``A``) series without a listed lag, or an
        unknown frequency; the message says how to set ``lag`` in the config.
    """
    if series_id in _KNOWN:
        return PublicationLag(_KNOWN[series_id])
    if _FRENCH_RATIOS.match(series_id):
        return PublicationLag("june_of_year")
    if frequency == "M":
        return PublicationLag("next_month")
    if frequency in ("D", "C", "W"):
        return PublicationLag("1B")
    what = {"Q": "quarterly", "A": "annual"}.get(frequency, f"frequency {frequency!r}")
    raise DataError(
        f"{series_id}: no default publication lag for a {what} series; set one in the "
        f'config, e.g. {{ id = "{series_id}", lag = "90D" }} under [data.macro]'
    )
