r"""Concentration: how much of a strategy's return one asset made, and the result without it."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass

import pandas as pd

from backtest.analysis._attribution import COSTS
from backtest.metrics import cagr, sharpe_ratio

__all__ = ["CONCENTRATED_SHARE", "WITHOUT_METHOD", "Concentration", "concentration",
           "largest_contributor"]

#: A single asset that made more than this share of the compounded return "carries" it.
CONCENTRATED_SHARE = 0.5
#: How the strategy is run without its largest contributor (shown with the numbers).
WITHOUT_METHOD = (
    "the same target weights with the asset's weight held in the cash asset instead, "
    "executed by the same engine with the same costs and execution lag"
)


@dataclass(frozen=True)
class Concentration:
    """The largest single contributor to a strategy's return, and the strategy without it.

    Attributes
    ----------
    strategy : str
        Label of the strategy.
    asset : str
        The asset with the largest absolute contribution (the cash asset and costs
        excluded).
    contribution : float
        Its contribution to the compounded net return over the run (decimal; the
        wealth-weighted attribution of :mod:`backtest.analysis._attribution`, whose
        contributions add up to the compounded return).
    total : float
        The strategy's compounded net return over the run (decimal).
    share : float
        ``contribution / total``; NaN when ``total <= 0`` (a share of a loss, or of
        nothing, is not a share).
    cagr, sharpe : float
        The strategy as run (CAGR decimal per year; Sharpe on returns in excess of
        the cash asset, annualized).
    cagr_without, sharpe_without : float
        The same strategy without the asset (:data:`WITHOUT_METHOD`).
    method : str
    """

    strategy: str
    asset: str
    contribution: float
    total: float
    share: float
    cagr: float
    sharpe: float
    cagr_without: float
    sharpe_without: float
    method: str = WITHOUT_METHOD

    @property
    def concentrated(self) -> bool:
        """More than :data:`CONCENTRATED_SHARE` of a positive return from this one asset."""
        return math.isfinite(self.share) and self.share > CONCENTRATED_SHARE


def largest_contributor(
    contributions: pd.Series, *, exclude: Collection[str] = ()
) -> tuple[str, float] | None:
    """The asset with the largest absolute contribution, and its contribution.

    Parameters
    ----------
    contributions : pd.Series
        Per asset (and ``costs``) over the run (:attr:`Attribution.run`).
    exclude : collection of str
        Assets never chosen (the cash asset: "without cash" is not a question).

    Returns
    -------
    tuple of (str, float) or None
        None when no asset contributed anything. Ties go to the first in order.
    """
    values = contributions.drop([COSTS, *exclude], errors="ignore").astype("float64")
    values = values[values.notna() & (values != 0.0)]
    if values.empty:
        return None
    asset = str(values.abs().idxmax())
    return asset, float(values[asset])


def concentration(
    *, strategy: str, asset: str, contribution: float, total: float, returns: pd.Series,
    returns_without: pd.Series, cash: pd.Series, periods_per_year: int,
) -> Concentration:
    """Measure the strategy with and without ``asset`` on the same bars.

    Parameters
    ----------
    strategy, asset : str
    contribution, total : float
        From the attribution over the run (decimal).
    returns, returns_without : pd.Series
        Net returns per bar of the strategy as run and without the asset.
    cash : pd.Series
        The cash asset's return per bar (the risk-free rate of the Sharpe ratios).
    periods_per_year : int

    Returns
    -------
    Concentration
    """
    ppy = periods_per_year
    rf = cash.reindex(returns.index)
    return Concentration(
        strategy=strategy,
        asset=asset,
        contribution=contribution,
        total=total,
        share=contribution / total if total > 0 else math.nan,
        cagr=cagr(returns, ppy),
        sharpe=sharpe_ratio(returns, rf, ppy),
        cagr_without=cagr(returns_without, ppy),
        sharpe_without=sharpe_ratio(returns_without, rf.reindex(returns_without.index), ppy),
    )
