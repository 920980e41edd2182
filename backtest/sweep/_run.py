"""Run a prepared sweep: plan the chunks, dispatch them, assemble the result."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from backtest.sweep._evaluate import ChunkResult
from backtest.sweep._executors import Chunk, run_chunks, start_pool_server
from backtest.sweep._memory import MemoryPlan, default_max_memory, plan_chunks
from backtest.sweep._shared import SharedRows
from backtest.sweep._types import PreparedSweep, SweepOptions, SweepResult

__all__ = ["run_sweep"]

Progress = Callable[[int], None]


class _Collector:
    """Fills the retained returns matrix and metrics as chunks arrive (any order)."""

    def __init__(self, prepared: PreparedSweep, progress: Progress | None,
                 returns: npt.NDArray[np.float64] | None = None, keep: bool = True) -> None:
        self.prepared = prepared
        self.progress = progress
        n = len(prepared.trials)
        self.row = {t.number: i for i, t in enumerate(prepared.trials)}
        # untouched pages cost nothing: only rows that arrive become resident
        self.returns = np.empty(_shape(prepared, keep)) if returns is None else returns
        self.metrics: npt.NDArray[np.float64] | None = None
        self.names: tuple[str, ...] = ()
        self.done = np.zeros(n, dtype=bool)
        self.failed: dict[int, str] = {}

    def __call__(self, chunk: Chunk, result: ChunkResult | str) -> None:
        if isinstance(result, str):
            for p in chunk:
                self.failed[self.prepared.trials[p].number] = result
        else:
            if self.metrics is None and len(result.numbers):
                self.names = result.metric_names
                self.metrics = np.full((len(self.done), len(self.names)), np.nan)
            assert self.metrics is not None or not len(result.numbers)
            for j, number in enumerate(result.numbers):
                i = self.row[int(number)]
                if not result.written:  # else the worker wrote row i itself
                    self.returns[i] = result.returns[j]
                assert self.metrics is not None
                self.metrics[i] = result.metrics[j]
                self.done[i] = True
            self.failed.update(result.failed)
        if self.progress is not None:
            self.progress(len(chunk))

    def result(self) -> SweepResult:
        """Rows of the trials that ran, compacted in place (no copy of the matrix)."""
        prepared = self.prepared
        for trial, done in zip(prepared.trials, self.done, strict=True):
            if not done and trial.number not in self.failed:  # a bug, reported as such
                self.failed[trial.number] = "LostTrial: no result came back for this trial"
        keep = np.flatnonzero(self.done)
        for k, i in enumerate(keep):
            if k != i:
                self.returns[k] = self.returns[i]
        numbers = np.array([prepared.trials[i].number for i in keep], dtype=np.int64)
        metrics = (self.metrics[keep] if self.metrics is not None
                   else np.empty((0, len(self.names))))
        return SweepResult(
            index=prepared.index[1:],
            window=prepared.window,
            numbers=numbers,
            returns=self.returns[: len(keep)],
            metrics=pd.DataFrame(metrics, index=pd.Index(numbers, name="trial"),
                                 columns=list(self.names)),
            cash_returns=prepared.cash_returns,
            benchmarks=dict(prepared.benchmarks),
            invalid=dict(prepared.invalid),
            failed=dict(sorted(self.failed.items())),
        )


def _shape(prepared: PreparedSweep, keep: bool = True) -> tuple[int, int]:
    """Shape of the returns matrix: a row per trial, a column per bar after the first."""
    return len(prepared.trials), (len(prepared.index) - 1) if keep else 0


def _chunks(prepared: PreparedSweep, size: int) -> list[Chunk]:
    """Consecutive trials of one market and strategy class share chunks (bigger batches)."""
    order = sorted(range(len(prepared.trials)), key=lambda p: (
        prepared.trials[p].market, type(prepared.trials[p].strategy).__qualname__, p))
    chunks = [tuple(sorted(order[i: i + size])) for i in range(0, len(order), size)]
    return chunks


def _workers(options: SweepOptions) -> int:
    if options.executor == "local":
        return 0
    return options.workers or os.cpu_count() or 1


def _warm_up() -> None:
    """Compile (or load from numba's cache) the kernels once, before workers start."""
    from backtest.engine._kernel import N_METRICS, simulate_compact, simulate_measured
    from backtest.strategies._batch import hysteresis_states

    one = np.ones((1, 2))
    frames = np.zeros((1, 2, 2))
    idx = np.zeros(1, dtype=np.int64)
    trade = np.ones((1, 2), dtype=bool)
    simulate_compact(np.ones((2, 2)), frames, idx, idx, one, one, trade, 1, idx,
                     np.zeros(1), np.zeros(1), np.ones(1), np.empty((1, 2)), np.empty((1, 2)),
                     np.empty((1, 2)), np.empty((1, 2), dtype=np.int64), np.empty((1, 2)))
    simulate_measured(np.ones((2, 2)), frames, idx, idx, one, one, trade, 1, idx,
                      np.zeros(1), np.zeros(1), np.ones(1), idx + 12, np.zeros(1),
                      np.zeros((1, 1)), idx, np.empty((1, 1)), idx, np.empty((1, N_METRICS)),
                      np.empty((1, 2), dtype=np.int64), np.empty(1, dtype=bool))
    hysteresis_states(pd.Series([0.0, 1.0]), [0.0], [0.0], [1])


def prestart_workers(options: SweepOptions) -> None:
    """Start what ``options``' executor can start before the sweep is prepared.

    For ``processes``: the pool's fork server, which imports numpy, numba and the
    kernels (about 1 s) in its own process while the caller prepares the sweep;
    :func:`run_sweep` then forks ready workers from it (and starts it itself
    otherwise). Nothing for the other executors.
    """
    if options.executor == "processes":
        start_pool_server()


def run_sweep(
    prepared: PreparedSweep,
    options: SweepOptions | None = None,
    progress: Progress | None = None,
) -> SweepResult:
    """Run every valid trial of ``prepared``; the result does not depend on ``options``.

    Parameters
    ----------
    prepared : PreparedSweep
        From :func:`prepare_sweep`.
    options : SweepOptions, optional
        Executor, workers, memory budget, chunk size (default: local, sized from RAM).
    progress : callable, optional
        Called with the number of trials finished since the last call.

    Returns
    -------
    SweepResult

    Raises
    ------
    BacktestError
        The returns of the trials do not fit ``max_memory`` (the message says how
        many would), or a Dask cluster cannot be started or reached in time.
    KeyboardInterrupt
        After cancelling every pending task and stopping the workers.

    Notes
    -----
    Trials run in chunks (tasks) sized from the memory budget; each chunk is
    reduced to its trials' returns and metrics as it arrives. A trial's numbers
    depend on that trial alone, so results are identical bit for bit across
    executors, worker counts and chunk sizes.
    """
    options = options or SweepOptions()
    workers = _workers(options)
    plan = _plan(prepared, options, workers)
    if prepared.trials:
        prestart_workers(options)  # if not yet: imports run while the matrix is reserved
    # workers on this machine write their rows into the matrix (no pickling, no copy)
    shared = (SharedRows.create(_shape(prepared))
              if options.executor != "local" and prepared.trials and options.returns else None)
    collector = _Collector(prepared, progress, None if shared is None else shared.array,
                           keep=options.returns)
    try:
        if prepared.trials:
            if options.executor != "processes":  # the pool's fork server has warmed up
                _warm_up()
            run_chunks(prepared, _chunks(prepared, plan.chunk), collector,
                       executor=options.executor, workers=max(workers, 1),
                       scheduler=options.scheduler, timeout=options.start_timeout_s,
                       connect_timeout=options.connect_timeout_s,
                       metrics=options.metrics, rows=None if shared is None else shared.handle,
                       returns=options.returns)
    finally:
        if shared is not None:
            shared.close()
    return collector.result()


def _plan(prepared: PreparedSweep, options: SweepOptions, workers: int) -> MemoryPlan:
    market = prepared.markets[0].market if prepared.markets else None
    return plan_chunks(
        n_trials=len(prepared.trials),
        n_bars=len(prepared.index),
        n_calendar=0 if market is None else len(market.prices),
        n_assets=0 if market is None else market.prices.shape[1],
        workers=workers,
        budget=options.max_memory or default_max_memory(),
        executor=options.executor,
        remote=options.scheduler is not None,
        forced=options.chunk_trials,
        reserve=options.reserve,
        keep_returns=options.returns,
    )


def chunk_sizes(prepared: PreparedSweep, options: SweepOptions) -> Sequence[int]:
    """Trials per task that :func:`run_sweep` would use (for benchmarks and docs)."""
    return [len(c) for c in _chunks(prepared, _plan(prepared, options, _workers(options)).chunk)]
