"""decide_batch: row i equals strategies[i].decide(market), bit for bit, for every kind."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backtest.errors import ConfigError
from backtest.runner import load_strategy
from backtest.signals import regime_state
from backtest.strategies import BinaryRotation, DurationTargeting, GradedTilt, TrendRule
from backtest.strategies._batch import hysteresis_states, trade_masks
from backtest.strategy import MarketData

SCHEDULES = ["every_bar", "weekly", "monthly", "never", "on_change"]
LEVELS = st.sampled_from([-1.5, -0.5, -0.0, 0.0, 0.25, 0.5, 1.0, 2.0])


def _binary() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({
        "enter": LEVELS, "exit": st.one_of(st.none(), LEVELS),
        "min_hold_periods": st.integers(1, 8), "risk_off_sleeve": st.sampled_from(["short", "cash"]),
        "rebalance": st.sampled_from(SCHEDULES),
    })


def _tilt() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({
        "shape": st.sampled_from(["linear", "logistic"]), "low": LEVELS, "high": LEVELS,
        "short_weight_min": st.sampled_from([0.0, 0.2]), "short_weight_max": st.sampled_from(
            [0.5, 1.0]), "risk_off_sleeve": st.sampled_from(["short", "cash"]),
        "rebalance": st.sampled_from(SCHEDULES),
    })


def _targeting() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({
        "signal_low": LEVELS, "signal_high": LEVELS,
        "duration_max_years": st.sampled_from([8.0, 20.0, 30.0]),
        "duration_min_years": st.sampled_from([0.0, 2.0, 5.0]),
        "rebalance": st.sampled_from(SCHEDULES),
    })


def _trend() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({
        "sleeve": st.sampled_from(["long", "short"]), "lookback_months": st.integers(1, 14),
        "risk_off_sleeve": st.sampled_from(["cash", "short"]),
        "rebalance": st.sampled_from(SCHEDULES),
    })


KINDS = {"binary_rotation": _binary, "graded_tilt": _tilt, "duration_targeting": _targeting,
         "trend_rule": _trend}


def _build(kind: str, params: list[dict[str, Any]]) -> list[Any]:
    out = []
    for p in params:
        try:
            out.append(load_strategy(kind, p))
        except ConfigError:
            continue  # invalid combinations are skipped by sweeps too
    return out


def _assert_rows_equal(strategies: list[Any], market: MarketData) -> None:
    batch = type(strategies[0]).decide_batch(strategies, market)
    assert len(batch) == len(strategies)
    for i, s in enumerate(strategies):
        want = s.decide(market)
        got = batch.decision(i, market)
        assert np.array_equal(want.weights.to_numpy(dtype=float), got.weights.to_numpy(),
                              equal_nan=True), s
        assert want.weights.index.equals(got.weights.index)
        assert list(want.weights.columns) == list(got.weights.columns)
        assert want.risk_off is not None and got.risk_off is not None
        assert np.array_equal(want.risk_off.to_numpy(dtype=bool), got.risk_off.to_numpy())


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("ppy", [12, 252])
@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # a stateless factory
@given(data=st.data(), seed=st.integers(0, 3))
def test_batch_rows_equal_decide(make_market: Any, kind: str, ppy: int, data: st.DataObject,
                                 seed: int) -> None:
    market = make_market(seed=seed, ppy=ppy)
    params = data.draw(st.lists(KINDS[kind](), min_size=1, max_size=6))
    strategies = _build(kind, params)
    if strategies:
        _assert_rows_equal(strategies, market)


@pytest.mark.parametrize("cls", [BinaryRotation, GradedTilt, DurationTargeting, TrendRule])
@settings(max_examples=5, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_row_does_not_depend_on_the_other_rows(make_market: Any, cls: type,
                                                 data: st.DataObject) -> None:
    market = make_market(seed=1)
    kind = cls.name  # type: ignore[attr-defined]
    strategies = _build(kind, data.draw(st.lists(KINDS[kind](), min_size=2, max_size=10)))
    if not strategies:
        return
    together = cls.decide_batch(strategies, market)  # type: ignore[attr-defined]
    for i, s in enumerate(strategies):
        alone = cls.decide_batch([s], market)  # type: ignore[attr-defined]
        assert np.array_equal(alone.weights(0), together.weights(i), equal_nan=True)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.one_of(st.floats(-3, 3), st.just(float("nan"))), min_size=0,
                       max_size=60),
       triples=st.lists(st.tuples(LEVELS, LEVELS, st.integers(1, 6)), min_size=1, max_size=4))
def test_hysteresis_equals_regime_state(values: list[float],
                                        triples: list[tuple[float, float, int]]) -> None:
    composite = pd.Series(values, index=pd.date_range("2000-01-31", periods=len(values),
                                                      freq="ME"), dtype="float64")
    triples = [(max(e, x), min(e, x), h) for e, x, h in triples]  # exit <= enter
    states = hysteresis_states(composite, [t[0] for t in triples], [t[1] for t in triples],
                               [t[2] for t in triples])
    for row, (enter, exit_level, hold) in zip(states, triples, strict=True):
        want = regime_state(composite, enter=enter, exit=exit_level, min_hold=hold)
        assert np.array_equal(row, want.to_numpy())


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 1000), schedules=st.lists(st.sampled_from(SCHEDULES), min_size=1,
                                                     max_size=5))
def test_trade_masks_equal_trade_mask(seed: int, schedules: list[str]) -> None:
    from backtest.strategy import trade_mask

    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2020-01-01", periods=70)
    states = np.cumsum(rng.random((len(schedules), 70)) < 0.1, axis=1) % 2 == 1
    masks = trade_masks(index, schedules, states)  # type: ignore[arg-type]
    for row, schedule, state in zip(masks, schedules, states, strict=True):
        want = trade_mask(index, schedule, pd.Series(state, index=index))  # type: ignore[arg-type]
        assert np.array_equal(row, want)


def test_duration_targeting_batch_raises_what_decide_raises(make_market: Any) -> None:
    config_free = make_market(seed=0)
    no_estimates = MarketData(index=config_free.index, prices=config_free.prices,
                              signal=config_free.signal,
                              sleeves=type(config_free.sleeves)(
                                  long=config_free.sleeves.long, short=config_free.sleeves.short,
                                  cash=config_free.sleeves.cash, durations=None),
                              periods_per_year=12)
    s = DurationTargeting()
    with pytest.raises(ConfigError, match="needs duration estimates"):
        s.decide(no_estimates)
    with pytest.raises(ConfigError, match="needs duration estimates"):
        DurationTargeting.decide_batch([s], no_estimates)
