"""backtest.stats._stationary draws arch's StationaryBootstrap indices bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from arch.bootstrap import StationaryBootstrap

from backtest.stats._stationary import stationary_indices


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
