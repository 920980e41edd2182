"""Values, returns and turnover from a simulation's raw output (pure numpy).

One place for these conventions, shared by the vectorbt engine
(:func:`backtest.engine.run_backtest`) and the sweep kernel
(:mod:`backtest.engine._kernel`), so both report the same numbers. Arrays have
bars on axis 0; further axes (strategies, trials) broadcast.

Conventions (agreed for every ``execution_lag``):

* ``values[0]`` is the initial capital — the money on hand at the first close,
  before that close's trades. With ``execution_lag = 0`` the first trade and its
  costs happen at that close and therefore fall into the first reported return;
  with a lag of 1 or more only the free cash asset trades on bar 0.
* Returns are one per bar after the first: ``r_t = V_t / V_{t-1} - 1`` with
  ``V_t`` the value after bar ``t``'s trades (``V_0`` = initial capital), so the
  compounded returns end at ``V_T / initial_capital``.
* One-way turnover of a bar is half its traded value over the value after its
  trades: a full switch from one asset to another is 1.0.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["net_returns", "one_way_turnover", "value_path"]

Floats = npt.NDArray[np.float64]


def value_path(values_after_trades: Floats, initial_capital: float | Floats) -> Floats:
    """The reported value path: the initial capital at bar 0, then the value after each close.

    Parameters
    ----------
    values_after_trades : ndarray, shape (n_bars, ...)
        Portfolio value after the trades at each close.
    initial_capital : float or ndarray of shape (...)
        The money on hand before the first close's trades.

    Returns
    -------
    ndarray, same shape, float64
    """
    values = np.array(values_after_trades, dtype="float64", copy=True)
    values[0] = initial_capital
    return values


def net_returns(values: Floats) -> Floats:
    r"""Net return of each bar after the first: :math:`r_t = V_t / V_{t-1} - 1`.

    Parameters
    ----------
    values : ndarray, shape (n_bars, ...)
        The reported value path (:func:`value_path`).

    Returns
    -------
    ndarray, shape (n_bars - 1, ...)
    """
    out: Floats = values[1:] / values[:-1] - 1.0
    return out


def one_way_turnover(traded_value: Floats, values_after_trades: Floats) -> Floats:
    """One-way turnover per bar: ``0.5 × traded value / value after the trades``.

    Parameters
    ----------
    traded_value, values_after_trades : ndarray, shape (n_bars, ...)

    Returns
    -------
    ndarray, same shape
    """
    out: Floats = 0.5 * np.asarray(traded_value) / np.asarray(values_after_trades)
    return out
