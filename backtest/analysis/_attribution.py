r"""Per-asset attribution: what each holding contributed to a strategy's return.

Method. Bar ``t`` is held with the executed weights after the close of ``t-1``
(drift included), so asset ``i`` earns :math:`c_{i,t} = w_{i,t-1}\,r_{i,t}` of the
portfolio's value at ``t-1``; the rest of the bar's net return,
:math:`r_t - \sum_i c_{i,t}`, is what trading cost (fees and slippage). Over a
period ``P`` (the run, a regime) each contribution is weighted by the wealth
accumulated inside ``P`` before the bar,

.. math:: C_{i,P} = \sum_{t \in P} \frac{V_{t-1}}{V_{P,0}}\,c_{i,t}, \qquad
          \sum_i C_{i,P} + C_{\text{costs},P} = \prod_{t \in P}(1 + r_t) - 1,

so the contributions are each asset's profit over the period in units of the
portfolio's value when the period began, and they add up exactly to the
compounded net return (no residual, no linking coefficients). A bar's
contributions use only data up to that bar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from backtest.errors import DataError
from backtest.regimes import Regime, regime_masks

__all__ = ["COSTS", "METHOD", "Attribution", "attribute", "bar_contributions", "compound"]

#: Column holding the trading costs (the net return not explained by the holdings).
COSTS = "costs"
#: One-line statement of the method, shown in the JSON and the report.
METHOD = (
    "contribution of an asset over a period = sum over its bars of (portfolio value at the "
    "previous close / value at the period's start) x (weight held after the previous "
    "close's trades) x (asset return); 'costs' = fees and slippage; the contributions add "
    "up to the period's compounded net return"
)


@dataclass(frozen=True)
class Attribution:
    """Contributions of one strategy's holdings, over the run and each regime.

    Attributes
    ----------
    run : pd.Series
        Per asset (and ``costs``): contribution over the whole run (decimal).
    regimes : pd.DataFrame
        One row per regime with bars (index: regime name), columns assets + ``costs``
        + ``total`` (the compounded net return over the regime's bars).
    total : float
        Compounded net return over the run (= ``run.sum()``).
    """

    run: pd.Series
    regimes: pd.DataFrame
    total: float


def bar_contributions(
    weights: pd.DataFrame, asset_returns: pd.DataFrame, net_returns: pd.Series
) -> pd.DataFrame:
    """Per-bar contributions ``w_{i,t-1} r_{i,t}`` and the bar's ``costs``.

    Parameters
    ----------
    weights : pd.DataFrame
        Shape (n_dates, n_assets): executed weights after each close (the
        window's dates, first bar included).
    asset_returns : pd.DataFrame
        Same shape: each asset's simple return over the bar ending on each date.
    net_returns : pd.Series
        The strategy's net return per bar (dates 2..n of the window).

    Returns
    -------
    pd.DataFrame
        Shape (n_dates - 1, n_assets + 1), on the dates of ``net_returns``; rows add
        up to the net return.
    """
    if not weights.index.equals(asset_returns.index) or list(weights.columns) != list(
        asset_returns.columns
    ):
        raise DataError("weights and asset returns must share dates and assets")
    held = weights.shift(1).reindex(net_returns.index)
    contrib = held * asset_returns.reindex(net_returns.index)
    if contrib.isna().to_numpy().any():
        raise DataError("attribution: missing weights or asset returns inside the window")
    contrib[COSTS] = net_returns - contrib.sum(axis=1)
    return contrib


def compound(contributions: pd.DataFrame, mask: npt.ArrayLike | None = None) -> pd.Series:
    """Wealth-weighted sum of per-bar contributions over the bars in ``mask`` (all if None)."""
    frame = contributions if mask is None else contributions[np.asarray(mask, dtype=bool)]
    totals = frame.sum(axis=1).to_numpy()
    # wealth before each bar: 1, then the compounded totals (as long as the bars, even 0)
    wealth = np.concatenate(([1.0], np.cumprod(1.0 + totals)))[: len(totals)]
    return pd.Series(frame.to_numpy().T @ wealth, index=frame.columns, dtype="float64")


def attribute(
    weights: pd.DataFrame, asset_returns: pd.DataFrame, net_returns: pd.Series,
    catalog: Sequence[Regime],
) -> Attribution:
    """Attribution over the run and each regime of ``catalog`` that has bars.

    Parameters
    ----------
    weights, asset_returns, net_returns
        As in :func:`bar_contributions`.
    catalog : sequence of Regime
        Bars belong to a regime by the rule of :func:`backtest.regimes.regime_table`.

    Returns
    -------
    Attribution
    """
    bars = bar_contributions(weights, asset_returns, net_returns)
    run = compound(bars)
    rows = {}
    index = pd.DatetimeIndex(bars.index)
    net = net_returns.to_numpy()
    for regime, mask in zip(catalog, regime_masks(index, catalog), strict=True):
        if mask.any():
            total = float(np.prod(1.0 + net[mask]) - 1.0)
            rows[regime.name] = [*compound(bars, mask), total]
    columns = [*bars.columns, "total"]
    regimes = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    return Attribution(run=run, regimes=regimes, total=float(run.sum()))
