"""Where chunks run: this process, a local process pool, or a Dask cluster.

Every executor ships the prepared sweep once per worker (the process pool's
workers read it from a temporary file; Dask ``scatter(broadcast=True)``), submits
one task per chunk of trials and hands each finished chunk to ``collect`` as it
completes. Workers on the client's machine write their returns into its shared
matrix (``rows``, :mod:`backtest.sweep._shared`) and send back the rest. A chunk
whose worker died is retried (by a fresh pool; by Dask's scheduler, up to its
``allowed-failures``), then recorded as failed — never dropped. Ctrl-C cancels
every pending task, stops the workers and re-raises. Waits are bounded: cluster
start-up and connection time out (``SweepOptions.start_timeout_s``) with a one-line
error, and a cluster that has lost every worker for ``STALL_S`` seconds ends the
sweep.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import multiprocessing
import os
import pickle
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.reduction import ForkingPickler
from pathlib import Path
from typing import Any

import numpy as np

from backtest.errors import BacktestError
from backtest.sweep._evaluate import ChunkResult, evaluate_chunk
from backtest.sweep._shared import RowsHandle, alive, write_rows
from backtest.sweep._types import PreparedSweep

__all__ = ["ALLOCATOR_ENV", "STALL_S", "run_chunks", "start_pool_server"]

#: Seconds a cluster may have no worker at all before the sweep gives up.
STALL_S = 120.0
#: glibc allocator settings of a local Dask cluster's workers. Dask's own default
#: (``MALLOC_TRIM_THRESHOLD_=65536``) returns every freed large array to the kernel,
#: so each chunk's temporaries are fresh mappings that page-fault: the same chunks
#: cost 2.5x the CPU on a worker (issue 16: 16.3 vs 6.5 CPU s, 1.9 M vs 0.1 M page
#: faults). Kept arrays up to these sizes are reused instead. External workers take
#: them from a Dask config file (docs/clusters.md).
ALLOCATOR_ENV = {"MALLOC_TRIM_THRESHOLD_": str(64 << 20), "MALLOC_MMAP_THRESHOLD_": str(32 << 20)}
#: Attempts of a chunk whose pool worker died.
_ATTEMPTS = 3
_POLL_S = 0.5

Chunk = tuple[int, ...]
Collect = Callable[[Chunk, ChunkResult | str], None]
#: What every task is asked: (metrics, the shared returns matrix or None, returns).
Task = tuple[bool, RowsHandle | None, bool]

_WORKER_PREPARED: PreparedSweep | None = None


def run_chunks(
    prepared: PreparedSweep, chunks: Sequence[Chunk], collect: Collect, *,
    executor: str, workers: int, scheduler: str | None, timeout: float, metrics: bool,
    connect_timeout: float = 10.0, rows: RowsHandle | None = None, returns: bool = True,
) -> None:
    """Evaluate every chunk; ``collect(chunk, ChunkResult or failure message)`` for each.

    ``timeout``: seconds to start a local Dask cluster or for a scheduler's workers;
    ``connect_timeout``: seconds to reach ``scheduler`` at all;
    ``metrics``: compute the trials' metrics (else returns only);
    ``rows``: the shared returns matrix, row ``p`` for the trial at position ``p``
    (workers that can reach it write their rows there);
    ``returns``: send the trials' returns back at all (else metrics only).
    """
    task = (metrics, rows, returns)
    if executor == "local":
        for chunk in chunks:
            collect(chunk, evaluate_shared(prepared, chunk, *task))
    elif executor == "processes":
        _run_pool(prepared, chunks, collect, workers, task)
    else:
        _run_dask(prepared, chunks, collect, workers, scheduler, timeout, task,
                  connect_timeout)


def evaluate_shared(prepared: PreparedSweep, chunk: Chunk, metrics: bool,
                    rows: RowsHandle | None, returns: bool = True) -> ChunkResult:
    """:func:`evaluate_chunk`, its returns written into ``rows`` when this machine has it.

    ``returns=False``: the returns are dropped here (metrics only travel back).
    """
    result = evaluate_chunk(prepared, chunk, metrics)
    if returns:  # written into the shared matrix, else sent back
        if rows is None or not len(result.numbers):
            return result
        where = {prepared.trials[p].number: p for p in chunk}
        positions = np.array([where[int(n)] for n in result.numbers], dtype=np.int64)
        if not write_rows(rows, positions, result.returns):
            return result
    return ChunkResult(numbers=result.numbers, returns=result.returns[:, :0],
                       metrics=result.metrics, metric_names=result.metric_names,
                       failed=result.failed, written=returns)


# -- a local process pool ------------------------------------------------------------


#: What the pool's fork server imports once, so that every worker forks ready: the
#: caller's main module (a spawned worker ran it again) and the kernels, loaded.
_PRELOAD = ["__main__", "backtest.sweep._preload"]


def _pool_context() -> Any:
    """Pool workers fork from a server process that imported the kernels once.

    Not ``fork``: the client may have threads (Dask's, Rich's). Not ``spawn`` any
    more: every spawned worker imported numpy, numba, the kernels and the command's main
    module and loaded the kernels from numba's cache, 0.9 s before its first chunk
    (10k x 16k sweep, 2026-12-08). A worker forked from the server starts in
    milliseconds, and :func:`start_pool_server` has the server import while the
    caller prepares the sweep.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return context


def start_pool_server() -> None:
    """Start the process pool's fork server now: it imports while the sweep is prepared.

    Returns at once (the server imports in its own process); a pool started later
    waits for it. The server ends with this process.
    """
    from multiprocessing import forkserver

    _pool_context()
    forkserver.ensure_running()


def _init_worker(shipped: str, client: int) -> None:
    global _WORKER_PREPARED  # the pool initializer loads the sweep once per worker
    threading.Thread(target=_exit_with, args=(os.getppid(), client), daemon=True).start()
    atexit.register(_exit_now)  # the last registered runs first
    with Path(shipped).open("rb") as file:
        _WORKER_PREPARED = pickle.load(file)


def _exit_now() -> None:
    """A pool worker's exit without the interpreter's teardown.

    Freeing every module, numba's compiled code and the shipped sweep one object at a
    time took a worker 0.4-0.8 s, which the pool's shutdown waits for; a worker has
    nothing to finalize (multiprocessing's own exit handler has run by then).
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


_SHIP_PREFIX = "dcf-regime-sweep-"


def _ship(prepared: PreparedSweep) -> Path:
    """The prepared sweep in a temporary file that each pool worker reads at start.

    Not through the pool's ``initargs``: CPython writes those into the spawn pipe
    while it still holds the pipe's read end, so a worker killed before it has read
    a payload larger than the pipe's buffer (64 KiB) blocks that write for ever —
    the whole command hangs. A file read by the worker has no such wait. Files left
    by a process that was killed are removed by the next sweep.
    """
    _remove_orphans()
    name = ""
    try:
        fd, name = tempfile.mkstemp(prefix=f"{_SHIP_PREFIX}{os.getpid()}-", suffix=".pickle")
        with os.fdopen(fd, "wb") as file:
            file.write(ForkingPickler.dumps(prepared, pickle.HIGHEST_PROTOCOL))
    except OSError as exc:
        if name:
            with contextlib.suppress(OSError):
                Path(name).unlink()
        raise BacktestError(f"could not write the sweep for the worker processes in "
                            f"{tempfile.gettempdir()} ({exc.strerror or exc}); free space "
                            "there or point TMPDIR elsewhere") from None
    return Path(name)


def _remove_orphans() -> None:
    """Delete shipped sweeps whose process no longer exists (it was killed)."""
    for path in Path(tempfile.gettempdir()).glob(f"{_SHIP_PREFIX}*.pickle"):
        pid = path.name[len(_SHIP_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not alive(int(pid)):
            with contextlib.suppress(OSError):
                path.unlink()


def _exit_with(parent: int, client: int) -> None:
    """End this worker once the client or its parent (the fork server) is gone."""
    while os.getppid() == parent and alive(client):
        time.sleep(1.0)
    os._exit(1)


def _evaluate_in_worker(chunk: Chunk, task: Task) -> ChunkResult:
    assert _WORKER_PREPARED is not None, "pool worker without a prepared sweep"
    return evaluate_shared(_WORKER_PREPARED, chunk, *task)


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel what is pending and stop the workers now (running chunks are abandoned)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=5)


def _run_pool(prepared: PreparedSweep, chunks: Sequence[Chunk], collect: Collect,
              workers: int, task: Task) -> None:
    todo = list(range(len(chunks)))
    attempts = [0] * len(chunks)
    context = _pool_context()
    shipped = _ship(prepared)
    try:
        while todo:
            todo = _run_pool_once(shipped, chunks, todo, attempts, collect, workers, task,
                                  context)
    finally:
        with contextlib.suppress(OSError):
            shipped.unlink()


def _run_pool_once(shipped: Path, chunks: Sequence[Chunk], todo: list[int],
                   attempts: list[int], collect: Collect, workers: int, task: Task,
                   context: Any) -> list[int]:
    """Run ``todo`` on a fresh pool; the chunks to retry because a worker died."""
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context,
                               initializer=_init_worker, initargs=(str(shipped), os.getpid()))
    retry: list[int] = []
    try:
        futures: dict[Future[ChunkResult], int] = {
            pool.submit(_evaluate_in_worker, chunks[c], task): c for c in todo
        }
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=_POLL_S, return_when=FIRST_COMPLETED)
            for future in done:
                c = futures.pop(future)  # a finished future holds its result: drop it
                try:
                    collect(chunks[c], future.result())
                except BrokenProcessPool:
                    attempts[c] += 1
                    if attempts[c] < _ATTEMPTS:
                        retry.append(c)
                    else:
                        collect(chunks[c], f"WorkerDied: a pool worker died {_ATTEMPTS} "
                                           "times while running this trial's chunk")
    except BaseException:
        _stop_pool(pool)
        raise
    pool.shutdown(wait=True)
    return sorted(retry)


# -- Dask ------------------------------------------------------------------------------


def _connect(workers: int, scheduler: str | None, timeout: float,
             connect_timeout: float = 10.0) -> tuple[Any, Any]:
    """A Dask client (and the LocalCluster it owns, if any) with at least one worker.

    Reaching a scheduler has a hard deadline (``connect_timeout``): the connection is
    made in a helper thread, so a listener that is not Dask (an HTTP server keeps the
    handshake waiting) cannot hang the command; every failure is one line naming the
    address.
    """
    import dask
    from dask.distributed import Client, LocalCluster

    cluster = None
    try:
        if scheduler is None:
            allocator = {f"distributed.nanny.pre-spawn-environ.{name}": value
                         for name, value in ALLOCATOR_ENV.items()}
            with dask.config.set(allocator):  # read by each nanny as it starts
                cluster = LocalCluster(  # type: ignore[no-untyped-call]
                    n_workers=0, threads_per_worker=1, processes=True,
                    dashboard_address=None, silence_logs=logging.ERROR,
                )
                cluster.scale(workers)  # type: ignore[no-untyped-call]
                client = Client(cluster, timeout=timeout)  # type: ignore[no-untyped-call]
                client.wait_for_workers(workers, timeout=timeout)
        else:
            client = _reach(scheduler, connect_timeout)
            client.wait_for_workers(1, timeout=timeout)
    except BacktestError:
        if cluster is not None:
            cluster.close()
        raise
    except Exception as exc:
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()
        where = f"the Dask scheduler at {scheduler}" if scheduler else "a local Dask cluster"
        raise BacktestError(
            f"could not start or reach {where} with workers within {timeout:.0f} s "
            f"({type(exc).__name__}: {' '.join(str(exc).split())[:200]})"
        ) from None
    return client, cluster


def _reach(address: str, seconds: float) -> Any:
    """``Client(address)`` with a deadline the handshake cannot outlast."""
    from dask.distributed import Client

    outcome: dict[str, Any] = {}

    def connect() -> None:
        try:
            outcome["client"] = Client(address, timeout=seconds)  # type: ignore[no-untyped-call]
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=connect, name="dask-connect", daemon=True)
    thread.start()
    thread.join(seconds + 2.0)
    if thread.is_alive() or ("client" not in outcome and "error" not in outcome):
        raise BacktestError(f"the Dask scheduler at {address} did not answer as a Dask "
                            f"scheduler within {seconds:.0f} s (is it one? --connect-timeout "
                            "gives it longer)")
    if "error" in outcome:
        exc = outcome["error"]
        raise BacktestError(f"could not reach the Dask scheduler at {address} "
                            f"({type(exc).__name__}: {' '.join(str(exc).split())[:200]})")
    return outcome["client"]


def _run_dask(prepared: PreparedSweep, chunks: Sequence[Chunk], collect: Collect,
              workers: int, scheduler: str | None, timeout: float, task: Task,
              connect_timeout: float = 10.0) -> None:
    from dask.distributed import TimeoutError as DaskTimeout
    from dask.distributed import wait as dask_wait
    from distributed.scheduler import KilledWorker

    client, cluster = _connect(workers, scheduler, timeout, connect_timeout)
    futures: dict[Any, int] = {}
    try:
        payload = _scatter(client, prepared, timeout)
        futures = {client.submit(evaluate_shared, payload, chunk, *task, pure=False): c
                   for c, chunk in enumerate(chunks)}
        pending = set(futures)
        alone_since: float | None = None
        while pending:
            try:
                done, pending = dask_wait(  # type: ignore[no-untyped-call]
                    pending, timeout=_POLL_S, return_when="FIRST_COMPLETED")
            except (DaskTimeout, TimeoutError):
                alone_since = _check_workers(client, alone_since)
                continue
            for future in done:
                c = futures.pop(future)
                try:
                    result = future.result()
                except KilledWorker as exc:  # died allowed-failures times: recorded
                    collect(chunks[c], f"KilledWorker: {exc}")
                    continue
                finally:
                    future.release()  # the worker drops its copy of the result now
                collect(chunks[c], result)
                del result
    except BaseException:
        with contextlib.suppress(Exception):
            client.cancel(list(futures))
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _scatter(client: Any, prepared: PreparedSweep, timeout: float) -> Any:
    """The prepared sweep on every worker that answers, each sent its copy on its own.

    Not ``scatter(broadcast=True)``: Dask sends to one worker, then has the scheduler
    ``replicate`` to the others. A worker that dies during that fails the whole call
    (``CommClosedError``; distributed 2026.11, a 200 MB payload and a worker killed
    after its first 50 MB: 4 runs in 4) or, when it was the replica's target, leaves
    the scheduler calling the dead address every 30 s for minutes with every later
    scatter waiting behind it (seen in the full test suite). Here every worker gets
    its own copy under one key; one that dies or does not answer within the deadline
    (``timeout`` plus the payload's size at 10 MB/s) is left out and the others run
    the sweep. With no copy sent at all, the round is tried again on the workers then
    present, up to ``_ATTEMPTS`` times, then one line.
    """
    deadline = timeout + len(pickle.dumps(prepared, pickle.HIGHEST_PROTOCOL)) / 10e6
    key = f"prepared-sweep-{uuid.uuid4().hex}"

    async def one(address: str) -> Any:
        return await asyncio.wait_for(client.scatter(
            {key: prepared}, workers=[address], hash=False, asynchronous=True), deadline)

    async def every(addresses: list[str]) -> list[Any]:
        return await asyncio.gather(*(one(a) for a in addresses), return_exceptions=True)

    last: BaseException | None = None
    for _ in range(_ATTEMPTS):
        try:
            client.wait_for_workers(1, timeout=timeout)  # at once but after a death
            outcomes = client.sync(every, sorted(client.nthreads()),
                                   callback_timeout=deadline + 10)
        except OSError as exc:
            last = exc
            continue
        for outcome in outcomes:
            if isinstance(outcome, BaseException) and not isinstance(
                    outcome, OSError | asyncio.CancelledError):
                raise outcome  # not the network: a bug, with its traceback
        sent = [o[key] for o in outcomes if isinstance(o, dict)]
        if sent:
            return sent[0]
        last = next((o for o in outcomes if isinstance(o, BaseException)), last)
    raise BacktestError(
        f"could not send the prepared sweep to any Dask worker: {_ATTEMPTS} attempts "
        f"failed, the last with {type(last).__name__}: {' '.join(str(last).split())[:160]}")


def _check_workers(client: Any, alone_since: float | None) -> float | None:
    """None while the cluster has workers; the time it lost the last; raise after STALL_S."""
    if client.nthreads():
        return None
    now = time.monotonic()
    if alone_since is None:
        return now
    if now - alone_since > STALL_S:
        raise BacktestError(
            f"the Dask cluster has had no worker for {STALL_S:.0f} s; start workers "
            "(dask worker SCHEDULER_ADDRESS) and run the sweep again"
        )
    return alone_since
