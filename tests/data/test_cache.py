from __future__ import annotations

import errno
import hashlib
import json
import os
import warnings
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import backtest._atomic as atomic_module  # the writer the fault injection targets
from backtest.data import _cachefile as cachefile_module
from backtest.data.base import FetchedSeries, Kind, SeriesRequest
from backtest.data.cache import (
    Cache,
    default_max_age,
    load_series,
    merge_history,
    resolve_data_root,
)
from backtest.errors import (
    CacheMissError,
    DataError,
    DataWarning,
    ProviderError,
    StaleDataWarning,
)

DGS10 = SeriesRequest("fred", "DGS10")
T0 = datetime(2026, 1, 5, 22, 0, tzinfo=UTC)


def series(values, start="2025-01-02", freq="B") -> pd.Series:
    index = pd.date_range(start, periods=len(values), freq=freq, name="date")
    return pd.Series(values, index=index, dtype=float, name="fred:DGS10")


def fetched(values, request=DGS10, **kw) -> FetchedSeries:
    return FetchedSeries(request, series(values, **kw), Kind.LEVEL, "percent", "D", "FRED")


@pytest.fixture
def cache(tmp_path) -> Cache:
    return Cache(tmp_path / "cache")


@pytest.fixture
def old(cache) -> FetchedSeries:
    """A good entry already in the cache."""
    entry = fetched([4.0, 4.1, 4.2])
    cache.write(entry, T0)
    return entry


def files(cache: Cache) -> list[str]:
    """Every file under the root except the hidden per-series lock files."""
    return sorted(p.relative_to(cache.root).as_posix() for p in cache.root.rglob("*")
                  if p.is_file() and not p.name.endswith(".lock"))


def data_name(cache: Cache, request: SeriesRequest = DGS10) -> str:
    return cache.paths(request)[0].name


def assert_old_intact(cache: Cache, old: FetchedSeries) -> None:
    got = cache.read(DGS10)
    assert got is not None
    pd.testing.assert_series_equal(got.values, old.values, check_index_type=False, check_freq=False)
    assert cache.meta(DGS10).fetched_at == T0
    assert files(cache) == [f"fred/{data_name(cache)}", "fred/DGS10.meta.json"]


# ---- roots and ages ----------------------------------------------------------------------

def test_resolve_data_root_precedence():
    assert resolve_data_root("/cli", "/env") == Path("/cli")
    assert resolve_data_root(None, "/env") == Path("/env")
    assert resolve_data_root(None, "  ") == Path("data/cache")
    assert resolve_data_root(None, None) == Path("data") / "cache"


def test_default_max_age():
    assert default_max_age("D") == default_max_age("C") == timedelta(days=1)
    assert default_max_age("W") == timedelta(days=7)
    assert default_max_age("M") == timedelta(days=31)
    with pytest.raises(ValueError, match="unknown frequency 'X'"):
        default_max_age("X")


# ---- write and read ----------------------------------------------------------------------

def test_round_trip_and_sidecar(cache, old):
    got = cache.read(DGS10)
    pd.testing.assert_series_equal(got.values, old.values, check_index_type=False, check_freq=False)
    assert (got.kind, got.units, got.frequency, got.notes) == (Kind.LEVEL, "percent", "D", "FRED")
    data_path, meta_path = cache.paths(DGS10)
    digest = hashlib.sha256(data_path.read_bytes()).hexdigest()
    assert data_path == cache.root / "fred" / f"DGS10.{digest[:16]}.parquet"  # by content
    sidecar = json.loads(meta_path.read_text())
    assert sidecar["sha256"] == digest and sidecar["data_file"] == data_path.name
    assert sidecar["series"] == "fred:DGS10" and sidecar["rows"] == 3
    assert (sidecar["first_date"], sidecar["last_date"]) == ("2025-01-02", "2025-01-06")
    assert sidecar["fetched_at"] == "2026-01-05T22:00:00+00:00"
    assert sidecar["kind"] == "level" and sidecar["frequency"] == "D"


def test_missing_entry_reads_none(cache):
    assert cache.read(DGS10) is None and cache.meta(DGS10) is None and cache.entries() == []


@pytest.mark.parametrize(
    ("text", "stem"),
    [("french:Portfolios_Formed_on_BE-ME/Hi 10@annual",
      "Portfolios_Formed_on_BE-ME%2FHi%2010%40annual"),
     ("yahoo:^GSPC", "%5EGSPC"), ("yahoo:.hidden", "%2Ehidden")],
)
def test_names_map_to_safe_files_and_back(cache, text, stem):
    request = SeriesRequest.parse(text)
    cache.write(fetched([1.0, 2.0], request=request), T0)
    assert cache.paths(request)[1].name == f"{stem}.meta.json"
    assert cache.paths(request)[0].name.startswith(f"{stem}.")
    assert [m.request for m in cache.entries()] == [request]


def test_naive_fetched_at_is_rejected(cache):
    with pytest.raises(ValueError, match="timezone-aware"):
        cache.write(fetched([1.0]), datetime(2026, 1, 1))


def test_empty_series_is_never_written(cache, old):
    with pytest.raises(DataError, match=r"^fred:DGS10: no observations$"):
        cache.write(replace(old, values=old.values.iloc[:0]), T0 + timedelta(days=1))
    assert_old_intact(cache, old)


def test_invalid_series_is_never_written(cache, old):
    bad = pd.Series([1.0, 2.0], index=pd.DatetimeIndex(["2025-01-02", "2025-01-02"]))
    with pytest.raises(DataError, match="duplicate date 2025-01-02"):
        cache.write(replace(old, values=bad), T0 + timedelta(days=1))
    assert_old_intact(cache, old)


# ---- crashes and faults ------------------------------------------------------------------

def test_killed_before_the_data_replace(cache, old, monkeypatch):
    def killed(src, dst):
        raise KeyboardInterrupt  # the process dies here

    monkeypatch.setattr(atomic_module.os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        cache.write(fetched([9.0, 9.0, 9.0, 9.0]), T0 + timedelta(days=1))
    monkeypatch.undo()
    assert_old_intact(cache, old)  # and the temp file was removed


def test_killed_between_data_and_record_keeps_the_old_entry_whole(cache, old, monkeypatch):
    """The record swap is the commit: before it, record and data are both the old fetch."""
    real_replace = os.replace

    def die_on_record(src, dst):
        if str(dst).endswith(".meta.json"):
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(atomic_module.os, "replace", die_on_record)
    with pytest.raises(KeyboardInterrupt):
        cache.write(fetched([5.0, 5.1, 5.2, 5.3]), T0 + timedelta(days=1))
    monkeypatch.undo()
    record = json.loads(cache.paths(DGS10)[1].read_text())
    data = cache.paths(DGS10)[0]
    assert record["sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()  # same fetch
    assert_old_intact(cache, old)


def test_an_uncommitted_data_file_is_swept(cache, old, monkeypatch):
    """A kill -9 between the data file and the record leaves a data file nobody names."""
    orphan = cache.root / "fred" / "DGS10.0123456789abcdef.parquet"
    orphan.write_bytes(b"PAR1 from a killed write")
    stray = cache.root / "fred" / ".DGS10.meta.json.k1ll3d.tmp"
    stray.write_bytes(b"{half")
    assert list(cache.read(DGS10).values) == [4.0, 4.1, 4.2]  # readers ignore both
    assert len(cache.entries()) == 1  # listing sweeps them
    assert not orphan.exists() and not stray.exists()
    assert_old_intact(cache, old)


def test_a_temp_file_being_written_is_not_swept(cache, old):
    import fcntl

    live = cache.root / "fred" / ".DGS10.meta.json.w0rk1ng.tmp"
    live.write_bytes(b"in progress")
    with live.open("rb") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # another process, mid-write
        cache.entries()
        assert live.exists()
    cache.entries()
    assert not live.exists()


def test_disk_full_keeps_old_entry(cache, old, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic_module.os, "fsync", full)
    with pytest.raises(DataError) as info:
        cache.write(fetched([7.0, 7.0]), T0 + timedelta(days=1))
    monkeypatch.undo()
    message = str(info.value)
    assert message.startswith("fred:DGS10: cannot write ") and "\n" not in message
    assert "(No space left on device); the cached copy is unchanged" in message
    assert_old_intact(cache, old)


def test_parquet_writer_failure_touches_nothing(cache, old, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cachefile_module.pq, "write_table", broken)
    with pytest.raises(OSError):
        cache.write(fetched([7.0, 7.0]), T0 + timedelta(days=1))
    monkeypatch.undo()
    assert_old_intact(cache, old)


def test_record_write_failure_keeps_the_old_entry(cache, old, monkeypatch):
    real_replace = os.replace

    def record_fails(src, dst):
        if str(dst).endswith(".meta.json"):
            raise OSError(errno.EACCES, "Permission denied")
        real_replace(src, dst)

    monkeypatch.setattr(atomic_module.os, "replace", record_fails)
    with pytest.raises(DataError, match=r"cannot write to the cache at .* \(Permission denied\); "
                                        r"the cached copy is unchanged"):
        cache.write(fetched([6.0, 6.1]), T0 + timedelta(days=1))
    monkeypatch.undo()
    assert_old_intact(cache, old)  # the new data file was removed, no temp file left


@pytest.mark.parametrize(
    "damage",
    ["truncate", "garbage", "empty", "flip", "record_as_data", "directory", "other_series"],
)
def test_an_unreadable_entry_is_set_aside_and_named(cache, old, damage):
    data_path, record = cache.paths(DGS10)
    blob = data_path.read_bytes()
    if damage == "truncate":
        data_path.write_bytes(blob[:-40])
    elif damage == "garbage":
        data_path.write_bytes(os.urandom(200))
    elif damage == "empty":
        data_path.write_bytes(b"")
    elif damage == "flip":
        data_path.write_bytes(blob[:100] + bytes([blob[100] ^ 0x10]) + blob[101:])
    elif damage == "record_as_data":
        data_path.write_bytes(record.read_bytes())
    elif damage == "directory":
        data_path.unlink()
        data_path.mkdir()
    else:
        other = fetched([1.0], request=SeriesRequest("fred", "AAA"))
        cache.write(other, T0)
        data_path.write_bytes(cache.paths(SeriesRequest("fred", "AAA"))[0].read_bytes())
    with pytest.raises(DataError) as info:
        cache.read(DGS10)
    text = str(info.value)
    assert text.startswith("fred:DGS10: the cached copy is unreadable (") and "\n" not in text
    assert text.endswith(f"set aside in {cache.root / 'corrupt' / 'fred'}; run: backtest data "
                         "fetch fred:DGS10")
    aside = sorted(p.name.rsplit(".", 1)[0] for p in (cache.root / "corrupt" / "fred").iterdir())
    assert aside == sorted([data_path.name, "DGS10.meta.json"])  # kept, not deleted
    assert cache.read(DGS10) is None  # the entry is gone; a fetch replaces it


def test_a_corrupt_entry_does_not_stop_the_listing(cache, old):
    other = SeriesRequest("yahoo", "QQQ")
    cache.write(fetched([1.0, 2.0], request=other), T0)
    cache.paths(DGS10)[0].write_bytes(b"garbage")
    with pytest.warns(DataWarning, match=r"^fred:DGS10: the cached copy is unreadable"):
        assert [m.request for m in cache.entries()] == [other]
    assert [m.request for m in cache.entries()] == [other]  # set aside: no second warning


def test_tampered_values_are_corrupt(cache, old):
    data_path = cache.paths(DGS10)[0]
    table = pq.read_table(data_path)
    frame = table.to_pandas()
    frame.loc[1, "value"] = 99.0
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(
        table.schema.metadata), data_path)
    with pytest.raises(DataError, match="do not match their recorded digest"):
        cache.read(DGS10)


def test_a_damaged_record_is_rebuilt_from_its_data(cache, old):
    record = cache.paths(DGS10)[1]
    record.write_text('{"source": "fred", "na')
    with pytest.warns(DataWarning, match=r"the cache record was damaged \(set aside in .*"
                                         r"\); rebuilt from DGS10\.[0-9a-f]{16}\.parquet"):
        assert cache.meta(DGS10).rows == 3
    assert json.loads(record.read_text())["rows"] == 3
    assert len(list((cache.root / "corrupt" / "fred").iterdir())) == 1


def test_a_missing_record_means_no_entry(cache, old):
    """The record is the commit: a data file without one was never committed."""
    cache.paths(DGS10)[1].unlink()
    assert cache.read(DGS10) is None


def test_entries_written_before_records_named_their_data_are_read(cache):
    """The first layout: <name>.parquet (metadata embedded), with or without a sidecar."""
    from backtest.data._cachefile import encode

    folder = cache.root / "fred"
    folder.mkdir(parents=True)
    legacy = fetched([3.0, 3.1])
    (folder / "DGS10.parquet").write_bytes(encode(legacy, legacy.values, T0))
    assert list(cache.read(DGS10).values) == [3.0, 3.1]
    assert json.loads((folder / "DGS10.meta.json").read_text())["data_file"] == ""
    assert [m.request for m in cache.entries()] == [DGS10]
    cache.write(fetched([3.0, 3.1, 3.2]), T0 + timedelta(days=1))  # the next write converts it
    assert not (folder / "DGS10.parquet").exists() and cache.meta(DGS10).rows == 3


def test_clear(cache, old):
    other = SeriesRequest("yahoo", "QQQ")
    cache.write(fetched([1.0, 2.0], request=other), T0)
    assert cache.clear(other) == 1 and cache.clear(other) == 0
    assert [m.request for m in cache.entries()] == [DGS10]
    assert cache.clear() == 1 and files(cache) == []
    assert not list(cache.root.rglob("*.lock"))


# ---- load_series -------------------------------------------------------------------------

class FakeProvider:
    source = "fred"

    def __init__(self, *results):
        self.results = list(results)
        self.calls = 0

    def fetch(self, request):
        self.calls += 1
        result = self.results.pop(0)
        if isinstance(result, BaseException):
            raise result
        return result


def load(request=DGS10, *, provider, cache, offline=False, max_age=None, now=T0):
    return load_series(request, providers={request.source: provider}, cache=cache,
                       offline=offline, max_age=max_age, now=now)


def test_fresh_copy_is_served_from_cache(cache, old):
    provider = FakeProvider()
    got = load(provider=provider, cache=cache, now=T0 + timedelta(hours=23))
    assert provider.calls == 0 and list(got.values) == [4.0, 4.1, 4.2]


def test_stale_copy_is_refetched_and_written(cache, old):
    provider = FakeProvider(fetched([4.0, 4.1, 4.2, 4.3]))
    later = T0 + timedelta(days=2)
    got = load(provider=provider, cache=cache, now=later)
    assert provider.calls == 1 and len(got.values) == 4
    assert cache.meta(DGS10).fetched_at == later and cache.meta(DGS10).rows == 4


def test_max_age_zero_forces_a_fetch(cache, old):
    provider = FakeProvider(fetched([4.0, 4.1, 4.2]))
    load(provider=provider, cache=cache, max_age=timedelta(0), now=T0 + timedelta(seconds=1))
    assert provider.calls == 1


def test_monthly_default_age(cache):
    monthly = replace(fetched([1.0, 2.0, 3.0], freq="MS"), frequency="M")
    cache.write(monthly, T0)
    provider = FakeProvider()
    load(provider=provider, cache=cache, now=T0 + timedelta(days=30))
    assert provider.calls == 0


def test_offline_miss_names_the_fetch(cache):
    with pytest.raises(CacheMissError) as info:
        load(provider=FakeProvider(), cache=cache, offline=True)
    assert str(info.value) == (
        f"fred:DGS10 is not in the cache at {cache.root}; run: backtest data fetch fred:DGS10"
    )


def test_offline_stale_copy_warns(cache, old):
    with pytest.warns(StaleDataWarning, match=r"^fred:DGS10: offline; using the cached copy"):
        got = load(provider=FakeProvider(), cache=cache, offline=True, now=T0 + timedelta(days=9))
    assert len(got.values) == 3


@pytest.mark.parametrize(
    "failure",
    [ProviderError("fred:DGS10: HTTP 503 from fred after 4 attempts; try again later"),
     DataError("fred:DGS10: no observations")],
)
def test_failed_fetch_falls_back_to_cache(cache, old, failure):
    with pytest.warns(StaleDataWarning) as record:
        got = load(provider=FakeProvider(failure), cache=cache, now=T0 + timedelta(days=3))
    message = str(record[0].message)
    assert message.startswith("fred:DGS10: ")
    assert "using the cached copy fetched 2026-01-05 22:00 UTC" in message
    assert "(3 days old, last date 2025-01-06)" in message
    pd.testing.assert_series_equal(got.values, old.values, check_index_type=False, check_freq=False)
    assert_old_intact(cache, old)


def test_empty_download_never_replaces_good_data(cache, old):
    empty = replace(old, values=old.values.iloc[:0])
    with pytest.warns(StaleDataWarning, match="no observations"):
        load(provider=FakeProvider(empty), cache=cache, now=T0 + timedelta(days=3))
    assert_old_intact(cache, old)


def test_failed_fetch_without_cache_raises(cache):
    with pytest.raises(ProviderError, match="HTTP 503"):
        load(provider=FakeProvider(ProviderError("fred:DGS10: HTTP 503")), cache=cache)


def test_incremental_rows_are_spliced(cache, old):
    recent = fetched([4.1, 4.2, 4.3, 4.4], start="2025-01-03")  # agrees on 01-03 and 01-06
    got = load(provider=FakeProvider(recent), cache=cache, now=T0 + timedelta(days=2))
    assert list(got.values) == [4.0, 4.1, 4.2, 4.3, 4.4]
    assert cache.meta(DGS10).rows == 5


def test_disagreeing_overlap_new_history_wins(cache, old):
    rescaled = fetched([4.15, 4.25, 4.3], start="2025-01-03")
    got = load(provider=FakeProvider(rescaled), cache=cache, now=T0 + timedelta(days=2))
    assert list(got.values) == [4.15, 4.25, 4.3]


def test_local_sources_are_never_cached(cache):
    request = SeriesRequest("csv", "macro/DGS10")
    provider = FakeProvider(*[fetched([1.0, 2.0], request=request)] * 2)
    for _ in range(2):
        load(request, provider=provider, cache=cache, offline=True)
    assert provider.calls == 2 and not cache.root.exists()


def test_no_cache_configured(tmp_path):
    provider = FakeProvider(fetched([1.0, 2.0]))
    assert len(load(provider=provider, cache=None).values) == 2
    with pytest.raises(CacheMissError, match=r"not in the cache \(none configured\)"):
        load(provider=FakeProvider(), cache=None, offline=True)


def test_missing_provider(cache):
    with pytest.raises(DataError, match="no provider for source 'fred'"):
        load_series(DGS10, providers={}, cache=cache, offline=False, max_age=None, now=T0)


def test_naive_now_is_rejected(cache):
    with pytest.raises(ValueError, match="timezone-aware"):
        load(provider=FakeProvider(), cache=cache, now=datetime(2026, 1, 1))


def test_merge_history_rules():
    old = series([1.0, 2.0, 3.0])
    assert list(merge_history(old, series([2.0, 3.0, 4.0], start="2025-01-03"))) == [1, 2, 3, 4]
    assert list(merge_history(old, series([9.0, 9.0]))) == [9.0, 9.0]  # full history
    gap = series([5.0], start="2025-02-03")
    assert list(merge_history(old, gap)) == [5.0]  # nothing shared to check


def test_warnings_are_not_emitted_on_a_clean_hit(cache, old):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load(provider=FakeProvider(), cache=cache, now=T0)


def test_corrupt_entry_raises_offline_and_is_refetched_online(cache, old):
    data_path = cache.paths(DGS10)[0]
    data_path.write_bytes(b"garbage")
    with pytest.raises(DataError, match="unreadable .* run: backtest data fetch fred:DGS10$"):
        load(provider=FakeProvider(), cache=cache, offline=True)
    assert cache.read(DGS10) is None  # set aside
    got = load(provider=FakeProvider(fetched([1.0, 2.0])), cache=cache)
    assert list(got.values) == [1.0, 2.0] and cache.meta(DGS10).rows == 2


def test_corrupt_entry_online_warns_and_refetches(cache, old):
    cache.paths(DGS10)[0].write_bytes(b"garbage")
    with pytest.warns(DataWarning, match=r"unreadable .*; fetching it again$"):
        got = load(provider=FakeProvider(fetched([1.0, 2.0])), cache=cache)
    assert list(got.values) == [1.0, 2.0]


def test_reading_the_cache_never_aborts_at_exit(tmp_path) -> None:
    """`data show` aborted at exit in 14 of 101 runs (pyarrow's reader threads, issue 18).

    Fifty real commands, two at a time; each must end with exit 0 and its output.
    """
    import subprocess
    import sys
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    backtest = str(Path(sys.executable).parent / "backtest")
    shared = Path(__file__).resolve().parents[3] / "shared" / "data"
    import os

    shared = Path(os.environ.get("BACKTEST_SHARED_DATA", shared))
    root = tmp_path / "cache"
    subprocess.run([backtest, "--data-dir", str(root), "--mirror", str(shared), "data", "fetch",
                    "fred:DGS10"], check=True, capture_output=True, timeout=120)

    def show(_: int) -> tuple[int, str]:
        done = subprocess.run([backtest, "--data-dir", str(root), "data", "show", "fred:DGS10"],
                              capture_output=True, text=True, timeout=120)
        return done.returncode, done.stdout

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(show, range(50)))
    assert [code for code, _ in results] == [0] * 50
    assert all("fred:DGS10" in out for _, out in results)
