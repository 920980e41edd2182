"""The sweep's memory budget: how many trials a chunk may hold.

What a sweep adds to memory on one machine is, with ``W`` worker processes
(``W = 0`` for the local executor, which works in the calling process):

    R + S + W × (M_worker + F) + max(W, 1) × c × u + a × c × 8 × T

``max_memory`` bounds this: what the command *adds* to the calling process's memory
when it starts (the interpreter, and whatever a notebook or benchmark already holds,
is not counted against it: a process that had grown refused even a small sweep).

* ``S`` — the caller's reserve for what follows the sweep (``tune``'s statistics:
  :func:`backtest.tune` passes its estimate), held in the same budget;
* ``R = n_trials × (n_bars - 1) × 8`` bytes — the returns matrix kept for the
  statistics (each chunk is reduced to it, and to its metrics, on arrival);
* ``M_worker`` — a worker process with the libraries and the prepared markets;
* ``F`` — fixed scratch of one chunk (pandas frames of one strategy at a time);
* ``c × u`` — a chunk of ``c`` trials in flight, ``u`` bytes per trial
  (coefficients, masks, values, turnover, returns — see :func:`bytes_per_trial`);
* ``a c 8 T`` — a finished chunk's returns arriving at the client (``T = n_bars``;
  ``a`` = 0 in process, 2 from a process pool — pickled and unpickled —, 3 from
  Dask — its comm frames too).

The chunk size ``c`` is the largest that fits (and at most what keeps four tasks
per worker), so the peak does not grow with the number of trials beyond ``R``.
With a remote Dask cluster the workers' share is on other machines: there
``max_memory`` bounds each worker's ``M_worker + F + c u`` and the client's
``R + S + 3 c 8 T`` separately.
"""

from __future__ import annotations

import math
import os
import resource
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from backtest.errors import BacktestError

__all__ = ["MemoryPlan", "bytes_per_trial", "current_rss", "default_max_memory", "plan_chunks"]

_GIB = 1 << 30
_MIB = 1 << 20
#: A worker process with numpy, pandas, numba, empyrical, the kernels and (Dask) the
#: distributed runtime loaded, plus the prepared sweep (measured: 120-250 MB).
WORKER_BASE = 320 * _MIB
#: Copies of a finished chunk's returns at the client while it arrives, by executor.
_ARRIVAL = {"local": 0, "processes": 2, "dask": 3}
#: Largest chunk worth making: beyond it the per-chunk overhead is already negligible.
MAX_CHUNK = 256
#: Tasks per worker to aim for, so that workers finish together and progress moves.
TASKS_PER_WORKER = 4


def default_max_memory() -> int:
    """A quarter of the machine's RAM, at most 4 GiB."""
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not POSIX
        ram = 16 * _GIB
    return int(min(ram // 4, 4 * _GIB))


def current_rss() -> int:
    """Resident memory of this process in bytes (Linux: now; elsewhere: the peak so far)."""
    try:
        pages = int(Path("/proc/self/statm").read_text(encoding="ascii").split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(peak if sys.platform == "darwin" else peak * 1024)


def bytes_per_trial(n_bars: int, n_calendar: int, n_assets: int) -> int:
    """Working bytes of one trial inside a chunk.

    Coefficients ``a``, ``b`` (16 per bar), trade and risk-off masks (2), values,
    traded value and pre-trade value (24), returns, turnover and the chunk's returns
    copy (24),
    the reduced result as pickled and received (16), the hysteresis state on the
    whole calendar (2 per calendar bar) and, for strategies without
    ``decide_batch``, one weight frame (8 per asset and bar).
    """
    return n_bars * (82 + 8 * n_assets) + 2 * n_calendar


def fixed_scratch(n_bars: int, n_assets: int) -> int:
    """Scratch of one strategy decided with pandas and one trial's metrics."""
    return n_bars * (16 * 8 * n_assets + 32 * 8) + 16 * _MIB


@dataclass(frozen=True)
class MemoryPlan:
    """Chunk size and the figures it was derived from (bytes)."""

    chunk: int
    budget: int
    retained: int
    per_trial: int


def plan_chunks(
    *, n_trials: int, n_bars: int, n_calendar: int, n_assets: int, workers: int,
    budget: int, executor: str, remote: bool, forced: int | None = None,
    reserve: int | Callable[[int], int] = 0, keep_returns: bool = True,
) -> MemoryPlan:
    """The largest chunk that keeps the sweep within ``budget`` bytes.

    Parameters
    ----------
    workers : int
        Worker processes (0 = the local executor, in this process).
    executor : {"local", "processes", "dask"}
    remote : bool
        Workers run on other machines (a Dask scheduler address).
    forced : int or None
        A chunk size asked for; checked against the budget.
    reserve : int or callable
        Bytes the caller needs after the sweep, within the same budget (or a function
        of the number of trials giving them: the refusal then says how many fit).
    keep_returns : bool
        The returns matrix is kept and chunks send their returns (``R`` and the
        arrival term); False: metrics only, neither is counted.

    Raises
    ------
    BacktestError
        The returns matrix and one chunk do not fit; says how many trials would.
    """
    per = bytes_per_trial(n_bars, n_calendar, n_assets)
    scratch = fixed_scratch(n_bars, n_assets)
    row = max(n_bars - 1, 0) * 8 if keep_returns else 0
    arrival = _ARRIVAL[executor] * 8 * n_bars if keep_returns else 0
    needs = reserve if callable(reserve) else (lambda _n: reserve)

    def fit_for(n: int) -> int:
        """The largest chunk with ``n`` trials' returns and their statistics kept."""
        client = n * row + needs(n) + (scratch if workers == 0 else 0)
        if remote:
            return int(min((budget - client) // max(arrival, 1),
                           (budget - WORKER_BASE - scratch) // per))
        room = budget - client - workers * (WORKER_BASE + scratch)
        return int(room // (max(workers, 1) * per + arrival))

    fit = fit_for(n_trials)
    if fit < 1:
        _too_big(n_trials, n_bars, budget, needs(n_trials), fit_for, row)
    balanced = math.ceil(n_trials / (TASKS_PER_WORKER * max(workers, 1))) if n_trials else 1
    chunk = int(max(1, min(fit, balanced, MAX_CHUNK)))
    if forced is not None:
        if forced > fit:
            raise BacktestError(
                f"chunk_trials = {forced} does not fit max_memory = {budget / _GIB:.2f} GiB "
                f"with {n_trials} trials x {n_bars} bars; at most {int(fit)} per chunk"
            )
        chunk = forced
    return MemoryPlan(chunk=chunk, budget=budget, retained=n_trials * row, per_trial=per)


def _too_big(n_trials: int, n_bars: int, budget: int, reserve: int,
             fit_for: Callable[[int], int], row: int) -> None:
    low, high = 0, n_trials  # fit_for(high) < 1; the largest n with fit_for(n) >= 1:
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if fit_for(mid) >= 1 else (low, mid)
    fits = low if fit_for(low) >= 1 else 0
    after = (f" and {reserve / _GIB:.2f} GiB for the statistics after it" if reserve else "")
    if not row:  # metrics only: the workers and one chunk are what does not fit
        raise BacktestError(
            f"max_memory = {budget / _GIB:.2f} GiB cannot hold the workers and one chunk of "
            f"{n_bars} bars{after}: raise --max-memory or use fewer workers")
    raise BacktestError(
        f"max_memory = {budget / _GIB:.2f} GiB cannot hold the returns of {n_trials} trials x "
        f"{n_bars} bars ({n_trials * row / _GIB:.2f} GiB) plus the workers{after}; about "
        f"{fits} trials fit: raise --max-memory or sweep fewer trials"
    )
