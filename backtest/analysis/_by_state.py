r"""The headline metrics per catalog regime and per risk-off/risk-on state, with intervals.

For each strategy given (the strategy under test and its benchmark), CAGR, annual
volatility, Sharpe and Sortino (in excess of the cash asset), max drawdown and total
return over

* the bars of each catalog regime inside the window (:func:`backtest.regimes.regime_mask`,
  the bar sets of the regime table), and
* the bars whose *previous close* decided risk-off, and those whose previous close
  decided risk-on: the thesis' pairing (:func:`backtest.analysis.thesis_statistics`),
  ``state.shift(1)`` on the bars of the returns. The engine executes a decision
  ``execution_lag`` bars after it, so a bar's return never depends on a later state.

The values are :func:`backtest.metrics.compute_metrics` on the subset's bars, taken in
date order and annualised with the run's ``periods_per_year`` from the number of bars
in the subset (a subset of 24 monthly bars is two years). A state's bars are not
consecutive: its CAGR and max drawdown are those of the wealth path of its bars put
end to end. Each value gets a stationary-bootstrap percentile interval from
:mod:`backtest.analysis._bootstrap`: resamples of the subset's own bars (blocks of
consecutive subset bars, expected length from Politis–White on the returns and the
excess returns), the return and the cash asset's return resampled together, and the
resampled metrics computed by :func:`backtest.metrics.compute_metrics_batch` (equal to
``compute_metrics`` to float rounding). Subsets with fewer than ``settings.min_bars``
bars get the value and no interval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from backtest.analysis._bootstrap import (
    FloatArray,
    IntArray,
    Interval,
    expected_block_length,
    percentile_interval,
    resample_positions,
    rng_for,
)
from backtest.analysis._spread import BootstrapSettings
from backtest.metrics import (
    Metric,
    annual_volatility,
    cagr,
    max_drawdown,
    sharpe_ratio,
    sortino_ratio,
    total_return,
)
from backtest.metrics._batch import compute_metrics_batch
from backtest.regimes import Regime, regime_masks

__all__ = ["STATE_METRICS", "MetricsByState", "SubsetMetrics", "metrics_by_state"]

#: The metrics computed per subset, in display order.
STATE_METRICS: tuple[Metric, ...] = (
    Metric.CAGR, Metric.ANNUAL_VOLATILITY, Metric.SHARPE, Metric.SORTINO,
    Metric.MAX_DRAWDOWN, Metric.TOTAL_RETURN,
)
# computed on the excess returns (the batch is called with a zero cash asset)
_ON_EXCESS = frozenset({Metric.SHARPE, Metric.SORTINO})
_ON_PLAIN = frozenset(STATE_METRICS) - _ON_EXCESS
_COLUMNS = {m: i for i, m in enumerate(Metric)}


@dataclass(frozen=True)
class SubsetMetrics:
    """One strategy's metrics over one subset of bars.

    Attributes
    ----------
    strategy : str
    subset : str
        The regime's name, or ``"risk-off"`` / ``"risk-on"``.
    kind : str
        The regime's kind, or ``"state"``.
    bars : int
        Bars of the strategy in the subset (no NaN return).
    start, end : pd.Timestamp or None
        First and last of those bars (None without a bar).
    values : dict of str to Interval
        By metric key (:data:`STATE_METRICS`): the value and its interval; the bounds
        are NaN when the subset is shorter than ``min_bars`` or the metric is undefined.
    """

    strategy: str
    subset: str
    kind: str
    bars: int
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    values: dict[str, Interval]

    @property
    def has_interval(self) -> bool:
        """Whether the subset was long enough to be resampled."""
        return any(iv.reps > 0 for iv in self.values.values())


@dataclass(frozen=True)
class MetricsByState:
    """The metrics of each strategy per regime and per state.

    Attributes
    ----------
    state_of : str or None
        The strategy whose decided state splits the bars (None: no state, no
        risk-off/risk-on rows).
    periods_per_year : int
    settings : BootstrapSettings
    rows : list of SubsetMetrics
        Per strategy (in the order given): risk-off, risk-on, then the regimes with at
        least one bar, in catalog order.
    """

    state_of: str | None
    periods_per_year: int
    settings: BootstrapSettings
    rows: list[SubsetMetrics]


def _point(returns: pd.Series, cash: pd.Series, ppy: int) -> dict[Metric, float]:
    """:data:`STATE_METRICS`, by the functions `compute_metrics` calls for them."""
    return {
        Metric.CAGR: cagr(returns, ppy),
        Metric.ANNUAL_VOLATILITY: annual_volatility(returns, ppy),
        Metric.SHARPE: sharpe_ratio(returns, cash, ppy),
        Metric.SORTINO: sortino_ratio(returns, cash, ppy),
        Metric.MAX_DRAWDOWN: max_drawdown(returns),
        Metric.TOTAL_RETURN: total_return(returns),
    }


def _draws(r: FloatArray, c: FloatArray, ppy: int, positions: IntArray) -> dict[Metric, FloatArray]:
    """Every metric of every resample (rows of ``positions``)."""
    reps, n = positions.shape
    zero = np.zeros(n)
    turnover = np.zeros((reps, n + 1))
    builds: list[int | None] = [None] * reps
    resampled = np.ascontiguousarray(r[positions])
    plain = compute_metrics_batch(resampled, zero, periods_per_year=ppy, turnover=turnover,
                                  builds=builds, only=_ON_PLAIN)
    excess = compute_metrics_batch(np.ascontiguousarray(resampled - c[positions]), zero,
                                   periods_per_year=ppy, turnover=turnover, builds=builds,
                                   only=_ON_EXCESS)
    return {m: (excess if m in _ON_EXCESS else plain)[:, _COLUMNS[m]] for m in STATE_METRICS}


def _subset(
    strategy: str, subset: str, kind: str, returns: pd.Series, cash: pd.Series, *,
    ppy: int, settings: BootstrapSettings,
) -> SubsetMetrics:
    n = len(returns)
    if n == 0:
        return SubsetMetrics(strategy, subset, kind, 0, None, None, {})
    point = _point(returns, cash, ppy)
    r, c = returns.to_numpy(np.float64), cash.to_numpy(np.float64)
    draws: dict[Metric, FloatArray] = {m: np.zeros(0) for m in STATE_METRICS}
    block: float | None = None
    if n >= settings.min_bars:
        block = expected_block_length(r, r - c)
        positions = resample_positions(n, block_length=block, reps=settings.reps,
                                       rng=rng_for(settings.seed, f"metrics {strategy} {subset}"))
        draws = _draws(r, c, ppy, positions)
    values = {str(m): percentile_interval(point[m], draws[m], settings.confidence, block)
              for m in STATE_METRICS}
    index = pd.DatetimeIndex(returns.index)
    return SubsetMetrics(strategy, subset, kind, n, index[0], index[-1], values)


def metrics_by_state(
    returns: Mapping[str, pd.Series], cash: pd.Series, catalog: Sequence[Regime], *,
    state: pd.Series | None, state_of: str | None, periods_per_year: int,
    settings: BootstrapSettings,
) -> MetricsByState:
    """The headline metrics of each strategy per regime and per decided state.

    Parameters
    ----------
    returns : mapping of str to pd.Series
        Net returns per bar of each strategy (the run's bars after the first), by label.
    cash : pd.Series
        The cash asset's return on the same bars.
    catalog : sequence of Regime
    state : pd.Series or None
        Risk-off state decided at each close of the window (first bar included); bar
        ``t``'s return is paired with the state at ``t-1`` (the thesis' alignment).
    state_of : str or None
        Label of the strategy that decided ``state``.
    periods_per_year : int
    settings : BootstrapSettings
        Resamples, seed, confidence and ``min_bars`` (the thesis').

    Returns
    -------
    MetricsByState
    """
    ppy = periods_per_year
    rows: list[SubsetMetrics] = []
    for label, series in returns.items():
        # regime bars on the full index (a bar's calendar span is the regime table's),
        # then only the bars where the strategy and the cash asset have a return
        index = pd.DatetimeIndex(series.index)
        bars_cash = cash.reindex(index)
        valid = (series.notna() & bars_cash.notna()).to_numpy()
        subsets: list[tuple[str, str, npt.NDArray[np.bool_]]] = []
        if state is not None:
            before = state.shift(1).reindex(index)
            known = before.notna().to_numpy()
            off = before.fillna(False).astype(bool).to_numpy()
            subsets += [("risk-off", "state", known & off), ("risk-on", "state", known & ~off)]
        for regime, mask in zip(catalog, regime_masks(index, catalog), strict=True):
            if mask.any():
                subsets.append((regime.name, str(regime.kind), mask))
        for name, kind, mask in subsets:
            chosen = mask & valid
            rows.append(_subset(label, name, kind, series[chosen], bars_cash[chosen],
                                ppy=ppy, settings=settings))
    return MetricsByState(state_of if state is not None else None, ppy, settings, rows)
