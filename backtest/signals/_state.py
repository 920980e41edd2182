"""From composite to a risk-off state with hysteresis and a minimum holding period."""

from __future__ import annotations

import numpy as np
import pandas as pd

from backtest.errors import ConfigError

__all__ = ["regime_state"]


def regime_state(
    composite: pd.Series, *, enter: float, exit: float | None = None, min_hold: int = 1
) -> pd.Series:
    """Risk-off state: enter above ``enter``, leave below ``exit``, hold >= ``min_hold`` bars.

    Parameters
    ----------
    composite : pd.Series
        The composite signal (higher = rising cost of capital).
    enter : float
        Switch to risk-off when the composite is strictly above this level.
    exit : float or None
        Switch back to risk-on when the composite is strictly below this level
        (``exit <= enter``); ``None`` means ``exit = enter`` (no hysteresis).
    min_hold : int
        A state, once entered, is kept for at least this many bars.

    Returns
    -------
    pd.Series
        Boolean, same index; ``True`` = risk-off at that bar's close. Bars before the
        first defined composite are ``False``; a NaN composite later keeps the state.
        The state at ``t`` depends only on the composite up to ``t``.
    """
    exit_level = enter if exit is None else exit
    if exit_level > enter:
        raise ConfigError(f"exit ({exit_level}) must be <= enter ({enter})")
    if min_hold < 1:
        raise ConfigError(f"min_hold must be >= 1, got {min_hold}")
    values = composite.to_numpy(dtype="float64")
    state = np.zeros(len(values), dtype=bool)
    current, held = False, min_hold
    for i, v in enumerate(values):
        if not np.isnan(v) and held >= min_hold:
            new = v > enter if not current else not v < exit_level
            if new != current:
                current, held = new, 0
        state[i] = current
        held += 1
    return pd.Series(state, index=composite.index, name="risk_off")
