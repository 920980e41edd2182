"""kill -9 during a parallel tune: no orphan process, no partial output (issue 18).

The client is SIGKILLed while its workers run (a process pool, then a local Dask
cluster): every process it started must be gone shortly after, and none of the
outputs it was asked for may exist. A worker SIGKILLed mid-sweep is retried: the
command still ends with the same numbers. A worker SIGKILLed while the sweep is sent
to it (Dask's scatter) leaves the others to run it (issue 16).
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest
from sweep_support import cpu_seconds, sweep_workers

BACKTEST = str(Path(sys.executable).parent / "backtest")
LONG = ["tune", "--param", "strategy.enter=-1:1:0.0002", "--param", "strategy.exit=-1.5,-1.2",
        "--holdout", "0.3", "--quiet"]


def _start(tmp_path: Path, executor: str) -> tuple[subprocess.Popen[bytes], list[Path]]:
    outputs = [tmp_path / "t.json", tmp_path / "t.html", tmp_path / "t.md"]
    proc = subprocess.Popen([BACKTEST, *LONG, "--executor", executor, "--workers", "2",
                             "--json", str(outputs[0]), "--report", str(outputs[1]),
                             "--summary", str(outputs[2])],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    return proc, outputs


def _workers(proc: subprocess.Popen[bytes], timeout: float = 90.0) -> list[psutil.Process]:
    """The client's descendants once two of its workers are busy (the sweep is running);
    the busy workers last."""
    client = psutil.Process(proc.pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = client.children(recursive=True)
        busy = [k for k in sweep_workers(client) if cpu_seconds(k) > 0.1]
        if len(busy) >= 2:
            return [k for k in kids if k not in busy] + busy
        assert proc.poll() is None, "the tune ended before its workers were seen"
        time.sleep(0.05)
    raise AssertionError("no busy workers within the timeout")


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_killing_the_client_leaves_no_orphan_and_no_partial_output(tmp_path, executor) -> None:
    proc, outputs = _start(tmp_path, executor)
    try:
        descendants = _workers(proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        _, alive = psutil.wait_procs(descendants, timeout=30)
        assert not alive, [p.cmdline()[:3] for p in alive if p.is_running()]
        assert not any(path.exists() for path in outputs)
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".t.")]  # no temp
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_killed_worker_is_retried_and_the_numbers_stay(tmp_path) -> None:
    quick = ["tune", "--param", "strategy.enter=-1:1:0.0005", "--holdout", "0.3", "--quiet"]
    calm = subprocess.run([BACKTEST, *quick, "--json", str(tmp_path / "calm.json")],
                          capture_output=True, cwd=tmp_path, timeout=600)
    assert calm.returncode == 0, calm.stderr
    proc = subprocess.Popen([BACKTEST, *quick, "--executor", "processes", "--workers", "2",
                             "--json", str(tmp_path / "hit.json")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path)
    try:
        victim = _workers(proc)[-1]
        victim.kill()
        assert proc.wait(timeout=600) == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
    first = json.loads((tmp_path / "calm.json").read_text())
    second = json.loads((tmp_path / "hit.json").read_text())
    assert first["trials"]["list"] == second["trials"]["list"]
    assert first["oos"] == second["oos"]


def test_a_shipped_sweep_left_by_a_killed_process_is_removed(tmp_path, monkeypatch) -> None:
    from backtest.sweep import _executors

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    orphan = tmp_path / f"dcf-regime-sweep-{dead}-x.pickle"
    ours = tmp_path / f"dcf-regime-sweep-{os.getpid()}-y.pickle"
    orphan.write_bytes(b"x")
    ours.write_bytes(b"y")
    shipped = _executors._ship({"panel": list(range(10))})  # type: ignore[arg-type]
    assert not orphan.exists() and ours.exists()
    assert pickle.loads(shipped.read_bytes()) == {"panel": list(range(10))}


def test_no_room_for_the_shipped_sweep_is_one_line(tmp_path, monkeypatch) -> None:
    from backtest.errors import BacktestError
    from backtest.sweep import _executors

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    with pytest.raises(BacktestError, match=r"could not write the sweep .* TMPDIR"):
        _executors._ship({"panel": 1})  # type: ignore[arg-type]


def test_a_worker_killed_while_the_sweep_is_scattered_leaves_the_others_to_run_it() -> None:
    """A worker that dies mid-transfer fails Dask's ``scatter`` (CommClosedError, 4 runs
    in 4 with distributed 2026.11) or, under load, leaves it waiting for ever (seen in
    the full suite: 7 minutes); the sweep cancels an attempt past its deadline and sends
    the payload again to the workers left. The victim is killed once it has received
    50 MB of a 200 MB payload."""
    import logging
    import threading

    import numpy as np
    from dask.distributed import Client, LocalCluster

    from backtest.sweep._executors import _scatter

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,  # type: ignore[no-untyped-call]
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:  # type: ignore[no-untyped-call]
        victim = psutil.Process(next(iter(client.run(os.getpid).values())))
        before = victim.memory_info().rss
        payload = np.arange(25_000_000, dtype="float64")  # 200 MB
        killed = threading.Event()

        def kill_while_receiving() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if victim.memory_info().rss - before > 50e6:
                        victim.kill()
                        killed.set()
                        return
                except psutil.NoSuchProcess:
                    return
                time.sleep(0.001)

        watcher = threading.Thread(target=kill_while_receiving, daemon=True)
        watcher.start()
        future = _scatter(client, payload, timeout=40)  # type: ignore[arg-type]
        watcher.join(60)
        assert killed.is_set(), "the worker was never seen receiving"
        total = client.submit(lambda a: float(a.sum()), future, pure=False).result(timeout=60)
        assert total == float(payload.sum())


def test_workers_that_stop_answering_while_the_sweep_is_sent_are_left_out_not_waited_for() -> None:
    """A stopped worker (SIGSTOP: its connection stays open, its buffers fill) would hold
    the sending for ever: past its deadline it is left out and the other runs the sweep;
    with every worker stopped, the sweep ends with one line after its last attempt."""
    import logging

    import numpy as np
    from dask.distributed import Client, LocalCluster

    from backtest.errors import BacktestError
    from backtest.sweep._executors import _ATTEMPTS, _scatter

    payload = np.arange(5_000_000, dtype="float64")  # 40 MB, far more than socket buffers
    deadline = 2 + payload.nbytes / 10e6  # _scatter's, for timeout=2
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,  # type: ignore[no-untyped-call]
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:  # type: ignore[no-untyped-call]
        pids = client.run(os.getpid)  # address -> pid, asked before any worker stops
        (_, first), (answering, second) = ((a, psutil.Process(p)) for a, p in pids.items())
        try:
            first.suspend()
            started = time.monotonic()
            future = _scatter(client, payload, timeout=2)  # type: ignore[arg-type]
            assert time.monotonic() - started < deadline + 15
            total = client.submit(lambda a: float(a.sum()), future, pure=False,
                                  workers=[answering]).result(timeout=60)
            assert total == float(payload.sum())
            second.suspend()
            started = time.monotonic()
            with pytest.raises(BacktestError, match=rf"{_ATTEMPTS} attempts failed, the last "
                                                    r"with TimeoutError"):
                _scatter(client, payload, timeout=2)  # type: ignore[arg-type]
            assert time.monotonic() - started < _ATTEMPTS * (deadline + 12) + 10
        finally:
            first.kill()
            second.kill()
