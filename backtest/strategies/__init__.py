"""Strategy implementations and their run configs; depend on ``backtest``, never the reverse.

``REGISTRY`` maps a config's ``kind`` to its class (explicit, no entry points).
"""

from __future__ import annotations

from backtest.strategies.benchmarks import AlwaysShort, BuyAndHold, StaticMix, TrendRule
from backtest.strategies.duration_target import DurationTargeting
from backtest.strategies.rotation import BinaryRotation, GradedTilt

__all__ = [
    "REGISTRY",
    "AlwaysShort",
    "BinaryRotation",
    "BuyAndHold",
    "DurationTargeting",
    "GradedTilt",
    "StaticMix",
    "TrendRule",
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
