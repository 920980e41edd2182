"""The cache on disk: one record and one data file per series, swapped as one unit.

Layout, per series (names percent-encoded: ``french:A/B`` -> ``french/A%2FB``)::

    root/<source>/<name>.meta.json                 the record: metadata + which data file
    root/<source>/<name>.<sha256[:16]>.parquet     the data (content-addressed, immutable)
    root/<source>/.<name>.lock                     held while a process writes the series
    root/corrupt/<source>/...                      unreadable files, set aside (never deleted)

Commit protocol (under the series lock): write the new data file (atomic, under a
new name), then replace the record (atomic) — that one ``os.replace`` is the
commit, so the record and the data it describes always come from the same fetch —
then delete the data files the record no longer names. A ``kill -9`` at any point
leaves the previous entry or the new one, never a mix; what it leaves behind (a
temp file, an uncommitted data file) is swept by the next command that touches the
folder, never while another process is writing it.

Reading trusts nothing: the record must parse and name this series, the data file
must exist, hash to the record's sha256 and embed the same metadata and a digest
of its values. An entry that fails is *set aside* (moved under ``root/corrupt``)
and reported in one line naming the series and the fetch that replaces it. A
damaged record is rebuilt from its data file (which carries its own metadata).
Entries written before records named their data (``<name>.parquet`` with a
sidecar, or alone) are still read, and replaced on their next write.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
import warnings
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn
from urllib.parse import quote, unquote

from backtest._atomic import sweep_temp_files, write_atomic
from backtest.data._cachefile import CacheMeta, aware, decode, encode, sidecar_bytes
from backtest.data.base import SOURCES, FetchedSeries, SeriesRequest, validate_series
from backtest.errors import BacktestError, DataError, DataWarning

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no series lock
    fcntl = None  # type: ignore[assignment]

__all__ = ["LOCAL_SOURCES", "Cache", "CorruptEntryError"]

#: Sources read from local files or generated; never cached.
LOCAL_SOURCES = frozenset({"embedded", "csv", "synthetic"})
_RECORD = ".meta.json"
_HASHED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{16})\.parquet$")
_LOCK_WAIT_S = 30.0


class CorruptEntryError(DataError):
    """A cached entry could not be read; its files were set aside."""


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


class Cache:
    """Parquet files under ``root``, one record and one data file per series.

    Parameters
    ----------
    root : Path
        The data root (see :func:`backtest.data.cache.resolve_data_root`); created
        on first write.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # ---- names

    def stem(self, request: SeriesRequest) -> str:
        """The file stem of ``request`` (percent-encoded name)."""
        stem = quote(request.name, safe="")
        return "%2E" + stem[1:] if stem.startswith(".") else stem

    def paths(self, request: SeriesRequest) -> tuple[Path, Path]:
        """The data file the record names (else ``<stem>.parquet``) and the record."""
        folder, stem = self.root / request.source, self.stem(request)
        record = folder / f"{stem}{_RECORD}"
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            data_file = json.loads(record.read_bytes()).get("data_file")
            if isinstance(data_file, str) and data_file:
                return folder / data_file, record
        return folder / f"{stem}.parquet", record

    # ---- writing

    def write(self, fetched: FetchedSeries, fetched_at: datetime) -> CacheMeta:
        """Store ``fetched`` as the series' entry, replacing any previous one atomically.

        Raises
        ------
        DataError
            The series is empty or invalid (nothing is written), the disk refused
            the write, or another process held the series' lock for 30 s (the
            previous entry is unchanged in every case).
        """
        label = str(fetched.request)
        values = validate_series(fetched.values, label)
        blob = encode(fetched, values, aware(fetched_at, "fetched_at"))
        meta, _ = decode(blob)
        stem = self.stem(fetched.request)
        meta = replace(meta, data_file=f"{stem}.{meta.sha256[:16]}.parquet")
        folder = self.root / fetched.request.source
        try:
            folder.mkdir(parents=True, exist_ok=True)
            sweep_temp_files(folder)
            with self._locked(folder, stem, label, wait=True):
                try:
                    write_atomic(folder / meta.data_file, blob)
                    write_atomic(folder / f"{stem}{_RECORD}", sidecar_bytes(meta))  # the commit
                except BaseException:
                    if meta.data_file not in _named_now(folder, stem):
                        with contextlib.suppress(OSError):
                            (folder / meta.data_file).unlink()
                    raise
                self._drop_other_versions(folder, stem, keep=meta.data_file)
        except OSError as exc:
            raise DataError(
                f"{label}: cannot write to the cache at {folder} ({_reason(exc)}); "
                "the cached copy is unchanged"
            ) from None
        return meta

    @contextlib.contextmanager
    def _locked(self, folder: Path, stem: str, label: str, *, wait: bool) -> Iterator[bool]:
        """Hold the series' lock; ``wait=False`` yields False at once if it is busy."""
        if fcntl is None:  # pragma: no cover - Windows
            yield True
            return
        fd = os.open(folder / f".{stem}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            deadline = time.monotonic() + (_LOCK_WAIT_S if wait else 0.0)
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        if not wait:
                            yield False
                            return
                        raise DataError(
                            f"{label}: another process has been writing this series to the "
                            f"cache for {_LOCK_WAIT_S:g} s ({folder / f'.{stem}.lock'}); try "
                            "again when it is done"
                        ) from None
                    time.sleep(0.05)
            yield True
        finally:
            os.close(fd)

    def _drop_other_versions(self, folder: Path, stem: str, keep: str) -> None:
        """Delete the series' data files other than ``keep`` (call under its lock)."""
        for path in folder.glob(f"{_glob_escape(stem)}.*parquet"):
            match = _HASHED.match(path.name)
            legacy = path.name == f"{stem}.parquet"
            if path.name != keep and (legacy or (match and match["stem"] == stem)):
                with contextlib.suppress(OSError):
                    path.unlink()

    # ---- reading

    def read(self, request: SeriesRequest) -> FetchedSeries | None:
        """Return the cached series, or ``None`` if there is none.

        Raises
        ------
        CorruptEntryError
            The entry is unreadable; it was set aside and the message says which
            fetch replaces it.
        """
        entry = self._entry(request)
        return None if entry is None else entry[1]

    def meta(self, request: SeriesRequest) -> CacheMeta | None:
        """Return the entry's record (verified against its data file), or ``None``."""
        entry = self._entry(request)
        return None if entry is None else entry[0]

    def _entry(self, request: SeriesRequest) -> tuple[CacheMeta, FetchedSeries] | None:
        folder, stem = self.root / request.source, self.stem(request)
        record_path = folder / f"{stem}{_RECORD}"
        try:
            raw = record_path.read_bytes()
        except FileNotFoundError:
            raw = None
        except OSError as exc:
            self._corrupt(request, [record_path], f"unreadable record ({_reason(exc)})")
        if raw is None:
            legacy = folder / f"{stem}.parquet"
            return self._from_data(request, legacy, None) if legacy.exists() else None
        try:
            record = CacheMeta.from_dict(json.loads(raw))
        except (KeyError, TypeError, ValueError, UnicodeDecodeError):
            return self._rebuild_record(request, folder, stem, record_path)
        if record.request != request:
            self._corrupt(request, [record_path], f"its record names {record.request}")
        data = folder / (record.data_file or f"{stem}.parquet")
        if not record.data_file or data.exists() or data.is_symlink():
            return self._from_data(request, data, record, record_path)
        self._corrupt(request, [record_path], f"its data file {data.name} is missing")

    def _from_data(
        self, request: SeriesRequest, data: Path, record: CacheMeta | None,
        record_path: Path | None = None,
    ) -> tuple[CacheMeta, FetchedSeries]:
        involved = [p for p in (data, record_path) if p is not None]
        try:
            blob = data.read_bytes()
            meta, values = decode(blob, record.data_file if record else "")
        except OSError as exc:
            self._corrupt(request, involved, f"cannot read {data.name} ({_reason(exc)})")
        except ValueError as exc:
            self._corrupt(request, involved, str(exc))
        if meta.request != request:
            self._corrupt(request, involved, f"{data.name} holds {meta.request}")
        if record is not None and record != meta:
            self._corrupt(request, involved, "its record and its data file disagree")
        if record is None and record_path is None:  # an old-style entry without its record
            self._heal_record(request, meta)
        values.name = str(request)
        return meta, FetchedSeries(request, values, meta.kind, meta.units, meta.frequency,
                                   meta.notes)

    def _rebuild_record(
        self, request: SeriesRequest, folder: Path, stem: str, record_path: Path
    ) -> tuple[CacheMeta, FetchedSeries] | None:
        """A damaged record: set it aside and rebuild it from the newest valid data file."""
        found = []
        for path in self._data_files_of(folder, stem):
            with contextlib.suppress(OSError, ValueError):
                meta, _ = decode(path.read_bytes(), "" if path.name == f"{stem}.parquet"
                                 else path.name)
                if meta.request == request:
                    found.append((meta.fetched_at, path, meta))
        where = self._set_aside(request, [record_path])
        if not found:
            self._corrupt(request, [], f"its record is damaged (set aside in {where}) and no "
                                       "data file is readable")
        _, path, meta = max(found, key=lambda item: (item[0], item[1].name))
        warnings.warn(f"{request}: the cache record was damaged (set aside in {where}); "
                      f"rebuilt from {path.name}", DataWarning, stacklevel=4)
        self._heal_record(request, meta)
        return self._entry(request)

    def _heal_record(self, request: SeriesRequest, meta: CacheMeta) -> None:
        folder, stem = self.root / request.source, self.stem(request)
        with contextlib.suppress(OSError, DataError), \
                self._locked(folder, stem, str(request), wait=False) as held:
            if held:  # a read-only cache, or a busy one, still reads
                write_atomic(folder / f"{stem}{_RECORD}", sidecar_bytes(meta))

    def _corrupt(self, request: SeriesRequest, files: list[Path], why: str) -> NoReturn:
        where = self._set_aside(request, files)
        kept = f"; set aside in {where}" if files else ""
        raise CorruptEntryError(
            f"{request}: the cached copy is unreadable ({why}){kept}; run: backtest data "
            f"fetch {request}"
        )

    def _set_aside(self, request: SeriesRequest, files: list[Path]) -> Path:
        """Move ``files`` under ``root/corrupt/<source>`` (stamped); never delete them."""
        target = self.root / "corrupt" / request.source
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        with contextlib.suppress(OSError):
            target.mkdir(parents=True, exist_ok=True)
            for path in files:
                if path.exists() or path.is_symlink():
                    with contextlib.suppress(OSError):
                        path.rename(target / f"{path.name}.{stamp}")
        return target

    # ---- listing, sweeping, clearing

    def _folders(self) -> list[Path]:
        remote = (s for s in SOURCES if s not in LOCAL_SOURCES)
        return [self.root / s for s in remote if (self.root / s).is_dir()]

    def _data_files_of(self, folder: Path, stem: str) -> list[Path]:
        out = []
        for path in folder.glob(f"{_glob_escape(stem)}.*parquet"):
            match = _HASHED.match(path.name)
            if path.name == f"{stem}.parquet" or (match and match["stem"] == stem):
                out.append(path)
        return sorted(out)

    def _stems(self, folder: Path) -> set[str]:
        stems = {p.name[: -len(_RECORD)] for p in folder.glob(f"*{_RECORD}")}
        legacy = {p.name[: -len(".parquet")] for p in folder.glob("*.parquet")
                  if not p.name.startswith(".") and _HASHED.match(p.name) is None}
        return stems | legacy

    def entries(self) -> list[CacheMeta]:
        """The readable entries by series id; an unreadable one is set aside, with a warning.

        Also sweeps what killed writers left behind (:meth:`sweep`).
        """
        self.sweep()
        found: list[CacheMeta] = []
        for folder in self._folders():
            for stem in sorted(self._stems(folder)):
                try:
                    meta = self.meta(SeriesRequest(folder.name, unquote(stem)))
                except BacktestError as exc:
                    warnings.warn(str(exc), DataWarning, stacklevel=2)
                    continue
                if meta is not None:
                    found.append(meta)
        return sorted(found, key=lambda m: (m.source, m.name))

    def sweep(self) -> int:
        """Remove abandoned temp files and uncommitted data files; return how many went.

        A data file no record names is what a write killed before its commit left;
        it is removed only while no other process holds that series' lock.
        """
        removed = 0
        for folder in self._folders():
            removed += len(sweep_temp_files(folder))
            named = set()
            for record in folder.glob(f"*{_RECORD}"):
                with contextlib.suppress(OSError, ValueError, AttributeError, TypeError):
                    named.add(json.loads(record.read_bytes()).get("data_file"))
            for path in folder.glob("*.parquet"):
                match = _HASHED.match(path.name)
                if match is None or path.name in named:
                    continue
                with contextlib.suppress(OSError, DataError), \
                        self._locked(folder, match["stem"], path.name, wait=False) as held:
                    if held and path.name not in _named_now(folder, match["stem"]):
                        path.unlink()
                        removed += 1
        return removed

    def clear(self, request: SeriesRequest | None = None) -> int:
        """Delete one entry (or all, and every leftover); return how many entries went."""
        if request is None:
            count = sum(len(self._stems(folder)) for folder in self._folders())
            for folder in self._folders():
                shutil.rmtree(folder, ignore_errors=True)
            return count
        folder, stem = self.root / request.source, self.stem(request)
        if not folder.is_dir():
            return 0
        existed = stem in self._stems(folder)
        with self._locked(folder, stem, str(request), wait=True):
            for path in [folder / f"{stem}{_RECORD}", *self._data_files_of(folder, stem),
                         *folder.glob(f".{_glob_escape(stem)}.*")]:
                if path.name == f".{stem}.lock":
                    continue
                with contextlib.suppress(OSError):
                    if path.is_dir() and not path.is_symlink():
                        shutil.rmtree(path)
                    else:
                        path.unlink()
        with contextlib.suppress(OSError):
            (folder / f".{stem}.lock").unlink()
        return int(existed)


def _named_now(folder: Path, stem: str) -> set[str]:
    with contextlib.suppress(OSError, ValueError, AttributeError, TypeError):
        return {json.loads((folder / f"{stem}{_RECORD}").read_bytes()).get("data_file")}
    return set()


def _glob_escape(text: str) -> str:
    import glob

    return glob.escape(text)
