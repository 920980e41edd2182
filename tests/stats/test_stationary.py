"""backtest.stats._stationary draws arch's StationaryBootstrap indices bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from arch.bootstrap import StationaryBootstrap

from backtest.stats._stationary import _bulk_draws, _draws, _words, stationary_indices


def _arch(n: int, block: float, reps: int, rng: np.random.Generator) -> np.ndarray:
    boot = StationaryBootstrap(block, np.arange(n), seed=rng)  # type: ignore[arg-type]
    return np.stack([np.asarray(boot.update_indices(), dtype=np.int64) for _ in range(reps)])


@pytest.mark.parametrize(("n", "block", "reps", "seed"), [
    (1, 1.0, 5, 0), (2, 1.0, 7, 1), (3, 2.5, 9, 2), (50, 7.0, 20, 3), (97, 1.0, 11, 4),
    (250, 12.3, 40, 5), (1000, 33.3, 25, 6), (16_279, 150.0, 3, 7), (40, 40.0, 30, 8),
    (40, 1e6, 10, 9),  # one block per resample, wrapping around the end
])
def test_indices_equal_archs_for_the_same_generator(n, block, reps, seed) -> None:
    ours = stationary_indices(n, block_size=block, reps=reps, rng=np.random.default_rng(seed))
    theirs = _arch(n, block, reps, np.random.default_rng(seed))
    assert ours.dtype == np.int64
    np.testing.assert_array_equal(ours, theirs)


def test_the_generator_is_left_where_arch_leaves_it() -> None:
    # a caller drawing more after the bootstrap (another statistic) sees the same numbers
    ours, theirs = np.random.default_rng(11), np.random.default_rng(11)
    stationary_indices(30, block_size=4.0, reps=6, rng=ours)
    _arch(30, 4.0, 6, theirs)
    assert ours.random() == theirs.random()


def test_no_resamples() -> None:
    assert stationary_indices(10, block_size=2.0, reps=0, rng=np.random.default_rng(0)).shape \
        == (0, 10)


@pytest.mark.parametrize(("n", "reps"), [(1, 4), (2, 3), (5, 7), (818, 50), (447, 31)])
@pytest.mark.parametrize("draws_before", [0, 1, 2])
def test_bulk_draws_equal_the_calls_and_leave_the_same_state(n, reps, draws_before) -> None:
    # a generator with a 32-bit half left over (an odd number of integers drawn before)
    # takes the calls, untouched by the bulk path; without one both paths draw the same
    # numbers and leave the same state
    fast, slow = np.random.default_rng(21), np.random.default_rng(21)
    for g in (fast, slow):
        g.integers(10, size=draws_before, dtype=np.int64)
    state = fast.bit_generator.state
    bulk = _bulk_draws(n, reps, fast)
    if draws_before % 2:
        assert bulk is None
        assert fast.bit_generator.state == state
        return
    assert bulk is not None
    calls = _draws(n, reps, slow)
    np.testing.assert_array_equal(bulk[0], calls[0])
    np.testing.assert_array_equal(bulk[1], calls[1])
    assert fast.bit_generator.state == slow.bit_generator.state


def test_a_redraw_falls_back_to_the_calls_without_consuming_anything() -> None:
    # n = 3 * 2^20: Lemire's method redraws with probability 2^20 / 2^32 per draw, so
    # one resample of n draws redraws ~760 times: the bulk path declines, untouched
    n = 3 * 2**20
    rng = np.random.default_rng(5)
    state = rng.bit_generator.state
    assert _bulk_draws(n, 1, rng) is None
    assert rng.bit_generator.state == state
    ours = stationary_indices(n, block_size=50.0, reps=1, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(ours, _arch(n, 50.0, 1, np.random.default_rng(5)))


def test_other_bit_generators_take_the_calls() -> None:
    rng = np.random.Generator(np.random.MT19937(3))
    assert _bulk_draws(20, 3, rng) is None
    ours = stationary_indices(20, block_size=3.0, reps=3, rng=np.random.Generator(np.random.MT19937(3)))
    np.testing.assert_array_equal(
        ours, _arch(20, 3.0, 3, np.random.Generator(np.random.MT19937(3))))


def test_outputs_taken_by_resamples_are_those_of_the_sequential_count() -> None:
    for n in range(1, 40):
        for reps in range(1, 12):
            words, has = 0, 0  # resample by resample: integers' halves, then n uniforms
            for _ in range(reps):
                if n > 1:
                    halves = n - has
                    words += (halves + 1) // 2
                    has = halves % 2
                words += n
            assert _words(n, reps) == words, (n, reps)
