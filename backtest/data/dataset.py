"""The Dataset: one aligned, point-in-time panel per run.

Assets become total-return indices on the run calendar; macro series are put on
the same calendar through their publication lags (:mod:`backtest.data.align`).
The calendar reaches back to the earliest macro observation so signals can use
their whole history; assets are NaN before their first price.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from backtest.data.align import PublicationLag, as_of, default_lag
from backtest.data.base import FetchedSeries, Kind, SeriesRequest
from backtest.errors import DataError

if TYPE_CHECKING:  # config imports the data layer; avoid the cycle at run time
    from backtest.config import AssetSpec, MacroSpec

__all__ = ["Dataset", "Loader", "SeriesInfo", "build_dataset", "make_calendar"]

#: Fetches one series (through the cache for remote sources).
Loader = Callable[[SeriesRequest], FetchedSeries]

# How long a released value may be carried forward before it counts as missing.
_MAX_AGE_DAYS = {"D": 10, "C": 10, "W": 16, "M": 70}
_GRACE_DAYS = {"M": 7, "W": 7, "D": 4, "B": 4}


@dataclass(frozen=True)
class SeriesInfo:
    """Provenance of one input series, shown in every report."""

    alias: str
    id: str
    role: str  # "asset" | "cash" | "macro"
    kind: str
    units: str
    frequency: str
    lag: str
    first: pd.Timestamp
    last: pd.Timestamp
    notes: str


@dataclass(frozen=True)
class Dataset:
    """A point-in-time panel.

    Attributes
    ----------
    prices : pd.DataFrame
        Shape (n_dates, n_assets): total-return indices (any base) on the calendar;
        NaN before an asset's first and after its last observation.
    macro : pd.DataFrame
        Shape (n_dates, n_series): each value as known at the close of that date
        (publication lag applied); columns are the config's macro aliases.
    cash : str
        Column of ``prices`` that is the cash asset (T-bill total return).
    frequency : str
        Calendar: ``B`` business days, ``D`` calendar days, ``W`` weeks (Friday), ``M``
        month ends.
    periods_per_year : int
        Annualization used by every metric of the run.
    sources : tuple of SeriesInfo
    """

    prices: pd.DataFrame
    macro: pd.DataFrame
    cash: str
    frequency: str
    periods_per_year: int
    sources: tuple[SeriesInfo, ...]

    @property
    def fingerprint(self) -> str:
        """sha256 of every price and macro value with its date."""
        digest = hashlib.sha256()
        for frame in (self.prices, self.macro):
            digest.update(",".join(frame.columns).encode())
            digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
        return digest.hexdigest()


def make_calendar(first: pd.Timestamp, last: pd.Timestamp, frequency: str) -> pd.DatetimeIndex:
    """Dates of a calendar within [first, last]: month ends, Fridays, days or business days."""
    freq = {"M": "ME", "W": "W-FRI", "D": "D", "B": "B"}[frequency]
    # a period whose last day is after `last` is incomplete and left out
    return pd.date_range(first, last, freq=freq, name="date").as_unit("ns")


def _to_level(fetched: FetchedSeries, kind: str | None) -> pd.Series:
    values = fetched.values
    kind = kind or ("price" if fetched.kind is Kind.PRICE else "return")
    if fetched.kind is Kind.LEVEL and kind == "price" and fetched.units.startswith("percent"):
        raise DataError(f"{fetched.request}: a macro level ({fetched.units}) is not a price")
    if kind == "price":
        if (values <= 0).any():
            raise DataError(f"{fetched.request}: prices must be > 0")
        return values
    rets = values / 100.0 if kind == "return_pct" else values
    if (rets <= -1).any():
        raise DataError(f"{fetched.request}: a return of -100% or worse")
    level = (1.0 + rets).cumprod()
    # base 1.0 one period before the first return, so the first return is kept
    step = values.index[1] - values.index[0] if len(values) > 1 else pd.Timedelta(days=1)
    base_date = values.index[0] - (pd.offsets.MonthEnd(1) if fetched.frequency == "M" else step)
    base = pd.Series([1.0], index=pd.DatetimeIndex([base_date], name="date").as_unit("ns"))
    return pd.concat([base, level])


def _on_calendar(level: pd.Series, calendar: pd.DatetimeIndex, frequency: str) -> pd.Series:
    aligned = level.reindex(calendar, method="ffill")
    first_known = calendar[calendar >= level.index[0]]
    if len(first_known) == 0:
        return aligned * np.nan
    aligned[calendar < first_known[0]] = np.nan
    # a last price stays valid to the end of its calendar period, not beyond
    aligned[calendar > level.index[-1] + pd.Timedelta(days=_GRACE_DAYS[frequency])] = np.nan
    return aligned


def build_dataset(
    assets: Mapping[str, AssetSpec],
    macro: Mapping[str, MacroSpec],
    *,
    cash: str,
    frequency: str,
    periods_per_year: int,
    load: Loader,
) -> Dataset:
    """Fetch every series through ``load`` and align them into a :class:`Dataset`."""
    fetched_assets = {alias: load(spec.request) for alias, spec in assets.items()}
    levels = {a: _to_level(f, assets[a].kind) for a, f in fetched_assets.items()}
    ids = {name for spec in macro.values() for name in spec.expr.names}
    fetched_macro = {i: load(SeriesRequest.parse(i)) for i in sorted(ids)}
    firsts = [s.index[0] for s in levels.values()] + [
        f.values.index[0] for f in fetched_macro.values()
    ]
    last = max(s.index[-1] for s in levels.values())
    calendar = make_calendar(min(firsts), last, frequency)
    prices = pd.DataFrame({a: _on_calendar(s, calendar, frequency) for a, s in levels.items()})
    infos = [
        _info(a, f, "cash" if a == cash else "asset", "none", levels[a])
        for a, f in fetched_assets.items()
    ]
    columns = {}
    for alias, spec in macro.items():
        def lookup(series_id: str, spec: MacroSpec = spec, alias: str = alias) -> pd.Series:
            f = fetched_macro[series_id]
            lag = PublicationLag(spec.lag) if spec.lag else default_lag(series_id, f.frequency)
            infos.append(_info(alias, f, "macro", str(lag), f.values))
            return as_of(f.values, lag, calendar, max_age_days=_MAX_AGE_DAYS[f.frequency])
        columns[alias] = spec.expr.evaluate(lookup)
    return Dataset(
        prices=prices,
        macro=pd.DataFrame(columns, index=calendar),
        cash=cash,
        frequency=frequency,
        periods_per_year=periods_per_year,
        sources=tuple(infos),
    )


def _info(alias: str, f: FetchedSeries, role: str, lag: str, s: pd.Series) -> SeriesInfo:
    return SeriesInfo(
        alias=alias,
        id=str(f.request),
        role=role,
        kind=str(f.kind),
        units=f.units,
        frequency=f.frequency,
        lag=lag,
        first=s.index[0],
        last=s.index[-1],
        notes=f.notes,
    )
