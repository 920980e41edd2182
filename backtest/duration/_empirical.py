r"""Empirical (rate-sensitivity) duration: minus the rolling slope of returns on yield changes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from backtest.errors import ConfigError

__all__ = ["empirical_duration"]


def empirical_duration(
    returns: pd.DataFrame,
    yield_changes: pd.Series,
    *,
    window: int,
    min_periods: int,
) -> pd.DataFrame:
    r"""Estimate each asset's empirical duration in years over a rolling window.

    Parameters
    ----------
    returns : pd.DataFrame
        DataFrame of shape (n_dates, n_assets): simple periodic returns in
        decimals on a ``DatetimeIndex``; columns are assets.
    yield_changes : pd.Series
        Change of one yield over the same periods, in DECIMALS (25 bp = 0.0025;
        divide a change of a percent-quoted FRED yield by 100). Aligned to
        ``returns.index`` by date; dates missing here count as missing.
    window : int
        Rolling window length in bars (e.g. 60 monthly or 252 daily).
    min_periods : int
        Minimum number of bars with both a return and a yield change before an
        estimate is reported; ``2 <= min_periods <= window``.

    Returns
    -------
    pd.DataFrame
        DataFrame of shape (n_dates, n_assets), same index and columns as
        ``returns``: duration in years; NaN until ``min_periods`` paired
        observations exist in the window, and where ``Δy`` has no variance.

    Raises
    ------
    ConfigError
        ``window < 2`` or ``min_periods`` outside ``[2, window]``.

    Notes
    -----
    Each value at date ``t`` is minus the OLS slope (with intercept) of
    ``R_{i,s}`` on ``Δy_s`` over the ``window`` bars ``s ≤ t`` where both are
    observed:

    .. math:: \hat D_{i,t} = -\frac{n S_{xy} - S_x S_y}{n S_{xx} - S_x^2}

    with ``S`` rolling sums over the window. Only data up to and including
    ``t`` enters, so the estimate is point-in-time; it mixes the asset's true
    rate sensitivity with anything correlated with ``Δy`` (credit, equity risk
    premia), which is the point of an empirical measure.

    References
    ----------
    .. [1] Leibowitz, M. L. (1986), "Total Portfolio Duration: A New Perspective
       on Asset Allocation", *Financial Analysts Journal* 42(5) (equity
       duration as minus the regression slope of returns on yield changes).
    """
    if window < 2:
        raise ConfigError(f"window must be >= 2 bars, got {window}")
    if not 2 <= min_periods <= window:
        raise ConfigError(f"min_periods must be in [2, window={window}], got {min_periods}")
    dy = yield_changes.reindex(returns.index).astype("float64")
    y = returns.astype("float64")
    both = y.notna() & dy.notna().to_numpy()[:, np.newaxis]
    x = pd.DataFrame(
        np.where(both, dy.to_numpy()[:, np.newaxis], np.nan),
        index=returns.index,
        columns=returns.columns,
    )
    y = y.where(both)
    roll = {"window": window, "min_periods": min_periods}
    n = both.astype("float64").rolling(window, min_periods=1).sum()
    s_x = x.rolling(**roll).sum()
    s_y = y.rolling(**roll).sum()
    s_xy = (x * y).rolling(**roll).sum()
    s_xx = (x * x).rolling(**roll).sum()
    denominator = n * s_xx - s_x * s_x
    slope = (n * s_xy - s_x * s_y) / denominator.where(denominator > 0.0)
    return -slope.where(n >= min_periods)
