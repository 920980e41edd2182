"""Benchmarks: buy-and-hold of an asset or sleeve, and a static mix."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from backtest.errors import ConfigError
from backtest.strategy import Decision, MarketData, Rebalance, rebalance_mask

__all__ = ["BuyAndHold", "StaticMix"]


def _scheduled(target: pd.DataFrame, schedule: Rebalance) -> pd.DataFrame:
    out = target.copy()
    out[~rebalance_mask(target.index, schedule)] = np.nan
    return out


def _check_assets(names: list[str], market: MarketData, who: str) -> None:
    unknown = [n for n in names if n not in market.prices.columns]
    if unknown:
        raise ConfigError(
            f"{who}: unknown asset {', '.join(unknown)}; assets: {', '.join(market.assets)}"
        )


@dataclass(frozen=True, kw_only=True)
class BuyAndHold:
    """Hold one asset, or one sleeve at equal weights, from the first bar.

    Parameters
    ----------
    asset : str or None
        An asset alias; exactly one of ``asset`` and ``sleeve`` is given.
    sleeve : {"long", "short", "cash"} or None
        A duration sleeve, held at equal weights.
    rebalance : {"never", "every_bar", "weekly", "monthly"}
        ``never`` lets the weights drift (true buy and hold).
    """

    name: ClassVar[str] = "buy_and_hold"
    asset: str | None = None
    sleeve: Literal["long", "short", "cash"] | None = None
    rebalance: Rebalance = "never"

    def __post_init__(self) -> None:
        if (self.asset is None) == (self.sleeve is None):
            raise ConfigError("buy_and_hold: give exactly one of asset or sleeve")

    def decide(self, market: MarketData) -> Decision:
        """Constant targets, traded on the rebalance schedule."""
        if self.sleeve is not None:
            target = market.sleeves.get(self.sleeve)
        else:
            asset = str(self.asset)
            _check_assets([asset], market, "buy_and_hold")
            target = pd.DataFrame(0.0, index=market.index, columns=market.prices.columns)
            target[asset] = 1.0
        return Decision(weights=_scheduled(target, self.rebalance))


@dataclass(frozen=True, kw_only=True)
class StaticMix:
    """Fixed weights (e.g. 60/40 market/cash), restored on the rebalance schedule.

    Parameters
    ----------
    weights : mapping of str to float
        Asset alias → weight; weights are >= 0 and sum to <= 1 (the rest is cash).
    rebalance : {"monthly", "every_bar", "weekly", "never"}
    """

    name: ClassVar[str] = "static_mix"
    weights: Mapping[str, float] = field(default_factory=dict)
    rebalance: Rebalance = "monthly"

    def __post_init__(self) -> None:
        if not self.weights:
            raise ConfigError("static_mix: weights must name at least one asset")
        if any(w < 0 for w in self.weights.values()) or sum(self.weights.values()) > 1 + 1e-12:
            raise ConfigError("static_mix: weights must be >= 0 and sum to <= 1")

    def decide(self, market: MarketData) -> Decision:
        """The fixed mix on every rebalance date."""
        _check_assets(list(self.weights), market, "static_mix")
        target = pd.DataFrame(0.0, index=market.index, columns=market.prices.columns)
        for asset, w in self.weights.items():
            target[asset] = w
        return Decision(weights=_scheduled(target, self.rebalance))
