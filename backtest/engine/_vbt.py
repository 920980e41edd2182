"""The single vectorbt adapter: the only module of the project that imports vectorbt.

Every setting is passed explicitly (no ``vbt.settings`` is read or written):
orders are target percentages of the portfolio value, valued and filled at the
bar's close, long only, one cash pool shared by all assets, sells before buys
(``call_seq="auto"``), fees as a fraction of traded value, slippage as a
fraction of price against the trade, partial fills allowed when fees leave too
little cash for the last buy. The Rust engine is requested explicitly: in a fresh
environment it avoids ~14 s of numba compilation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from backtest.engine._accounting import simulation_prices

__all__ = ["Simulation", "simulate"]


@dataclass(frozen=True)
class Simulation:
    """Raw simulation output on the price index."""

    value: pd.Series  # portfolio value after trades at each close
    pre_trade_value: pd.Series  # value at each close before its trades (orders are sized on it)
    asset_value: pd.DataFrame  # value held in each asset after trades at each close
    traded_value: pd.Series  # sum of |size * fill price| of the bar's orders


def simulate(
    prices: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    fees: np.ndarray,
    slippage: np.ndarray,
    initial_capital: float,
    days_per_bar: float,
) -> Simulation:
    """Execute target weights (rows of NaN = no order) at each bar's close.

    Parameters
    ----------
    prices : pd.DataFrame
        Shape (n_dates, n_assets), no NaN.
    targets : pd.DataFrame
        Same shape; each non-NaN row is a rebalance to those weights at that close.
    fees, slippage : np.ndarray
        Shape (n_assets,), fractions (not bps).
    initial_capital : float
    days_per_bar : float
        Passed to vectorbt as ``freq``; unused by our metrics, which take
        ``periods_per_year`` explicitly.
    """
    import vectorbt as vbt

    # far-out price levels rescaled exactly (share counts never leave this function)
    prices = pd.DataFrame(simulation_prices(prices.to_numpy(dtype="float64")),
                          index=prices.index, columns=prices.columns)
    portfolio = vbt.Portfolio.from_orders(
        close=prices,
        size=targets,
        size_type="targetpercent",
        direction="longonly",
        price=np.inf,
        val_price=np.inf,
        fees=fees[None, :],
        fixed_fees=0.0,
        slippage=slippage[None, :],
        min_size=0.0,
        max_size=np.inf,
        allow_partial=True,
        raise_reject=False,
        lock_cash=False,
        init_cash=float(initial_capital),
        cash_sharing=True,
        group_by=True,
        call_seq="auto",
        update_value=False,
        ffill_val_price=True,
        freq=pd.Timedelta(days=days_per_bar),
        engine="rust",
    )
    records = portfolio.orders.values
    traded = np.zeros(len(prices))
    np.add.at(traded, records["idx"], np.abs(records["size"] * records["price"]))
    close = prices.to_numpy(dtype="float64")
    shares = portfolio.assets().to_numpy()
    cash = np.asarray(portfolio.cash(), dtype="float64").reshape(-1)
    # before the trades at close t: the cash and shares left by close t-1, at close t's prices
    pre = np.empty(len(prices))
    pre[0] = float(initial_capital)
    pre[1:] = cash[:-1] + np.einsum("ij,ij->i", shares[:-1], close[1:])
    return Simulation(
        value=pd.Series(portfolio.value().to_numpy(), index=prices.index, name="value"),
        pre_trade_value=pd.Series(pre, index=prices.index, name="pre_trade_value"),
        asset_value=pd.DataFrame(
            portfolio.asset_value(group_by=False).to_numpy(),
            index=prices.index,
            columns=prices.columns,
        ),
        traded_value=pd.Series(traded, index=prices.index, name="traded_value"),
    )
