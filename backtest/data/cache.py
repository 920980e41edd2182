"""The parquet cache of fetched series, and :func:`load_series`, the Dataset's one entry point.

Layout: ``root/<source>/<name>.parquet`` plus a JSON sidecar
``root/<source>/<name>.meta.json`` (source, series, kind, units, frequency,
notes, fetched_at, first/last date, rows, sha256 of the parquet bytes). Names
are percent-encoded (``french:A/B`` -> ``french/A%2FB.parquet``), so every
series id maps to one file and back.

Crash safety. The parquet file is the commit record: it embeds the complete
metadata and a digest of its values in its schema metadata, and it is only
ever replaced whole (write a temp file in the same directory, fsync,
``os.replace``, fsync the directory). The sidecar is written the same way,
*after* the parquet, and is a derived copy for people and tools. So:

* killed before the parquet's ``os.replace``: the old parquet and sidecar are
  untouched; a stray ``*.tmp`` file may remain and is ignored (``clear`` removes it);
* killed between the two replaces: the new parquet is complete; the sidecar's
  sha256 does not match it, so the reader re-checks the parquet against its
  embedded digest and rewrites the sidecar;
* a parquet that fails to decode or to match its embedded digest (bit rot, a
  hand edit) is corrupt: :class:`DataError` naming the ``clear``/``fetch`` to run.

An empty or invalid series is rejected before any file is touched, and an
``OSError`` (disk full) removes the temp file and raises one-line ``DataError``.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from backtest._atomic import write_atomic
from backtest.data.base import (
    SOURCES,
    FetchedSeries,
    Kind,
    Provider,
    SeriesRequest,
    validate_series,
)
from backtest.errors import CacheMissError, ConfigError, DataError, StaleDataWarning

__all__ = [
    "LOCAL_SOURCES",
    "Cache",
    "CacheMeta",
    "SeriesNotCachedError",
    "default_max_age",
    "load_series",
    "merge_history",
    "resolve_data_root",
]

#: Sources read from local files or generated; never cached.
LOCAL_SOURCES = frozenset({"embedded", "csv", "synthetic"})
DEFAULT_ROOT = Path("data") / "cache"
_META_KEY = b"dcf_regime.cache"
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


@dataclass(frozen=True)
class CacheMeta:
    """What the sidecar (and the parquet's own metadata) says about a cache entry."""

    source: str
    name: str
    kind: Kind
    units: str
    frequency: str
    notes: str
    fetched_at: datetime
    first_date: date
    last_date: date
    rows: int
    sha256: str

    @property
    def request(self) -> SeriesRequest:
        """The series this entry holds."""
        return SeriesRequest(self.source, self.name)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (dates in ISO format, ``series`` = ``source:name``)."""
        out = asdict(self)
        out.update(
            series=str(self.request), kind=self.kind.value, fetched_at=self.fetched_at.isoformat(),
            first_date=self.first_date.isoformat(), last_date=self.last_date.isoformat(),
        )
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> CacheMeta:
        """Inverse of :meth:`to_dict`; raises ``KeyError``/``ValueError`` on bad input."""
        return cls(
            source=str(raw["source"]), name=str(raw["name"]), kind=Kind(raw["kind"]),
            units=str(raw["units"]), frequency=str(raw["frequency"]), notes=str(raw["notes"]),
            fetched_at=datetime.fromisoformat(raw["fetched_at"]),
            first_date=date.fromisoformat(raw["first_date"]),
            last_date=date.fromisoformat(raw["last_date"]),
            rows=int(raw["rows"]), sha256=str(raw["sha256"]),
        )


def _values_digest(values: pd.Series) -> str:
    stamps = values.index.as_unit("ns").asi8.astype("<i8").tobytes()
    numbers = values.to_numpy(dtype="<f8").tobytes()
    return hashlib.sha256(stamps + numbers).hexdigest()


def _encode(fetched: FetchedSeries, values: pd.Series, fetched_at: datetime) -> bytes:
    """Serialise to parquet bytes with the metadata (minus sha256) embedded."""
    embedded = {
        "source": fetched.request.source, "name": fetched.request.name,
        "kind": fetched.kind.value, "units": fetched.units, "frequency": fetched.frequency,
        "notes": fetched.notes, "fetched_at": fetched_at.isoformat(),
        "first_date": values.index[0].date().isoformat(),
        "last_date": values.index[-1].date().isoformat(),
        "rows": len(values), "values_sha256": _values_digest(values),
    }
    table = pa.table({
        "date": pa.array(values.index.as_unit("ns").to_numpy(), type=pa.timestamp("ns")),
        "value": pa.array(values.to_numpy(dtype=float), type=pa.float64()),
    })
    table = table.replace_schema_metadata({_META_KEY: json.dumps(embedded).encode()})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


def _decode(blob: bytes) -> tuple[dict[str, Any], pd.Series]:
    """Parse parquet bytes; raise ``ValueError`` if they are not a valid entry."""
    try:
        table = pq.read_table(pa.BufferReader(blob))
        embedded = json.loads(table.schema.metadata[_META_KEY])
        index = pd.DatetimeIndex(table.column("date").to_numpy(), name="date")
        values = pd.Series(table.column("value").to_numpy(), index=index, dtype=float)
    except (pa.ArrowException, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"unreadable parquet ({type(exc).__name__})") from None
    if _values_digest(values) != embedded.get("values_sha256"):
        raise ValueError("its values do not match their recorded digest")
    return embedded, values


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got {value!r}")
    return value.astimezone(UTC)


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _fix(request: SeriesRequest) -> str:
    return f"run: backtest data clear {request} && backtest data fetch {request}"


class Cache:
    """Parquet files under ``root``, one per series, each with a JSON sidecar.

    Parameters
    ----------
    root : Path
        The data root (see :func:`resolve_data_root`); created on first write.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def paths(self, request: SeriesRequest) -> tuple[Path, Path]:
        """Return the parquet file and the sidecar of ``request``."""
        stem = quote(request.name, safe="")
        stem = "%2E" + stem[1:] if stem.startswith(".") else stem
        folder = self.root / request.source
        return folder / f"{stem}.parquet", folder / f"{stem}.meta.json"

    def write(self, fetched: FetchedSeries, fetched_at: datetime) -> CacheMeta:
        """Store ``fetched`` atomically, replacing any previous entry.

        Raises
        ------
        DataError
            The series is empty or invalid (nothing is written), or the disk
            refused the write (the previous entry is unchanged).
        """
        label = str(fetched.request)
        values = validate_series(fetched.values, label)
        blob = _encode(fetched, values, _aware(fetched_at, "fetched_at"))
        meta = _meta(_decode(blob)[0], blob)
        data_path, meta_path = self.paths(fetched.request)
        try:
            data_path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(data_path, blob)
        except OSError as exc:
            raise DataError(
                f"{label}: cannot write {data_path} ({_reason(exc)}); the cached copy is unchanged"
            ) from None
        try:
            write_atomic(meta_path, _sidecar(meta))
        except OSError as exc:
            raise DataError(
                f"{label}: stored {data_path.name} but not its sidecar ({_reason(exc)}); "
                "the sidecar is rebuilt on the next read"
            ) from None
        return meta

    def read(self, request: SeriesRequest) -> FetchedSeries | None:
        """Return the cached series, or ``None`` if there is none.

        Raises
        ------
        DataError
            The entry is corrupt; the message says which ``clear``/``fetch`` to run.
        """
        entry = self._entry(request)
        return None if entry is None else entry[1]

    def meta(self, request: SeriesRequest) -> CacheMeta | None:
        """Return the entry's metadata (verified against the parquet), or ``None``."""
        entry = self._entry(request)
        return None if entry is None else entry[0]

    def entries(self) -> list[CacheMeta]:
        """List the valid entries, sorted by series id; corrupt ones are skipped with a warning."""
        found: list[CacheMeta] = []
        for data_path in self._data_files():
            try:
                request = SeriesRequest(data_path.parent.name, unquote(data_path.name[:-8]))
                meta = self.meta(request)
            except (ConfigError, DataError) as exc:
                warnings.warn(str(exc), UserWarning, stacklevel=2)
                continue
            if meta is not None:
                found.append(meta)
        return sorted(found, key=lambda m: (m.source, m.name))

    def clear(self, request: SeriesRequest | None = None) -> int:
        """Delete one entry (or all, with leftover temp files); return how many entries went."""
        targets = [self.paths(request)[0]] if request is not None else self._data_files()
        removed = 0
        for data_path in targets:
            stem = data_path.name[:-8]
            removed += data_path.exists()
            data_path.unlink(missing_ok=True)  # the commit record goes first
            for extra in data_path.parent.glob(f"{glob.escape(stem)}.*"):
                if extra.name.endswith((".meta.json", ".tmp")):
                    extra.unlink(missing_ok=True)
        if request is None:
            for folder in self._folders():
                for extra in [*folder.glob("*.meta.json"), *folder.glob("*.tmp")]:
                    extra.unlink(missing_ok=True)
        return int(removed)

    def _folders(self) -> list[Path]:
        remote = (s for s in SOURCES if s not in LOCAL_SOURCES)
        return [self.root / s for s in remote if (self.root / s).is_dir()]

    def _data_files(self) -> list[Path]:
        return sorted(p for folder in self._folders() for p in folder.glob("*.parquet"))

    def _entry(self, request: SeriesRequest) -> tuple[CacheMeta, FetchedSeries] | None:
        data_path, meta_path = self.paths(request)
        try:
            blob = data_path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise DataError(f"{request}: cannot read {data_path} ({_reason(exc)})") from None
        try:
            embedded, values = _decode(blob)
            meta = _meta(embedded, blob)
        except (KeyError, ValueError) as exc:
            raise DataError(
                f"{request}: cache entry {data_path} is corrupt ({exc}); {_fix(request)}"
            ) from None
        if (meta.source, meta.name) != (request.source, request.name):
            raise DataError(
                f"{request}: cache entry {data_path} holds {meta.request}; {_fix(request)}"
            )
        _heal_sidecar(meta_path, meta)
        values.name = str(request)
        fetched = FetchedSeries(request, values, meta.kind, meta.units, meta.frequency, meta.notes)
        return meta, fetched


def _meta(embedded: Mapping[str, Any], blob: bytes) -> CacheMeta:
    return CacheMeta.from_dict({**embedded, "sha256": hashlib.sha256(blob).hexdigest()})


def _sidecar(meta: CacheMeta) -> bytes:
    return (json.dumps(meta.to_dict(), indent=2, sort_keys=True) + "\n").encode()


def _heal_sidecar(meta_path: Path, meta: CacheMeta) -> None:
    """Rewrite a missing or stale sidecar (left by a write killed after the parquet replace)."""
    try:
        current = CacheMeta.from_dict(json.loads(meta_path.read_bytes()))
    except (OSError, KeyError, TypeError, ValueError):
        current = None
    if current != meta:
        with contextlib.suppress(OSError):  # a read-only cache still reads
            write_atomic(meta_path, _sidecar(meta))


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
       replaces good data. A corrupt entry counts as absent online (the fetch
       replaces it) and raises offline.

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
    now = _aware(now, "now")
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
    """Read the entry; online, an unreadable one counts as absent (the fetch replaces it)."""
    if cache is None:
        return None
    try:
        return cache._entry(request)
    except DataError:
        if offline:
            raise
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
