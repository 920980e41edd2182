"""Signal-driven duration rotations: binary rotation and graded tilt."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from backtest.errors import ConfigError
from backtest.signals import regime_state
from backtest.strategies._common import (
    MapShape,
    composite_on_window,
    no_trade_except,
    signal_fraction,
    validate_band,
)
from backtest.strategy import (
    BatchDecision,
    Decision,
    MarketData,
    Rebalance,
    SwitchLevels,
    trade_mask,
)

__all__ = ["BinaryRotation", "GradedTilt"]


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
    rebalance : {"every_bar", "weekly", "monthly", "never", "on_change"}
        When to restore the sleeve's equal weights between switches (``never`` and
        ``on_change``: not at all, holdings drift); a switch always trades.
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

    def risk_off_state(self, composite: pd.Series) -> pd.Series:
        """Risk-off with hysteresis (:func:`backtest.signals.regime_state`) on ``composite``."""
        return regime_state(
            composite, enter=self.enter, exit=self.exit, min_hold=self.min_hold_periods
        )

    def switch_levels(self) -> SwitchLevels:
        """``enter``, ``exit`` (= enter if unset) and ``min_hold_periods``."""
        exit_level = self.enter if self.exit is None else self.exit
        return SwitchLevels(self.enter, exit_level, self.min_hold_periods)

    def decide(self, market: MarketData) -> Decision:
        """Long sleeve when risk-on, ``risk_off_sleeve`` when risk-off."""
        state = self.risk_off_state(market.signal["composite"]).reindex(
            market.index, fill_value=False
        )
        on = market.sleeve("long")
        off = market.sleeve(self.risk_off_sleeve)
        flags = np.broadcast_to(state.to_numpy(dtype=bool)[:, None], off.shape)
        weights = off.where(flags, on)
        trade = trade_mask(market.index, self.rebalance, state)
        return Decision(weights=no_trade_except(weights, trade), risk_off=state.astype(bool))

    @classmethod
    def decide_batch(
        cls, strategies: Sequence[BinaryRotation], market: MarketData
    ) -> BatchDecision:
        """Every strategy's ``decide`` at once: row ``i`` is ``strategies[i].decide(market)``.

        The hysteresis runs in one compiled loop per parameter set
        (:func:`strategies._batch.hysteresis_states`); sleeves are shared.
        """
        from backtest.strategies._batch import (
            SLEEVES,
            hysteresis_states,
            on_window,
            sleeve_frames,
            trade_masks,
        )

        composite = market.signal["composite"]
        full = hysteresis_states(
            composite,
            [s.enter for s in strategies],
            [s.enter if s.exit is None else s.exit for s in strategies],
            [s.min_hold_periods for s in strategies],
        )
        states = on_window(full, composite.index, market.index, fill=False)
        return BatchDecision(
            frames=sleeve_frames(market),
            first=np.zeros(len(strategies), dtype=np.int64),
            second=np.array([SLEEVES.index(s.risk_off_sleeve) for s in strategies], dtype=np.int64),
            a=(~states).astype("float64"),
            b=states.astype("float64"),
            trade=trade_masks(market.index, [s.rebalance for s in strategies], states),
            risk_off=states,
        )


@dataclass(frozen=True, kw_only=True)
class GradedTilt:
    r"""Move gradually from the long- to the short-duration sleeve as the cost of capital rises.

    The composite ``s_t`` (z-score units) is mapped to a risk-off fraction
    ``f_t`` in [0, 1] (:func:`strategies._common.signal_fraction`):

    * ``linear``: ``f = clip((s - low) / (high - low), 0, 1)`` — 0 at or below
      ``low``, 1 at or above ``high``;
    * ``logistic``: ``f = 1 / (1 + exp(-k (s - (low + high) / 2)))`` with
      ``k = 2 ln 19 / (high - low)``, so ``f`` is 5 % at ``low``, 50 % at the
      midpoint and 95 % at ``high``.

    The weight on the risk-off sleeve is
    ``w_off = short_weight_min + (short_weight_max - short_weight_min) · f`` and
    the long-duration sleeve gets ``1 - w_off``. A bar whose composite is NaN keeps
    the last known value. The strategy counts as risk-off while ``f > 0.5``.

    Parameters
    ----------
    shape : {"linear", "logistic"}
    low, high : float
        Composite levels (z-score units) of the map; ``low < high``.
    short_weight_min, short_weight_max : float
        Weight on the risk-off sleeve at ``f = 0`` and ``f = 1`` (decimals,
        ``0 <= min <= max <= 1``).
    risk_off_sleeve : {"short", "cash"}
        Where the ``w_off`` weight goes.
    rebalance : {"monthly", "every_bar", "weekly", "never", "on_change"}
        When the weights are reset to the map's current value; a flip of the
        risk-off state (``f`` crossing 0.5) always trades. ``on_change``: only
        then.
    """

    name: ClassVar[str] = "graded_tilt"
    shape: MapShape = "linear"
    low: float = -1.0
    high: float = 1.0
    short_weight_min: float = 0.0
    short_weight_max: float = 1.0
    risk_off_sleeve: Literal["short", "cash"] = "short"
    rebalance: Rebalance = "monthly"

    def __post_init__(self) -> None:
        validate_band("graded_tilt", self.low, self.high, ("low", "high"))
        if not 0.0 <= self.short_weight_min <= self.short_weight_max <= 1.0:
            raise ConfigError(
                "graded_tilt: need 0 <= short_weight_min <= short_weight_max <= 1, got "
                f"{self.short_weight_min} and {self.short_weight_max}"
            )

    def fraction(self, market: MarketData) -> pd.Series:
        """Risk-off fraction ``f_t`` on the trading window."""
        return signal_fraction(
            composite_on_window(market), low=self.low, high=self.high, shape=self.shape
        )

    def risk_off_state(self, composite: pd.Series) -> pd.Series:
        """Risk-off while ``f > 0.5``; a NaN composite keeps the last known value."""
        f = signal_fraction(composite.ffill(), low=self.low, high=self.high, shape=self.shape)
        return (f > 0.5).rename("risk_off")

    def switch_levels(self) -> SwitchLevels:
        """``f = 0.5`` at the midpoint of ``low`` and ``high`` (both shapes); no hysteresis."""
        mid = 0.5 * (self.low + self.high)
        return SwitchLevels(mid, mid, 1)

    def risk_off_weight(self, f: pd.Series) -> pd.Series:
        """``w_off = short_weight_min + (short_weight_max - short_weight_min) · f``."""
        return self.short_weight_min + (self.short_weight_max - self.short_weight_min) * f

    def decide(self, market: MarketData) -> Decision:
        """``1 - w_off`` in the long sleeve, ``w_off`` in the risk-off sleeve."""
        f = self.fraction(market)
        w = self.risk_off_weight(f).to_numpy()[:, None]
        weights = market.sleeve("long") * (1.0 - w) + market.sleeve(self.risk_off_sleeve) * w
        state = self.risk_off_state(market.signal["composite"]).reindex(market.index)
        trade = trade_mask(market.index, self.rebalance, state)
        return Decision(weights=no_trade_except(weights, trade), risk_off=state)

    @classmethod
    def decide_batch(cls, strategies: Sequence[GradedTilt], market: MarketData) -> BatchDecision:
        """Every strategy's ``decide`` at once: row ``i`` is ``strategies[i].decide(market)``.

        The map ``f`` is computed once per distinct ``(shape, low, high)``.
        """
        from backtest.strategies._batch import SLEEVES, exact_key, sleeve_frames, trade_masks

        composite = composite_on_window(market)
        full = market.signal["composite"]
        shape = (len(strategies), len(market.index))
        a, b, states = np.empty(shape), np.empty(shape), np.empty(shape, dtype=bool)
        maps: dict[tuple[object, ...], tuple[pd.Series, np.ndarray]] = {}
        for i, s in enumerate(strategies):
            key = exact_key(s.shape, s.low, s.high)
            if key not in maps:
                maps[key] = (
                    signal_fraction(composite, low=s.low, high=s.high, shape=s.shape),
                    s.risk_off_state(full).reindex(market.index).to_numpy(dtype=bool),
                )
            f, state = maps[key]
            w_off = s.risk_off_weight(f).to_numpy()
            a[i], b[i], states[i] = 1.0 - w_off, w_off, state
        return BatchDecision(
            frames=sleeve_frames(market),
            first=np.zeros(len(strategies), dtype=np.int64),
            second=np.array([SLEEVES.index(s.risk_off_sleeve) for s in strategies], dtype=np.int64),
            a=a,
            b=b,
            trade=trade_masks(market.index, [s.rebalance for s in strategies], states),
            risk_off=states,
        )
