"""Stationary-bootstrap machinery: arch's sampler, Politis-White block lengths, percentile intervals."""

from __future__ import annotations

import numpy as np
import pytest

from backtest.analysis import (
    Interval,
    bootstrap_interval,
    expected_block_length,
    percentile_interval,
    resample_positions,
    rng_for,
)
from backtest.errors import ConfigError


def _ar1(n: int, phi: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.zeros(n)
    shocks = rng.standard_normal(n)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + shocks[t]
    return x


def test_streams_are_seeded_by_seed_and_label() -> None:
    a = rng_for(1, "regime x").random(3)
    assert np.array_equal(a, rng_for(1, "regime x").random(3))
    assert not np.array_equal(a, rng_for(1, "regime y").random(3))
    assert not np.array_equal(a, rng_for(2, "regime x").random(3))


def test_block_length_grows_with_persistence() -> None:
    iid = expected_block_length(_ar1(2000, 0.0, 1))
    persistent = expected_block_length(_ar1(2000, 0.9, 1))
    assert 1.0 <= iid < 3.0
    assert persistent > 10.0
    # several series: the largest block length wins (a paired bootstrap keeps all dependence)
    assert expected_block_length(_ar1(2000, 0.0, 1), _ar1(2000, 0.9, 1)) == pytest.approx(persistent)


def test_block_length_degenerate_inputs_fall_back_to_one() -> None:
    assert expected_block_length(np.zeros(50)) == 1.0  # no variance: Politis-White is undefined
    assert expected_block_length(np.arange(5.0)) == 1.0  # too short to estimate
    assert expected_block_length(_ar1(30, 0.99, 2)) <= 10.0  # capped at a third of the sample


def test_positions_are_blocks_of_the_expected_mean_length() -> None:
    n, block = 5000, 8.0
    pos = resample_positions(n, block_length=block, reps=4, rng=rng_for(0, "t"))
    assert pos.shape == (4, n) and pos.min() >= 0 and pos.max() < n
    # a new block starts where a position does not follow its predecessor (mod n)
    starts = np.diff(pos, axis=1) % n != 1
    mean_length = (n - 1) / starts.sum(axis=1)
    assert mean_length.mean() == pytest.approx(block, rel=0.1)
    again = resample_positions(n, block_length=block, reps=4, rng=rng_for(0, "t"))
    assert np.array_equal(pos, again)


def test_resample_arguments_are_checked() -> None:
    with pytest.raises(ConfigError):
        resample_positions(0, block_length=1.0, reps=10, rng=rng_for(0, "t"))
    with pytest.raises(ConfigError):
        bootstrap_interval(lambda p: p.mean(axis=1), 10, reps=10, rng=rng_for(0, "t"),
                           confidence=1.5, block_length=1.0)


def test_interval_of_a_mean_matches_the_textbook_width() -> None:
    x = np.random.default_rng(5).normal(0.5, 2.0, 400)
    iv = bootstrap_interval(lambda p: x[p].mean(axis=1), len(x), reps=2000,
                            rng=rng_for(0, "mean"), confidence=0.95, block_length=1.0)
    assert iv.estimate == pytest.approx(x.mean())
    half = 1.96 * x.std(ddof=1) / np.sqrt(len(x))
    assert (iv.high - iv.low) / 2 == pytest.approx(half, rel=0.1)
    assert iv.reps == 2000 and iv.sign == 1


def test_percentile_interval_drops_undefined_draws_and_reads_the_sign() -> None:
    draws = np.r_[np.linspace(-3.0, -1.0, 101), [np.nan, np.inf]]
    iv = percentile_interval(-2.0, draws, 0.9, 1.0)
    assert iv.reps == 101 and iv.sign == -1
    assert iv.low == pytest.approx(-2.9) and iv.high == pytest.approx(-1.1)
    empty = percentile_interval(1.0, np.array([np.nan]), 0.95, None)
    assert np.isnan(empty.low) and empty.sign == 0
    assert Interval(1.0, -1.0, 2.0, 0.95, "x").sign == 0
    assert Interval(1.0, 0.5, 2.0, 0.95, "x").scaled(100).low == 50.0
