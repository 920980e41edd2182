"""The parquet cache of fetched series, and :func:`load_series`, the Dataset's one entry point.

The files and their crash safety are :mod:`backtest.data._store` (a record and a
content-addressed data file per series, committed by one atomic swap, unreadable
entries set aside under ``root/corrupt``); the bytes of one entry are
:mod:`backtest.data._cachefile`. This module is the policy: where the cache is,
how old a copy may be, and what a run does when a fetch fails or the network is
off.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from backtest.data._cachefile import CacheMeta, aware
from backtest.data._store import LOCAL_SOURCES, Cache, CorruptEntryError
from backtest.data.base import FetchedSeries, Provider, SeriesRequest, validate_series
from backtest.errors import CacheMissError, DataError, DataWarning, StaleDataWarning

__all__ = [
    "LOCAL_SOURCES",
    "Cache",
    "CacheMeta",
    "CorruptEntryError",
    "SeriesNotCachedError",
    "default_max_age",
    "load_series",
    "merge_history",
    "resolve_data_root",
]

DEFAULT_ROOT = Path("data") / "cache"
_MAX_AGE_DAYS = {"D": 1, "C": 1, "W": 7, "M": 31, "Q": 31, "A": 31}


class SeriesNotCachedError(CacheMissError):
    """Offline and ``request`` is not cached; ``where`` names the cache that was read.

    The Dataset collects these so one message can name every missing series of a run.
    """

    def __init__(self, request: SeriesRequest, where: str) -> None:
        self.request = request
        self.where = where
        super().__init__(f"{request} is not in {where}; run: backtest data fetch {request}")


def resolve_data_root(cli_value: str | None, env_value: str | None) -> Path:
    """Return the cache root: ``--data-dir`` > ``BACKTEST_DATA`` > ``./data/cache``.

    Both values are passed in by the CLI; this function never reads the environment.
    """
    for value in (cli_value, env_value):
        if value is not None and value.strip():
            return Path(value.strip()).expanduser()
    return DEFAULT_ROOT


def default_max_age(frequency: str) -> timedelta:
    """Return how old a cached copy may be before it is re-fetched.

    One day for daily series (``D``, ``C``), 7 days for weekly, 31 days for
    monthly and slower (``M``, ``Q``, ``A``).
    """
    try:
        return timedelta(days=_MAX_AGE_DAYS[frequency])
    except KeyError:
        raise ValueError(
            f"unknown frequency {frequency!r}; expected one of D, C, W, M, Q, A"
        ) from None


def merge_history(old: pd.Series, new: pd.Series, *, rtol: float = 1e-9) -> pd.Series:
    """Splice cached history in front of a fetch that returned only recent rows.

    If ``new`` starts after ``old`` does and every date they share carries the
    same value (to ``rtol``), the result is ``old`` before ``new``'s first date
    followed by all of ``new``. Otherwise ``new`` wins whole: it reaches back as
    far as ``old``, or there is no overlap to check, or the overlap disagrees (a
    revision, or an adjusted-price history rescaled at a dividend) and splicing
    two disagreeing vintages would create a false jump.
    """
    if old.empty or new.empty or new.index[0] <= old.index[0]:
        return new
    shared = old.index.intersection(new.index)
    if shared.empty or not np.allclose(old.loc[shared], new.loc[shared], rtol=rtol, atol=0.0):
        return new
    merged = pd.concat([old.loc[old.index < new.index[0]], new])
    merged.index = pd.DatetimeIndex(merged.index, name="date")
    merged.name = new.name
    return merged


def load_series(
    request: SeriesRequest,
    *,
    providers: Mapping[str, Provider],
    cache: Cache | None,
    offline: bool,
    max_age: timedelta | None,
    now: datetime,
) -> FetchedSeries:
    """Return a series through the cache: the one function the Dataset calls.

    Local sources (``embedded``, ``csv``, ``synthetic``) are read from their
    provider every time and never cached. For remote sources:

    1. a cached copy younger than ``max_age`` (default :func:`default_max_age`
       of its frequency) is returned as is;
    2. offline, a stale cached copy is returned with a :class:`StaleDataWarning`,
       and a missing one raises :class:`CacheMissError` naming the fetch to run;
    3. otherwise the provider fetches; the result is validated, spliced onto the
       cached history if it holds only recent rows (:func:`merge_history`),
       written to the cache with ``fetched_at=now`` and returned;
    4. if the fetch fails (:class:`DataError`, including :class:`ProviderError`)
       and a cached copy exists, that copy is returned with a
       :class:`StaleDataWarning`; a failed, partial or empty download never
       replaces good data. An unreadable entry is set aside (never deleted) and
       counts as absent online (the fetch replaces it, with a warning); offline
       it raises, naming the fetch to run.

    Parameters
    ----------
    request : SeriesRequest
        The series.
    providers : mapping of str to Provider
        One provider per source name.
    cache : Cache or None
        ``None`` disables caching (every call fetches).
    offline : bool
        Never call a remote provider.
    max_age : timedelta or None
        Re-fetch when the cached copy is older; ``None`` for the frequency default.
    now : datetime
        The current time, timezone-aware (passed in; this function reads no clock).

    Raises
    ------
    CacheMissError
        Offline and the series is not cached.
    DataError
        The fetch failed and nothing is cached, or the cache entry is corrupt.
    """
    now = aware(now, "now")
    if request.source in LOCAL_SOURCES:
        return _fetch(providers, request)
    entry = _cached(cache, request, offline)
    if entry is not None:
        meta, cached = entry
        limit = max_age if max_age is not None else default_max_age(meta.frequency)
        if now - meta.fetched_at <= limit:
            return cached
        if offline:
            _warn_stale(request, meta, now, "offline")
            return cached
    elif offline:
        where = f"the cache at {cache.root}" if cache is not None else "the cache (none configured)"
        raise SeriesNotCachedError(request, where)
    try:
        fresh = _fetch(providers, request)
    except DataError as exc:
        if entry is None:
            raise
        _warn_stale(request, entry[0], now, str(exc).removeprefix(f"{request}: "))
        return entry[1]
    if entry is not None and entry[0].kind is fresh.kind:
        fresh = replace(fresh, values=merge_history(entry[1].values, fresh.values))
    if cache is not None:
        cache.write(fresh, now)
    return fresh


def _cached(
    cache: Cache | None, request: SeriesRequest, offline: bool
) -> tuple[CacheMeta, FetchedSeries] | None:
    """Read the entry; online, an unreadable one (set aside) counts as absent and is re-fetched."""
    if cache is None:
        return None
    try:
        return cache._entry(request)
    except CorruptEntryError as exc:
        if offline:
            raise
        warnings.warn(f"{exc}; fetching it again", DataWarning, stacklevel=4)
        return None


def _fetch(providers: Mapping[str, Provider], request: SeriesRequest) -> FetchedSeries:
    provider = providers.get(request.source)
    if provider is None:
        raise DataError(
            f"{request}: no provider for source {request.source!r} "
            f"(configured: {', '.join(sorted(providers)) or 'none'})"
        )
    fetched = provider.fetch(request)
    values = validate_series(fetched.values, str(request))
    return replace(fetched, request=request, values=values)


def _warn_stale(request: SeriesRequest, meta: CacheMeta, now: datetime, why: str) -> None:
    age = now - meta.fetched_at
    shown = f"{age.days} days" if age.days >= 1 else f"{age.total_seconds() / 3600:.0f} hours"
    warnings.warn(
        f"{request}: {why}; using the cached copy fetched {meta.fetched_at:%Y-%m-%d %H:%M} UTC "
        f"({shown} old, last date {meta.last_date})",
        StaleDataWarning,
        stacklevel=3,
    )
