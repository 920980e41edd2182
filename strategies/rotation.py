"""Signal-driven duration rotation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from backtest.errors import ConfigError
from backtest.signals import regime_state
from backtest.strategy import Decision, MarketData, Rebalance, rebalance_mask

__all__ = ["BinaryRotation"]


@dataclass(frozen=True, kw_only=True)
class BinaryRotation:
    """Hold the long-duration sleeve while the cost of capital is calm; rotate out when it rises.

    The composite signal is turned into a risk-off state with hysteresis
    (:func:`backtest.signals.regime_state`): risk-off when the composite rises above
    ``enter``, back to risk-on when it falls below ``exit``. Risk-on holds the
    long-duration sleeve; risk-off holds the short-duration sleeve or cash.

    Parameters
    ----------
    enter : float
        Composite level (in z-score units) above which the strategy turns risk-off.
    exit : float or None
        Level below which it turns risk-on again; ``None`` = ``enter``.
    min_hold_periods : int
        Minimum bars between two switches.
    risk_off_sleeve : {"short", "cash"}
        What to hold when risk-off.
    rebalance : {"every_bar", "weekly", "monthly", "never"}
        When to restore equal sleeve weights between switches; a switch always trades.
    """

    name: ClassVar[str] = "binary_rotation"
    enter: float = 0.0
    exit: float | None = None
    min_hold_periods: int = 1
    risk_off_sleeve: Literal["short", "cash"] = "short"
    rebalance: Rebalance = "every_bar"

    def __post_init__(self) -> None:
        if self.exit is not None and self.exit > self.enter:
            raise ConfigError(
                f"binary_rotation: exit ({self.exit}) must be <= enter ({self.enter})"
            )
        if self.min_hold_periods < 1:
            raise ConfigError("binary_rotation: min_hold_periods must be >= 1")

    def decide(self, market: MarketData) -> Decision:
        """Long sleeve when risk-on, ``risk_off_sleeve`` when risk-off."""
        state = regime_state(
            market.signal["composite"],
            enter=self.enter,
            exit=self.exit,
            min_hold=self.min_hold_periods,
        ).reindex(market.index)
        on = market.sleeves.long.to_numpy()
        off = market.sleeves.get(self.risk_off_sleeve).to_numpy()
        flags = state.to_numpy(dtype=bool)
        weights = np.where(flags[:, None], off, on)
        switched = np.r_[True, flags[1:] != flags[:-1]]
        trade = rebalance_mask(market.index, self.rebalance) | switched
        weights[~trade] = np.nan
        frame = pd.DataFrame(weights, index=market.index, columns=market.sleeves.long.columns)
        return Decision(weights=frame, risk_off=state.astype(bool))
