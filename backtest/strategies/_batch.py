"""Helpers of the strategies' ``decide_batch``: many parameter sets, one market.

Each function returns, row for row, exactly what the single-strategy code path
computes (tests compare them bit for bit): the hysteresis state machine of
:func:`backtest.signals.regime_state`, the trade masks of
:func:`backtest.strategy.trade_mask`, and the sleeves of ``MarketData.sleeve``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
from numba import njit

from backtest.strategy import MarketData, Rebalance, rebalance_mask

__all__ = ["SLEEVES", "exact_key", "hysteresis_states", "on_window", "sleeve_frames", "trade_masks"]

#: Order of the frames made by :func:`sleeve_frames`.
SLEEVES: tuple[str, ...] = ("long", "short", "cash")

Bools = npt.NDArray[np.bool_]


@njit(cache=True)
def _hysteresis(values, enter, exit_level, min_hold, out):  # type: ignore[no-untyped-def]
    for i in range(enter.shape[0]):
        current, held = False, min_hold[i]
        for t in range(values.shape[0]):
            v = values[t]
            if not np.isnan(v) and held >= min_hold[i]:
                new = v > enter[i] if not current else not v < exit_level[i]
                if new != current:
                    current, held = new, 0
            out[i, t] = current
            held += 1


def hysteresis_states(
    composite: pd.Series,
    enter: Sequence[float],
    exit_level: Sequence[float],
    min_hold: Sequence[int],
) -> Bools:
    """Risk-off states of many (enter, exit, min_hold) triples on one composite.

    Row ``i`` equals ``regime_state(composite, enter=enter[i], exit=exit_level[i],
    min_hold=min_hold[i])``: risk-off when the composite rises strictly above
    ``enter``, back when it falls strictly below ``exit``, each state held at
    least ``min_hold`` bars, NaN keeps the state.

    Returns
    -------
    ndarray of bool, shape (n_triples, len(composite))
    """
    values = composite.to_numpy(dtype="float64")
    out = np.empty((len(enter), len(values)), dtype=bool)
    _hysteresis(values, np.asarray(enter, dtype="float64"),
                np.asarray(exit_level, dtype="float64"),
                np.asarray(min_hold, dtype="int64"), out)
    return out


def on_window(frame: Bools, index: pd.DatetimeIndex, window: pd.DatetimeIndex,
              fill: bool) -> Bools:
    """Columns of ``frame`` (on ``index``) at the dates of ``window``; ``fill`` where absent."""
    where = index.get_indexer(window)
    out = np.ascontiguousarray(frame[:, where])  # rows stay contiguous (the kernel's layout)
    out[:, where < 0] = fill
    return out


def trade_masks(index: pd.DatetimeIndex, schedules: Sequence[Rebalance], states: Bools) -> Bools:
    """Row ``i`` is ``trade_mask(index, schedules[i], states[i])``: schedule plus every flip."""
    flips = np.zeros_like(states)
    flips[:, 1:] = states[:, 1:] != states[:, :-1]
    out = flips.copy()
    for schedule in dict.fromkeys(schedules):
        rows = np.array([s == schedule for s in schedules])
        if schedule == "on_change":
            out[rows, 0] = True  # the first bar, then the flips
        else:
            out[rows] |= rebalance_mask(index, schedule)[None, :]
    return out


def sleeve_frames(market: MarketData) -> npt.NDArray[np.float64]:
    """The long, short and cash sleeves on the window: shape (3, n_bars, n_assets)."""
    return np.stack([market.sleeve(name).to_numpy(dtype="float64") for name in SLEEVES])


def exact_key(*values: object) -> tuple[object, ...]:
    """A cache key that tells floats apart bit for bit (``0.0`` from ``-0.0``)."""
    return tuple(v.hex() if isinstance(v, float) else v for v in values)
