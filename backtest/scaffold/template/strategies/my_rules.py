"""A strategy of your own: `kind = "my_rules:CalmTilt"` in a config beside this file.

The contract (see the documentation, "Strategies of your own"): a frozen dataclass whose
fields are the parameters a config sets and `backtest tune` sweeps, with a `name`, and
`decide_bar(view)` returning the target weights at one close — or None for no trade.
The view is cut at that close, so the rule cannot look ahead; the engine trades the
weights `execution_lag` bars later and keeps the rest in the cash asset.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from backtest.errors import ConfigError
from backtest.strategy import BarView


@dataclass(frozen=True, kw_only=True)
class CalmTilt:
    """Move from the long- to the short-duration sleeve as the composite rises.

    Fully long-duration at or below `calm`; fully short-duration `width` z-units
    above it; in between, a straight line.
    """

    name: ClassVar[str] = "calm_tilt"
    calm: float = 0.0
    width: float = 1.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.width) and self.width > 0):
            raise ConfigError(f"calm_tilt: width must be > 0, got {self.width}")

    def decide_bar(self, view: BarView) -> dict[str, float] | None:
        """Target weights at the close of ``view.date`` (None: no trade)."""
        z = view.composite
        if math.isnan(z) or view.long.isna().any() or view.short.isna().any():
            return None  # no signal or no sleeves yet: no trade
        off = min(1.0, max(0.0, (z - self.calm) / self.width))
        weights = view.long * (1.0 - off) + view.short * off
        return {str(asset): float(w) for asset, w in weights.items()}
