"""The full metrics list beyond the headline :class:`~backtest.metrics.Metric` (pure).

QuantStats' list (``quantstats.reports.metrics(mode="full")``): tail risk, the
shape of the distribution, win rates, payoff and profit factor, Kelly, ulcer index
and recovery factor, best and worst periods, streaks and trailing returns. Where
empyrical-reloaded has the measure, its formula is used (value at risk, expected
shortfall, tail ratio, omega; computed by :mod:`backtest.metrics._formulas`, tested
equal to empyrical); the rest is written here. ``periods_per_year`` is
explicit wherever a figure is annualized; no window reaches past the series' last
date. Where a definition differs from QuantStats' the docstring says so, and so do
the docs (``docs/reports.md``, "Full metrics"); the tests pin both.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import pandas as pd

from backtest.metrics import _formulas
from backtest.metrics._periods import calendar_returns

__all__ = [
    "FullMetric",
    "annual_returns_vs_benchmark",
    "compute_full_metrics",
    "max_consecutive",
    "profit_factor",
    "recovery_factor",
    "trailing_return",
    "ulcer_index",
    "win_rate",
]


class FullMetric(StrEnum):
    """Metrics of the full table (JSON, ``result.metrics()``, the HTML report).

    The terminal tables show only the headline :class:`~backtest.metrics.Metric`.
    """

    VALUE_AT_RISK = "value_at_risk"
    EXPECTED_SHORTFALL = "expected_shortfall"
    TAIL_RATIO = "tail_ratio"
    OMEGA = "omega"
    SKEW = "skew"
    KURTOSIS = "kurtosis"
    WIN_RATE_BARS = "win_rate_bars"
    WIN_RATE_MONTHS = "win_rate_months"
    WIN_RATE_YEARS = "win_rate_years"
    PAYOFF_RATIO = "payoff_ratio"
    PROFIT_FACTOR = "profit_factor"
    KELLY = "kelly"
    ULCER_INDEX = "ulcer_index"
    RECOVERY_FACTOR = "recovery_factor"
    BEST_BAR = "best_bar"
    WORST_BAR = "worst_bar"
    BEST_MONTH = "best_month"
    WORST_MONTH = "worst_month"
    BEST_YEAR = "best_year"
    WORST_YEAR = "worst_year"
    MAX_CONSECUTIVE_WINS = "max_consecutive_wins"
    MAX_CONSECUTIVE_LOSSES = "max_consecutive_losses"
    RETURN_MTD = "return_mtd"
    RETURN_3M = "return_3m"
    RETURN_6M = "return_6m"
    RETURN_YTD = "return_ytd"
    RETURN_1Y = "return_1y"
    RETURN_3Y = "return_3y_ann"
    RETURN_5Y = "return_5y_ann"
    RETURN_10Y = "return_10y_ann"
    YEARS_BEAT_BENCHMARK = "years_beat_benchmark"

    @property
    def label(self) -> str:
        """Row header with units."""
        return _LABELS[self]

    @property
    def is_percent(self) -> bool:
        """Shown as a percentage."""
        return self not in _NOT_PERCENT

    @property
    def against_benchmark(self) -> bool:
        """Measured against the run's benchmark (NaN without one)."""
        return self is FullMetric.YEARS_BEAT_BENCHMARK


_NOT_PERCENT = frozenset({
    FullMetric.TAIL_RATIO, FullMetric.OMEGA, FullMetric.SKEW, FullMetric.KURTOSIS,
    FullMetric.PAYOFF_RATIO, FullMetric.PROFIT_FACTOR, FullMetric.ULCER_INDEX,
    FullMetric.RECOVERY_FACTOR, FullMetric.MAX_CONSECUTIVE_WINS,
    FullMetric.MAX_CONSECUTIVE_LOSSES,
})

_LABELS = {
    FullMetric.VALUE_AT_RISK: "VaR 95% (bar, historical)",
    FullMetric.EXPECTED_SHORTFALL: "Expected shortfall 95% (bar)",
    FullMetric.TAIL_RATIO: "Tail ratio (95/5)",
    FullMetric.OMEGA: "Omega (threshold 0)",
    FullMetric.SKEW: "Skew",
    FullMetric.KURTOSIS: "Excess kurtosis",
    FullMetric.WIN_RATE_BARS: "Win rate (bars)",
    FullMetric.WIN_RATE_MONTHS: "Win rate (months)",
    FullMetric.WIN_RATE_YEARS: "Win rate (years)",
    FullMetric.PAYOFF_RATIO: "Payoff ratio",
    FullMetric.PROFIT_FACTOR: "Profit factor",
    FullMetric.KELLY: "Kelly criterion",
    FullMetric.ULCER_INDEX: "Ulcer index",
    FullMetric.RECOVERY_FACTOR: "Recovery factor",
    FullMetric.BEST_BAR: "Best bar",
    FullMetric.WORST_BAR: "Worst bar",
    FullMetric.BEST_MONTH: "Best month",
    FullMetric.WORST_MONTH: "Worst month",
    FullMetric.BEST_YEAR: "Best year",
    FullMetric.WORST_YEAR: "Worst year",
    FullMetric.MAX_CONSECUTIVE_WINS: "Max consecutive winning bars",
    FullMetric.MAX_CONSECUTIVE_LOSSES: "Max consecutive losing bars",
    FullMetric.RETURN_MTD: "MTD",
    FullMetric.RETURN_3M: "3M",
    FullMetric.RETURN_6M: "6M",
    FullMetric.RETURN_YTD: "YTD",
    FullMetric.RETURN_1Y: "1Y",
    FullMetric.RETURN_3Y: "3Y (ann.)",
    FullMetric.RETURN_5Y: "5Y (ann.)",
    FullMetric.RETURN_10Y: "10Y (ann.)",
    FullMetric.YEARS_BEAT_BENCHMARK: "Years beating the benchmark",
}

#: Trailing windows: (metric, months back from the last date, annualized).
_TRAILING = (
    (FullMetric.RETURN_3M, 3, False),
    (FullMetric.RETURN_6M, 6, False),
    (FullMetric.RETURN_1Y, 12, False),
    (FullMetric.RETURN_3Y, 36, True),
    (FullMetric.RETURN_5Y, 60, True),
    (FullMetric.RETURN_10Y, 120, True),
)

_NAN = float("nan")


def win_rate(returns: pd.Series) -> float:
    """Share of the non-zero periods that gained: ``#(r > 0) / #(r != 0)``.

    Periods with a return of exactly 0 count neither way (QuantStats ``win_rate``).
    NaN without a non-zero period (QuantStats returns 0.0 there).
    """
    values = returns.dropna().to_numpy(dtype=float)
    moved = int(np.count_nonzero(values))
    return float(np.count_nonzero(values > 0) / moved) if moved else _NAN


def _payoff(values: np.ndarray) -> float:
    """``mean(r | r > 0) / |mean(r | r < 0)|`` (NaN without a win or a loss)."""
    wins, losses = values[values > 0], values[values < 0]
    if wins.size == 0 or losses.size == 0:
        return _NAN
    return float(wins.mean() / abs(losses.mean()))


def profit_factor(returns: pd.Series) -> float:
    """Sum of the gains over the absolute sum of the losses: ``sum(r >= 0) / |sum(r < 0)|``.

    NaN when no period lost (QuantStats returns infinity, or 0 with no gain either):
    a ratio over a zero denominator is undefined, as for Sharpe.
    """
    values = returns.dropna().to_numpy(dtype=float)
    losses = float(-values[values < 0].sum())
    return float(values[values >= 0].sum() / losses) if losses > 0 else _NAN


def _drawdowns(returns: pd.Series) -> np.ndarray:
    """Drawdown of every bar from the running high of wealth, starting wealth 1 included."""
    wealth = np.cumprod(1.0 + returns.dropna().to_numpy(dtype=float))
    return wealth / np.maximum.accumulate(np.maximum(wealth, 1.0)) - 1.0


def ulcer_index(returns: pd.Series) -> float:
    """Root mean square drawdown: ``sqrt(mean(D_t^2))``, ``D_t = W_t / max_{s<=t} W_s - 1``.

    Martin & McCann (1989), with the running high including the starting wealth 1.
    QuantStats divides the sum of squares by ``n - 1``, not ``n``: its value is
    ours times ``sqrt(n / (n - 1))``.
    """
    dd = _drawdowns(returns)
    return float(np.sqrt(np.mean(dd**2))) if dd.size else _NAN


def recovery_factor(returns: pd.Series) -> float:
    """Compounded total return over the absolute max drawdown (signed; NaN with no drawdown).

    QuantStats uses ``|sum(r)|``: the simple sum of the returns, and its absolute
    value, so a loss-making strategy shows a positive recovery factor there.
    """
    clean = returns.dropna()
    depth = float(-_drawdowns(clean).min()) if len(clean) else 0.0
    if not depth > 0:
        return _NAN
    return float(np.prod(1.0 + clean.to_numpy(dtype=float)) - 1.0) / depth


def max_consecutive(returns: pd.Series, *, wins: bool) -> float:
    """Longest run of consecutive bars with ``r > 0`` (``wins``) or ``r < 0``.

    A zero return ends both kinds of run (QuantStats ``consecutive_wins`` and
    ``consecutive_losses`` on bars).
    """
    values = returns.dropna().to_numpy(dtype=float)
    hit = (values > 0) if wins else (values < 0)
    edges = np.diff(np.r_[0, hit.astype(np.int8), 0])
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return float((ends - starts).max()) if starts.size else 0.0


def trailing_return(
    returns: pd.Series, since: pd.Timestamp, periods_per_year: int, *, annualized: bool
) -> float:
    """Compounded return of the bars dated after ``since`` up to the last one.

    Parameters
    ----------
    returns : pd.Series
        Simple periodic returns on a DatetimeIndex (NaN skipped).
    since : pd.Timestamp
        The window's start close: the bars dated strictly after it count (the
        return dated ``since`` accrued before the window opened).
    periods_per_year : int
        Annualization of the window's bar count.
    annualized : bool
        ``(1 + R)^(ppy / n) - 1`` over the ``n`` bars of the window (empyrical
        ``cagr``, as the headline CAGR) instead of ``R``.

    Returns
    -------
    float
        NaN when the series does not reach back to ``since`` (no bar dated at or
        before it): a 10-year figure from 3 years of data would be a 3-year one.
    """
    clean = returns.dropna()
    if clean.empty or clean.index[0] > since:
        return _NAN
    window = clean[clean.index > since]
    if window.empty:
        return 0.0
    if annualized:
        return float(_formulas.cagr(window, annualization=periods_per_year))
    return float(np.prod(1.0 + window.to_numpy(dtype=float)) - 1.0)


def annual_returns_vs_benchmark(returns: pd.Series, benchmark: pd.Series) -> pd.DataFrame:
    """Each calendar year's compounded return of the strategy and of the benchmark.

    Returns
    -------
    pd.DataFrame
        Indexed by year: ``strategy``, ``benchmark``, ``difference`` (strategy −
        benchmark) and ``won`` (strategy above benchmark), on the dates both have
        (QuantStats' "EOY Returns vs Benchmark", without its ratio column).
    """
    both = pd.concat([returns, benchmark], axis=1, join="inner").dropna()
    frame = pd.DataFrame({
        "strategy": calendar_returns(both.iloc[:, 0], "year"),
        "benchmark": calendar_returns(both.iloc[:, 1], "year"),
    })
    frame["difference"] = frame["strategy"] - frame["benchmark"]
    frame["won"] = frame["difference"] > 0
    return frame


def _tails(values: np.ndarray) -> dict[FullMetric, float]:
    clean = pd.Series(values)
    return {
        FullMetric.VALUE_AT_RISK: float(_formulas.value_at_risk(values, cutoff=0.05)),
        FullMetric.EXPECTED_SHORTFALL: float(
            _formulas.conditional_value_at_risk(values, cutoff=0.05)),
        FullMetric.TAIL_RATIO: float(_formulas.tail_ratio(values)),
        FullMetric.OMEGA: float(_formulas.omega_ratio(values)),
        FullMetric.SKEW: float(clean.skew()),
        FullMetric.KURTOSIS: float(clean.kurt()),
    }


def _periods(clean: pd.Series) -> dict[FullMetric, float]:
    months, years = calendar_returns(clean, "month"), calendar_returns(clean, "year")
    values = clean.to_numpy(dtype=float)
    bars = win_rate(clean)
    payoff = _payoff(values)
    return {
        FullMetric.WIN_RATE_BARS: bars,
        FullMetric.WIN_RATE_MONTHS: win_rate(months),
        FullMetric.WIN_RATE_YEARS: win_rate(years),
        FullMetric.PAYOFF_RATIO: payoff,
        FullMetric.PROFIT_FACTOR: profit_factor(clean),
        FullMetric.KELLY: (payoff * bars - (1.0 - bars)) / payoff if payoff > 0 else _NAN,
        FullMetric.ULCER_INDEX: ulcer_index(clean),
        FullMetric.RECOVERY_FACTOR: recovery_factor(clean),
        FullMetric.BEST_BAR: float(values.max()),
        FullMetric.WORST_BAR: float(values.min()),
        FullMetric.BEST_MONTH: float(months.max()),
        FullMetric.WORST_MONTH: float(months.min()),
        FullMetric.BEST_YEAR: float(years.max()),
        FullMetric.WORST_YEAR: float(years.min()),
        FullMetric.MAX_CONSECUTIVE_WINS: max_consecutive(clean, wins=True),
        FullMetric.MAX_CONSECUTIVE_LOSSES: max_consecutive(clean, wins=False),
    }


def _trailing(clean: pd.Series, ppy: int) -> dict[FullMetric, float]:
    last = pd.Timestamp(clean.index[-1])
    month_start = last.to_period("M").start_time
    year_start = last.to_period("Y").start_time
    out = {
        FullMetric.RETURN_MTD: trailing_return(clean, month_start - pd.Timedelta(1, "ns"), ppy,
                                               annualized=False),
        FullMetric.RETURN_YTD: trailing_return(clean, year_start - pd.Timedelta(1, "ns"), ppy,
                                               annualized=False),
    }
    for metric, months, annualized in _TRAILING:
        since = last - pd.DateOffset(months=months)
        out[metric] = trailing_return(clean, since, ppy, annualized=annualized)
    return out


def compute_full_metrics(
    returns: pd.Series, *, periods_per_year: int, benchmark: pd.Series | None = None
) -> pd.Series:
    """Every :class:`FullMetric` of one return series; index = metric keys.

    Parameters
    ----------
    returns : pd.Series
        Net periodic returns (decimals) on a DatetimeIndex; NaN skipped.
    periods_per_year : int
        Annualization of the 3Y, 5Y and 10Y trailing returns.
    benchmark : pd.Series, optional
        The benchmark's returns on the same dates: the share of calendar years the
        strategy beat it (NaN without it).

    Returns
    -------
    pd.Series
        All NaN for an empty series.
    """
    clean = returns.dropna().astype("float64")
    if clean.empty:
        return pd.Series({str(m): _NAN for m in FullMetric}, name=returns.name, dtype="float64")
    values = _tails(clean.to_numpy()) | _periods(clean) | _trailing(clean, periods_per_year)
    beat = _NAN
    if benchmark is not None:
        years = annual_returns_vs_benchmark(clean, benchmark)
        beat = float(years["won"].mean()) if len(years) else _NAN
    values[FullMetric.YEARS_BEAT_BENCHMARK] = beat
    out = pd.Series({str(m): values[m] for m in FullMetric}, name=returns.name, dtype="float64")
    return out.where(np.isfinite(out))  # a ratio over a zero tail (tail ratio) is undefined
