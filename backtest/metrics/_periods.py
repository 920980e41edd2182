"""Returns over calendar periods, rolling windows and drawdown episodes (pure).

The report's tables and charts beyond the headline metrics: annual and monthly
returns, rolling Sharpe ratio and volatility, the worst drawdowns and the shape of
the return distribution. ``periods_per_year`` is explicit wherever a figure is
annualized.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = [
    "calendar_returns",
    "distribution_stats",
    "drawdown_periods",
    "rolling_beta",
    "rolling_sharpe",
    "rolling_sortino",
    "rolling_volatility",
]


def calendar_returns(returns: pd.Series, period: str) -> pd.Series:
    """Compounded return of each calendar year or month.

    Parameters
    ----------
    returns : pd.Series
        Simple periodic returns (decimals) on a DatetimeIndex; NaN are skipped.
    period : {"year", "month"}
        ``year``: indexed by year (int); ``month``: a (year, month) MultiIndex.

    Returns
    -------
    pd.Series
        ``prod(1 + r) - 1`` over the bars dated in each period, the same numbers as
        empyrical ``aggregate_returns`` (``"yearly"``, ``"monthly"``), vectorized.
    """
    clean = returns.dropna().astype("float64")
    index = pd.DatetimeIndex(clean.index)
    keys = [index.year] if period == "year" else [index.year, index.month]
    out = (1.0 + clean).groupby(keys).prod() - 1.0
    out.index.names = ["year"] if period == "year" else ["year", "month"]
    return out


def rolling_volatility(returns: pd.Series, window: int, periods_per_year: int) -> pd.Series:
    """Annualized volatility over the last ``window`` bars: ``std(r, ddof=1) * sqrt(ppy)``.

    NaN until ``window`` bars exist (empyrical ``roll_annual_volatility``).
    """
    std = returns.rolling(window, min_periods=window).std(ddof=1)
    return std * math.sqrt(periods_per_year)


def rolling_sharpe(
    returns: pd.Series, cash_returns: pd.Series, window: int, periods_per_year: int
) -> pd.Series:
    """Annualized Sharpe ratio over the last ``window`` bars, on returns in excess of cash.

    Notes
    -----
    ``mean(r - rf) / std(r - rf, ddof=1) * sqrt(ppy)`` per window, as
    :func:`backtest.metrics.sharpe_ratio` on the whole series (empyrical
    ``roll_sharpe_ratio`` on the excess returns). NaN until ``window`` bars exist
    and where the window's excess return does not vary.
    """
    excess = returns - cash_returns.reindex(returns.index)
    roll = excess.rolling(window, min_periods=window)
    std = roll.std(ddof=1)
    ratio = roll.mean() / std.where(std > 1e-12) * math.sqrt(periods_per_year)
    return ratio.rename(returns.name)


def rolling_sortino(
    returns: pd.Series, cash_returns: pd.Series, window: int, periods_per_year: int
) -> pd.Series:
    """Annualized Sortino ratio over the last ``window`` bars, on returns in excess of cash.

    Notes
    -----
    ``mean(x) * sqrt(ppy) / sqrt(mean(min(x, 0)^2))`` per window, ``x = r - rf``: the
    whole-series :func:`backtest.metrics.sortino_ratio` (empyrical ``sortino_ratio``,
    downside deviation over every bar of the window; Sortino & Price 1994). NaN until
    ``window`` bars exist and where no bar of the window fell below cash (downside
    deviation at most 1e-10, as for the whole series).
    """
    excess = returns - cash_returns.reindex(returns.index)
    roll = excess.rolling(window, min_periods=window)
    downside = np.sqrt((excess.clip(upper=0.0) ** 2).rolling(window, min_periods=window).mean())
    ratio = roll.mean() / downside.where(downside > 1e-10) * math.sqrt(periods_per_year)
    return ratio.rename(returns.name)


def rolling_beta(
    returns: pd.Series, benchmark: pd.Series, cash_returns: pd.Series, window: int
) -> pd.Series:
    """CAPM beta over the last ``window`` bars, on excess returns of both legs.

    Notes
    -----
    ``cov(r - rf, b - rf) / var(b - rf)`` per window: the whole-series
    :func:`backtest.metrics.beta` (empyrical ``beta``; Sharpe 1964). NaN until
    ``window`` bars exist and where the benchmark does not vary.
    """
    cash = cash_returns.reindex(returns.index)
    x = returns - cash
    y = benchmark.reindex(returns.index) - cash
    var = y.rolling(window, min_periods=window).var(ddof=1)
    cov = x.rolling(window, min_periods=window).cov(y, ddof=1)
    return (cov / var.where(var > 1e-20)).rename(returns.name)


def drawdown_periods(
    returns: pd.Series, *, start: pd.Timestamp | None = None, top: int = 5
) -> pd.DataFrame:
    """The deepest drawdown episodes of the wealth path, deepest first.

    Parameters
    ----------
    returns : pd.Series
        Simple periodic returns (decimals) on a DatetimeIndex, NaN skipped.
    start : pd.Timestamp, optional
        Date of the starting wealth (the bar before the first return); it can be a
        peak. Default: the wealth path starts at the first return.
    top : int
        How many episodes.

    Returns
    -------
    pd.DataFrame
        One row per episode with ``peak`` (last close at the running high),
        ``trough`` (lowest close), ``recovery`` (first close back at the high; NaT
        while under water), ``depth`` (trough / peak − 1, a negative decimal),
        ``bars`` (from peak to recovery, or to the last bar) and ``recovered``.

    Notes
    -----
    Wealth ``W_t = prod(1 + r)``; an episode is a maximal stretch of bars with
    ``W_t < max_{s<=t} W_s`` (Bacon 2008, ch. 4: drawdown, recovery).
    """
    clean = returns.dropna().astype("float64")
    wealth = (1.0 + clean).cumprod()
    if start is not None:
        wealth = pd.concat([pd.Series([1.0], index=[pd.Timestamp(start)]), wealth])
    columns = ["peak", "trough", "recovery", "depth", "bars", "recovered"]
    if wealth.empty:
        return pd.DataFrame(columns=columns)
    values = wealth.to_numpy()
    peak = np.maximum.accumulate(values)
    under = values < peak
    edges = np.diff(np.r_[0, under.astype(np.int8), 0])
    firsts, lasts = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    rows = []
    for i, j in zip(firsts, lasts, strict=True):
        low = i + int(np.argmin(values[i : j + 1]))
        recovered = j + 1 < len(values)
        end = j + 1 if recovered else j
        rows.append({
            "peak": wealth.index[i - 1] if i > 0 else wealth.index[0],
            "trough": wealth.index[low],
            "recovery": wealth.index[j + 1] if recovered else pd.NaT,
            "depth": values[low] / peak[low] - 1.0,
            "bars": end - (i - 1 if i > 0 else 0),
            "recovered": recovered,
        })
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values("depth", kind="stable").head(top).reset_index(drop=True)


def distribution_stats(returns: pd.Series) -> dict[str, float]:
    """Shape of a return distribution.

    Returns
    -------
    dict
        ``mean``, ``std`` (ddof=1), ``skew`` (adjusted Fisher–Pearson, bias-corrected),
        ``kurtosis`` (excess, bias-corrected; 0 for a normal distribution), ``best``,
        ``worst`` and ``positive`` (share of periods above 0), as pandas computes them
        (Joanes & Gill 1998, type 2 estimators).
    """
    clean = returns.dropna().astype("float64")
    if clean.empty:
        return dict.fromkeys(
            ("mean", "std", "skew", "kurtosis", "best", "worst", "positive"), float("nan"))
    return {
        "mean": float(clean.mean()),
        "std": float(clean.std(ddof=1)),
        "skew": float(clean.skew()),
        "kurtosis": float(clean.kurt()),
        "best": float(clean.max()),
        "worst": float(clean.min()),
        "positive": float((clean > 0).mean()),
    }
