"""The strategy contract: market data in, target weights decided at each close out.

A strategy is a frozen dataclass whose fields are its parameters (STYLE Part 2).
It returns a :class:`Decision` — target weights decided with information up to
the close of each row's date — and never shifts data: the engine applies the
execution lag, the data layer the publication lags.

Why ``decide`` returns a ``Decision`` and not a bare DataFrame: the share of time
a strategy is risk-off and its risk-off dates (used for regime timing) are facts
about the strategy, and returning them beside the weights keeps them typed,
instead of recomputing them elsewhere or passing them through a shared dict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol

import numpy as np
import pandas as pd

from backtest._fields import build_dataclass, field_names
from backtest.errors import ConfigError

__all__ = [
    "Decision",
    "MarketData",
    "Rebalance",
    "SleeveSet",
    "Strategy",
    "load_strategy",
    "rebalance_mask",
]

Rebalance = Literal["every_bar", "weekly", "monthly", "never"]


@dataclass(frozen=True)
class SleeveSet:
    """Duration sleeves as weight frames of shape (n_dates, n_assets).

    ``long`` and ``short`` rows sum to 1 over their members (equal weights), or are
    NaN where the sleeve is not yet known; ``cash`` is the cash asset's column.
    """

    long: pd.DataFrame
    short: pd.DataFrame
    cash: str

    def cash_weights(self) -> pd.DataFrame:
        """100% in the cash asset on every date."""
        frame = pd.DataFrame(0.0, index=self.long.index, columns=self.long.columns)
        frame[self.cash] = 1.0
        return frame

    def get(self, name: str) -> pd.DataFrame:
        """``long``, ``short`` or ``cash`` weights by name."""
        if name == "cash":
            return self.cash_weights()
        if name in ("long", "short"):
            frame: pd.DataFrame = getattr(self, name)
            return frame
        raise ConfigError(f"unknown sleeve {name!r}; valid: long, short, cash")


@dataclass(frozen=True)
class MarketData:
    """What a strategy may look at.

    Attributes
    ----------
    index : pd.DatetimeIndex
        The trading window; the strategy returns one row per date in it.
    prices : pd.DataFrame
        Total-return indices on the full calendar (history before ``index`` is
        available for look-backs).
    signal : pd.DataFrame
        Component z-scores and ``composite`` on the full calendar.
    sleeves : SleeveSet
        Sleeve weights on ``index``.
    periods_per_year : int
    """

    index: pd.DatetimeIndex
    prices: pd.DataFrame
    signal: pd.DataFrame
    sleeves: SleeveSet
    periods_per_year: int

    @property
    def assets(self) -> list[str]:
        """Asset columns."""
        return list(self.prices.columns)


@dataclass(frozen=True)
class Decision:
    """Target weights and, for signal-driven strategies, the risk-off state.

    Attributes
    ----------
    weights : pd.DataFrame
        Shape (n_dates, n_assets) on ``MarketData.index``. A row of weights is a
        rebalance to those targets at that close (before the execution lag); an
        all-NaN row means "no trade". Weights are >= 0 and sum to <= 1; the
        engine puts the rest in the cash asset.
    risk_off : pd.Series or None
        Boolean state per date (True = risk-off), or None for benchmarks.
    """

    weights: pd.DataFrame
    risk_off: pd.Series | None = None


class Strategy(Protocol):
    """A frozen dataclass with ``name`` and ``decide``."""

    name: ClassVar[str]

    def decide(self, market: MarketData) -> Decision:
        """Return target weights decided with information up to each close."""
        ...


def rebalance_mask(index: pd.DatetimeIndex, schedule: Rebalance) -> np.ndarray:
    """Boolean mask of rebalance dates.

    Every bar, the last bar of each week or month, or only the first bar (``never``:
    buy and hold). The first bar is always True.
    """
    if schedule == "every_bar":
        mask = np.ones(len(index), dtype=bool)
    elif schedule == "never":
        mask = np.zeros(len(index), dtype=bool)
    else:
        period = index.to_period("W" if schedule == "weekly" else "M")
        mask = np.append(np.asarray(period[1:] != period[:-1]), True)
    if len(mask):
        mask[0] = True
    return mask


def load_strategy(kind: str, params: Mapping[str, Any], where: str = "strategy") -> Strategy:
    """Instantiate a registered strategy, rejecting unknown parameters."""
    from strategies import REGISTRY

    if kind not in REGISTRY:
        raise ConfigError(f"{where}: unknown kind {kind!r}; valid kinds: {', '.join(REGISTRY)}")
    cls = REGISTRY[kind]
    if not field_names(cls) and params:
        raise ConfigError(f"{where}: {kind} takes no parameters")
    return build_dataclass(cls, params, where)
