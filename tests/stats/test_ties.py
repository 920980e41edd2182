"""Ties within 1e-12 relative go to the lowest trial number: the rule, CSCV, fold selection."""

from __future__ import annotations

import numpy as np
import pytest

from backtest.stats import RELATIVE_TIE, first_best, holdout, objective_values, pbo_cscv, tied
from backtest.stats._blocks import block_stats, union_values
from backtest.stats._pbo import _block_bounds, _split_sets
from backtest.tune._protocol import select_per_fold


def test_tied_is_relative_and_symmetric() -> None:
    a = np.array([1.0, 1.0, -2.0, 0.0, 0.0, np.inf, np.nan, 1e-300])
    b = np.array([1.0 + 5e-13, 1.0 + 2e-12, -2.0 * (1 - 1e-13), 0.0, 1e-300, np.inf, np.nan,
                  1e-300 * (1 + 1e-13)])
    expected = [True, False, True, True, False, True, False, True]
    assert tied(a, b).tolist() == expected
    assert tied(b, a).tolist() == expected
    # the bound itself: |a - b| <= 1e-12 * max(|a|, |b|)
    assert tied(1.0, 1.0 + 0.99 * RELATIVE_TIE) and not tied(1.0, 1.0 + 1.01 * RELATIVE_TIE)
    assert tied(4.0, 4.0 - 3.96 * RELATIVE_TIE) and not tied(-4.0, -4.0 - 4.04 * RELATIVE_TIE)


def test_first_best_takes_the_lowest_position_tied_with_the_maximum() -> None:
    values = np.array([[0.3, 0.7 * (1 + 1e-14), 0.7, np.nan],
                       [np.nan, np.nan, np.nan, np.nan],
                       [-1.0, -1.0 * (1 - 1e-15), -3.0, -1.0 * (1 + 1e-15)],
                       [1.0, 1.0 - 1e-6, 1.0 + 1e-6, 1.0]])
    assert first_best(values).tolist() == [1, 0, 0, 2]
    assert int(first_best(values[0])) == 1


def _twins(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Trials where row 5 is row 1 up to one ulp on some bars, and the exact-copy case."""
    rng = np.random.default_rng(seed)
    returns = rng.normal(0.0, 0.01, (8, 480))
    returns[1] += 0.002  # the pair is the best trial, so it often wins a split
    exact = returns.copy()
    exact[5] = returns[1]
    noisy = exact.copy()
    flip = rng.random(480) < 0.5
    noisy[5, flip] = np.nextafter(returns[1, flip], np.inf)  # +1 ulp: <= 1e-15 apart
    assert 0 < np.abs(noisy[5] - noisy[1]).max() <= 1e-15
    return exact, noisy


def test_cscv_treats_rounding_twins_exactly_as_identical_trials() -> None:
    exact, noisy = _twins(0)
    cash = np.zeros(480)
    # the case that flips a plain argmax: on some halves the later twin is larger
    stats = block_stats(noisy, cash, cash, _block_bounds(480, 8), "sharpe", 252)
    halves = union_values(stats, _split_sets(8)[0])
    later_wins = np.argmax(halves, axis=1) == 5
    assert later_wins.any() and tied(halves[:, 5], halves[:, 1]).all()
    a = pbo_cscv(exact, cash, periods_per_year=252, n_blocks=8)
    b = pbo_cscv(noisy, cash, periods_per_year=252, n_blocks=8)
    np.testing.assert_array_equal(b.logits, a.logits)
    np.testing.assert_array_equal(b.oos_rank_of_is_best, a.oos_rank_of_is_best)
    assert b.pbo == a.pbo
    # and the tie shares its rank: where the pair wins, its rank counts both twins
    assert np.isin(a.oos_rank_of_is_best * 9 % 1, [0.0, 0.5]).all()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fold_selection_treats_rounding_twins_exactly_as_identical_trials(seed) -> None:
    exact, noisy = _twins(seed)
    cash = np.zeros(480)
    folds = holdout(480, fraction=0.25)

    def score(returns: np.ndarray):
        return lambda w: objective_values(returns[:, w], cash[w], periods_per_year=252,
                                          objective="sharpe", benchmark=None)

    numbers = np.arange(8) * 10
    got = select_per_fold(folds, score(noisy), numbers)
    want = select_per_fold(folds, score(exact), numbers)
    assert [s.trial for s in got] == [s.trial for s in want] == [10]
    train = score(noisy)(folds[0].train)
    assert tied(train[5], train[1])  # the two differ by rounding only


def test_fold_selection_flips_on_plain_argmax_but_not_with_the_rule() -> None:
    # the later twin is larger by one ulp in every bar: np.argmax would take it
    rng = np.random.default_rng(4)
    returns = rng.normal(0.001, 0.01, (3, 300))
    returns[2] = np.nextafter(np.abs(returns[0]), np.inf) * np.sign(returns[0])
    returns[2] = np.where(returns[0] > 0, returns[2], returns[0])
    cash = np.zeros(300)
    folds = holdout(300, fraction=0.3)
    train = objective_values(returns[:, folds[0].train], cash[folds[0].train],
                             periods_per_year=252, objective="sharpe", benchmark=None)
    assert train[2] > train[0] and tied(train[2], train[0]) and int(np.argmax(train)) == 2
    sel = select_per_fold(folds, lambda w: objective_values(
        returns[:, w], cash[w], periods_per_year=252, objective="sharpe", benchmark=None),
        np.array([0, 1, 2]))
    assert sel[0].trial == 0
