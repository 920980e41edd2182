"""Neighbour stability: grid steps, k nearest in rank space, NaN, holes, one trial."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtest.errors import ConfigError
from backtest.stats import neighbour_stability


def _grid(values_of) -> tuple[pd.DataFrame, np.ndarray]:
    enter = [-1.0, -0.5, 0.0, 0.5, 1.0]
    hold = [1, 3, 6]
    rows = list(itertools.product(enter, hold))
    params = pd.DataFrame(rows, columns=["enter", "min_hold_periods"])
    return params, np.array([values_of(e, h) for e, h in rows])


def test_grid_neighbours_are_one_step_in_one_parameter() -> None:
    params, values = _grid(lambda e, h: 1.0 - abs(e) * 0.2 - (h - 3) ** 2 * 0.01)
    selected = int(np.flatnonzero((params.enter == 0.0) & (params.min_hold_periods == 3))[0])
    result = neighbour_stability(params, values, selected, grid=True)
    got = {tuple(params.iloc[i]) for i in result.neighbours}
    assert got == {(-0.5, 3), (0.5, 3), (0.0, 1), (0.0, 6)}  # no diagonals
    assert result.own == 1.0 and result.n_neighbours == 4
    # neighbours 0.9, 0.9, 0.96, 0.91 -> median 0.905
    assert result.neighbour_median == pytest.approx(0.905)
    assert result.ratio == pytest.approx(0.905) and not result.sharp_peak


def test_corner_and_holes_have_fewer_neighbours() -> None:
    params, values = _grid(lambda e, h: e + h)
    corner = int(np.flatnonzero((params.enter == -1.0) & (params.min_hold_periods == 1))[0])
    assert neighbour_stability(params, values, corner, grid=True).n_neighbours == 2
    keep = ~((params.enter == -0.5) & (params.min_hold_periods == 1))  # a skipped combination
    holed = neighbour_stability(params[keep], values[keep.to_numpy()], corner, grid=True)
    assert holed.n_neighbours == 1


def test_sharp_peak_rules() -> None:
    params, _ = _grid(lambda e, h: 0.0)
    centre = int(np.flatnonzero((params.enter == 0.0) & (params.min_hold_periods == 3))[0])
    spike = np.full(len(params), 0.1)
    spike[centre] = 1.0  # neighbours keep 10 % of it: ratio 0.1 < 0.5
    assert neighbour_stability(params, spike, centre, grid=True).sharp_peak
    negative = np.full(len(params), -0.2)
    negative[centre] = 0.3  # own > 0 >= neighbour median
    result = neighbour_stability(params, negative, centre, grid=True)
    assert result.sharp_peak and result.ratio < 0
    losing = np.full(len(params), -0.5)
    losing[centre] = -0.1  # not a peak worth flagging: it loses anyway; ratio undefined
    result = neighbour_stability(params, losing, centre, grid=True)
    assert not result.sharp_peak and math.isnan(result.ratio)


def test_nan_values_and_a_single_trial() -> None:
    params, values = _grid(lambda e, h: 0.5)
    centre = int(np.flatnonzero((params.enter == 0.0) & (params.min_hold_periods == 3))[0])
    values[np.flatnonzero(params.enter == 0.5)] = np.nan
    result = neighbour_stability(params, values, centre, grid=True)
    assert result.n_neighbours == 3  # the NaN neighbour is left out
    own_nan = values.copy()
    own_nan[centre] = np.nan
    result = neighbour_stability(params, own_nan, centre, grid=True)
    assert math.isnan(result.own) and math.isnan(result.ratio) and not result.sharp_peak
    single = neighbour_stability(pd.DataFrame({"a": [1.0]}), [0.7], 0, grid=True)
    assert single.n_neighbours == 0 and math.isnan(single.neighbour_median)
    assert not single.sharp_peak
    alone = neighbour_stability(pd.DataFrame({"a": [1.0]}), [0.7], 0, grid=False)
    assert alone.n_neighbours == 0 and alone.k == 2


def test_categorical_parameters() -> None:
    params = pd.DataFrame({"sleeve": ["short", "cash", "short", "cash"],
                           "enter": [0.0, 0.0, 0.5, 0.5]})
    result = neighbour_stability(params, [1.0, 0.8, 0.9, 0.1], 0, grid=True)
    assert result.neighbours == (1, 2)  # other sleeve, or one step of enter
    nearest = neighbour_stability(params, [1.0, 0.8, 0.9, 0.1], 0, grid=False, k=2)
    assert nearest.neighbours == (1, 2)  # distance 1 each; (cash, 0.5) is sqrt(2)


def test_k_nearest_in_rank_normalized_space() -> None:
    # a log-spaced parameter and a linear one: ranks make their steps comparable
    params = pd.DataFrame({"lookback": [1, 2, 4, 8, 16, 32, 64, 128],
                           "enter": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]})
    values = np.arange(8.0)
    result = neighbour_stability(params, values, 3, grid=False, k=2)
    assert result.neighbours == (2, 4) and result.method == "nearest" and result.k == 2
    result = neighbour_stability(params, values, 3, grid=False)  # k = 2 x 2 parameters
    assert result.neighbours == (1, 2, 4, 5)
    values[2] = np.nan  # the next defined trial takes its place: 4 (one step), then
    # 1 and 5 tie at two steps and the lower row wins the tie
    assert neighbour_stability(params, values, 3, grid=False, k=2).neighbours == (1, 4)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 1000), power=st.floats(0.2, 5.0))
def test_nearest_neighbours_ignore_monotone_rescaling(seed, power) -> None:
    rng = np.random.default_rng(seed)
    params = pd.DataFrame({"a": rng.uniform(0.1, 10, 30), "b": rng.uniform(0.1, 10, 30)})
    values = rng.normal(size=30)
    base = neighbour_stability(params, values, 0, grid=False, k=4)
    rescaled = neighbour_stability(params**power, values, 0, grid=False, k=4)
    assert base.neighbours == rescaled.neighbours


def test_bad_input() -> None:
    params = pd.DataFrame({"a": [1.0, 2.0]})
    with pytest.raises(ConfigError, match="2 rows but values has 3"):
        neighbour_stability(params, [1.0, 2.0, 3.0], 0, grid=True)
    with pytest.raises(ConfigError, match="not a row"):
        neighbour_stability(params, [1.0, 2.0], 5, grid=True)
    with pytest.raises(ConfigError, match="k must be >= 1"):
        neighbour_stability(params, [1.0, 2.0], 0, grid=False, k=0)
