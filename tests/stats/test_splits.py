"""Walk-forward and holdout splits: skfolio WalkForward semantics, purge, clear errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtest.errors import ConfigError
from backtest.stats import Fold, holdout, parse_length, walk_forward


def _indices(folds: list[Fold]) -> list[tuple[list[int], list[int]]]:
    return [(list(range(f.train.start, f.train.stop)), list(range(f.test.start, f.test.stop)))
            for f in folds]


# The examples of skfolio's WalkForward docstring (skfolio/model_selection/_walk_forward.py),
# X with 6 observations; printed train/test indices copied from there.
SKFOLIO_EXAMPLES = [
    (dict(test=1, train=2), [([0, 1], [2]), ([1, 2], [3]), ([2, 3], [4]), ([3, 4], [5])]),
    (dict(test=1, train=2, purge=1), [([0, 1], [3]), ([1, 2], [4]), ([2, 3], [5])]),
    (dict(test=2, train=3), [([0, 1, 2], [3, 4])]),
    (dict(test=2, train=3, partial_test=True), [([0, 1, 2], [3, 4]), ([2, 3, 4], [5])]),
    (dict(test=2, train=3, anchored=True, partial_test=True),
     [([0, 1, 2], [3, 4]), ([0, 1, 2, 3, 4], [5])]),
]


@pytest.mark.parametrize(("kwargs", "expected"), SKFOLIO_EXAMPLES)
def test_reproduces_skfolio_walkforward_examples(kwargs, expected) -> None:
    folds = walk_forward(6, **kwargs)
    assert _indices(folds) == expected
    assert [f.number for f in folds] == list(range(1, len(folds) + 1))


def test_step_longer_than_test_leaves_gaps_and_purge_is_reported() -> None:
    folds = walk_forward(100, train=24, test=6, step=12, purge=2)
    assert folds[0].train == slice(0, 24) and folds[0].test == slice(26, 32)
    assert folds[1].train == slice(12, 36) and folds[1].test == slice(38, 44)
    assert all(f.purge == 2 and f.n_train == 24 and f.n_test == 6 for f in folds)
    assert folds[-1].test.stop <= 100


@settings(max_examples=200, deadline=None)
@given(n=st.integers(4, 400), train=st.integers(2, 60), test=st.integers(1, 40),
       extra=st.integers(0, 20), purge=st.integers(0, 10), anchored=st.booleans(),
       partial=st.booleans())
def test_invariants(n, train, test, extra, purge, anchored, partial) -> None:
    try:
        folds = walk_forward(n, train=train, test=test, step=test + extra, purge=purge,
                             anchored=anchored, partial_test=partial)
    except ConfigError as exc:
        assert train + purge + (1 if partial else test) > n, exc
        assert "\n" not in str(exc)
        return
    for previous, fold in itertools.pairwise(folds):
        assert fold.test.start >= previous.test.stop  # forward, never overlapping
    for fold in folds:
        assert 0 <= fold.train.start < fold.train.stop == fold.test.start - purge
        assert fold.test.stop <= n
        assert fold.n_train == (fold.train.stop if anchored else train)
        assert fold.n_test == test or (partial and fold is folds[-1] and fold.test.stop == n)


def test_errors_are_one_line_config_errors() -> None:
    with pytest.raises(ConfigError, match="needs train \\+ purge \\+ test = 60 \\+ 5 \\+ 12 = 77 bars, the data has 70"):
        walk_forward(70, train=60, test=12, purge=5)
    with pytest.raises(ConfigError, match="step .* shorter than test"):
        walk_forward(100, train=20, test=10, step=5)
    with pytest.raises(ConfigError, match="purge must be >= 0"):
        walk_forward(100, train=20, test=10, purge=-1)
    with pytest.raises(ConfigError, match="train must be >= 2"):
        walk_forward(100, train=1, test=10)
    with pytest.raises(ConfigError, match="whole number of bars"):
        walk_forward(100, train=20.5, test=10)  # type: ignore[arg-type]


def test_holdout_takes_the_last_fraction() -> None:
    (fold,) = holdout(100, 0.3)
    assert fold.train == slice(0, 70) and fold.test == slice(70, 100)
    (fold,) = holdout(101, 0.25, purge=3)  # 25.25 -> 25 test bars, 3 purged, 73 train
    assert fold.train == slice(0, 73) and fold.test == slice(76, 101)
    for bad in (0.0, 1.0, -0.2, 1.5):
        with pytest.raises(ConfigError, match="in \\(0, 1\\)"):
            holdout(100, bad)
    with pytest.raises(ConfigError, match="leaves 1 train bars"):
        holdout(10, 0.5, purge=4)


@pytest.mark.parametrize(("value", "ppy", "expected"), [
    (36, 12, 36), ("36", 12, 36), ("36m", 12, 36), ("36m", 252, 756), ("6m", 52, 26),
    (" 12 m ", 252, 252), ("1.5m", 12, 2), (np.int64(5), 12, 5),
])
def test_parse_length_months_or_bars(value, ppy, expected) -> None:
    # months -> bars with the signal horizons' rule: round(months * ppy / 12), >= 1
    assert parse_length(value, ppy) == expected


def test_parse_length_zero_and_garbage() -> None:
    assert parse_length("0", 12, name="purge", allow_zero=True) == 0
    assert parse_length("0m", 252, name="purge", allow_zero=True) == 0
    for bad in ("0", 0, "-3", "3.5", "3y", "m", "", True, 2.0, None):
        with pytest.raises(ConfigError, match="train"):
            parse_length(bad, 12, name="train")  # type: ignore[arg-type]
