"""One cache entry's bytes: a parquet file that carries its own metadata, and the record.

Pure (no file system): :func:`encode` turns a fetched series into parquet bytes
whose schema metadata holds the complete :class:`CacheMeta` (less the file's own
sha256) and a digest of the values; :func:`decode` reverses it and raises
``ValueError`` for anything that is not such a file (random bytes, a truncated
or bit-flipped parquet, ZSTD damage, a JSON file in its place, a hand edit).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from backtest.data.base import FetchedSeries, Kind, SeriesRequest

__all__ = ["CacheMeta", "aware", "decode", "encode", "sidecar_bytes"]

_META_KEY = b"dcf_regime.cache"


@dataclass(frozen=True)
class CacheMeta:
    """What an entry's record (the sidecar) says about it.

    ``data_file`` names the parquet file of the entry in the same folder (empty
    for an entry written before records pointed at their data: ``<name>.parquet``).
    ``sha256`` is the digest of that file's bytes.
    """

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
    data_file: str = ""

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
        """Inverse of :meth:`to_dict`; raises ``KeyError``/``ValueError``/``TypeError``."""
        if not isinstance(raw, Mapping):
            raise TypeError("not a JSON object")
        fetched_at = aware(datetime.fromisoformat(str(raw["fetched_at"])), "fetched_at")
        return cls(
            source=str(raw["source"]), name=str(raw["name"]), kind=Kind(raw["kind"]),
            units=str(raw["units"]), frequency=str(raw["frequency"]), notes=str(raw["notes"]),
            fetched_at=fetched_at,
            first_date=date.fromisoformat(str(raw["first_date"])),
            last_date=date.fromisoformat(str(raw["last_date"])),
            rows=int(raw["rows"]), sha256=str(raw["sha256"]),
            data_file=str(raw.get("data_file", "")),
        )


def aware(value: datetime, name: str) -> datetime:
    """``value`` in UTC; ``ValueError`` if it has no time zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got {value!r}")
    return value.astimezone(UTC)


def _values_digest(values: pd.Series) -> str:
    stamps = values.index.as_unit("ns").asi8.astype("<i8").tobytes()
    numbers = values.to_numpy(dtype="<f8").tobytes()
    return hashlib.sha256(stamps + numbers).hexdigest()


def encode(fetched: FetchedSeries, values: pd.Series, fetched_at: datetime) -> bytes:
    """Parquet bytes of a validated series, its metadata (minus sha256) embedded."""
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


def decode(blob: bytes, data_file: str = "") -> tuple[CacheMeta, pd.Series]:
    """Parse parquet bytes into the record they embed and the values.

    Raises
    ------
    ValueError
        Not a readable parquet file of this cache, or values that do not match
        their recorded digest; the message says which.
    """
    try:
        # one thread: pyarrow's reader pool, left running at interpreter exit, made 1 in 7
        # commands abort ("terminate called without an active exception", exit 134)
        # after printing their output (pyarrow 26; 0 in 40 with use_threads=False)
        table = pq.read_table(pa.BufferReader(blob), use_threads=False)
        embedded = json.loads(table.schema.metadata[_META_KEY])
        index = pd.DatetimeIndex(table.column("date").to_numpy(), name="date")
        values = pd.Series(table.column("value").to_numpy(), index=index, dtype=float)
        meta = CacheMeta.from_dict(
            {**embedded, "sha256": hashlib.sha256(blob).hexdigest(), "data_file": data_file}
        )
    except (pa.ArrowException, OSError, KeyError, TypeError, ValueError, AttributeError,
            UnicodeDecodeError, OverflowError) as exc:
        raise ValueError(f"unreadable parquet ({type(exc).__name__})") from None
    if _values_digest(values) != embedded.get("values_sha256") or len(values) != meta.rows:
        raise ValueError("its values do not match their recorded digest")
    return meta, values


def sidecar_bytes(meta: CacheMeta) -> bytes:
    """The record as pretty JSON (the sidecar people read and the cache trusts)."""
    return (json.dumps(meta.to_dict(), indent=2, sort_keys=True) + "\n").encode()
