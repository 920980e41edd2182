"""An independent plain-numpy re-implementation of the engine's execution rules.

Written from the documented semantics, not from vectorbt's code: at each bar with
a target row, value the portfolio at the close, size each order to its target
percentage of that value, fill sells first then buys (ordered by signed order
value, as ``call_seq="auto"``), fill price = close × (1 ± slippage), pay fees on
the filled value, and cut the last buys to the cash left.

One rule is vectorbt's float tolerance, mirrored on purpose: a buy whose cost is
within a relative 1e-9 (absolute 1e-12) of the cash left counts as affordable
and is filled in full, leaving cash a hair below zero (``vectorbt.utils.math_``:
``is_close_or_less_nb``). Without it the two differ by up to 1e-9 of a trade's
value when costs are tiny — a case hypothesis found.
"""

from __future__ import annotations

import numpy as np

_REL, _ABS = 1e-9, 1e-12


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= max(_REL * max(abs(a), abs(b)), _ABS)


def simulate_reference(
    close: np.ndarray,
    targets: np.ndarray,
    fees: np.ndarray,
    slippage: np.ndarray,
    init_cash: float,
    traded: np.ndarray | None = None,
    pre: np.ndarray | None = None,
) -> np.ndarray:
    """Portfolio value after each bar's trades, shape (n_bars,).

    ``traded`` (shape (n_bars, n_assets), zeros), if given, receives the filled value
    ``|size| × fill price`` of each order; ``pre`` (shape (n_bars,)) the value at
    each close before its trades.
    """
    n, k = close.shape
    cash, pos = float(init_cash), np.zeros(k)
    values = np.empty(n)
    for t in range(n):
        price = close[t]
        if pre is not None:
            pre[t] = cash + pos @ price
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
                    cost = size * fill * (1 + fees[j])
                    if cost <= cash or _close(cost, cash):
                        cash -= cost  # may end a hair below 0, as in vectorbt
                    else:
                        size = cash / (fill * (1 + fees[j]))
                        cash = 0.0
                pos[j] += size
                if traded is not None:
                    traded[t, j] += abs(size) * fill
        values[t] = cash + pos @ price
    return values
