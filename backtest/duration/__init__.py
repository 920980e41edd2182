"""Duration estimates in years, and duration sleeves built from them (pure).

Bond duration and convexity (:func:`macaulay_duration`, :func:`modified_duration`,
:func:`convexity`), DCF-implied equity duration (:func:`gordon_duration`,
:func:`dcf_duration`; :func:`implied_durations` for many assets from their
cash-flow yields), empirical duration from returns and yield changes
(:func:`empirical_duration`), and long/short-duration sleeves
(:func:`rank_sleeves`, held between re-rank dates by :func:`hold_sleeves`;
:func:`explicit_sleeves`). Rates are decimals.
"""

from __future__ import annotations

from backtest.duration._bonds import bond_price, convexity, macaulay_duration, modified_duration
from backtest.duration._dcf import implied_durations
from backtest.duration._empirical import empirical_duration
from backtest.duration._equity import FadeMethod, dcf_duration, gordon_duration
from backtest.duration._sleeves import (
    RankMethod,
    SleeveMembership,
    explicit_sleeves,
    hold_sleeves,
    rank_sleeves,
)

__all__ = [
    "FadeMethod",
    "RankMethod",
    "SleeveMembership",
    "bond_price",
    "convexity",
    "dcf_duration",
    "empirical_duration",
    "explicit_sleeves",
    "gordon_duration",
    "hold_sleeves",
    "implied_durations",
    "macaulay_duration",
    "modified_duration",
    "rank_sleeves",
]
