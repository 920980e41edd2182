"""Signals (pure): point-in-time cost-of-capital composites and risk-off states."""

from backtest.signals._composite import (
    ComponentSpec,
    SignalSpec,
    compute_signal,
    standardize,
    transform,
)
from backtest.signals._state import regime_state

__all__ = [
    "ComponentSpec",
    "SignalSpec",
    "compute_signal",
    "regime_state",
    "standardize",
    "transform",
]
