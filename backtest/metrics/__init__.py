"""Return and risk metrics (pure); ``periods_per_year`` is always explicit.

Standard measures come from empyrical-reloaded, called with the annualization
passed in (never inferred from the index, never vectorbt's 365-day default).
Sharpe and Sortino are computed on returns in excess of the run's cash asset
(the T-bill total return), period by period.
"""

from __future__ import annotations

from enum import StrEnum

import empyrical
import numpy as np
import pandas as pd

from backtest.metrics._periods import (
    calendar_returns,
    distribution_stats,
    drawdown_periods,
    rolling_sharpe,
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
    "Metric",
    "alpha",
    "annual_turnover",
    "annual_volatility",
    "beta",
    "cagr",
    "calendar_returns",
    "calmar_ratio",
    "compute_metrics",
    "distribution_stats",
    "drawdown_periods",
    "information_ratio",
    "max_drawdown",
    "rolling_sharpe",
    "rolling_volatility",
    "share_risk_off",
    "sharpe_ratio",
    "sortino_ratio",
    "total_return",
    "tracking_error",
]


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
    Metric.SHARE_RISK_OFF: "Time risk-off",
    Metric.TOTAL_RETURN: "Total return",
    Metric.BETA: "Beta",
    Metric.ALPHA: "Alpha/yr (Jensen)",
    Metric.INFORMATION_RATIO: "Information ratio",
    Metric.TRACKING_ERROR: "Tracking error",
}

#: Metrics measured against the run's benchmark.
BENCHMARK_METRICS = frozenset(
    {Metric.BETA, Metric.ALPHA, Metric.INFORMATION_RATIO, Metric.TRACKING_ERROR}
)


def cagr(returns: pd.Series, periods_per_year: int) -> float:
    """Compound annual growth rate: ``(prod(1+r))^(ppy/n) - 1`` (empyrical ``cagr``)."""
    return float(empyrical.cagr(returns, annualization=periods_per_year))


def annual_volatility(returns: pd.Series, periods_per_year: int) -> float:
    """Sample standard deviation (ddof=1) times ``sqrt(ppy)`` (empyrical)."""
    return float(empyrical.annual_volatility(returns, annualization=periods_per_year))


def sharpe_ratio(returns: pd.Series, cash_returns: pd.Series, periods_per_year: int) -> float:
    """``mean(r - rf) / std(r - rf) * sqrt(ppy)``, ddof=1 (empyrical ``sharpe_ratio``).

    ``cash_returns`` is the per-period return of the cash asset on the same dates.
    """
    excess = returns - cash_returns.reindex(returns.index)
    return float(empyrical.sharpe_ratio(excess, risk_free=0.0, annualization=periods_per_year))


def sortino_ratio(returns: pd.Series, cash_returns: pd.Series, periods_per_year: int) -> float:
    """Annualized mean excess return over downside deviation below 0 (empyrical ``sortino_ratio``).

    Downside deviation: ``sqrt(mean(min(r - rf, 0)^2))`` over all periods (Sortino &
    Price 1994), annualized with ``sqrt(ppy)``.
    """
    excess = returns - cash_returns.reindex(returns.index)
    return float(
        empyrical.sortino_ratio(excess, required_return=0.0, annualization=periods_per_year)
    )


def max_drawdown(returns: pd.Series) -> float:
    """Largest peak-to-trough fall of the wealth path, as a negative decimal (empyrical)."""
    return float(empyrical.max_drawdown(returns))


def calmar_ratio(returns: pd.Series, periods_per_year: int) -> float:
    """CAGR divided by the absolute max drawdown (empyrical ``calmar_ratio``)."""
    return float(empyrical.calmar_ratio(returns, annualization=periods_per_year))


def annual_turnover(turnover: pd.Series, periods_per_year: int) -> float:
    """Mean one-way turnover per bar times ``ppy``.

    One-way turnover of a bar is half the traded value divided by portfolio value,
    so fully switching from one asset to another once a year is 100%/yr.
    """
    return float(turnover.mean() * periods_per_year)


def share_risk_off(risk_off: pd.Series | None) -> float:
    """Fraction of bars in the risk-off state (NaN for strategies without a signal)."""
    if risk_off is None or len(risk_off) == 0:
        return float("nan")
    return float(np.mean(risk_off.to_numpy(dtype=bool)))


def compute_metrics(
    returns: pd.Series,
    cash_returns: pd.Series,
    *,
    periods_per_year: int,
    turnover: pd.Series | None = None,
    risk_off: pd.Series | None = None,
    benchmark: pd.Series | None = None,
) -> pd.Series:
    """Every :class:`Metric` for one return series; index = metric keys.

    ``benchmark`` (the benchmark's returns on the same dates) gives beta, alpha,
    information ratio and tracking error; without it they are NaN.
    """
    values: dict[Metric, float] = {
        Metric.CAGR: cagr(returns, periods_per_year),
        Metric.ANNUAL_VOLATILITY: annual_volatility(returns, periods_per_year),
        Metric.SHARPE: sharpe_ratio(returns, cash_returns, periods_per_year),
        Metric.SORTINO: sortino_ratio(returns, cash_returns, periods_per_year),
        Metric.MAX_DRAWDOWN: max_drawdown(returns),
        Metric.CALMAR: calmar_ratio(returns, periods_per_year),
        Metric.ANNUAL_TURNOVER: (
            annual_turnover(turnover, periods_per_year) if turnover is not None else float("nan")
        ),
        Metric.SHARE_RISK_OFF: share_risk_off(risk_off),
        Metric.TOTAL_RETURN: total_return(returns),
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
