"""Constructed series with a known answer for the thesis statistics (shared by tests/analysis)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def markov_state(rng: np.random.Generator, n: int, stay: float = 0.95) -> np.ndarray:
    """A persistent boolean state: each bar keeps the previous one with probability ``stay``."""
    flips = rng.random(n) >= stay
    flips[0] = False
    return (np.cumsum(flips) % 2).astype(bool)


def planted_spread(
    seed: int, difference_per_year: float, *, n: int = 600, phi: float = 0.0, vol: float = 0.03
) -> tuple[pd.Series, pd.Series]:
    """Monthly spread whose mean after a risk-off close is higher by ``difference_per_year / 12``.

    Returns the spread and the state *known at the previous close* (what
    :func:`state_spread` takes). Noise is AR(1) with coefficient ``phi``.
    """
    rng = np.random.default_rng(seed)
    state = markov_state(rng, n)
    shocks = rng.standard_normal(n) * vol
    noise = np.zeros(n)
    for t in range(1, n):
        noise[t] = phi * noise[t - 1] + shocks[t]
    before = np.r_[False, state[:-1]]
    index = pd.date_range("1960-01-31", periods=n, freq="ME", name="date")
    spread = 0.001 + difference_per_year / 12.0 * before + noise
    return pd.Series(spread, index=index), pd.Series(before, index=index)
