"""Strategy implementations and their run configs; depend on ``backtest``, never the reverse.

``REGISTRY`` maps a config's ``kind`` to its class (explicit, no entry points).
"""

from __future__ import annotations

from strategies.benchmarks import BuyAndHold, StaticMix
from strategies.rotation import BinaryRotation

__all__ = ["REGISTRY", "BinaryRotation", "BuyAndHold", "StaticMix"]

REGISTRY: dict[str, type] = {
    cls.name: cls for cls in (BinaryRotation, BuyAndHold, StaticMix)
}
