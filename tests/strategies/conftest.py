"""Markets for the strategy tests: the synthetic market through the real signal/sleeve code.

``make_market(seed, ppy=12, cut=None, mode=None)`` builds a point-in-time Dataset from
the seeded synthetic market (no provider, no lags: synthetic levels are closes) and
returns what strategies see (:func:`backtest.runner.prepare_market`). ``cut`` and
``mode`` ("truncate" or "rewrite") change the inputs after bar ``cut``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pytest

from backtest.config import RunConfig, parse_config
from backtest.data.dataset import Dataset
from backtest.runner import prepare_market
from backtest.strategy import MarketData
from backtest.synthetic import SyntheticMarket, SyntheticSpec, generate_market

ASSETS = ("LONG1", "LONG2", "MID", "SHORT1", "SHORT2")


def config_for(ppy: int, **sleeves: Any) -> RunConfig:
    """A config on the synthetic aliases: the example signal, empirical top-2 sleeves."""
    daily = ppy == 252
    raw = {
        "run": {"name": "t", "frequency": "B" if daily else "M", "periods_per_year": ppy},
        "data": {
            "cash": "SHORT2",
            "assets": {a: f"synthetic:seed=0/asset/{a}" for a in ASSETS},
            "macro": {"YIELD": "synthetic:seed=0/yield", "SPREAD": "synthetic:seed=0/spread"},
        },
        "signal": {"components": [
            {"preset": "nominal_yield_momentum", "series": "YIELD", "horizon_months": 3,
             "min_history_months": 24, "weight": 0.5},
            {"preset": "credit_momentum", "series": "SPREAD", "horizon_months": 3,
             "min_history_months": 24},
            {"preset": "credit_level", "series": "SPREAD", "min_history_months": 24},
        ]},
        "sleeves": sleeves or {"method": "empirical", "yield_series": "YIELD",
                               "window": 126 if daily else 36,
                               "min_periods": 63 if daily else 24,
                               "select": "top_k", "k": 2},
        "strategy": {"kind": "binary_rotation"},
    }
    return parse_config(raw)


@lru_cache(maxsize=64)
def _synthetic(seed: int, ppy: int) -> SyntheticMarket:
    n = 1000 if ppy == 252 else 240
    return generate_market(SyntheticSpec(seed=seed, periods_per_year=ppy, n_periods=n))


def dataset_for(seed: int, ppy: int, cut: int | None = None, mode: str | None = None) -> Dataset:
    m = _synthetic(seed, ppy)
    prices = m.prices.copy()
    macro = pd.DataFrame({"YIELD": m.yields, "SPREAD": m.spread})
    if cut is not None and mode == "truncate":
        prices, macro = prices.iloc[: cut + 1], macro.iloc[: cut + 1]
    elif cut is not None and mode == "rewrite":
        rng = np.random.default_rng(seed + 17)
        after = slice(cut + 1, None)
        prices.iloc[after] = prices.iloc[after] * rng.uniform(0.5, 2.0, prices.iloc[after].shape)
        macro.iloc[after] = macro.iloc[after] + rng.normal(0, 2.0, macro.iloc[after].shape)
    return Dataset(prices=prices, macro=macro, cash="SHORT2", frequency="B" if ppy == 252 else "M",
                   periods_per_year=ppy, sources=())


MarketFactory = Callable[..., MarketData]


@pytest.fixture
def make_market() -> MarketFactory:
    def make(seed: int = 0, ppy: int = 12, cut: int | None = None, mode: str | None = None,
             config: RunConfig | None = None) -> MarketData:
        return prepare_market(config or config_for(ppy), dataset_for(seed, ppy, cut, mode))

    return make
