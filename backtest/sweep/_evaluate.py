"""Evaluate a chunk of trials: decide in batches, simulate and measure with the kernel.

This is what a worker runs. A chunk is reduced to its trials' net returns and
metrics before it is returned, and every trial's numbers depend on that trial
alone — never on which other trials share its chunk — so results are identical
bit for bit whatever the chunking and the executor.

Metrics come from the numba kernel (:func:`~backtest.engine._kernel.simulate_measured`:
each trial measured right after its simulation, in a fixed order). The reference
path (:func:`~backtest.metrics._batch.compute_metrics_batch`, then
:func:`~backtest.metrics.compute_metrics` one trial at a time) measures the trials the
kernel does not cover: returns that are not all finite, and a cash asset or benchmark
with gaps or on other dates. Whether a trial is covered depends on that trial (and
its market and benchmark) alone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from backtest.engine import validate_weights
from backtest.engine._accounting import bar_turnover, net_returns, value_path
from backtest.engine._kernel import simulate_compact, simulate_measured
from backtest.engine.result import result_stats
from backtest.metrics._batch import METRIC_NAMES, compute_metrics_batch
from backtest.strategy import BatchDecision, MarketData, decide
from backtest.sweep._types import MarketSlot, PreparedSweep, Trial

__all__ = ["ChunkResult", "Measured", "Simulated", "decide_trials", "evaluate_chunk",
           "generic_decision", "measure_trials", "reported", "simulate_trials"]

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class ChunkResult:
    """The reduced output of one chunk.

    Attributes
    ----------
    numbers : ndarray of int64, shape (n_ok,)
        Trials that ran, ascending.
    returns : ndarray, shape (n_ok, n_bars - 1)
    metrics : ndarray, shape (n_ok, n_metrics)
    metric_names : tuple of str
    failed : dict of int to str
        Trial number → ``"ExcType: message"``.
    written : bool
        The returns were written into the client's shared matrix
        (:mod:`backtest.sweep._shared`); ``returns`` is then empty.
    """

    numbers: npt.NDArray[np.int64]
    returns: Floats
    metrics: Floats
    metric_names: tuple[str, ...]
    failed: dict[int, str]
    written: bool = False


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def generic_decision(trial: Trial, slot: MarketSlot) -> BatchDecision:
    """One strategy without ``decide_batch``, decided and checked as the engine does.

    Its decision comes from ``decide`` or ``decide_bar`` (:func:`backtest.strategy.decide`).
    """
    market = slot.market
    decision = decide(trial.strategy, market, f"strategy {trial.label!r} ({trial.kind})")
    columns = market.prices.columns
    targets = validate_weights(decision.weights.reindex(columns=columns), trial.label)
    values = targets.reindex(market.index).to_numpy(dtype="float64")
    n = len(market.index)
    risk_off = None
    if decision.risk_off is not None:
        risk_off = decision.risk_off.reindex(market.index).to_numpy(dtype=bool)[None, :]
    return BatchDecision(
        frames=values[None], first=np.zeros(1, dtype=np.int64),
        second=np.zeros(1, dtype=np.int64), a=np.ones((1, n)), b=np.zeros((1, n)),
        trade=~np.isnan(values).all(axis=1)[None, :], risk_off=risk_off,
    )


def decide_trials(
    trials: Sequence[Trial], slot: MarketSlot
) -> tuple[list[tuple[list[Trial], BatchDecision]], dict[int, str]]:
    """Decisions of trials of one strategy class on one market, batched where possible.

    A class with ``decide_batch`` decides all its trials in one call; if that
    call raises, each trial is decided on its own (a batch of one) so that the
    error is recorded against the trials that cause it. Others call ``decide``.

    Returns
    -------
    batches : list of (trials, BatchDecision)
    failed : dict of int to str
    """
    batch_fn = getattr(type(trials[0].strategy), "decide_batch", None)
    out: list[tuple[list[Trial], BatchDecision]] = []
    failed: dict[int, str] = {}
    if batch_fn is not None and len(trials) > 1:
        try:
            return [(list(trials), batch_fn([t.strategy for t in trials], slot.market))], failed
        except Exception:  # decided one by one below: errors are recorded per trial
            pass
    for trial in trials:
        try:
            if batch_fn is not None:
                batch = batch_fn([trial.strategy], slot.market)
            else:
                batch = generic_decision(trial, slot)
        except Exception as exc:  # a failed trial is recorded, never fatal
            failed[trial.number] = _describe(exc)
            continue
        out.append(([trial], batch))
    return out, failed


def _invalid_rows(
    trials: list[Trial], batch: BatchDecision, status: npt.NDArray[np.int64],
    market: MarketData, failed: dict[int, str],
) -> npt.NDArray[np.bool_]:
    """Trials whose weights break the engine's rules, with the engine's own message."""
    bad = np.zeros(len(trials), dtype=bool)
    for i in np.flatnonzero(status[:, 0]):
        weights = batch.decision(int(i), market).weights
        try:
            validate_weights(weights.reindex(columns=market.prices.columns), trials[i].label)
        except Exception as exc:
            failed[trials[i].number] = _describe(exc)
            bad[i] = True
    return bad


@dataclass(frozen=True, eq=False)
class Simulated:
    """The kernel's raw output for some trials (arrays of shape (n_trials, n_bars)).

    Attributes
    ----------
    values, traded, pre : ndarray
        Value after each close's trades, traded value, value before the trades.
    first_cash : ndarray, shape (n_trials,)
        Value held in the cash asset after the first close's trades.
    first_decision : ndarray of int64, shape (n_trials,)
        First decision row (-1: none).
    status : ndarray of int64, shape (n_trials, 2)
        The first broken weight rule and its row ((0, -1): none).
    """

    values: Floats
    traded: Floats
    pre: Floats
    first_cash: Floats
    first_decision: npt.NDArray[np.int64]
    status: npt.NDArray[np.int64]


def _kernel_inputs(trials: list[Trial], batch: BatchDecision,
                   slot: MarketSlot) -> tuple[Any, ...]:
    """The market, the decisions and the engine settings, as both kernels take them."""
    return (
        slot.close, np.ascontiguousarray(batch.frames, dtype="float64"),
        np.ascontiguousarray(batch.first, dtype=np.int64),
        np.ascontiguousarray(batch.second, dtype=np.int64),
        np.ascontiguousarray(batch.a, dtype="float64"),
        np.ascontiguousarray(batch.b, dtype="float64"),
        np.ascontiguousarray(batch.trade, dtype=bool), slot.cash_col,
        np.array([t.execution_lag for t in trials], dtype=np.int64),
        np.array([t.costs.fees_bps / 1e4 for t in trials]),
        np.array([t.costs.slippage_bps / 1e4 for t in trials]),
        np.array([t.initial_capital for t in trials], dtype="float64"),
    )


def simulate_trials(trials: list[Trial], batch: BatchDecision, slot: MarketSlot) -> Simulated:
    """Run the kernel (:func:`backtest.engine._kernel.simulate_compact`) on ``batch``."""
    n_trials, n = len(trials), slot.close.shape[0]
    values, traded, pre = np.empty((n_trials, n)), np.empty((n_trials, n)), np.empty((n_trials, n))
    status = np.empty((n_trials, 2), dtype=np.int64)
    firsts = np.empty((n_trials, 2))
    # numba's stubs type a dispatcher's call as taking no unpacked arguments
    simulate_compact(*_kernel_inputs(trials, batch, slot),  # type: ignore[call-arg]
                     values, traded, pre, status, firsts)
    return Simulated(values=values, traded=traded, pre=pre, first_cash=firsts[:, 0],
                     first_decision=firsts[:, 1].astype(np.int64), status=status)


def reported(trials: list[Trial], sim: Simulated) -> tuple[Floats, Floats]:
    """Net returns (n_trials, n_bars - 1) and one-way turnover (n_trials, n_bars).

    Through the engine's accounting functions (:mod:`backtest.engine._accounting`),
    the ones ``run_backtest`` reports with; they take bars on axis 0.
    """
    init = np.array([t.initial_capital for t in trials], dtype="float64")
    returns = net_returns(value_path(sim.values.T, init)).T
    turnover = bar_turnover(sim.traded.T, sim.pre.T, sim.first_cash).T
    return returns, turnover


def build_position(trial: Trial, sim: Simulated, row: int) -> int | None:
    """Trial ``row``'s initial build: its first decision plus the lag (as ``build_bar``)."""
    first = int(sim.first_decision[row])
    if first < 0 or first + trial.execution_lag >= sim.values.shape[1]:
        return None
    return first + trial.execution_lag


def _metrics(trial: Trial, returns: Floats, turnover: Floats, build: int | None,
             risk_off: npt.NDArray[np.bool_] | None, slot: MarketSlot,
             benchmark: pd.Series | None) -> pd.Series:
    bars = slot.cash_returns.index  # the same index object: pandas skips re-aligning
    return result_stats(
        pd.Series(returns, index=bars, name=trial.label),
        slot.cash_returns,
        periods_per_year=trial.periods_per_year,
        turnover=pd.Series(turnover, index=slot.market.index, name="turnover"),
        build=build,
        risk_off=None if risk_off is None else pd.Series(risk_off[1:], index=bars,
                                                         name="risk_off"),
        benchmark=benchmark,
    )


@dataclass(frozen=True, eq=False)
class Measured:
    """The fused kernel's output for some trials, in rows of output matrices.

    Attributes
    ----------
    returns : ndarray, shape (n_rows, n_bars - 1)
        Net returns: trial ``i``'s in row ``rows[i]``.
    metrics : ndarray, shape (n_rows, len(METRIC_NAMES))
        Every metric (row ``rows[i]``), where ``covered``.
    rows : ndarray of int64, shape (n_trials,)
    covered : ndarray of bool, shape (n_trials,)
        Measured by the kernel; elsewhere the reference path measures the trial.
    status : ndarray of int64, shape (n_trials, 2)
        The first broken weight rule and its row ((0, -1): none).
    """

    returns: Floats
    metrics: Floats
    rows: npt.NDArray[np.int64]
    covered: npt.NDArray[np.bool_]
    status: npt.NDArray[np.int64]


def _kernel_benchmarks(
    trials: list[Trial], slot: MarketSlot, benchmarks: tuple[pd.Series, ...],
) -> tuple[Floats, npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Benchmark rows the kernel reads, each trial's row (-1: none) and who is covered.

    A benchmark on other dates than the cash asset's returns, or with a gap, and a
    cash asset with a gap, are left to the reference path, which aligns them.
    """
    cash = slot.cash_returns
    clean_cash = not bool(np.isnan(cash.to_numpy(dtype="float64")).any())
    rows: dict[int, int] = {}
    usable: dict[int, bool] = {}
    which = np.full(len(trials), -1, dtype=np.int64)
    covered = np.full(len(trials), clean_cash)
    for i, trial in enumerate(trials):
        position = trial.benchmark
        if position is None:
            continue
        if position not in usable:
            bench = benchmarks[position]
            usable[position] = bench.index.equals(cash.index) and not bool(bench.isna().any())
        if not usable[position]:
            covered[i] = False
            continue
        which[i] = rows.setdefault(position, len(rows))
    matrix = np.empty((len(rows), len(cash)))
    for position, row in rows.items():
        matrix[row] = benchmarks[position].to_numpy(dtype="float64")
    return matrix, which, covered


def measure_trials(trials: list[Trial], batch: BatchDecision, slot: MarketSlot,
                   benchmarks: tuple[pd.Series, ...], returns: Floats | None = None,
                   metrics: Floats | None = None,
                   rows: npt.NDArray[np.int64] | None = None) -> Measured:
    """Simulate and measure ``batch`` in one kernel call.

    :func:`~backtest.engine._kernel.simulate_measured`, writing trial ``i``
    into row ``rows[i]`` of ``returns`` and ``metrics`` (default: new arrays, one
    row per trial in order); ``share_risk_off`` (the mean of the decided states) is
    taken here.
    """
    n_trials, n = len(trials), slot.close.shape[0]
    bench, which, covered = _kernel_benchmarks(trials, slot, benchmarks)
    if returns is None or metrics is None or rows is None:
        returns, metrics = np.empty((n_trials, n - 1)), np.empty((n_trials, len(METRIC_NAMES)))
        rows = np.arange(n_trials, dtype=np.int64)
    status = np.empty((n_trials, 2), dtype=np.int64)
    finite = np.empty(n_trials, dtype=bool)
    simulate_measured(  # type: ignore[call-arg]
        *_kernel_inputs(trials, batch, slot),
        np.array([t.periods_per_year for t in trials], dtype=np.int64),
        np.ascontiguousarray(slot.cash_returns.to_numpy(dtype="float64")), bench, which,
        returns, rows, metrics, status, finite,
    )
    if batch.risk_off is not None and n > 1:  # share_risk_off: the mean of the decided states
        metrics[rows, METRIC_NAMES.index("share_risk_off")] = batch.risk_off[:, 1:].mean(axis=1)
    return Measured(returns=returns, metrics=metrics, rows=rows, covered=covered & finite,
                    status=status)


def _subset(batch: BatchDecision, rows: list[int]) -> BatchDecision:
    """The decisions of ``rows`` of ``batch`` (the frames shared)."""
    return BatchDecision(frames=batch.frames, first=batch.first[rows], second=batch.second[rows],
                         a=batch.a[rows], b=batch.b[rows], trade=batch.trade[rows],
                         risk_off=None if batch.risk_off is None else batch.risk_off[rows])


@dataclass(frozen=True, eq=False)
class _Sink:
    """A chunk's output matrices, one row per trial by ascending number; ``done``: filled.

    ``measure``: the metrics are wanted (else the kernel's are scratch, and trials it
    does not cover are not measured by the reference path).
    """

    returns: Floats
    metrics: Floats
    done: npt.NDArray[np.bool_]
    row_of: dict[int, int]
    measure: bool = True


def _run_batch(
    trials: list[Trial], batch: BatchDecision, slot: MarketSlot, failed: dict[int, str],
    benchmarks: tuple[pd.Series, ...], sink: _Sink,
) -> None:
    rows = np.array([sink.row_of[t.number] for t in trials], dtype=np.int64)
    measured = measure_trials(trials, batch, slot, benchmarks, sink.returns, sink.metrics, rows)
    bad = _invalid_rows(trials, batch, measured.status, slot.market, failed)
    ok = [i for i in range(len(trials)) if not bad[i]]
    if not sink.measure:  # returns only: the kernel's metrics were scratch (cheap)
        sink.done[rows[ok]] = True
        return
    rest = [i for i in ok if not measured.covered[i]]
    sink.done[rows[[i for i in ok if measured.covered[i]]]] = True
    if rest:  # the reference path, on these trials alone
        stats = _reference_metrics([trials[i] for i in rest], _subset(batch, rest), slot,
                                   failed, benchmarks)
        for j, row in stats.items():
            sink.metrics[rows[rest[j]]] = row
            sink.done[rows[rest[j]]] = True


def _reference_metrics(
    trials: list[Trial], batch: BatchDecision, slot: MarketSlot, failed: dict[int, str],
    benchmarks: tuple[pd.Series, ...],
) -> dict[int, Floats]:
    """Metrics of the rows of ``batch`` by the empyrical path (batched, else one by one).

    A trial whose own returns are not all finite is measured alone; the others of one
    periods-per-year and benchmark together, unless the batch raises (a cash asset
    or benchmark with gaps or on other dates).
    """
    sim = simulate_trials(trials, batch, slot)
    returns, turnover = reported(trials, sim)
    stats: dict[int, Floats] = {}
    groups: dict[tuple[int, int | None], list[int]] = {}
    for i in range(len(trials)):
        if np.isfinite(returns[i]).all():
            groups.setdefault((trials[i].periods_per_year, trials[i].benchmark), []).append(i)
    for (ppy, which), rows in groups.items():
        bench = None if which is None else benchmarks[which]
        with contextlib.suppress(Exception):  # else measured one by one below, errors per trial
            stats |= dict(zip(rows, _batch_metrics(rows, ppy, bench, returns, turnover, batch,
                                                   trials, sim, slot), strict=True))
    for i, trial in enumerate(trials):
        if i not in stats:
            risk_off = None if batch.risk_off is None else batch.risk_off[i]
            try:
                bench = None if trial.benchmark is None else benchmarks[trial.benchmark]
                stats[i] = _metrics(trial, returns[i], turnover[i],
                                    build_position(trial, sim, i), risk_off, slot,
                                    bench).to_numpy(dtype="float64")
            except Exception as exc:
                failed[trial.number] = _describe(exc)
    return stats


def _batch_metrics(rows: list[int], ppy: int, bench: pd.Series | None, returns: Floats,
                   turnover: Floats, batch: BatchDecision, trials: list[Trial],
                   sim: Simulated, slot: MarketSlot) -> Floats:
    """:func:`~backtest.metrics._batch.compute_metrics_batch` of ``rows`` (same ppy and benchmark).

    Raises when a series has a gap (NaN) or the benchmark other dates, which the
    per-trial path aligns.
    """
    if bench is not None and not bench.index.equals(slot.cash_returns.index):
        raise ValueError("benchmark on other dates: measured one series at a time")
    picked = returns[rows]
    cash = slot.cash_returns.to_numpy(dtype="float64")
    bench_values = None if bench is None else bench.to_numpy(dtype="float64")
    if (np.isnan(picked).any() or np.isnan(cash).any()
            or (bench_values is not None and np.isnan(bench_values).any())):
        raise ValueError("gaps: measured one series at a time")
    risk_off = None if batch.risk_off is None else batch.risk_off[rows][:, 1:]
    return compute_metrics_batch(
        picked, cash, periods_per_year=ppy, turnover=turnover[rows],
        builds=[build_position(trials[i], sim, i) for i in rows],
        risk_off=risk_off, benchmark=bench_values,
    )


def evaluate_chunk(
    prepared: PreparedSweep, positions: Sequence[int], metrics: bool = True
) -> ChunkResult:
    """Run the trials at ``positions`` of ``prepared.trials``; reduce to returns and metrics.

    ``metrics=False``: returns only (the result's metrics have no columns). The
    kernel writes each trial's returns straight into its row of the chunk's matrix.
    """
    groups: dict[tuple[int, type], list[Trial]] = {}
    for p in positions:
        trial = prepared.trials[p]
        groups.setdefault((trial.market, type(trial.strategy)), []).append(trial)
    numbers = sorted(prepared.trials[p].number for p in positions)
    n = len(prepared.index) - 1
    sink = _Sink(returns=np.empty((len(numbers), n)),
                 metrics=np.empty((len(numbers), len(METRIC_NAMES))),  # the kernel's, always
                 done=np.zeros(len(numbers), dtype=bool),
                 row_of={number: r for r, number in enumerate(numbers)}, measure=metrics)
    failed: dict[int, str] = {}
    benchmarks = prepared.benchmark_returns
    for (market, _), trials in groups.items():
        slot = prepared.markets[market]
        batches, why = decide_trials(trials, slot)
        failed.update(why)
        for members, batch in batches:
            _run_batch(members, batch, slot, failed, benchmarks, sink)
    keep = np.flatnonzero(sink.done)
    returns, stats = sink.returns, sink.metrics
    if len(keep) < len(numbers):  # failed trials: their rows dropped, in place
        for k, i in enumerate(keep):
            returns[k] = returns[i]
        returns, stats = returns[: len(keep)], stats[keep]
    names = METRIC_NAMES if metrics and len(keep) else ()
    return ChunkResult(
        numbers=np.array(numbers, dtype=np.int64)[keep],
        returns=returns,
        metrics=stats[:, : len(names)].reshape(len(keep), len(names)),
        metric_names=names,
        failed=failed,
    )
