"""Return and risk metrics (pure); ``periods_per_year`` is always explicit.

Standard measures are empyrical-reloaded's formulas, computed in numpy by
:mod:`backtest.metrics._formulas` (importing empyrical costs ~1.4 s: it loads
yfinance and scipy) and tested equal to empyrical to 1e-12, with the annualization
passed in (never inferred from the index, never vectorbt's 365-day default).
Sharpe and Sortino are computed on returns in excess of the run's cash asset
(the T-bill total return), period by period.

A ratio whose denominator is numerically zero is undefined, not large: Sharpe and
Sortino are NaN (shown "—") when the excess returns' volatility (or downside
deviation) is at most :data:`NUMERICAL_ZERO` per bar, and Calmar when the max
drawdown is. A strategy that holds only the cash asset has excess returns of
floating-point noise (about 1e-16 per bar); dividing by it made a Sharpe of -0.49.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import pandas as pd

from backtest.metrics import _formulas
from backtest.metrics._full import (
    FullMetric,
    annual_returns_vs_benchmark,
    compute_full_metrics,
)
from backtest.metrics._periods import (
    calendar_returns,
    distribution_stats,
    drawdown_periods,
    rolling_beta,
    rolling_sharpe,
    rolling_sortino,
    rolling_volatility,
)
from backtest.metrics._relative import (
    alpha,
    beta,
    information_ratio,
    total_return,
    tracking_error,
)

__all__ = [
    "BENCHMARK_METRICS",
    "NUMERICAL_ZERO",
    "FullMetric",
    "Metric",
    "alpha",
    "annual_returns_vs_benchmark",
    "annual_turnover",
    "annual_volatility",
    "beta",
    "build_bar",
    "cagr",
    "calendar_returns",
    "calmar_ratio",
    "compute_full_metrics",
    "compute_metrics",
    "distribution_stats",
    "drawdown_periods",
    "information_ratio",
    "max_drawdown",
    "rolling_beta",
    "rolling_sharpe",
    "rolling_sortino",
    "rolling_volatility",
    "share_risk_off",
    "sharpe_ratio",
    "sortino_ratio",
    "split_turnover",
    "total_return",
    "tracking_error",
]


#: Per-bar volatility, downside deviation or drawdown (decimal) at or below which it is
#: float noise, not risk: 1e-10 is about a million times the noise of a cash-only
#: strategy's excess returns and far below any real one (1e-10 per business day is
#: 1.6e-9 a year).
NUMERICAL_ZERO = 1e-10


class Metric(StrEnum):
    """Reported metrics; the value is the key used in tables and JSON."""

    CAGR = "cagr"
    ANNUAL_VOLATILITY = "annual_volatility"
    SHARPE = "sharpe"
    SORTINO = "sortino"
    MAX_DRAWDOWN = "max_drawdown"
    CALMAR = "calmar"
    ANNUAL_TURNOVER = "annual_turnover"
    SHARE_RISK_OFF = "share_risk_off"
    TOTAL_RETURN = "total_return"
    BETA = "beta"
    ALPHA = "alpha"
    INFORMATION_RATIO = "information_ratio"
    TRACKING_ERROR = "tracking_error"
    INITIAL_TURNOVER = "initial_turnover"

    @property
    def label(self) -> str:
        """Column header with units."""
        return _LABELS[self]

    @property
    def is_percent(self) -> bool:
        """Shown as a percentage."""
        return self in (
            Metric.CAGR,
            Metric.ANNUAL_VOLATILITY,
            Metric.MAX_DRAWDOWN,
            Metric.ANNUAL_TURNOVER,
            Metric.SHARE_RISK_OFF,
            Metric.TOTAL_RETURN,
            Metric.ALPHA,
            Metric.TRACKING_ERROR,
            Metric.INITIAL_TURNOVER,
        )

    @property
    def against_benchmark(self) -> bool:
        """Measured against the run's benchmark (NaN without one)."""
        return self in BENCHMARK_METRICS


_LABELS = {
    Metric.CAGR: "CAGR",
    Metric.ANNUAL_VOLATILITY: "Ann. vol",
    Metric.SHARPE: "Sharpe (xs cash)",
    Metric.SORTINO: "Sortino (xs cash)",
    Metric.MAX_DRAWDOWN: "Max DD",
    Metric.CALMAR: "Calmar",
    Metric.ANNUAL_TURNOVER: "Turnover/yr (one-way)",
    Metric.SHARE_RISK_OFF: "Time risk-off (decided)",
    Metric.TOTAL_RETURN: "Total return",
    Metric.BETA: "Beta",
    Metric.ALPHA: "Alpha/yr (Jensen)",
    Metric.INFORMATION_RATIO: "Information ratio",
    Metric.TRACKING_ERROR: "Tracking error",
    Metric.INITIAL_TURNOVER: "Initial build (one-way)",
}

#: Metrics measured against the run's benchmark.
BENCHMARK_METRICS = frozenset(
    {Metric.BETA, Metric.ALPHA, Metric.INFORMATION_RATIO, Metric.TRACKING_ERROR}
)


def cagr(returns: pd.Series, periods_per_year: int) -> float:
    """Compound annual growth rate: ``(prod(1+r))^(ppy/n) - 1`` (empyrical ``cagr``)."""
    return float(_formulas.cagr(returns, annualization=periods_per_year))


def annual_volatility(returns: pd.Series, periods_per_year: int) -> float:
    """Sample standard deviation (ddof=1) times ``sqrt(ppy)`` (empyrical)."""
    return float(_formulas.annual_volatility(returns, annualization=periods_per_year))


def sharpe_ratio(returns: pd.Series, cash_returns: pd.Series, periods_per_year: int) -> float:
    """``mean(r - rf) / std(r - rf) * sqrt(ppy)``, ddof=1 (empyrical ``sharpe_ratio``).

    ``cash_returns`` is the per-period return of the cash asset on the same dates.
    NaN when ``std(r - rf)`` is at most :data:`NUMERICAL_ZERO` (no excess risk).
    """
    excess = returns - cash_returns.reindex(returns.index)
    if not float(excess.std(ddof=1)) > NUMERICAL_ZERO:
        return float("nan")
    return float(_formulas.sharpe_ratio(excess, annualization=periods_per_year))


def sortino_ratio(returns: pd.Series, cash_returns: pd.Series, periods_per_year: int) -> float:
    """Annualized mean excess return over downside deviation below 0 (empyrical ``sortino_ratio``).

    Downside deviation: ``sqrt(mean(min(r - rf, 0)^2))`` over all periods (Sortino &
    Price 1994), annualized with ``sqrt(ppy)``. NaN (never infinite) when it is at
    most :data:`NUMERICAL_ZERO`: no bar fell short of the cash asset.
    """
    excess = returns - cash_returns.reindex(returns.index)
    downside = float(np.sqrt(np.nanmean(np.minimum(excess.to_numpy(dtype=float), 0.0) ** 2)))
    if not downside > NUMERICAL_ZERO:
        return float("nan")
    return float(_formulas.sortino_ratio(excess, annualization=periods_per_year))


def max_drawdown(returns: pd.Series) -> float:
    """Largest peak-to-trough fall of the wealth path, as a negative decimal (empyrical)."""
    return float(_formulas.max_drawdown(returns))


def calmar_ratio(returns: pd.Series, periods_per_year: int) -> float:
    """CAGR divided by the absolute max drawdown (empyrical ``calmar_ratio``).

    NaN when the drawdown is at most :data:`NUMERICAL_ZERO` (the path never fell).
    """
    if not abs(max_drawdown(returns)) > NUMERICAL_ZERO:
        return float("nan")
    return float(_formulas.calmar_ratio(returns, annualization=periods_per_year))


def annual_turnover(turnover: pd.Series, periods_per_year: int) -> float:
    """Mean one-way turnover per bar times ``ppy`` (NaN for no bars).

    One-way turnover of a bar is half the traded value divided by portfolio value,
    so fully switching from one asset to another once a year is 100%/yr. Pass the
    bars *after* the initial build (:func:`split_turnover`), as reports do.
    """
    if len(turnover) == 0:
        return float("nan")
    return float(turnover.mean() * periods_per_year)


def build_bar(decided: np.ndarray, execution_lag: int) -> int | None:
    """Position of the bar whose close executes the first decision: the initial build.

    Parameters
    ----------
    decided : np.ndarray
        Shape (n_bars,), bool: bars on whose close the strategy decided targets
        (a row of target weights that is not all NaN).
    execution_lag : int
        Bars between a decision and its execution.

    Returns
    -------
    int or None
        ``first decision + execution_lag``, or ``None`` when no decision executes
        inside the bars (the portfolio stays in the starting cash).
    """
    hits = np.flatnonzero(np.asarray(decided, dtype=bool))
    if hits.size == 0 or hits[0] + execution_lag >= len(decided):
        return None
    return int(hits[0] + execution_lag)


def split_turnover(turnover: pd.Series, build: int | None) -> tuple[float, pd.Series]:
    """The initial build's one-way turnover, and the per-bar turnover after it.

    The one rule for every caller (the engine's result, sweeps, reports): the first
    trade out of the starting cash into the first targets is reported on its own
    (``initial_turnover``: the one-way fraction of the portfolio traded to build
    it, 100% for a portfolio bought whole); ongoing turnover (``annual_turnover``)
    counts only the bars after it. A buy-and-hold then shows its purchase once and
    0%/yr, however short the window.

    Parameters
    ----------
    turnover : pd.Series
        One-way turnover of every bar of the window, bar 0 included
        (:func:`backtest.engine.bar_turnover`).
    build : int or None
        Position of the initial build (:func:`build_bar`); ``None``: no decision
        executed, nothing was built (0.0) and every bar after bar 0 is ongoing.

    Returns
    -------
    initial : float
    ongoing : pd.Series
    """
    if build is None:
        return 0.0, turnover.iloc[1:]
    return float(turnover.iloc[build]), turnover.iloc[build + 1 :]


def share_risk_off(risk_off: pd.Series | None) -> float:
    """Fraction of bars whose close *decided* the risk-off state (NaN without a signal).

    The state is the strategy's decision at each close of the reported bars (those
    with a return), before the execution lag: with ``execution_lag = 1`` the
    positions follow one bar later, so the share of bars *held* risk-off is this
    share shifted by one bar (equal but for the window's edges).
    """
    if risk_off is None or len(risk_off) == 0:
        return float("nan")
    return float(np.mean(risk_off.to_numpy(dtype=bool)))


def compute_metrics(
    returns: pd.Series,
    cash_returns: pd.Series,
    *,
    periods_per_year: int,
    turnover: pd.Series | None = None,
    build: int | None = None,
    risk_off: pd.Series | None = None,
    benchmark: pd.Series | None = None,
) -> pd.Series:
    """Every :class:`Metric` for one return series; index = metric keys.

    ``turnover`` is the per-bar one-way turnover of the whole window (bar 0
    included) and ``build`` the position of the initial build in it
    (:func:`build_bar`); both turnover metrics are NaN without ``turnover``.
    ``benchmark`` (the benchmark's returns on the same dates) gives beta, alpha,
    information ratio and tracking error; without it they are NaN.
    """
    initial, ongoing = (
        split_turnover(turnover, build) if turnover is not None else (float("nan"), None)
    )
    values: dict[Metric, float] = {
        Metric.CAGR: cagr(returns, periods_per_year),
        Metric.ANNUAL_VOLATILITY: annual_volatility(returns, periods_per_year),
        Metric.SHARPE: sharpe_ratio(returns, cash_returns, periods_per_year),
        Metric.SORTINO: sortino_ratio(returns, cash_returns, periods_per_year),
        Metric.MAX_DRAWDOWN: max_drawdown(returns),
        Metric.CALMAR: calmar_ratio(returns, periods_per_year),
        Metric.ANNUAL_TURNOVER: (
            annual_turnover(ongoing, periods_per_year) if ongoing is not None else float("nan")
        ),
        Metric.SHARE_RISK_OFF: share_risk_off(risk_off),
        Metric.TOTAL_RETURN: total_return(returns),
        Metric.INITIAL_TURNOVER: initial,
    }
    values |= _against(returns, cash_returns, benchmark, periods_per_year)
    return pd.Series({str(m): values[m] for m in Metric}, name=returns.name, dtype="float64")


def _against(
    returns: pd.Series, cash_returns: pd.Series, benchmark: pd.Series | None, ppy: int
) -> dict[Metric, float]:
    """The benchmark-relative metrics (NaN without a benchmark)."""
    if benchmark is None:
        return dict.fromkeys(BENCHMARK_METRICS, float("nan"))
    return {
        Metric.BETA: beta(returns, benchmark, cash_returns),
        Metric.ALPHA: alpha(returns, benchmark, cash_returns, ppy),
        Metric.INFORMATION_RATIO: information_ratio(returns, benchmark, ppy),
        Metric.TRACKING_ERROR: tracking_error(returns, benchmark, ppy),
    }
