"""The Dataset: one aligned, point-in-time panel per run.

Assets become total-return indices on the run calendar; macro series are put on
the same calendar through their publication lags (:mod:`backtest.data.align`).
The calendar reaches back to the earliest macro observation so signals can use
their whole history; assets are NaN before their first price.

Calendars and gaps. An asset's last price is carried over calendar dates without
one (holidays, exchange closures) for at most ``_FILL_DAYS`` calendar days (14 on
daily and weekly calendars: 9/11 closed the NYSE for four days, the 1933 bank
holiday for eight business days; 10 on month ends); a longer gap is NaN. Past its
last observation an asset is priced only to the end of that calendar period (the
same day on a daily calendar, the same month on a monthly one), so the run window
ends on the last bar where every input is available. An asset must be at least as
frequent as the calendar: monthly returns cannot price business days. A macro value
is carried at most ``_MAX_AGE_DAYS`` after its release, then it is NaN: a series
that ended long ago is never carried forward silently.

Offline, every series missing from the cache is named in one
:class:`~backtest.errors.CacheMissError` with the single ``backtest data fetch``
command that fills them all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from backtest.data.align import PublicationLag, as_of, default_lag
from backtest.data.base import FetchedSeries, Kind, SeriesRequest
from backtest.data.bills import bill_index, daily_rate, splice_rates
from backtest.data.cache import SeriesNotCachedError
from backtest.errors import CacheMissError, DataError

if TYPE_CHECKING:  # config imports the data layer; avoid the cycle at run time
    from backtest.config import AssetSpec, MacroSpec

__all__ = [
    "Dataset",
    "Loader",
    "SeriesInfo",
    "align_macro",
    "build_dataset",
    "load_series",
    "macro_lag",
    "make_calendar",
    "max_age_days",
]

#: Fetches one series (through the cache for remote sources).
Loader = Callable[[SeriesRequest], FetchedSeries]

# How long a released macro value may be carried forward before it counts as missing.
_MAX_AGE_DAYS = {"D": 10, "C": 10, "W": 16, "M": 70, "Q": 130, "A": 400}
# How long an asset's last price is carried over dates without one, by run calendar.
_FILL_DAYS = {"B": 14, "D": 14, "W": 14, "M": 10}
# Past its last observation, an asset is priced to the end of this calendar period.
_PERIOD = {"B": "D", "D": "D", "W": "W-FRI", "M": "M"}
# Coarseness of series frequencies (D, C daily ... A annual) and run calendars.
_RANK = {"D": 0, "C": 0, "B": 0, "W": 1, "M": 2, "Q": 3, "A": 4}
_WORD = {"D": "daily", "C": "daily", "B": "business-daily", "W": "weekly", "M": "monthly",
         "Q": "quarterly", "A": "annual"}


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


def _max_age_days(f: FetchedSeries) -> int:
    try:
        return _MAX_AGE_DAYS[f.frequency]
    except KeyError:
        raise DataError(
            f"{f.request}: unknown frequency {f.frequency!r}; expected one of "
            f"{', '.join(_MAX_AGE_DAYS)}"
        ) from None


def _check_frequency(f: FetchedSeries, calendar: str) -> None:
    if f.frequency not in _RANK:
        raise DataError(f"{f.request}: unknown frequency {f.frequency!r}")
    if _RANK[f.frequency] > _RANK[calendar]:
        raise DataError(
            f"{f.request}: {_WORD[f.frequency]} data cannot price a {_WORD[calendar]} "
            f"calendar (every bar needs a price); use a coarser run.frequency or a "
            f"more frequent series"
        )


def _returns(f: FetchedSeries, kind: str | None, where: str) -> pd.Series:
    """Decimal returns of a return series (``kind``: the config's override)."""
    if kind == "return_pct" and f.kind is Kind.RETURN:
        raise DataError(
            f"{where}: {f.request} already holds decimal returns ({f.units}); "
            "drop kind = 'return_pct'"
        )
    if kind is None and f.kind is not Kind.RETURN:
        raise DataError(
            f"{where}: {f.request} is a {f.kind.value} series ({f.units}), not returns; "
            "set kind = 'return' or 'return_pct' if it holds returns"
        )
    rets = f.values / 100.0 if kind == "return_pct" else f.values
    if (rets <= -1).any():
        raise DataError(f"{f.request}: a return of -100% or worse")
    return rets


def _level_from_returns(rets: pd.Series, frequency: str) -> pd.Series:
    level = (1.0 + rets).cumprod()
    # base 1.0 one period before the first return, so the first return is kept
    step = rets.index[1] - rets.index[0] if len(rets) > 1 else pd.Timedelta(days=1)
    base_date = rets.index[0] - (pd.offsets.MonthEnd(1) if frequency == "M" else step)
    base = pd.Series([1.0], index=pd.DatetimeIndex([base_date], name="date").as_unit("ns"))
    return pd.concat([base, level])


def _to_level(fetched: FetchedSeries, kind: str | None) -> pd.Series:
    values = fetched.values
    if kind is None and fetched.kind is Kind.LEVEL:
        raise DataError(
            f"{fetched.request}: a level series ({fetched.units}) is neither prices nor "
            "returns; as an asset set kind = 'price', 'return', 'return_pct' or 'bill_yield'"
        )
    kind = kind or ("price" if fetched.kind is Kind.PRICE else "return")
    if fetched.kind is Kind.LEVEL and kind == "price" and fetched.units.startswith("percent"):
        raise DataError(f"{fetched.request}: a macro level ({fetched.units}) is not a price")
    if kind == "price":
        if (values <= 0).any():
            raise DataError(f"{fetched.request}: prices must be > 0")
        return values
    return _level_from_returns(_returns(fetched, kind, str(fetched.request)), fetched.frequency)


def _asset_level(
    spec: AssetSpec, fetched: Mapping[str, FetchedSeries], frequency: str
) -> pd.Series:
    """Total-return level of a plain or expression asset, on its own dates."""
    parts = [(fetched[name], coef) for name, coef in spec.expr.terms]
    for f, _ in parts:
        _check_frequency(f, frequency)
    if len(parts) == 1:
        return _to_level(parts[0][0], spec.kind)
    terms = [_returns(f, spec.kind, spec.id) * c for f, c in parts]
    freqs = {f.frequency for f, _ in parts}
    if len(freqs) > 1:
        raise DataError(
            f"asset {spec.id!r}: its series have different frequencies ({', '.join(sorted(freqs))})"
        )
    # returns are combined bar by bar on the dates every term has, then compounded
    rets = pd.concat(terms, axis=1, join="inner").sum(axis=1)
    if len(rets) < 2:
        raise DataError(f"asset {spec.id!r}: its series share fewer than two dates")
    return _level_from_returns(rets, freqs.pop())


def _on_calendar(level: pd.Series, calendar: pd.DatetimeIndex, frequency: str) -> pd.Series:
    aligned = level.reindex(calendar, method="ffill")
    seen = pd.Series(level.index, index=level.index).reindex(calendar, method="ffill")
    stale = (calendar.to_series() - seen > pd.Timedelta(days=_FILL_DAYS[frequency])).to_numpy()
    last = level.index[-1]
    period = _PERIOD[frequency]
    beyond = (calendar > last) & (calendar.to_period(period) != last.to_period(period))
    aligned[stale | beyond] = np.nan
    return aligned


def _load_all(ids: Iterable[str], load: Loader) -> dict[str, FetchedSeries]:
    """Load every id once; offline, name every missing series in one error."""
    out: dict[str, FetchedSeries] = {}
    missing: list[SeriesNotCachedError] = []
    for sid in dict.fromkeys(ids):
        try:
            out[sid] = load(SeriesRequest.parse(sid))
        except SeriesNotCachedError as exc:
            missing.append(exc)
    if len(missing) == 1:
        raise missing[0]
    if missing:
        names = " ".join(str(m.request) for m in missing)
        raise CacheMissError(
            f"{len(missing)} series are not in {missing[0].where}; run: backtest data fetch {names}"
        )
    return out


def _bill_level(
    alias: str, spec: AssetSpec, fetched: Mapping[str, FetchedSeries],
    calendar: pd.DatetimeIndex, role: str,
) -> tuple[pd.Series, list[SeriesInfo]]:
    """Cash index from a bill yield (spliced onto ``before``), and one info per leg."""
    legs = [(spec.id, spec.basis, spec.lag)]
    if spec.before is not None:
        legs.append((spec.before, spec.before_basis, spec.before_lag))
    rates, infos = [], []
    for sid, basis, lag_spec in legs:
        f = fetched[sid]
        if f.kind is not Kind.LEVEL or not f.values.between(-5.0, 50.0).all():
            raise DataError(
                f"{alias}: bill_yield needs a yield in percent; {sid} is a {f.kind.value} "
                f"series ({f.units}) ranging {f.values.min():g} .. {f.values.max():g}"
            )
        lag = PublicationLag(lag_spec) if lag_spec else default_lag(sid, f.frequency)
        known = as_of(f.values, lag, calendar, max_age_days=_max_age_days(f))
        rates.append(daily_rate(known, basis or "bond_equivalent"))
        how = ("per day (1/P)^(1/91) - 1, P = 1 - d*91/360" if basis == "discount"
               else "per day (1 + y/2)^(2/365) - 1")
        infos.append(_info(alias, f, role, str(lag), f.values,
                           kind=f"bill_yield ({basis})", notes=f"{f.notes}; {how}"))
    rate = rates[0]
    if len(rates) == 2:
        known_at = calendar[rates[0].notna().to_numpy()]
        switch = known_at[0] if len(known_at) else calendar[-1] + pd.Timedelta(days=1)
        rate = splice_rates(rates[0], rates[1], switch)
        infos = [replace(info, notes=f"{info.notes}; used {text} {switch.date()}")
                 for info, text in zip(infos, ("from", "before"), strict=True)]
    return bill_index(rate), infos


def build_dataset(
    assets: Mapping[str, AssetSpec],
    macro: Mapping[str, MacroSpec],
    *,
    cash: str,
    frequency: str,
    periods_per_year: int,
    load: Loader,
) -> Dataset:
    """Fetch every series through ``load`` and align them into a :class:`Dataset`.

    Raises
    ------
    CacheMissError
        Offline and series are missing from the cache (all of them are named).
    DataError
        A series cannot be used as configured (see the module docstring).
    """
    if frequency not in _FILL_DAYS:
        raise DataError(f"unknown run frequency {frequency!r}; expected B, D, W or M")
    macro_ids = [name for spec in macro.values() for name in spec.expr.names]
    fetched = _load_all([*(i for s in assets.values() for i in s.series_ids), *macro_ids], load)
    bills = {a for a, s in assets.items() if s.kind == "bill_yield"}
    levels = {a: _asset_level(s, fetched, frequency) for a, s in assets.items() if a not in bills}
    bill_ids = [i for a in bills for i in assets[a].series_ids]
    firsts = [s.index[0] for s in levels.values()]
    firsts += [fetched[i].values.index[0] for i in [*macro_ids, *bill_ids]]
    lasts = [s.index[-1] for s in levels.values()]
    lasts = lasts or [fetched[i].values.index[-1] for i in bill_ids]
    calendar = make_calendar(min(firsts), max(lasts), frequency)
    prices, infos = {}, []
    for alias, spec in assets.items():
        role = "cash" if alias == cash else "asset"
        if alias in bills:
            prices[alias], legs = _bill_level(alias, spec, fetched, calendar, role)
            infos += legs
            continue
        prices[alias] = _on_calendar(levels[alias], calendar, frequency)
        if len(spec.expr.terms) == 1:
            infos.append(_info(alias, fetched[spec.expr.names[0]], role, "none", levels[alias]))
        else:
            infos += [_info(alias, fetched[n], role, "none", fetched[n].values,
                            notes=f"{fetched[n].notes}; term of {spec.id} (returns added)")
                      for n in spec.expr.names]
    panel, macro_infos = align_macro(macro, fetched, calendar)
    infos += macro_infos
    return Dataset(
        prices=pd.DataFrame(prices, index=calendar),
        macro=panel,
        cash=cash,
        frequency=frequency,
        periods_per_year=periods_per_year,
        sources=tuple(infos),
    )


def macro_lag(spec: MacroSpec, series_id: str, fetched: FetchedSeries) -> PublicationLag:
    """The publication lag of one series of a macro spec: its ``lag``, else the default."""
    return PublicationLag(spec.lag) if spec.lag else default_lag(series_id, fetched.frequency)


def max_age_days(fetched: FetchedSeries) -> int:
    """How long a released value of ``fetched`` is carried before it counts as missing."""
    return _max_age_days(fetched)


def align_macro(
    macro: Mapping[str, MacroSpec], fetched: Mapping[str, FetchedSeries],
    calendar: pd.DatetimeIndex,
) -> tuple[pd.DataFrame, list[SeriesInfo]]:
    """Put every macro alias on ``calendar`` through its publication lags.

    Each term of an expression is lagged on its own (:func:`~backtest.data.align.as_of`),
    so the value at a close uses only what was released by then; a released value
    is carried at most :func:`max_age_days`, then it is missing.

    Returns
    -------
    panel : pd.DataFrame
        Shape (n_dates, n_aliases) on ``calendar``.
    infos : list of SeriesInfo
        Provenance of every series read.
    """
    columns, infos = {}, []
    for alias, mspec in macro.items():
        def lookup(series_id: str, spec: MacroSpec = mspec, alias: str = alias) -> pd.Series:
            f = fetched[series_id]
            lag = macro_lag(spec, series_id, f)
            infos.append(_info(alias, f, "macro", str(lag), f.values))
            return as_of(f.values, lag, calendar, max_age_days=_max_age_days(f))
        columns[alias] = mspec.expr.evaluate(lookup)
    return pd.DataFrame(columns, index=calendar), infos


def load_series(ids: Iterable[str], load: Loader) -> dict[str, FetchedSeries]:
    """Load every id once (offline: one error naming every missing series)."""
    return _load_all(ids, load)


def _info(
    alias: str, f: FetchedSeries, role: str, lag: str, s: pd.Series,
    *, kind: str | None = None, notes: str | None = None,
) -> SeriesInfo:
    return SeriesInfo(
        alias=alias,
        id=str(f.request),
        role=role,
        kind=kind or str(f.kind),
        units=f.units,
        frequency=f.frequency,
        lag=lag,
        first=s.index[0],
        last=s.index[-1],
        notes=notes if notes is not None else f.notes,
    )
