"""``kill -9`` during ``backtest data fetch``, then look at what the cache holds.

A mirror directory serves a few series in two versions (A and B: every value of
B is A's + 1000). Each round rewrites the mirror to the other version, starts
``backtest --mirror DIR data fetch --force ...`` in a child process, SIGKILLs it
at a random moment inside the span where it writes, and then checks:

* every entry reads back (no corrupt read), and ``backtest data list`` exits 0;
* each entry's record and its data file come from the same fetch (the record's
  sha256 is the data file's, and the values are wholly version A or wholly B);
* after that ``data list``, no temp file and no uncommitted data file is left.

Shared by ``tests/data/test_kill.py`` (a few kills in CI) and ``bench/bench_kill.py``
(at least 50). Needs a POSIX system (SIGKILL, flock).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from random import Random

import numpy as np
import pandas as pd

SERIES = ("K0", "K1", "K2", "K3", "K4", "K5")
ROWS = 20_000


def write_mirror(mirror: Path, version: int) -> dict[str, np.ndarray]:
    """Write every series of the mirror in ``version`` (0 = A, 1 = B); return the values."""
    dates = pd.bdate_range("1950-01-02", periods=ROWS)
    out = {}
    for i, name in enumerate(SERIES):
        values = np.round(np.linspace(1.0 + i, 5.0 + i, ROWS), 6) + 1000.0 * version
        text = "date,value\n" + "".join(f"{d:%Y-%m-%d},{v:.6f}\n" for d, v in
                                        zip(dates, values, strict=True))
        path = mirror / "macro" / f"{name}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_text(text)
        tmp.replace(path)
        out[name] = values
    return out


def _command(mirror: Path, cache: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "backtest", "--mirror", str(mirror), "--data-dir", str(cache),
            *args]


def _fetch_args() -> list[str]:
    return ["data", "fetch", "--force", *(f"fred:{name}" for name in SERIES)]


def time_a_fetch(mirror: Path, cache: Path) -> tuple[float, float]:
    """Seconds from start to the first series written, and to the end, of one whole fetch."""
    started = time.perf_counter()
    proc = subprocess.Popen(_command(mirror, cache, *_fetch_args()), stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    first = None
    for _ in proc.stdout:
        first = first or time.perf_counter() - started
    proc.wait(timeout=300)
    end = time.perf_counter() - started
    return (first or end), end


def inspect(cache: Path, versions: tuple[dict[str, np.ndarray], ...]) -> Counter[str]:
    """Check every entry in the cache (see the module docstring); count what was found."""
    from backtest.data.base import SeriesRequest
    from backtest.data.cache import Cache

    found: Counter[str] = Counter()
    store = Cache(cache)
    folder = cache / "fred"
    found["temp_files_before"] += len(list(folder.glob(".*.tmp")))
    for name in SERIES:
        request = SeriesRequest("fred", name)
        try:
            got = store.read(request)
        except Exception:  # a corrupt read is what this harness looks for
            found["corrupt_reads"] += 1
            continue
        if got is None:
            found["missing"] += 1
            continue
        data_path, record_path = store.paths(request)
        record = json.loads(record_path.read_text())
        if record["sha256"] != hashlib.sha256(data_path.read_bytes()).hexdigest():
            found["record_data_mismatch"] += 1
        values = got.values.to_numpy()
        which = [v for v, version in enumerate(versions)
                 if len(values) == len(version[name])
                 and np.allclose(values, version[name], rtol=1e-12, atol=1e-9)]
        found["mixed_values" if not which else f"version_{'AB'[which[0]]}"] += 1
    found["rounds_with_both_versions"] += bool(found["version_A"] and found["version_B"])
    listed = subprocess.run(_command(cache.parent / "mirror", cache, "data", "list"),
                            capture_output=True, text=True, timeout=300, check=False)
    found["list_failures"] += listed.returncode != 0
    found["temp_files_after_list"] += len(list(folder.glob(".*.tmp")))
    named = {json.loads(p.read_text()).get("data_file") for p in folder.glob("*.meta.json")}
    found["orphans_after_list"] += sum(p.name not in named for p in folder.glob("*.parquet"))
    return found


def campaign(workdir: Path, kills: int, seed: int = 0) -> Counter[str]:
    """Fetch and SIGKILL in ``workdir`` until ``kills`` kills landed; return the totals.

    A round whose fetch finished before its kill counts as a round, not a kill, and
    shortens the wait of the next rounds (a loaded machine makes the measured fetch
    time a poor guide); at most ``10 * kills`` rounds are run.
    """
    rng = Random(seed)
    mirror, cache = workdir / "mirror", workdir / "cache"
    versions = (write_mirror(mirror, 0), write_mirror(mirror, 1))
    subprocess.run(_command(mirror, cache, *_fetch_args()), capture_output=True, timeout=300,
                   check=True)
    first, end = time_a_fetch(mirror, cache)
    totals: Counter[str] = Counter()
    round_ = 0
    low, high = max(first - 0.3, 0.0), end * 0.95
    while totals["killed"] < kills and round_ < 10 * kills:
        write_mirror(mirror, round_ % 2)
        proc = subprocess.Popen(_command(mirror, cache, *_fetch_args()),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(low, max(low, high)))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            totals["killed"] += 1
        else:
            totals["finished_before_the_kill"] += 1
            low, high = low * 0.5, high * 0.7  # too late: kill earlier from now on
        proc.wait(timeout=300)
        totals.update(inspect(cache, versions))
        round_ += 1
    totals["rounds"] = round_
    return totals
