"""A strategy of your own: `kind = "my_rules:CalmTilt"` in a config beside this file.

The contract (see the documentation, "Strategies of your own"): a frozen dataclass whose
fields are the parameters a config sets and `backtest tune` sweeps, with a `name`, and
`decide_bar(view)` returning the target weights at one close — or None for no trade.
The view is cut at that close, so the rule cannot look ahead; the engine trades the
weights `execution_lag` bars later and keeps the rest in the cash asset.

`decide_batch` is optional: the same rule for many parameter sets at once, which lets
`backtest tune` run the search through its compiled kernel instead of one close at a
time (row i must equal `strategies[i]` decided bar by bar; the tests check it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from backtest.errors import ConfigError
from backtest.strategy import BarView, BatchDecision, MarketData


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
        long, short = view.long, view.short
        if math.isnan(z) or long.isna().any() or short.isna().any():
            return None  # no signal or no sleeves yet: no trade
        off = min(1.0, max(0.0, (z - self.calm) / self.width))
        weights = long * (1.0 - off) + short * off
        return {str(asset): float(w) for asset, w in weights.items()}

    @classmethod
    def decide_batch(cls, strategies: Sequence[CalmTilt], market: MarketData) -> BatchDecision:
        """Every parameter set at once: weights = a · long + b · short on the traded bars."""
        z = market.signal["composite"].reindex(market.index).to_numpy()
        long = market.sleeve("long").to_numpy()
        short = market.sleeve("short").to_numpy()
        calm = np.array([s.calm for s in strategies])[:, None]
        width = np.array([s.width for s in strategies])[:, None]
        off = np.clip((z[None, :] - calm) / width, 0.0, 1.0)
        ready = ~np.isnan(z) & ~np.isnan(long).any(axis=1) & ~np.isnan(short).any(axis=1)
        n = len(strategies)
        return BatchDecision(
            frames=np.stack([long, short]), first=np.zeros(n, dtype=np.int64),
            second=np.ones(n, dtype=np.int64), a=1.0 - off, b=off,
            trade=np.broadcast_to(ready, off.shape).copy(),
        )
