"""Metrics against a benchmark: beta, alpha, tracking error, information ratio (pure).

Every function takes the strategy's and the benchmark's simple periodic returns on
the same dates (decimals) and, where the measure is CAPM-style, the cash asset's
return per period; ``periods_per_year`` is always explicit.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from backtest.metrics import _formulas

__all__ = ["alpha", "beta", "information_ratio", "total_return", "tracking_error"]


def _aligned(returns: pd.Series, benchmark: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Both series on the dates where both are defined."""
    if returns.index.equals(benchmark.index) and not (returns.hasnans or benchmark.hasnans):
        # the join below would keep every date: skip it (a sweep measures 10,000s of trials)
        return returns, benchmark
    frame = pd.concat([returns, benchmark], axis=1, join="inner").dropna()
    return frame.iloc[:, 0], frame.iloc[:, 1]


def total_return(returns: pd.Series) -> float:
    """Compounded return over the whole window: ``prod(1 + r) - 1``.

    empyrical ``cum_returns_final``; NaN for an empty series.
    """
    clean = returns.dropna()
    if clean.empty:
        return float("nan")
    return float(_formulas.cum_returns_final(clean))


def beta(returns: pd.Series, benchmark: pd.Series, cash_returns: pd.Series) -> float:
    """CAPM beta of the excess returns on the benchmark's excess returns (empyrical ``beta``).

    Notes
    -----
    ``beta = cov(r - rf, b - rf) / var(b - rf)``, with ``rf`` the cash asset's return
    of the same period (Sharpe 1964). NaN when the benchmark does not vary.
    """
    r, b = _aligned(returns - cash_returns.reindex(returns.index), benchmark - cash_returns)
    if len(r) < 2 or not np.nanstd(b.to_numpy()) > 0:
        return float("nan")
    return float(_formulas.beta(r, b))


def alpha(
    returns: pd.Series, benchmark: pd.Series, cash_returns: pd.Series, periods_per_year: int
) -> float:
    """Jensen's alpha, annualized by compounding (empyrical ``alpha``).

    Notes
    -----
    Per period ``a_t = (r_t - rf_t) - beta (b_t - rf_t)``; the annual figure is
    ``(1 + mean(a_t))^ppy - 1`` (Jensen 1968; empyrical's annualization). NaN when
    beta is undefined.
    """
    r, b = _aligned(returns - cash_returns.reindex(returns.index), benchmark - cash_returns)
    if len(r) < 2 or not np.nanstd(b.to_numpy()) > 0:
        return float("nan")
    return float(_formulas.alpha(r, b, annualization=periods_per_year))


def tracking_error(returns: pd.Series, benchmark: pd.Series, periods_per_year: int) -> float:
    """Annualized standard deviation (ddof=1) of the active return ``r - b``.

    Notes
    -----
    ``TE = std(r_t - b_t) * sqrt(ppy)`` (Grinold & Kahn 2000, ch. 5), computed with
    empyrical ``annual_volatility`` on the active returns.
    """
    r, b = _aligned(returns, benchmark)
    if len(r) < 2:
        return float("nan")
    return float(_formulas.annual_volatility(r - b, annualization=periods_per_year))


def information_ratio(returns: pd.Series, benchmark: pd.Series, periods_per_year: int) -> float:
    """Annualized mean active return over tracking error (empyrical ``excess_sharpe``).

    Notes
    -----
    ``IR = mean(r_t - b_t) / std(r_t - b_t) * sqrt(ppy)`` (Grinold & Kahn 2000):
    empyrical's ``excess_sharpe`` (per period, ddof=1) times ``sqrt(ppy)``. NaN when
    the active return does not vary (the benchmark against itself).
    """
    r, b = _aligned(returns, benchmark)
    active = (r - b).to_numpy()
    if len(active) < 2 or not np.std(active) > 1e-15 * max(1.0, float(np.abs(active).max())):
        return float("nan")
    return float(_formulas.excess_sharpe(r, b)) * math.sqrt(periods_per_year)
