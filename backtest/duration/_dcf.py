r"""DCF-implied durations of many assets from their cash-flow yields (pure)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from backtest.errors import ConfigError

__all__ = ["implied_durations"]


def implied_durations(yields: pd.DataFrame, *, discount_rate: float) -> pd.DataFrame:
    r"""Gordon-growth duration of each asset, date by date, from its cash-flow yield.

    Parameters
    ----------
    yields : pd.DataFrame
        DataFrame of shape (n_dates, n_assets): each asset's cash-flow yield in
        decimals (earnings or cash flow over market value, e.g. Ken French's
        "Sum of E / Sum of ME"), as known at each date; NaN where unknown.
    discount_rate : float
        Cost of equity ``r`` in decimals per year (0 < r < 1).

    Returns
    -------
    pd.DataFrame
        Same shape: duration in years, :math:`(1 + r)/y` where :math:`y > 0`;
        ``+inf`` where :math:`y \le 0` (a portfolio with no or negative earnings has
        no finite Gordon duration: all its value sits beyond any horizon, so it
        ranks *longest*); NaN where the yield is unknown.

    Notes
    -----
    The price of a growing perpetuity is :math:`P = CF_1/(r - g)`, so the market's
    own cash-flow yield pins the growth it implies, :math:`g = r - y`, and the
    Macaulay duration :math:`(1 + r)/(r - g)` (:func:`~backtest.duration.gordon_duration`) becomes
    :math:`(1 + r)/y`. There is no fade: the implied growth is constant forever.
    With one ``r`` for every asset, ``r`` scales all durations by the same factor
    and leaves their ranking — what the sleeves use — unchanged.

    References
    ----------
    .. [1] Gordon, M. J. (1959), "Dividends, Earnings, and Stock Prices", *Review of
       Economics and Statistics* 41(2), 99–105.
    .. [2] Dechow, P. M., Sloan, R. G. and Soliman, M. T. (2004), "Implied Equity
       Duration: A New Measure of Equity Risk", *Review of Accounting Studies* 9,
       197–228.
    """
    if not 0.0 < discount_rate < 1.0:
        raise ConfigError(f"discount_rate must be a decimal in (0, 1), got {discount_rate}")
    y = yields.to_numpy(dtype=np.float64)
    positive = np.isfinite(y) & (y > 0)
    out = np.full(y.shape, np.nan)
    # = gordon_duration(r, r - y), written directly: r - (r - y) would round y
    out[positive] = (1.0 + discount_rate) / y[positive]
    out[np.isfinite(y) & (y <= 0)] = np.inf
    return pd.DataFrame(out, index=yields.index, columns=yields.columns)
