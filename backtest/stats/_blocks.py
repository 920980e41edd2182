"""Per-block sufficient statistics of the objectives, and their values on unions of blocks.

CSCV (:func:`backtest.stats.pbo_cscv`) evaluates every trial on C(S, S/2) unions of
S blocks. Recomputing each union from the bars costs C(S, S/2) passes over the
trials × bars matrix; instead each block is summarized once (sums, sums of
squares, counts, log-growth, drawdown summaries) and a union's objective is
assembled from its blocks' summaries. The assembled values equal
:func:`backtest.stats.objective_values` on the concatenated bars up to rounding
(tested to 1e-10).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from backtest.stats._arrays import FloatArray, IntArray, row_batches
from backtest.stats._objectives import Objective


@dataclass(frozen=True, eq=False)
class BlockStats:
    """Summaries of S blocks for N trials; every array is (S, N) unless noted.

    ``first``/``second`` hold the additive features of the metric (see
    :func:`block_stats`); ``low``/``high``/``drop`` the log-wealth summaries used
    by Calmar; ``lo``/``hi`` the per-block min/max of the Sharpe excess return.
    """

    metric: Objective
    periods_per_year: int
    counts: FloatArray  # (S,)
    shift: FloatArray  # (N,)
    first: FloatArray
    second: FloatArray
    lo: FloatArray
    hi: FloatArray
    low: FloatArray
    high: FloatArray
    drop: FloatArray


def _log_path_summary(log_growth: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Min and max of the cumulative log wealth within a block and its largest drop."""
    path = np.cumsum(log_growth, axis=1)
    peak = np.maximum(np.maximum.accumulate(path, axis=1), 0.0)
    with np.errstate(invalid="ignore"):
        drop = (peak - path).max(axis=1)
    return path.min(axis=1), path.max(axis=1), drop


def block_stats(
    matrix: FloatArray,
    cash: FloatArray,
    bench: FloatArray,
    bounds: IntArray,
    metric: Objective,
    periods_per_year: int,
) -> BlockStats:
    """Summarize each block ``[bounds[b], bounds[b+1])`` of ``matrix`` (n_trials, n_bars).

    Features by metric (x = r - cash; d = r - benchmark; g = log(1 + r)):
    sharpe: Σ(x - c), Σ(x - c)², min x, max x, with c the trial's full-sample mean
    (a shift that keeps the variance free of cancellation); sortino: Σx, Σmin(x, 0)²;
    excess: Σd; cagr: Σg; calmar: Σg and the min, max and largest drop of the
    cumulative log wealth within the block.
    """
    n_trials, _ = matrix.shape
    n_blocks = bounds.size - 1
    shape = (n_blocks, n_trials)
    arrays = {name: np.zeros(shape) for name in ("first", "second", "lo", "hi", "low", "high")}
    arrays["drop"] = np.zeros(shape)
    shift = np.zeros(n_trials)
    base = bench if metric == "excess" else cash
    for rows in row_batches(n_trials, matrix.shape[1]):
        if metric == "sharpe":
            shift[rows] = (matrix[rows] - base).mean(axis=1)
        for b in range(n_blocks):
            part = matrix[rows, bounds[b] : bounds[b + 1]]
            _fill(arrays, b, rows, part, base[bounds[b] : bounds[b + 1]], shift[rows], metric)
    return BlockStats(
        metric=metric,
        periods_per_year=periods_per_year,
        counts=np.diff(bounds).astype(np.float64),
        shift=shift,
        **arrays,
    )


def _fill(
    arrays: dict[str, FloatArray],
    b: int,
    rows: slice,
    part: FloatArray,
    base: FloatArray,
    shift: FloatArray,
    metric: Objective,
) -> None:
    if metric in ("sharpe", "sortino", "excess"):
        x = part - base
        if metric == "sharpe":
            arrays["lo"][b, rows], arrays["hi"][b, rows] = x.min(axis=1), x.max(axis=1)
            x -= shift[:, np.newaxis]
            arrays["second"][b, rows] = np.square(x).sum(axis=1)
        elif metric == "sortino":
            arrays["second"][b, rows] = np.square(np.minimum(x, 0.0)).sum(axis=1)
        arrays["first"][b, rows] = x.sum(axis=1)
        return
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.log1p(part)
    arrays["first"][b, rows] = growth.sum(axis=1)
    if metric == "calmar":
        low, high, drop = _log_path_summary(growth)
        arrays["low"][b, rows], arrays["high"][b, rows], arrays["drop"][b, rows] = low, high, drop


def union_values(stats: BlockStats, members: IntArray) -> FloatArray:
    """Objective of every trial on each union of blocks; ``members`` is (n_unions, S/2).

    Rows of ``members`` list block numbers in increasing (chronological) order.
    Returns (n_unions, N), NaN where the objective is undefined.
    """
    ppy = stats.periods_per_year
    n = stats.counts[members].sum(axis=1)[:, np.newaxis]
    indicator = np.zeros((members.shape[0], stats.counts.size))
    np.put_along_axis(indicator, members, 1.0, axis=1)
    # einsum, not BLAS: threaded GEMM on these thin (16-deep) products is slower
    first = np.einsum("ub,bn->un", indicator, stats.first)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if stats.metric == "sharpe":
            second = np.einsum("ub,bn->un", indicator, stats.second)
            variance = (second - first * first / n) / (n - 1)
            ratio = (stats.shift + first / n) / np.sqrt(variance) * np.sqrt(ppy)
            undefined = (variance <= 0.0) | _constant(stats, members)
            return np.where(undefined, np.nan, ratio)
        if stats.metric == "sortino":
            downside = np.sqrt(np.einsum("ub,bn->un", indicator, stats.second) / n) * np.sqrt(ppy)
            return np.where(downside == 0.0, np.nan, first / n * ppy / downside)
        if stats.metric == "excess":
            result: FloatArray = first / n * ppy
            return result
        cagr: FloatArray = np.expm1(first * ppy / n)
        if stats.metric == "cagr":
            return cagr
        drawdown = np.expm1(-_union_log_drawdown(stats, members))
        calmar = cagr / np.abs(drawdown)
        return np.where((drawdown < 0.0) & np.isfinite(calmar), calmar, np.nan)


def _constant(stats: BlockStats, members: IntArray) -> npt.NDArray[np.bool_]:
    """True where a trial's excess return is one constant value on the whole union."""
    out = np.zeros((members.shape[0], stats.lo.shape[1]), dtype=bool)
    candidates = np.flatnonzero((stats.lo == stats.hi).any(axis=0))
    if candidates.size:
        lo = stats.lo[:, candidates][members].min(axis=1)
        hi = stats.hi[:, candidates][members].max(axis=1)
        out[:, candidates] = lo == hi
    return out


def _union_log_drawdown(stats: BlockStats, members: IntArray) -> FloatArray:
    """Largest log-wealth drop of the blocks chained in order (start = first peak)."""
    shape = (members.shape[0], stats.first.shape[1])
    level, peak, worst = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for j in range(members.shape[1]):
        b = members[:, j]
        worst = np.fmax(worst, np.fmax(stats.drop[b], peak - (level + stats.low[b])))
        peak = np.fmax(peak, level + stats.high[b])
        level = level + stats.first[b]
    return worst
