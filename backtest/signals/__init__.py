"""Signals (pure): point-in-time cost-of-capital composites and risk-off states."""

from backtest.signals._composite import (
    ComponentSpec,
    SignalSpec,
    compute_signal,
    standardize,
    transform,
)
from backtest.signals._contributions import component_contributions
from backtest.signals._presets import (
    PRESETS,
    Preset,
    component_from_table,
    months_to_bars,
    suggested_id,
)
from backtest.signals._state import regime_state

__all__ = [
    "PRESETS",
    "ComponentSpec",
    "Preset",
    "SignalSpec",
    "component_contributions",
    "component_from_table",
    "compute_signal",
    "months_to_bars",
    "regime_state",
    "standardize",
    "suggested_id",
    "transform",
]
