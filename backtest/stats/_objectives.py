"""Selection objectives, vectorized over trials (rows of a trials × bars matrix)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Literal, get_args

import numpy as np
import numpy.typing as npt

from backtest.errors import ConfigError
from backtest.stats._arrays import (
    FloatArray,
    as_matrix,
    as_vector,
    check_periods_per_year,
    row_batches,
)

__all__ = ["OBJECTIVES", "Objective", "check_objective", "objective_values"]

Objective = Literal["sharpe", "sortino", "calmar", "cagr", "excess"]
#: Every objective, in the order of the CLI's help.
OBJECTIVES: Final[tuple[Objective, ...]] = get_args(Objective)

_Kernel = Callable[[FloatArray, FloatArray, FloatArray, int], FloatArray]


def check_objective(objective: str, benchmark: npt.ArrayLike | None) -> Objective:
    """Return ``objective`` if it is known and has what it needs, else raise ConfigError."""
    if objective not in OBJECTIVES:
        raise ConfigError(f"unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}")
    if objective == "excess" and benchmark is None:
        raise ConfigError("objective 'excess' needs a benchmark return series")
    return objective


def _sharpe(block: FloatArray, cash: FloatArray, _: FloatArray, ppy: int) -> FloatArray:
    excess = block - cash
    mean = excess.mean(axis=1)
    std = excess.std(axis=1, ddof=1)
    constant = excess.max(axis=1) == excess.min(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = mean / std * np.sqrt(ppy)
    return np.where(constant | (std == 0.0), np.nan, ratio)


def _sortino(block: FloatArray, cash: FloatArray, _: FloatArray, ppy: int) -> FloatArray:
    excess = block - cash
    average = excess.mean(axis=1) * ppy
    downside = np.sqrt(np.mean(np.square(np.minimum(excess, 0.0)), axis=1)) * np.sqrt(ppy)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = average / downside
    return np.where(downside == 0.0, np.nan, ratio)


def _cagr_of(block: FloatArray, ppy: int) -> FloatArray:
    ending = np.prod(1.0 + block, axis=1)
    years = block.shape[1] / ppy
    with np.errstate(invalid="ignore"):
        result: FloatArray = ending ** (1.0 / years) - 1.0
    return result


def _cagr(block: FloatArray, _cash: FloatArray, _bench: FloatArray, ppy: int) -> FloatArray:
    return _cagr_of(block, ppy)


def max_drawdowns(block: FloatArray) -> FloatArray:
    """Largest fall of ``cumprod(1 + r)`` below its running peak (the start counts), ≤ 0."""
    wealth = np.cumprod(1.0 + block, axis=1)
    peak = np.maximum(np.maximum.accumulate(wealth, axis=1), 1.0)
    result: FloatArray = ((wealth - peak) / peak).min(axis=1)
    return result


def _calmar(block: FloatArray, _cash: FloatArray, _bench: FloatArray, ppy: int) -> FloatArray:
    drawdown = max_drawdowns(block)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = _cagr_of(block, ppy) / np.abs(drawdown)
    return np.where((drawdown < 0.0) & np.isfinite(ratio), ratio, np.nan)


def _excess(block: FloatArray, _cash: FloatArray, bench: FloatArray, ppy: int) -> FloatArray:
    result: FloatArray = (block - bench).mean(axis=1) * ppy
    return result


_KERNELS: Final[dict[str, _Kernel]] = {
    "sharpe": _sharpe,
    "sortino": _sortino,
    "calmar": _calmar,
    "cagr": _cagr,
    "excess": _excess,
}


def objective_values(
    returns: npt.ArrayLike,
    cash: npt.ArrayLike,
    *,
    periods_per_year: int,
    objective: Objective,
    benchmark: npt.ArrayLike | None = None,
) -> FloatArray:
    r"""Value of a selection objective for every trial, annualized with ``periods_per_year``.

    Parameters
    ----------
    returns : array_like of shape (n_trials, n_bars)
        Net simple returns per bar (decimals), one row per trial.
    cash : array_like of shape (n_bars,)
        Return of the cash asset (T-bills) on the same bars; Sharpe and Sortino are
        computed on ``returns - cash``, as :mod:`backtest.metrics` does.
    periods_per_year : int
        Bars per year (12 monthly, 52 weekly, 252 business-daily); never inferred.
    objective : {"sharpe", "sortino", "calmar", "cagr", "excess"}
        What to compute (see Notes).
    benchmark : array_like of shape (n_bars,), optional
        Benchmark return per bar; required by ``"excess"``, ignored otherwise.

    Returns
    -------
    ndarray of shape (n_trials,)
        The objective; NaN where it is undefined (zero volatility or downside, no
        drawdown, a wealth path that goes below zero, fewer than two bars), never ±inf.

    Raises
    ------
    ConfigError
        Unknown objective, ``"excess"`` without a benchmark, bad ``periods_per_year``.
    DataError
        Shapes that do not match, or NaN/inf in the inputs.

    Notes
    -----
    With :math:`x_t = r_t - c_t` (excess over cash), :math:`P` = ``periods_per_year``
    and :math:`n` bars:

    * sharpe: :math:`\bar x / s_x \sqrt{P}`, :math:`s_x` with ddof = 1 (empyrical
      ``sharpe_ratio``); NaN when :math:`x` is constant.
    * sortino: :math:`P\bar x / (\sqrt{P}\sqrt{\tfrac1n\sum_t \min(x_t, 0)^2})`
      (empyrical ``sortino_ratio``, target 0, every bar in the downside mean).
    * cagr: :math:`(\prod_t (1 + r_t))^{P/n} - 1` on the raw returns (empyrical ``cagr``).
    * calmar: cagr divided by :math:`|MDD|`, with MDD the largest fall of the wealth
      :math:`\prod_{s \le t}(1 + r_s)` below its running peak, the starting wealth
      counting as a peak (empyrical ``calmar_ratio``); NaN without a drawdown.
    * excess: :math:`P \cdot \frac1n \sum_t (r_t - b_t)`, the annualized arithmetic
      mean of the trial's return minus the benchmark's, bar by bar (not a ratio, not
      compounded, not volatility-adjusted).

    Each agrees with :mod:`backtest.metrics` on a single series to 1e-12 (tested).

    References
    ----------
    .. [1] Sharpe, W. F. (1994). The Sharpe ratio. J. Portfolio Management 21(1), 49-58.
    .. [2] Sortino, F. A. & Price, L. N. (1994). Performance measurement in a downside
       risk framework. J. Investing 3(3), 59-64.
    .. [3] Young, T. W. (1991). Calmar ratio: a smoother tool. Futures 20(1), 40.
    """
    checked = check_objective(objective, benchmark)
    ppy = check_periods_per_year(periods_per_year)
    matrix = as_matrix(returns, "returns")
    n_trials, n_bars = matrix.shape
    cash_v = as_vector(cash, "cash", n_bars)
    bench = as_vector(benchmark, "benchmark", n_bars) if benchmark is not None else cash_v
    out = np.full(n_trials, np.nan)
    if n_bars < 2:
        return out
    kernel = _KERNELS[checked]
    for rows in row_batches(n_trials, n_bars):
        out[rows] = kernel(matrix[rows], cash_v, bench, ppy)
    return out
