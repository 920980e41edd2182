"""Every :class:`~backtest.metrics.Metric` of many return series in one pass (sweeps).

:func:`~backtest.metrics.compute_metrics` measures one series through pandas and
empyrical; a 10,000-trial sweep spent about 70% of its time in those per-series
calls (pandas and empyrical overhead at ~3.5 ms a trial, not arithmetic). Here
the same empyrical functions take a (bars × trials) matrix, which they support,
and the rules of :mod:`backtest.metrics` (excess over the cash asset, the
:data:`~backtest.metrics.NUMERICAL_ZERO` guards, the build/ongoing turnover split,
the benchmark-relative measures) are applied column-wise.

Each trial's numbers depend on its own column only: the matrix is the transpose of
a C-ordered (trials × bars) array, so every per-trial reduction runs along
contiguous memory exactly as it does for one series, and a trial's metrics are the
same bits whatever other trials share the call. They equal
:func:`~backtest.metrics.compute_metrics` to float rounding (tested at 1e-12).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence

import numpy as np
import numpy.typing as npt

from backtest.metrics import NUMERICAL_ZERO, Metric
from backtest.metrics import _formulas as empyrical  # its formulas without yfinance/scipy

__all__ = ["METRIC_NAMES", "compute_metrics_batch"]

Floats = npt.NDArray[np.float64]

_BLOCK_BYTES = 1 << 20

#: Column order of :func:`compute_metrics_batch` (that of ``compute_metrics``' index).
METRIC_NAMES = tuple(str(m) for m in Metric)


def _vector(value: object, n: int) -> Floats:
    """One value per column from an empyrical answer (a 1-row array or a vector)."""
    return np.asarray(value, dtype="float64").reshape(n)


def compute_metrics_batch(
    returns: Floats,
    cash_returns: Floats,
    *,
    periods_per_year: int,
    turnover: Floats,
    builds: Sequence[int | None],
    risk_off: npt.NDArray[np.bool_] | None = None,
    benchmark: Floats | None = None,
    only: Collection[Metric] | None = None,
) -> Floats:
    """Metrics of every row of ``returns``; shape (n_trials, len(METRIC_NAMES)).

    Parameters
    ----------
    returns : ndarray, shape (n_trials, n_bars - 1)
        Net returns, C-ordered, no NaN (callers measure series with gaps one by one).
    cash_returns : ndarray, shape (n_bars - 1,)
        The cash asset's returns on the same bars.
    periods_per_year : int
    turnover : ndarray, shape (n_trials, n_bars)
        One-way turnover of every bar of the window, bar 0 included.
    builds : sequence of int or None
        Each trial's initial build position (:func:`~backtest.metrics.build_bar`).
    risk_off : ndarray of bool, shape (n_trials, n_bars - 1), optional
        Decided risk-off state on the bars of ``returns``.
    benchmark : ndarray, shape (n_bars - 1,), optional
        The benchmark's returns on the same bars, no NaN.
    only : collection of Metric, optional
        Compute just these metrics (the same bits as with all of them); the other
        columns are NaN. All by default.
    """
    returns = np.ascontiguousarray(returns, dtype="float64")
    n_trials, n = returns.shape
    if n_trials == 0:
        return np.empty((0, len(METRIC_NAMES)))
    # blocks of about 1 MB per array: at 16,279 bars, 256 trials at once measured
    # 2.3 ms a trial and blocks of 4-8 trials 1.0-1.4 ms (the arrays stay in cache)
    step = max(1, min(256, _BLOCK_BYTES // (8 * max(n, 1))))
    if n_trials > step:
        return np.vstack([compute_metrics_batch(
            returns[i:i + step], cash_returns, periods_per_year=periods_per_year,
            turnover=turnover[i:i + step], builds=builds[i:i + step],
            risk_off=None if risk_off is None else risk_off[i:i + step], benchmark=benchmark,
            only=only,
        ) for i in range(0, n_trials, step)])
    wanted = frozenset(Metric) if only is None else frozenset(only)
    ppy = periods_per_year
    x = returns.T  # bars × trials, each column contiguous
    nan = np.full(n_trials, np.nan)
    out: dict[Metric, Floats] = dict.fromkeys(Metric, nan)
    if wanted & {Metric.CAGR, Metric.CALMAR}:
        out[Metric.CAGR] = _vector(empyrical.cagr(x, annualization=ppy), n_trials)
    if Metric.ANNUAL_VOLATILITY in wanted:
        out[Metric.ANNUAL_VOLATILITY] = _vector(
            empyrical.annual_volatility(x, annualization=ppy), n_trials)
    relative = {Metric.BETA, Metric.ALPHA, Metric.INFORMATION_RATIO, Metric.TRACKING_ERROR}
    if wanted & {Metric.SHARPE, Metric.SORTINO, *relative}:
        excess = (returns - cash_returns[None, :]).T
    if Metric.SHARPE in wanted:
        sharpe = _vector(
            empyrical.sharpe_ratio(excess, risk_free=0.0, annualization=ppy), n_trials)
        risky = excess.std(axis=0, ddof=1) > NUMERICAL_ZERO if n > 1 else np.zeros(n_trials, bool)
        out[Metric.SHARPE] = np.where(risky, sharpe, np.nan)
    if Metric.SORTINO in wanted:
        downside = np.sqrt(np.nanmean(np.minimum(excess, 0.0) ** 2, axis=0))
        sortino = _vector(
            empyrical.sortino_ratio(excess, required_return=0.0, annualization=ppy), n_trials)
        out[Metric.SORTINO] = np.where(downside > NUMERICAL_ZERO, sortino, np.nan)
    if wanted & {Metric.MAX_DRAWDOWN, Metric.CALMAR}:
        drawdown = _vector(empyrical.max_drawdown(x), n_trials)
        out[Metric.MAX_DRAWDOWN] = drawdown
    if Metric.CALMAR in wanted:
        with np.errstate(divide="ignore", invalid="ignore"):
            calmar = out[Metric.CAGR] / np.abs(drawdown)  # empyrical calmar_ratio's formula
        fell = (np.abs(drawdown) > NUMERICAL_ZERO) & (drawdown < 0) & ~np.isinf(calmar)
        out[Metric.CALMAR] = np.where(fell, calmar, np.nan)
    if wanted & {Metric.ANNUAL_TURNOVER, Metric.INITIAL_TURNOVER}:
        out |= _turnover(turnover, builds, ppy)
    if Metric.SHARE_RISK_OFF in wanted and risk_off is not None and n:
        out[Metric.SHARE_RISK_OFF] = risk_off.mean(axis=1)
    if Metric.TOTAL_RETURN in wanted and n:
        out[Metric.TOTAL_RETURN] = _vector(empyrical.cum_returns_final(x), n_trials)
    if wanted & relative:
        out |= _against(x, excess, cash_returns, benchmark, ppy)
    return np.column_stack([out[m] if m in wanted else nan for m in Metric])


def _turnover(turnover: Floats, builds: Sequence[int | None],
              ppy: int) -> dict[Metric, Floats]:
    """Annual (ongoing) and initial turnover: split_turnover's rule, trials of one build bar."""
    n_trials = len(builds)
    initial, ongoing = np.empty(n_trials), np.empty(n_trials)
    same: dict[int | None, list[int]] = {}
    for i, build in enumerate(builds):
        same.setdefault(build, []).append(i)
    for build, members in same.items():
        rows = np.asarray(members)
        initial[rows] = 0.0 if build is None else turnover[rows, build]
        rest = turnover[rows, 1:] if build is None else turnover[rows, build + 1:]
        # a row mean is numpy's pairwise sum of that row, the same bits as rest[i].mean()
        ongoing[rows] = rest.mean(axis=1) * ppy if rest.shape[1] else np.nan
    return {Metric.ANNUAL_TURNOVER: ongoing, Metric.INITIAL_TURNOVER: initial}


def _against(x: Floats, excess: Floats, cash: Floats, benchmark: Floats | None,
             ppy: int) -> dict[Metric, Floats]:
    """Beta, alpha, tracking error and information ratio (:mod:`backtest.metrics._relative`)."""
    n, n_trials = x.shape
    nan = np.full(n_trials, np.nan)
    if benchmark is None or n < 2:
        return {m: nan for m in (Metric.BETA, Metric.ALPHA, Metric.INFORMATION_RATIO,
                                 Metric.TRACKING_ERROR)}
    out: dict[Metric, Floats] = {}
    bench_excess = benchmark - cash
    if np.nanstd(bench_excess) > 0:
        out[Metric.BETA] = _vector(empyrical.beta(excess, bench_excess, risk_free=0.0), n_trials)
        out[Metric.ALPHA] = _vector(empyrical.alpha(
            excess, bench_excess[:, None], risk_free=0.0, annualization=ppy), n_trials)
    else:
        out[Metric.BETA] = out[Metric.ALPHA] = nan
    active = x - benchmark[:, None]
    out[Metric.TRACKING_ERROR] = _vector(
        empyrical.annual_volatility(active, annualization=ppy), n_trials)
    varies = active.std(axis=0) > 1e-15 * np.maximum(1.0, np.abs(active).max(axis=0))
    ratio = _vector(empyrical.excess_sharpe(x, benchmark[:, None]), n_trials) * math.sqrt(ppy)
    out[Metric.INFORMATION_RATIO] = np.where(varies, ratio, np.nan)
    return out
