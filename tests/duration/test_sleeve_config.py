"""``[sleeves]``: explicit lists or empirical ranking, held between re-rank dates."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import backtest
from backtest.config import SleeveSpec, parse_config
from backtest.duration import SleeveMembership, hold_sleeves
from backtest.errors import ConfigError
from backtest.runner import prepare_market
from backtest.synthetic import SyntheticSpec, generate_market

EXAMPLE = Path(__file__).resolve().parents[2] / "strategies" / "synthetic_rotation.toml"
RAW = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))


def _raw(**sleeves: Any) -> dict[str, Any]:
    raw = copy.deepcopy(RAW)
    raw["sleeves"] = sleeves
    raw["benchmarks"] = {"long": {"kind": "buy_and_hold", "sleeve": "long"}}
    return raw


def test_hold_sleeves_keeps_each_ranking_until_the_next_rerank() -> None:
    index = pd.date_range("2020-01-31", periods=5, freq="ME")
    ranks = pd.DataFrame([[np.nan, np.nan], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [np.nan, np.nan]],
                         index=index, columns=["A", "B"])
    held = hold_sleeves(SleeveMembership(long=ranks, short=1 - ranks),
                        [True, True, False, True, True])
    expected = [[np.nan, np.nan], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0]]
    np.testing.assert_array_equal(held.long.to_numpy(), expected)
    with pytest.raises(ConfigError, match="one flag per date"):
        hold_sleeves(SleeveMembership(long=ranks, short=ranks), [True])


@pytest.mark.parametrize(
    ("sleeves", "message"),
    [
        ({"long": ["LONG1"]}, "needs long = \\[...\\] and short = \\[...\\]"),
        ({"long": ["LONG1"], "short": ["MID"], "select": "top_k"}, "apply only to method = "
         "'empirical'"),
        ({"method": "empirical", "long": ["LONG1"], "yield_series": "YIELD", "window": 60},
         "apply only to method = 'explicit'"),
        ({"method": "empirical", "window": 60}, "needs yield_series"),
        ({"method": "empirical", "yield_series": "YIELD"}, "needs yield_series .* and window"),
        ({"method": "empirical", "yield_series": "YIELD", "window": 60, "select": "top_k"},
         "needs k >= 1"),
        ({"method": "empirical", "yield_series": "YIELD", "window": 60, "k": 2},
         "k applies only to select = 'top_k'"),
        ({"method": "empirical", "yield_series": "YIELD", "window": 60, "min_periods": 61},
         "min_periods must be in"),
        ({"long": ["LONG1"], "short": ["MID"], "window": 60}, "need yield_series"),
        ({"method": "dcf"}, "method 'dcf' needs cash_flow_yields"),
        ({"method": "pe"}, "is not one of 'explicit', 'empirical', 'dcf'"),
    ],
)
def test_bad_sleeve_tables_say_what_to_write(sleeves: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(_raw(**sleeves))


def test_yield_series_must_be_a_defined_macro_alias() -> None:
    raw = _raw(method="empirical", yield_series="DGS10", window=60)
    with pytest.raises(ConfigError, match='sleeves.yield_series reads macro alias .DGS10.*'
                       'add DGS10 = "fred:DGS10"'):
        parse_config(raw)


def test_explicit_sleeves_can_carry_duration_estimates() -> None:
    spec = parse_config(_raw(long=["LONG1", "LONG2"], short=["SHORT1"], yield_series="YIELD",
                             window=60)).sleeves
    assert spec == SleeveSpec(long=("LONG1", "LONG2"), short=("SHORT1",), yield_series="YIELD",
                              window=60)
    raw = _raw(long=["LONG1", "LONG2"], short=["SHORT1"], yield_series="YIELD", window=60)
    raw["strategy"] = {"kind": "duration_targeting"}
    run = backtest.run(parse_config(raw))
    assert run.main.targets.dropna(how="all").shape[0] > 100


def test_universe_must_name_non_cash_assets() -> None:
    raw = _raw(method="empirical", yield_series="YIELD", window=60, universe=["LONG1", "SHORT2"])
    with pytest.raises(ConfigError, match=r"\['SHORT2'\] are not non-cash assets"):
        backtest.run(parse_config(raw))


def test_terciles_on_an_explicit_universe() -> None:
    raw = _raw(method="empirical", yield_series="YIELD", window=60, min_periods=36,
               universe=["LONG1", "MID", "SHORT1"], rerank="every_bar")
    run = backtest.run(parse_config(raw))
    market = prepare_market(run.config, run.dataset)
    long, short = market.sleeve("long"), market.sleeve("short")
    # one asset per sleeve (3 // 3): LONG1 (25y) long and SHORT1 (3y) short nearly always
    np.testing.assert_allclose(long.sum(axis=1), 1.0)
    assert (long["LONG1"] == 1.0).mean() > 0.95
    assert (short["SHORT1"] == 1.0).mean() > 0.95
    assert (long[["LONG2", "SHORT2"]] == 0).all().all()


@pytest.mark.parametrize(("lag_bars", "recovers"), [(1, True), (0, False)])
def test_yield_lag_bars_pairs_returns_with_the_yield_change_they_saw(
    lag_bars: int, recovers: bool
) -> None:
    # The yield is published one bar late (lag next_month on a monthly calendar): the
    # change known at t is the move of t-1, so returns must be lagged by one bar too.
    raw = _raw(method="empirical", yield_series="YIELD", window=60, select="top_k", k=2,
               yield_lag_bars=lag_bars)
    raw["data"]["macro"]["YIELD"] = {"id": "synthetic:seed=7/yield", "lag": "next_month"}
    run = backtest.run(parse_config(raw))
    market = prepare_market(run.config, run.dataset)
    assert market.sleeves.durations is not None
    est = market.sleeves.durations.loc[market.index].median().drop("SHORT2")
    planted = generate_market(SyntheticSpec(seed=7)).durations.drop("SHORT2")
    close = ((est / planted - 1).abs() <= 0.15).all()
    assert close == recovers, est.round(1).to_dict()
