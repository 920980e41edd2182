"""empyrical-reloaded's formulas in numpy, without importing empyrical (pure).

``import empyrical`` runs its package ``__init__``, which imports yfinance (and
pandas-datareader when installed) and ``scipy.stats``: about 1.4 s before a
command could print a number, for a handful of one-line formulas. This module
computes those formulas the way empyrical-reloaded 0.7 does (same operations in
the same order, NaN skipped where empyrical skips it); empyrical stays the
reference: ``tests/metrics/test_formulas.py`` checks every function against it
to 1e-12 on random, real and edge-case series.

Each function takes a 1-D array (one series: returns a float) or a 2-D
(bars × series) array (returns one value per column), as empyrical does, and the
annualization is always explicit.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "alpha",
    "annual_volatility",
    "beta",
    "cagr",
    "calmar_ratio",
    "conditional_value_at_risk",
    "cum_returns_final",
    "excess_sharpe",
    "max_drawdown",
    "omega_ratio",
    "sharpe_ratio",
    "sortino_ratio",
    "tail_ratio",
    "value_at_risk",
]

Floats = npt.NDArray[np.float64]


def _zero(name: str, value: float) -> None:
    """Only empyrical's zero default is implemented (callers pass excess returns)."""
    if value != 0:
        raise ValueError(f"{name} must be 0 (pass returns in excess of it), got {value!r}")


def _array(values: Any) -> Floats:
    return np.asarray(values, dtype="float64")


def _answer(out: Floats, ndim: int) -> Any:
    """A float for one series, the array of per-column values otherwise."""
    return float(out) if ndim == 1 else out


def _nan_for(x: Floats) -> Any:
    return float("nan") if x.ndim == 1 else np.full(x.shape[1:], np.nan)


@functools.cache
def _reductions() -> tuple[Any, Any]:
    """``nanmean`` and ``nanstd`` as empyrical takes them: bottleneck's when installed.

    empyrical-reloaded requires bottleneck and uses its ``nanmean``/``nanstd`` (one
    sequential pass per column), whose sums differ from numpy's pairwise ones in the
    last bits; the same functions give the same bits as empyrical and as the sweep's
    kernel, which mirrors them. Imported on first use (0.1 s).
    """
    try:
        import bottleneck as bn
    except ImportError:  # empyrical falls back to numpy's, and so does this
        return np.nanmean, np.nanstd
    return bn.nanmean, bn.nanstd


def _nanmean(x: Floats) -> Floats:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column is NaN
        return np.asarray(_reductions()[0](x, axis=0))


def _nanstd(x: Floats) -> Floats:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # fewer than 2 values: NaN
        return np.asarray(_reductions()[1](x, axis=0, ddof=1))


def _zero_dispersion_std(x: Floats, std: Floats) -> Floats:
    """0 where a column is constant (its std is float noise), as empyrical."""
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        constant = (np.nanmax(x, axis=0) == np.nanmin(x, axis=0)) & np.isfinite(std)
    return np.where(constant, 0.0, std)


def cum_returns_final(returns: Any) -> Any:
    """``prod(1 + r) - 1`` over the bars, NaN skipped (empyrical ``cum_returns_final``)."""
    x = _array(returns)
    if len(x) == 0:
        return float("nan")
    return _answer(np.nanprod(x + 1, axis=0) - 1, x.ndim)


def cagr(returns: Any, *, annualization: int) -> Any:
    """``(prod(1 + r))^(ppy / n) - 1`` (empyrical ``cagr`` = ``annual_return``)."""
    x = _array(returns)
    if len(x) < 1:
        return float("nan")
    num_years = len(x) / annualization
    ending_value = np.nanprod(x + 1, axis=0) * 1
    with np.errstate(invalid="ignore", divide="ignore"):
        return _answer(ending_value ** (1 / num_years) - 1, x.ndim)


def annual_volatility(returns: Any, *, annualization: int) -> Any:
    """Sample standard deviation (ddof=1, NaN skipped) times ``sqrt(ppy)``."""
    x = _array(returns)
    if len(x) < 2:
        return _nan_for(x)
    return _answer(np.multiply(_nanstd(x), annualization ** (1.0 / 2.0)), x.ndim)


def sharpe_ratio(returns: Any, *, annualization: int, risk_free: float = 0.0) -> Any:
    """``mean(r) / std(r) * sqrt(ppy)`` of already excess returns (ddof=1).

    empyrical ``sharpe_ratio(returns, risk_free=0.0, annualization=ppy)``: a
    constant column has a std of 0 (infinite or NaN ratio, as empyrical).
    """
    _zero("risk_free", risk_free)
    x = _array(returns)
    if len(x) < 2:
        return _nan_for(x)
    std = _zero_dispersion_std(x, _nanstd(x))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.multiply(np.divide(_nanmean(x), std), np.sqrt(annualization))
    return _answer(out, x.ndim)


def _downside_risk(x: Floats, annualization: int) -> Floats:
    downside = np.clip(x, -np.inf, 0)
    np.square(downside, out=downside)
    out = np.sqrt(_nanmean(downside))
    return np.asarray(np.multiply(out, np.sqrt(annualization)))


def sortino_ratio(returns: Any, *, annualization: int, required_return: float = 0.0) -> Any:
    """Annualized mean over annualized downside deviation below 0 (empyrical ``sortino_ratio``).

    Downside deviation: ``sqrt(mean(min(r, 0)^2)) * sqrt(ppy)`` over every bar.
    """
    _zero("required_return", required_return)
    x = _array(returns)
    if len(x) < 2:
        return _nan_for(x)
    average_annual_return = _nanmean(x) * annualization
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.divide(average_annual_return, _downside_risk(x, annualization))
    return _answer(out, x.ndim)


def max_drawdown(returns: Any) -> Any:
    """Largest fall of the wealth path from its running peak, a negative decimal.

    The path starts at 100 before the first bar (empyrical ``drawdown_series``),
    so a first bar's loss counts; NaN returns count as 0.
    """
    x = _array(returns)
    if len(x) < 1:
        return _nan_for(x)
    path = np.empty((x.shape[0] + 1, *x.shape[1:]), dtype="float64")
    path[0] = 100
    np.add(np.where(np.isnan(x), 0.0, x), 1, out=path[1:])
    path[1:].cumprod(axis=0, out=path[1:])
    np.multiply(path[1:], 100, out=path[1:])
    peak = np.fmax.accumulate(path, axis=0)
    np.divide(path - peak, peak, out=path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _answer(np.nanmin(path[1:], axis=0), x.ndim)


def calmar_ratio(returns: Any, *, annualization: int) -> float:
    """CAGR over the absolute max drawdown; NaN without a drawdown (one series only)."""
    max_dd = max_drawdown(returns)
    if not max_dd < 0:
        return float("nan")
    ratio = float(cagr(returns, annualization=annualization)) / abs(max_dd)
    return float("nan") if np.isinf(ratio) else ratio


def beta(returns: Any, factor_returns: Any, *, risk_free: float = 0.0) -> Any:
    """``cov(r, f) / var(f)`` on the bars where ``r`` is defined (empyrical ``beta``).

    ``returns`` and ``factor_returns`` are aligned already (the same bars) and
    already in excess of the risk-free rate. NaN when ``var(f) < 1e-30``.
    """
    _zero("risk_free", risk_free)
    y = _array(returns)
    f = _array(factor_returns)
    one = y.ndim == 1
    y2 = y[:, None] if one else y
    f2 = f[:, None] if f.ndim == 1 else f
    if len(y2) < 1 or len(f2) < 2:
        return float("nan") if one else np.full(y2.shape[1], np.nan)
    independent = np.where(np.isnan(y2), np.nan, f2)
    residual = independent - _nanmean(independent)
    covariances = _nanmean(residual * y2)
    np.square(residual, out=residual)
    variances = _nanmean(residual)
    variances[variances < 1.0e-30] = np.nan
    out = np.divide(covariances, variances)
    return float(out.item()) if one else out


def alpha(
    returns: Any, factor_returns: Any, *, annualization: int, risk_free: float = 0.0
) -> Any:
    """Jensen's alpha ``(1 + mean(r - beta f))^ppy - 1`` (empyrical ``alpha``, rf = 0)."""
    _zero("risk_free", risk_free)
    y = _array(returns)
    f = _array(factor_returns)
    if len(y) < 2:
        return _nan_for(y)
    slope = beta(y, f)
    alpha_series = y - (slope * f)
    with np.errstate(invalid="ignore", over="ignore"):
        out = np.subtract(np.power(np.add(_nanmean(alpha_series), 1), annualization), 1)
    return _answer(out, y.ndim)


def excess_sharpe(returns: Any, factor_returns: Any) -> Any:
    """``mean(r - f) / std(r - f)`` per period, ddof=1 (empyrical ``excess_sharpe``)."""
    x = _array(returns)
    if len(x) < 2:
        return _nan_for(x)
    active = x - _array(factor_returns)
    tracking = _zero_dispersion_std(active, _nanstd(active))
    with np.errstate(divide="ignore", invalid="ignore"):
        return _answer(np.divide(_nanmean(active), tracking), x.ndim)


def tail_ratio(returns: Any) -> float:
    """``|95th percentile| / |5th percentile|`` of the returns, NaN skipped."""
    x = _array(returns)
    x = x[~np.isnan(x)]
    if len(x) < 1:
        return float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.abs(np.percentile(x, 95)) / np.abs(np.percentile(x, 5)))


def value_at_risk(returns: Any, *, cutoff: float = 0.05) -> float:
    """The ``cutoff`` percentile of the returns (linear interpolation, as numpy)."""
    x = _array(returns)
    if np.size(x) < 1:
        return float("nan")
    return float(np.percentile(x, 100 * cutoff))


def conditional_value_at_risk(returns: Any, *, cutoff: float = 0.05) -> float:
    """Mean of the lowest ``int((n - 1) * cutoff) + 1`` returns, NaN skipped."""
    x = _array(returns)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return float("nan")
    cutoff_index = int((len(x) - 1) * cutoff)
    return float(np.mean(np.partition(x, cutoff_index)[: cutoff_index + 1]))


def omega_ratio(
    returns: Any, *, risk_free: float = 0.0, required_return: float = 0.0, annualization: int = 1
) -> float:
    """Sum of gains over sum of losses around 0 (empyrical ``omega_ratio``, rf = 0).

    empyrical's ``annualization=1, required_return=0`` case: the threshold is 0.
    NaN for fewer than 2 returns or no loss.
    """
    _zero("risk_free", risk_free)
    _zero("required_return", required_return)
    x = _array(returns)
    if len(x) < 2:
        return float("nan")
    numer = sum(x[x > 0.0])
    denom = -1.0 * sum(x[x < 0.0])
    return float(numer / denom) if denom > 0.0 else float("nan")
