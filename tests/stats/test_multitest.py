"""Holm and Benjamini-Hochberg adjustments equal statsmodels' multipletests."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from backtest.stats._multitest import bh_adjusted, holm_adjusted

CASES = {
    "one": [0.03],
    "two": [0.04, 0.01],
    "ties": [0.01, 0.01, 0.2, 0.01, 0.5],
    "zeros and ones": [0.0, 1.0, 0.0, 0.5, 1.0],
    "all large": [0.9, 0.8, 0.95],
    "regimes": [0.002, 0.04, 0.31, 0.0009, 0.6, 0.05, 0.011, 0.2, 0.77, 0.049, 0.0421],
}


def _check(p: np.ndarray) -> None:
    np.testing.assert_array_equal(holm_adjusted(p), multipletests(p, method="holm")[1])
    np.testing.assert_array_equal(bh_adjusted(p), multipletests(p, method="fdr_bh")[1])


@pytest.mark.parametrize("values", CASES.values(), ids=CASES.keys())
def test_equal_statsmodels_on_edge_cases(values: list[float]) -> None:
    _check(np.asarray(values))


@pytest.mark.parametrize("seed", range(10))
def test_equal_statsmodels_on_random_p_values(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.0, 1.0, int(rng.integers(1, 60))) ** float(rng.uniform(0.5, 4.0))
    p[rng.random(p.size) < 0.2] = p[0]  # ties
    _check(p)
