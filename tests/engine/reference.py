"""An independent plain-numpy re-implementation of the engine's execution rules.

Written from the documented semantics, not from vectorbt's code: at each bar with
a target row, value the portfolio at the close, size each order to its target
percentage of that value, fill sells first then buys (ordered by signed order
value, as ``call_seq="auto"``), fill price = close × (1 ± slippage), pay fees on
the filled value, and cut the last buys to the cash left.
"""

from __future__ import annotations

import numpy as np


def simulate_reference(
    close: np.ndarray,
    targets: np.ndarray,
    fees: np.ndarray,
    slippage: np.ndarray,
    init_cash: float,
) -> np.ndarray:
    """Portfolio value after each bar's trades, shape (n_bars,)."""
    n, k = close.shape
    cash, pos = float(init_cash), np.zeros(k)
    values = np.empty(n)
    for t in range(n):
        price = close[t]
        if not np.isnan(targets[t]).all():
            value = cash + pos @ price
            delta = targets[t] * value / price - pos  # shares to trade
            order_value = delta * price
            for j in np.argsort(order_value, kind="stable"):
                size = delta[j]
                if abs(size) * price[j] < 1e-14 * max(value, 1.0):
                    continue
                if size < 0:  # sell
                    size = max(size, -pos[j])
                    fill = price[j] * (1 - slippage[j])
                    cash += -size * fill * (1 - fees[j])
                else:  # buy, cut to the cash available
                    fill = price[j] * (1 + slippage[j])
                    size = min(size, cash / (fill * (1 + fees[j])))
                    cash -= size * fill * (1 + fees[j])
                pos[j] += size
        values[t] = cash + pos @ price
    return values
