"""The engine's rules on the project's numba kernel instead of vectorbt.

:func:`simulate` returns the same :class:`~backtest.engine._vbt.Simulation` as the
vectorbt adapter, from :func:`backtest.engine._kernel.simulate_path`: the sweep's
kernel, which mirrors vectorbt's order logic and tolerances and is tested equal to
it (1e-10) for every strategy kind and cost setting. Commands that answer while a
person waits (``thesis``) run on it: it needs numba, not vectorbt's 2 s import.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from backtest.engine._accounting import simulation_prices
from backtest.engine._vbt import Simulation

__all__ = ["simulate"]


def simulate(
    prices: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    cash: str,
    execution_lag: int,
    fees: float,
    slippage: float,
    initial_capital: float,
) -> Simulation:
    """Execute decided target weights (before the lag; all-NaN row = no trade).

    Parameters
    ----------
    prices : pd.DataFrame
        Shape (n_dates, n_assets), no NaN.
    targets : pd.DataFrame
        Validated decided targets on the same index and columns.
    cash : str
        The cash asset: it trades free, and takes what a row leaves unallocated.
    execution_lag : int
        Bars between a decision and its trade.
    fees, slippage : float
        Fractions (not bps) for every non-cash asset.
    initial_capital : float
    """
    from backtest.engine._kernel import simulate_path

    close = np.ascontiguousarray(simulation_prices(prices.to_numpy(dtype="float64")))
    weights = np.ascontiguousarray(targets.to_numpy(dtype="float64"))
    n, k = close.shape
    values, traded, pre = np.empty(n), np.empty(n), np.empty(n)
    shares = np.empty((n, k))
    simulate_path(close, weights, prices.columns.get_loc(cash), execution_lag, fees, slippage,
                  float(initial_capital), values, traded, pre, shares)
    index = prices.index
    return Simulation(
        value=pd.Series(values, index=index, name="value"),
        pre_trade_value=pd.Series(pre, index=index, name="pre_trade_value"),
        asset_value=pd.DataFrame(shares * close, index=index, columns=prices.columns),
        traded_value=pd.Series(traded, index=index, name="traded_value"),
    )
