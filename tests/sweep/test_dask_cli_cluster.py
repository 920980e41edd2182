"""The README's cluster topology, for real: `dask scheduler` and two `dask worker`
processes started from the command line on loopback, with docs/clusters.md's config
file (issue 16).

`tune --scheduler tcp://127.0.0.1:PORT` against them gives the numbers `local` gives;
a worker SIGKILLed mid-sweep is replaced and the sweep completes with the same
numbers; every process started here ends with the test.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from backtest.sweep._executors import ALLOCATOR_ENV

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TUNE = ["tune", "--param", "strategy.enter=-1:1:0.001", "--holdout", "0.3", "--quiet"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _docs_config(folder: Path) -> Path:
    """docs/clusters.md's Dask config file, written where DASK_CONFIG will point."""
    page = (ROOT / "docs" / "clusters.md").read_text(encoding="utf-8")
    block = re.search(r'```yaml title="dask-config/dcf-regime.yaml"\n(.*?)```', page, re.S)
    assert block is not None, "docs/clusters.md lost its Dask config file"
    folder.mkdir()
    (folder / "dcf-regime.yaml").write_text(block.group(1), encoding="utf-8")
    return folder


class Cluster:
    def __init__(self, tmp: Path) -> None:
        self.address = f"tcp://127.0.0.1:{_free_port()}"
        env = {**os.environ, "DASK_CONFIG": str(_docs_config(tmp / "dask-config"))}
        log = (tmp / "cluster.log").open("wb")
        self.processes = [subprocess.Popen(
            [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port",
             self.address.rsplit(":", 1)[1], "--no-dashboard"],
            env=env, stdout=log, stderr=log, start_new_session=True)]
        self.processes += [subprocess.Popen(
            [str(BIN / "dask"), "worker", self.address, "--nworkers", "1", "--nthreads", "1",
             "--no-dashboard"], env=env, stdout=log, stderr=log, start_new_session=True)
            for _ in range(2)]
        self.log = tmp / "cluster.log"

    def worker_processes(self) -> list[psutil.Process]:
        """The worker processes (each `dask worker` is a nanny with one worker child)."""
        out = []
        for nanny in self.processes[1:]:
            out += [c for c in psutil.Process(nanny.pid).children()
                    if "spawn_main" in " ".join(c.cmdline())]  # not the resource tracker
        return out

    def stop(self) -> None:
        family = []
        for p in self.processes:
            with contextlib.suppress(psutil.Error):
                family += [psutil.Process(p.pid), *psutil.Process(p.pid).children(True)]
        for p in self.processes:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        _, alive = psutil.wait_procs(family, timeout=20)
        for p in alive:
            p.kill()
        psutil.wait_procs(alive, timeout=10)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    running = Cluster(tmp_path)
    try:
        yield running
    finally:
        running.stop()
    assert all(p.poll() is not None for p in running.processes)


def _tune(tmp: Path, name: str, *extra: str) -> list[str]:
    return [str(BIN / "backtest"), *TUNE, *extra, "--json", str(tmp / name)]


def _numbers(path: Path) -> dict[str, object]:
    """The whole tune document but the time it was written."""
    doc = json.loads(path.read_text())
    doc.pop("generated_at")
    return doc


def _listening_on(processes: list[psutil.Process], address: str) -> psutil.Process:
    """The worker process serving ``address`` (``tcp://127.0.0.1:PORT``)."""
    port = int(address.rsplit(":", 1)[1])
    for p in processes:
        if any(c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN
               for c in p.net_connections(kind="tcp")):
            return p
    raise AssertionError(f"no worker process listens on {address}")


def test_a_command_line_cluster_gives_the_local_numbers_and_survives_a_killed_worker(
        cluster: Cluster, tmp_path: Path) -> None:
    local = subprocess.run(_tune(tmp_path, "local.json"), capture_output=True, text=True,
                           cwd=tmp_path, timeout=600)
    assert local.returncode == 0, local.stderr
    remote = subprocess.run(_tune(tmp_path, "remote.json", "--executor", "dask",
                                  "--scheduler", cluster.address),
                            capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert remote.returncode == 0, remote.stderr + cluster.log.read_text()[-2000:]
    assert _numbers(tmp_path / "remote.json") == _numbers(tmp_path / "local.json")
    # the workers were started with the docs' allocator settings
    workers = cluster.worker_processes()
    assert len(workers) == 2
    for worker in workers:
        environ = worker.environ()
        assert {k: environ.get(k) for k in ALLOCATOR_ENV} == ALLOCATOR_ENV

    # the scheduler says which worker holds a chunk of the sweep: that one is killed
    # (watching the workers' CPU instead raced the sweep, which can end in 0.3 CPU s)
    from dask.distributed import Client

    with Client(cluster.address, timeout=30) as watcher:  # type: ignore[no-untyped-call]
        hit = subprocess.Popen(_tune(tmp_path, "hit.json", "--executor", "dask",
                                     "--scheduler", cluster.address),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                busy = [a for a, keys in watcher.processing().items() if keys]
                if busy:
                    worker = _listening_on(cluster.worker_processes(), busy[0])
                    assert hit.poll() is None  # mid-sweep: the command is running
                    worker.kill()
                    break
                assert hit.poll() is None, "the sweep ended before a worker held a chunk"
                time.sleep(0.01)
            else:
                raise AssertionError("no worker was given a chunk")
            assert hit.wait(timeout=600) == 0, hit.stderr.read() if hit.stderr else ""
        finally:
            if hit.poll() is None:
                hit.kill()
    assert _numbers(tmp_path / "hit.json") == _numbers(tmp_path / "local.json")
