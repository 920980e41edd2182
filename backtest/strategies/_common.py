"""Helpers shared by the strategies: signal maps, sleeve mixes, schedules (pure)."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd

from backtest.errors import ConfigError
from backtest.strategy import MarketData

__all__ = [
    "MapShape",
    "check_assets",
    "composite_on_window",
    "no_trade_except",
    "signal_fraction",
    "validate_band",
]

#: How a graded strategy maps the composite to a fraction in [0, 1].
MapShape = Literal["linear", "logistic"]

# The logistic map crosses 5 % at `low` and 95 % at `high`: k (high - low) = 2 ln 19.
_LOGIT_95 = 2.0 * math.log(19.0)


def composite_on_window(market: MarketData) -> pd.Series:
    """The composite on the trading window; a NaN bar keeps the last known value.

    The carry-forward runs on the whole calendar before the window is cut, so a
    bar's value uses only composites up to that bar.
    """
    return market.signal["composite"].ffill().reindex(market.index)


def signal_fraction(
    composite: pd.Series, *, low: float, high: float, shape: MapShape
) -> pd.Series:
    r"""Map the composite to a risk-off fraction in [0, 1] (NaN where it is NaN).

    Parameters
    ----------
    composite : pd.Series
        Composite signal (z-score units; higher = rising cost of capital).
    low, high : float
        ``low < high``. ``linear``: 0 at or below ``low``, 1 at or above ``high``,
        a straight line between. ``logistic``: 0.05 at ``low``, 0.5 at the
        midpoint, 0.95 at ``high``.
    shape : {"linear", "logistic"}

    Returns
    -------
    pd.Series
        Same index; each value depends only on the composite at that bar.

    Notes
    -----
    .. math::
        f_{lin}(s) = \min\left(1, \max\left(0, \frac{s - low}{high - low}\right)\right),
        \qquad
        f_{log}(s) = \frac{1}{1 + e^{-k (s - (low + high)/2)}},\;
        k = \frac{2 \ln 19}{high - low}
    """
    s = composite.astype("float64")
    if shape == "linear":
        return ((s - low) / (high - low)).clip(0.0, 1.0)
    k = _LOGIT_95 / (high - low)
    z = (-k * (s - 0.5 * (low + high))).clip(-700.0, 700.0)
    return 1.0 / (1.0 + np.exp(z))


def validate_band(who: str, low: float, high: float, names: tuple[str, str]) -> None:
    """``low < high``, both finite."""
    if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
        raise ConfigError(f"{who}: {names[0]} ({low}) must be < {names[1]} ({high})")


def check_assets(names: list[str], market: MarketData, who: str) -> None:
    """Every name is an asset of the market."""
    unknown = [n for n in names if n not in market.prices.columns]
    if unknown:
        raise ConfigError(
            f"{who}: unknown asset {', '.join(unknown)}; assets: {', '.join(market.assets)}"
        )


def no_trade_except(weights: pd.DataFrame, trade: np.ndarray) -> pd.DataFrame:
    """All-NaN rows ("no trade") where ``trade`` is False."""
    out = weights.copy()
    out[~np.asarray(trade, dtype=bool)] = np.nan
    return out
