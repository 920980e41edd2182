"""The built-in strategy implementations, and how a config's ``kind`` finds a class.

``REGISTRY`` maps the built-in kinds to their classes (explicit); a user's own
strategy is ``kind = "module:Class"`` or an entry point of the group
``dcf_regime.strategies`` (:func:`resolve_kind`). The contract is
:mod:`backtest.strategy`; nothing below ``backtest.runner`` imports this package.
"""

from __future__ import annotations

from backtest.strategies._loader import (
    ENTRY_POINT_GROUP,
    entry_point_kinds,
    load_strategy,
    resolve_kind,
)
from backtest.strategies.benchmarks import AlwaysShort, BuyAndHold, StaticMix, TrendRule
from backtest.strategies.duration_target import DurationTargeting
from backtest.strategies.rotation import BinaryRotation, GradedTilt

__all__ = [
    "ENTRY_POINT_GROUP",
    "REGISTRY",
    "AlwaysShort",
    "BinaryRotation",
    "BuyAndHold",
    "DurationTargeting",
    "GradedTilt",
    "StaticMix",
    "TrendRule",
    "entry_point_kinds",
    "load_strategy",
    "resolve_kind",
]

REGISTRY: dict[str, type] = {
    cls.name: cls
    for cls in (
        BinaryRotation,
        GradedTilt,
        DurationTargeting,
        BuyAndHold,
        StaticMix,
        TrendRule,
        AlwaysShort,
    )
}
