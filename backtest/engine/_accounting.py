"""The engine's accounting rules: value path, net returns and turnover, in one place.

Pure numpy, no vectorbt: the vectorbt adapter (:mod:`backtest.engine._vbt`) and any
other executor of the same rules (a fast sweep kernel) turn their raw simulation into
reported numbers through these functions, so every path agrees. Arrays have bars on
axis 0; further axes (strategies, trials) broadcast.

The rules (docs/guarantees.md, *Conventions*):

* **Value path.** ``values[0]`` is the initial capital: the money on hand at the
  first close, *before* that close's trades. ``values[t]`` for ``t >= 1`` is the
  value after the trades at close ``t``. With an execution lag of 1 or more nothing
  but the free cash asset trades at bar 0, so the value after its trades is the
  initial capital anyway; with lag 0 the first trade and its costs happen at the
  close of bar 0 and fall into the first reported return.
* **Net returns.** One per bar after the first: ``returns[t-1] = values[t] /
  values[t-1] - 1`` (so ``returns`` for bar 1 is ``value_after_trades[1] /
  initial_capital - 1``); compounded, they end exactly at ``values[-1] / values[0]``.
* **Turnover.** One-way, per bar: half the traded value (sum of ``|size × fill
  price|`` over the bar's orders) over the value before the bar's trades (on which
  the orders are sized; the initial capital at bar 0). At bar 0 the starting money
  counts as a holding of the cash asset (it *is* money at the bill rate): the bar's
  cash-asset order is replaced by ``|cash asset held after the trades − initial
  capital|``, so converting the money into the cash asset is no trade, and building
  a portfolio of non-cash assets out of it is the same trade, whichever bar it
  executes on. :func:`backtest.metrics.split_turnover` separates the initial build
  from ongoing turnover.
"""

from __future__ import annotations

import numpy as np

__all__ = ["bar_turnover", "net_returns", "simulation_prices", "value_path"]

#: First prices within [2^-64, 2^64] are simulated as quoted.
_PRICE_RANGE = 64


def simulation_prices(close: np.ndarray) -> np.ndarray:
    """The prices to simulate on: each far-out asset times a power of two.

    Only returns matter to the rules above, but the simulation holds share counts
    (value / price): an asset quoted near 1e-298 overflows them to inf (issue 18: a
    traceback from vectorbt). An asset whose first price lies outside [2^-64, 2^64]
    is rescaled by the power of two that brings that price into [0.5, 1): exact in
    binary floating point, so its returns are unchanged. Others are left as quoted,
    so the simulation's absolute tolerances on share counts see the usual sizes.
    Every executor of the rules (vectorbt, the sweep kernel) calls this.
    """
    close = np.asarray(close, dtype="float64")
    if not close.size:
        return close
    _, exponent = np.frexp(close[0])
    far = (exponent < -_PRICE_RANGE) | (exponent > _PRICE_RANGE)
    if not far.any():
        return close
    return close * np.ldexp(1.0, np.where(far, -exponent, 0))


def value_path(
    values_after_trades: np.ndarray, initial_capital: float | np.ndarray
) -> np.ndarray:
    """The reported value path: the initial capital at bar 0, then value after each close.

    Parameters
    ----------
    values_after_trades : np.ndarray
        Shape (n_bars, ...): portfolio value after the trades at each close.
    initial_capital : float or np.ndarray
        The money on hand before the first close's trades (shape (...) for several
        paths side by side).

    Returns
    -------
    np.ndarray
        Same shape, float64; row 0 is ``initial_capital``.
    """
    values = np.array(values_after_trades, dtype="float64", copy=True)
    values[0] = initial_capital
    return values


def net_returns(values: np.ndarray) -> np.ndarray:
    """Net periodic returns of a value path: ``values[1:] / values[:-1] - 1``.

    Parameters
    ----------
    values : np.ndarray
        Shape (n_bars, ...): the reported value path (:func:`value_path`).

    Returns
    -------
    np.ndarray
        Shape (n_bars - 1, ...): the return of bars 1 .. n_bars - 1.
    """
    out: np.ndarray = values[1:] / values[:-1] - 1.0
    return out


def bar_turnover(
    traded_value: np.ndarray,
    pre_trade_value: np.ndarray,
    first_cash_value: np.ndarray | float,
) -> np.ndarray:
    r"""One-way turnover per bar, bar 0 counted from the starting money held as cash.

    Parameters
    ----------
    traded_value : np.ndarray
        Shape (n_bars, ...): sum of ``|size × fill price|`` of each bar's orders,
        the cash asset's included.
    pre_trade_value : np.ndarray
        Shape (n_bars, ...): portfolio value at each close before its trades (cash
        and shares left by the previous close, at this close's prices); row 0 is
        the initial capital.
    first_cash_value : np.ndarray or float
        Shape (...): value held in the cash asset after bar 0's trades (all of it
        bought at bar 0, so it is also the cash asset's bar-0 order value).

    Returns
    -------
    np.ndarray
        Shape (n_bars, ...).

    Notes
    -----
    .. math::

        \tau_t = \frac{1}{2} \frac{\sum_i |q_{i,t}| \, p^{fill}_{i,t}}{V^{pre}_t},
        \qquad \tau_0 = \frac{1}{2}
        \frac{\mathrm{traded}_0 - C_0 + |C_0 - V_0|}{V_0}

    where :math:`V^{pre}_t` is the value before the trades at close :math:`t`,
    :math:`C_0` the cash asset held after bar 0's trades and :math:`V_0` the
    initial capital. Fully switching from one asset to another, or buying the whole
    portfolio out of the starting money on whichever bar, is 100% less half the
    costs' share (fees are paid out of the traded value).
    """
    traded = np.array(traded_value, dtype="float64", copy=True)
    first_cash = np.asarray(first_cash_value, dtype="float64")
    traded[0] = traded[0] - first_cash + np.abs(first_cash - pre_trade_value[0])
    out: np.ndarray = 0.5 * traded / pre_trade_value
    return out
