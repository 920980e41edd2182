"""The search space: specs, grids, random draws, and what makes a space invalid."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backtest.config import load_config
from backtest.errors import ConfigError
from backtest.tune import Space, check_space, parse_param, parse_spec


@pytest.mark.parametrize(("spec", "values"), [
    ("-1:1:0.25", (-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0)),
    ("0:0.3:0.1", (0.0, 0.1, 0.2, 0.3)),          # decimal steps: 0.3, not 0.30000000000000004
    ("1:7:3", (1, 4, 7)),                         # integers stay integers
    ("1:8:3", (1, 4, 7)),                         # stop is included only when on the grid
    ("-0.5,0,0.25", (-0.5, 0, 0.25)),
    ("1,3,6", (1, 3, 6)),
    ("short,cash", ("short", "cash")),
    ("[1, 2]", (1, 2)),
    ("0.5", (0.5,)),
    ("yahoo:QQQ,yahoo:SPY", ("yahoo:QQQ", "yahoo:SPY")),
    ("yahoo:QQQ", ("yahoo:QQQ",)),
    ([1, 2, 3], (1, 2, 3)),
    (4, (4,)),
])
def test_specs(spec, values):
    got = parse_spec(spec, "p")
    assert got == values
    assert [type(v) for v in got] == [type(v) for v in values]


@pytest.mark.parametrize(("spec", "message"), [
    ("1:0:0.5", "empty range"), ("0:1:0", "step .* must be > 0"), ("0:1:-1", "must be > 0"),
    ("1:b:1", "is not a number"), ("0:1:nan", "not a finite number"), ("1,1", "repeated"),
    ([], "no values"), ("0:1", "start:stop:step"),
])
def test_bad_specs_are_one_line_errors(spec, message):
    with pytest.raises(ConfigError, match=message):
        parse_spec(spec, "p")


def test_parse_param():
    assert parse_param("strategy.enter=-1:1:0.25") == ("strategy.enter", "-1:1:0.25")
    with pytest.raises(ConfigError, match="expected PATH=SPEC"):
        parse_param("strategy.enter")
    with pytest.raises(ConfigError, match="empty segment"):
        parse_param("strategy..enter=1")


def test_grid_order_and_random_draw():
    space = Space.from_specs({"a": "1,2,3", "b": "x,y"})
    trials = space.draw()
    assert [t.params for t in trials[:3]] == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"},
                                             {"a": 2, "b": "x"}]
    assert [t.number for t in trials] == list(range(6)) and space.size == 6
    assert trials[3].grid_index == (1, 1)
    rand = Space.from_specs({"a": "1,2,3", "b": "x,y"}, search="random", trials=4, seed=7)
    drawn = rand.draw()
    assert len({tuple(t.params.items()) for t in drawn}) == 4  # without replacement
    assert drawn == Space.from_specs({"a": "1,2,3", "b": "x,y"}, search="random", trials=4,
                                     seed=7).draw()  # seeded
    whole = Space.from_specs({"a": "1,2"}, search="random", trials=10, seed=0).draw()
    assert sorted(t.params["a"] for t in whole) == [1, 2]  # capped at the grid size


@given(st.integers(-50, 50), st.integers(0, 40), st.integers(1, 9))
def test_integer_ranges_match_python_range(start, span, step):
    values = parse_spec(f"{start}:{start + span}:{step}", "p")
    assert list(values) == list(range(start, start + span + 1, step))


@given(st.integers(-100, 100), st.integers(0, 60), st.sampled_from(["0.1", "0.25", "0.05"]))
def test_decimal_ranges_have_no_float_noise(start_c, n, step):
    start = start_c / 100
    stop = start + n * float(step)
    values = parse_spec(f"{start}:{round(stop, 2)}:{step}", "p")
    assert all(v == round(v, 2) for v in values) and math.isclose(values[0], start)


def test_space_errors_and_checks():
    with pytest.raises(ConfigError, match="no parameters to sweep"):
        Space.from_specs({})
    with pytest.raises(ConfigError, match="--search random needs --trials"):
        Space.from_specs({"a": "1,2"}, search="random")
    cfg = load_config()
    check_space(cfg, Space.from_specs({"strategy.enter": "-1:1:0.5",
                                       "signal.components.0.periods": "6,12",
                                       "strategy.exit": "0.5"}))  # exit > enter: not fatal
    with pytest.raises(ConfigError, match=r"tune parameter strategy.entr: .*unknown key entr "
                       r"\(did you mean enter\?\); valid keys: enter"):
        check_space(cfg, Space.from_specs({"strategy.entr": "1,2"}))
    with pytest.raises(ConfigError, match="has no element 'nope'"):
        check_space(cfg, Space.from_specs({"signal.components.nope.periods": "1,2"}))
    with pytest.raises(ConfigError, match="unknown key horizon"):
        check_space(cfg, Space.from_specs({"signal.components.0.horizon": "1,2"}))
