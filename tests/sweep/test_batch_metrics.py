"""A chunk's metrics come from one batched call; the per-trial path is the fallback."""

from __future__ import annotations

import numpy as np
import pytest
from sweep_support import prepared_sweep

from backtest.sweep import _evaluate, run_sweep

TRIALS = [
    {"strategy.enter": 0.5, "strategy.exit": 0.0},
    {"strategy.enter": 1.0, "strategy.min_hold_periods": 3},
    {"strategy.kind": "graded_tilt", "strategy.shape": "logistic"},
    {"strategy.kind": "buy_and_hold", "strategy.asset": "MID"},
]


def test_metrics_are_batched_and_the_fallback_gives_the_same_numbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prepared = prepared_sweep("synthetic", "binary_rotation", TRIALS)
    reference = run_sweep(prepared)
    assert not reference.failed and len(reference.numbers) == len(TRIALS)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("measured one trial at a time")

    with monkeypatch.context() as patch:  # batched: the per-trial path is never taken
        patch.setattr(_evaluate, "_metrics", refuse)
        batched = run_sweep(prepared)
    assert not batched.failed
    assert batched.metrics.to_numpy().tobytes() == reference.metrics.to_numpy().tobytes()

    with monkeypatch.context() as patch:  # a batch that raises: each trial on its own
        patch.setattr(_evaluate, "compute_metrics_batch", refuse)
        alone = run_sweep(prepared)
    assert not alone.failed
    np.testing.assert_allclose(alone.metrics.to_numpy(), reference.metrics.to_numpy(),
                               rtol=1e-12, atol=1e-15)
    assert list(alone.metrics.columns) == list(reference.metrics.columns)
