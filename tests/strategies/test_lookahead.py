"""No look-ahead for every strategy: inputs after t change no weight or state at or before t.

Through the real signal and sleeve code (:func:`backtest.runner.prepare_market`) and
``decide`` directly, on the synthetic market, monthly and business-daily, across
random cut dates and seeds; the inputs after t are either cut off or rewritten.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backtest.runner import load_strategy
from backtest.strategies import REGISTRY
from backtest.strategy import decide

REPO = Path(__file__).resolve().parents[2]

DURATIONS = {"LONG1": 25.0, "LONG2": 18.0, "MID": 8.0, "SHORT1": 3.0, "SHORT2": 1.0}

CASES: list[tuple[str, dict[str, Any]]] = [
    ("binary_rotation", {"enter": 0.5, "exit": 0.0}),
    ("binary_rotation", {"enter": 0.0, "min_hold_periods": 3, "risk_off_sleeve": "cash",
                         "rebalance": "on_change"}),
    ("binary_rotation", {"rebalance": "monthly"}),
    ("graded_tilt", {}),
    ("graded_tilt", {"shape": "logistic", "low": -0.5, "high": 1.5, "rebalance": "on_change"}),
    ("graded_tilt", {"short_weight_min": 0.2, "short_weight_max": 0.8,
                     "risk_off_sleeve": "cash", "rebalance": "weekly"}),
    ("duration_targeting", {}),
    ("duration_targeting", {"durations_years": DURATIONS, "rebalance": "every_bar"}),
    ("buy_and_hold", {"sleeve": "long", "rebalance": "monthly"}),
    ("buy_and_hold", {"asset": "LONG1"}),
    ("static_mix", {"weights": {"LONG1": 0.3, "SHORT1": 0.3}, "rebalance": "weekly"}),
    ("trend_rule", {}),
    ("trend_rule", {"rebalance": "every_bar", "risk_off_sleeve": "short", "lookback_months": 6}),
    ("always_short", {}),
    # the repository's example plugin (strategies/my_rules.py), decided bar by bar
    ("my_rules:CalmTilt", {"calm": 0.25, "width": 0.5}),
]


def test_every_registered_strategy_is_covered() -> None:
    assert {kind for kind, _ in CASES if ":" not in kind} == set(REGISTRY)


@pytest.mark.parametrize(("kind", "params"), CASES, ids=[f"{k}-{i}" for i, (k, _) in
                                                         enumerate(CASES)])
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 40),
    daily=st.booleans(),
    where=st.floats(0.05, 0.95),
    mode=st.sampled_from(["truncate", "rewrite"]),
)
def test_inputs_after_t_change_nothing_up_to_t(
    make_market: Any, kind: str, params: dict[str, Any], seed: int, daily: bool,
    where: float, mode: str,
) -> None:
    ppy = 252 if daily else 12
    strategy = load_strategy(kind, params, base_dir=REPO / "strategies")
    full = make_market(seed, ppy)
    t = full.index[int(where * (len(full.index) - 3))]
    cut_bar = full.prices.index.get_loc(t)
    other = make_market(seed, ppy, cut=cut_bar, mode=mode)
    assert other.index[0] == full.index[0]
    a, b = decide(strategy, full), decide(strategy, other)
    upto = full.index[full.index <= t]
    pd.testing.assert_frame_equal(a.weights.loc[upto], b.weights.loc[upto])
    if a.risk_off is not None:
        assert b.risk_off is not None
        pd.testing.assert_series_equal(a.risk_off.loc[upto], b.risk_off.loc[upto])
    if mode == "truncate":
        assert other.index[-1] == t
