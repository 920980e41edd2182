"""Each strategy on tiny hand-made markets: weights computed by hand, parameters validated."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtest.errors import ConfigError
from backtest.runner import load_strategy
from backtest.strategies import (
    REGISTRY,
    AlwaysShort,
    BinaryRotation,
    BuyAndHold,
    DurationTargeting,
    GradedTilt,
    StaticMix,
    TrendRule,
)
from backtest.strategy import (
    MarketData,
    SleeveSet,
    rebalance_mask,
    trade_mask,
)

COLUMNS = ["L", "S", "C"]


def _market(composite: list[float], *, prices: list[list[float]] | None = None,
            durations: pd.DataFrame | None = None, freq: str = "ME",
            ppy: int = 12) -> MarketData:
    n = len(composite)
    index = pd.date_range("2020-01-31", periods=n, freq=freq, name="date")
    long = pd.DataFrame({"L": 1.0, "S": 0.0, "C": 0.0}, index=index)
    short = pd.DataFrame({"L": 0.0, "S": 1.0, "C": 0.0}, index=index)
    px = pd.DataFrame(prices or [[1.0, 1.0, 1.0]] * n, index=index, columns=COLUMNS)
    return MarketData(
        index=index,
        prices=px,
        signal=pd.DataFrame({"composite": composite}, index=index),
        sleeves=SleeveSet(long=long, short=short, cash="C", durations=durations),
        periods_per_year=ppy,
    )


def test_registry_names_every_kind_of_the_issue() -> None:
    assert set(REGISTRY) == {
        "binary_rotation", "graded_tilt", "duration_targeting", "buy_and_hold",
        "static_mix", "trend_rule", "always_short",
    }
    for name, cls in REGISTRY.items():
        assert cls.name == name
        assert cls.__doc__ and "Parameters" in cls.__doc__


# --- schedules ------------------------------------------------------------------------------


def test_monthly_and_weekly_schedules_use_the_first_bar_of_each_period() -> None:
    days = pd.bdate_range("2024-01-29", "2024-02-06", name="date")  # Mon 29 Jan .. Tue 6 Feb
    monthly = rebalance_mask(days, "monthly")
    assert days[monthly].strftime("%m-%d").tolist() == ["01-29", "02-01"]
    weekly = rebalance_mask(days, "weekly")
    assert days[weekly].strftime("%m-%d").tolist() == ["01-29", "02-05"]
    assert rebalance_mask(days, "never").tolist() == [True] + [False] * (len(days) - 1)


def test_on_change_trades_on_flips_only() -> None:
    index = pd.date_range("2020-01-31", periods=6, freq="ME")
    state = pd.Series([False, False, True, True, False, False], index=index)
    assert rebalance_mask(index, "on_change", state).tolist() == [
        True, False, True, False, True, False]
    # a flip always trades, whatever the schedule
    days = pd.bdate_range("2024-01-29", periods=6)  # Jan 29, 30, 31, Feb 1, 2, 5
    flips = pd.Series([False, True, True, True, False, False], index=days)
    assert trade_mask(days, "monthly", flips).tolist() == [True, True, False, True, True, False]
    with pytest.raises(ConfigError, match="needs a strategy with a risk-off state"):
        rebalance_mask(index, "on_change")


@pytest.mark.parametrize("cls", [BuyAndHold, StaticMix, AlwaysShort])
def test_benchmarks_reject_on_change(cls: type) -> None:
    params: dict[str, Any] = {"rebalance": "on_change"}
    if cls is BuyAndHold:
        params["sleeve"] = "long"
    if cls is StaticMix:
        params["weights"] = {"L": 1.0}
    with pytest.raises(ConfigError, match="needs a risk-off state"):
        cls(**params)


# --- binary rotation ------------------------------------------------------------------------


def test_binary_rotation_on_change_leaves_holdings_between_switches() -> None:
    m = _market([-1.0, -1.0, 1.0, 1.0, -1.0])
    d = BinaryRotation(enter=0.0, rebalance="on_change").decide(m)
    assert d.risk_off is not None
    assert d.risk_off.tolist() == [False, False, True, True, False]
    w = d.weights
    assert w.loc[w.index[0]].tolist() == [1.0, 0.0, 0.0]
    assert w.iloc[[1, 3]].isna().all().all()
    assert w.iloc[2].tolist() == [0.0, 1.0, 0.0]
    assert w.iloc[4].tolist() == [1.0, 0.0, 0.0]


# --- graded tilt ----------------------------------------------------------------------------


def test_graded_tilt_linear_by_hand() -> None:
    m = _market([-2.0, -1.0, 0.0, 0.5, 1.0, 2.0])
    d = GradedTilt(low=-1.0, high=1.0, rebalance="every_bar").decide(m)
    np.testing.assert_allclose(d.weights["S"], [0.0, 0.0, 0.5, 0.75, 1.0, 1.0])
    np.testing.assert_allclose(d.weights["L"], [1.0, 1.0, 0.5, 0.25, 0.0, 0.0])
    assert d.risk_off is not None
    assert d.risk_off.tolist() == [False, False, False, True, True, True]
    bounded = GradedTilt(short_weight_min=0.2, short_weight_max=0.6, risk_off_sleeve="cash",
                         rebalance="every_bar").decide(m)
    np.testing.assert_allclose(bounded.weights["C"], [0.2, 0.2, 0.4, 0.5, 0.6, 0.6])
    np.testing.assert_allclose(bounded.weights.sum(axis=1), 1.0)


def test_graded_tilt_logistic_hits_5_50_95_percent() -> None:
    m = _market([-1.0, 0.5, 2.0, np.nan])
    w = GradedTilt(shape="logistic", low=-1.0, high=2.0, rebalance="every_bar").decide(m).weights
    np.testing.assert_allclose(w["S"], [0.05, 0.5, 0.95, 0.95])  # NaN keeps the last value


@pytest.mark.parametrize(
    "params",
    [{"low": 1.0, "high": 1.0}, {"low": 2.0, "high": 1.0}, {"short_weight_max": 1.5},
     {"short_weight_min": 0.8, "short_weight_max": 0.2}, {"low": math.nan}],
)
def test_graded_tilt_rejects_bad_parameters(params: dict[str, float]) -> None:
    with pytest.raises(ConfigError, match="graded_tilt"):
        GradedTilt(**params)


# --- duration targeting ---------------------------------------------------------------------


def test_duration_targeting_by_hand() -> None:
    # D_L = 20, D_S = 4; target from 20 (s <= -1) to 2 (s >= 1).
    m = _market([-2.0, 0.0, 1.0, 0.5])
    s = DurationTargeting(duration_max_years=20.0, duration_min_years=2.0,
                          durations_years={"L": 20.0, "S": 4.0}, rebalance="every_bar")
    w = s.decide(m).weights
    # s=-2: D*=20 -> all long; s=0: D*=11 -> a=(11-4)/16; s=1: D*=2 < D_S -> 2/4 short, rest cash
    # s=0.5: D*=6.5 -> a=2.5/16
    np.testing.assert_allclose(w["L"], [1.0, 7 / 16, 0.0, 2.5 / 16])
    np.testing.assert_allclose(w["S"], [0.0, 9 / 16, 0.5, 13.5 / 16])
    np.testing.assert_allclose(w["C"], 0.0)  # the engine fills the rest with cash
    np.testing.assert_allclose(s.target_years(m), [20.0, 11.0, 2.0, 6.5])


@settings(max_examples=60, deadline=None)
@given(
    s=st.floats(-3, 3),
    d_long=st.floats(5, 40),
    d_short=st.floats(0.1, 4.9),
    d_min=st.floats(0, 5),
    span=st.floats(1, 30),
)
def test_duration_targeting_hits_the_target_when_it_is_reachable(
    s: float, d_long: float, d_short: float, d_min: float, span: float
) -> None:
    strat = DurationTargeting(duration_max_years=d_min + span, duration_min_years=d_min,
                              durations_years={"L": d_long, "S": d_short}, rebalance="every_bar")
    m = _market([s])
    w = strat.decide(m).weights.iloc[0]
    target = float(strat.target_years(m).iloc[0])
    assert (w >= -1e-12).all() and w.sum() <= 1 + 1e-12
    achieved = w["L"] * d_long + w["S"] * d_short
    assert achieved == pytest.approx(min(target, d_long), rel=1e-9, abs=1e-9)


def test_duration_targeting_uses_estimates_known_at_each_date() -> None:
    index = pd.date_range("2020-01-31", periods=3, freq="ME")
    est = pd.DataFrame({"L": [np.nan, 20.0, 10.0], "S": [2.0, 4.0, 12.0], "C": np.nan},
                       index=index)
    m = _market([0.0, 0.0, 0.0], durations=est)
    w = DurationTargeting(duration_max_years=20, duration_min_years=2,
                          rebalance="every_bar").decide(m).weights
    assert w.iloc[0].isna().all()          # the long member has no estimate yet: no trade
    np.testing.assert_allclose(w.iloc[1], [7 / 16, 9 / 16, 0.0])
    assert w.iloc[2].isna().all()          # D_L <= D_S: estimates out of order, no trade


def test_duration_targeting_errors_name_the_fix() -> None:
    with pytest.raises(ConfigError, match="needs duration estimates: give durations_years"):
        DurationTargeting().decide(_market([0.0]))
    with pytest.raises(ConfigError, match=r"lacks sleeve members \['S'\]"):
        DurationTargeting(durations_years={"L": 10.0}).decide(_market([0.0]))
    with pytest.raises(ConfigError, match="duration_min_years < duration_max_years"):
        DurationTargeting(duration_min_years=5, duration_max_years=5)
    with pytest.raises(ConfigError, match="signal_low"):
        DurationTargeting(signal_low=1, signal_high=0)


# --- trend rule, always short ---------------------------------------------------------------


def test_trend_rule_by_hand() -> None:
    # long sleeve = L; the sleeve's index starts with its first return (bar 1):
    # 1.1, 1.2, 1.1, 1.0, 1.2 (x the first price); 2-bar mean from bar 2: 1.15, 1.15, 1.05, 1.1
    px = [[1.0, 1, 1], [1.1, 1, 1], [1.2, 1, 1], [1.1, 1, 1], [1.0, 1, 1], [1.2, 1, 1]]
    m = _market([0.0] * 6, prices=px)
    d = TrendRule(lookback_months=2, rebalance="on_change").decide(m)
    assert d.risk_off is not None
    assert d.risk_off.tolist() == [True, True, False, True, True, False]
    w = d.weights
    assert w.iloc[0].tolist() == [0.0, 0.0, 1.0]  # cash until the average exists
    assert w.iloc[2].tolist() == [1.0, 0.0, 0.0]
    assert w.iloc[3].tolist() == [0.0, 0.0, 1.0]
    assert w.iloc[[1, 4]].isna().all().all()     # on_change: no trade without a flip
    every = TrendRule(lookback_months=2, rebalance="every_bar").decide(m).weights
    assert every.notna().all().all()
    short = TrendRule(lookback_months=2, risk_off_sleeve="short").decide(m).weights
    assert short.iloc[3].tolist() == [0.0, 1.0, 0.0]


def test_trend_rule_ignores_assets_outside_the_sleeve() -> None:
    # S has no price yet (NaN) on the first bars; it is not in the long sleeve
    px = [[1.0, np.nan, 1], [1.1, np.nan, 1], [1.2, 1.0, 1], [1.3, 1.0, 1]]
    d = TrendRule(lookback_months=2, rebalance="every_bar").decide(_market([0.0] * 4, prices=px))
    assert d.risk_off is not None
    assert d.risk_off.tolist() == [True, True, False, False]


def test_trend_rule_bars_scale_with_the_calendar_and_checks_monthly() -> None:
    # business-daily: 10 months = 210 bars; the rule is checked on the first bar of a month
    n = 400
    rng = np.random.default_rng(0)
    level = np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    px = [[v, 1.0, 1.0] for v in level]
    m = _market([0.0] * n, prices=px, freq="B", ppy=252)
    monthly = TrendRule().risk_off(m)
    every = TrendRule(rebalance="every_bar").risk_off(m)
    assert every.iloc[:209].all() and not every.iloc[209:].all()
    first = rebalance_mask(m.index, "monthly")
    pd.testing.assert_series_equal(monthly[first], every[first])
    changes = monthly.ne(monthly.shift()).to_numpy()[1:]
    assert first[1:][changes].all()  # the state only changes on a month's first bar


def test_always_short_is_buy_and_hold_of_the_short_sleeve() -> None:
    m = _market([0.0] * 4)
    a = AlwaysShort(rebalance="monthly").decide(m)
    b = BuyAndHold(sleeve="short", rebalance="monthly").decide(m)
    pd.testing.assert_frame_equal(a.weights, b.weights)
    assert a.risk_off is None


def test_strategies_load_from_tables_and_reject_unknown_keys() -> None:
    s = load_strategy("trend_rule", {"lookback_months": 12, "rebalance": "on_change"})
    assert s == TrendRule(lookback_months=12, rebalance="on_change")
    with pytest.raises(ConfigError, match=r"unknown key lookback \(did you mean "
                       r"lookback_months\?\); valid keys: sleeve, lookback_months"):
        load_strategy("trend_rule", {"lookback": 12})
    with pytest.raises(ConfigError, match="sleeve and risk_off_sleeve must differ"):
        TrendRule(sleeve="short", risk_off_sleeve="short")
    with pytest.raises(ConfigError, match="lookback_months must be >= 1"):
        TrendRule(lookback_months=0)
