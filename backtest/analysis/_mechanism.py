r"""The mechanism itself: how the spread moves with the yield and the credit spread, per 100 bp."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from backtest.analysis._bootstrap import Interval
from backtest.analysis._hac import hac_ols

__all__ = ["Mechanism", "mechanism"]


@dataclass(frozen=True)
class Mechanism:
    r"""Contemporaneous regression ``s_t = a + b_y Δy_t + b_c Δc_t + e_t``.

    Attributes
    ----------
    yield_beta, credit_beta : Interval
        Spread return (decimal) per 100 bp rise of the yield / widening of the
        credit spread, with its Newey–West interval.
    yield_t, credit_t : float
        Newey–West t-statistics.
    duration_gap : Interval
        Empirical duration gap between the sleeves in years, :math:`-100\,b_y`
        (long minus short; > 0 means the long sleeve is longer), with its interval.
    nobs, nw_lags : int
    r2 : float
    """

    yield_beta: Interval
    credit_beta: Interval
    yield_t: float
    credit_t: float
    duration_gap: Interval
    nobs: int
    nw_lags: int
    r2: float


def mechanism(
    spread: pd.Series, yield_change_pp: pd.Series, credit_change_pp: pd.Series,
    *, confidence: float,
) -> Mechanism:
    r"""Regress the spread on yield and credit-spread changes (Newey–West).

    Parameters
    ----------
    spread : pd.Series
        Long minus short sleeve return per bar (decimal).
    yield_change_pp, credit_change_pp : pd.Series
        Changes over the same bars in percentage points (1.0 = 100 bp), aligned by
        the caller to the bars they happened in; NaN rows are dropped.
    confidence : float
        Coverage of the normal intervals ``coef ± z se``.

    Returns
    -------
    Mechanism

    Notes
    -----
    With returns :math:`R_i = -D_i\,\Delta y` (Δy in decimals), the spread's slope on
    Δy in percentage points is :math:`b_y = -0.01\,(D_L - D_S)`, so the duration gap
    is :math:`D_L - D_S = -100\,b_y` years (Leibowitz 1986's empirical duration,
    applied to the sleeves' difference). Credit enters as a second regressor so that
    the yield beta is not the credit beta in disguise (yields fall in a credit
    crisis).
    """
    fit = hac_ols(
        spread.to_numpy(),
        [yield_change_pp.reindex(spread.index).to_numpy(),
         credit_change_pp.reindex(spread.index).to_numpy()],
        ["yield", "credit"],
    )
    gap = fit.interval("yield", confidence, factor=-100.0)
    return Mechanism(
        yield_beta=fit.interval("yield", confidence),
        credit_beta=fit.interval("credit", confidence),
        yield_t=fit.get("yield")[2],
        credit_t=fit.get("credit")[2],
        duration_gap=gap,
        nobs=fit.nobs,
        nw_lags=fit.lags,
        r2=fit.r2,
    )
