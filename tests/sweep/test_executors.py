"""Executors: identical bits everywhere, dead workers retried, Ctrl-C stops everything.

Real processes and a real 2-worker Dask LocalCluster (no network beyond localhost).
"""

from __future__ import annotations

import os
import signal
from typing import Any

import numpy as np
import psutil
import pytest
from sweep_support import prepared_sweep, sweep_workers

from backtest.errors import BacktestError
from backtest.sweep import SweepOptions, SweepResult, run_sweep

# one sweep mixing every kind (batched and generic paths) and signal settings
TRIALS: list[dict[str, Any]] = [
    {"strategy.enter": 0.5, "strategy.exit": 0.0},
    {"strategy.enter": 1.0, "strategy.min_hold_periods": 3, "strategy.rebalance": "monthly"},
    {"strategy.enter": 0.0, "strategy.exit": 0.5},  # invalid: exit > enter
    {"strategy.enter": 0.25, "signal.components.spread_3m_change.horizon_months": 6},
    {"strategy.kind": "graded_tilt", "strategy.shape": "logistic"},
    {"strategy.kind": "graded_tilt", "strategy.low": -0.5, "strategy.rebalance": "on_change"},
    {"strategy.kind": "duration_targeting", "strategy.duration_min_years": 3.0},
    {"strategy.kind": "trend_rule", "strategy.lookback_months": 6},
    {"strategy.kind": "trend_rule", "strategy.sleeve": "short", "strategy.rebalance": "weekly"},
    {"strategy.kind": "static_mix", "strategy.weights": {"LONG1": 0.5, "SHORT1": 0.5}},
    {"strategy.kind": "static_mix", "strategy.weights": {"NOPE": 0.5}},  # fails at run time
    {"strategy.kind": "buy_and_hold", "strategy.asset": "MID"},
    {"strategy.kind": "always_short", "costs.fees_bps": 25.0, "run.execution_lag": 0},
    {"strategy.enter": 0.75, "strategy.risk_off_sleeve": "cash", "run.execution_lag": 2},
    {"strategy.enter": -0.25, "strategy.exit": -0.5, "costs.slippage_bps": 0.0},
    {"strategy.enter": 0.5, "strategy.rebalance": "never"},
]


def _prepared() -> Any:
    return prepared_sweep("synthetic", "binary_rotation", TRIALS)


def _assert_identical(a: SweepResult, b: SweepResult) -> None:
    assert np.array_equal(a.numbers, b.numbers)
    assert a.returns.shape == b.returns.shape
    assert a.returns.tobytes() == b.returns.tobytes()  # bit for bit
    assert a.metrics.to_numpy().tobytes() == b.metrics.to_numpy().tobytes()
    assert list(a.metrics.columns) == list(b.metrics.columns)
    assert a.failed == b.failed
    assert a.invalid == b.invalid


@pytest.fixture(scope="module")
def reference() -> SweepResult:
    result = run_sweep(_prepared())
    assert set(result.invalid) == {2}
    assert set(result.failed) == {10}
    assert result.failed[10].startswith("ConfigError: static_mix: unknown asset NOPE")
    assert len(result.numbers) == len(TRIALS) - 2
    return result


@pytest.mark.parametrize("chunk", [1, 3, 7])
def test_chunk_sizes_give_identical_bits(reference: SweepResult, chunk: int) -> None:
    _assert_identical(reference, run_sweep(_prepared(), SweepOptions(chunk_trials=chunk)))


@pytest.mark.parametrize("workers", [1, 3])
def test_process_pools_of_any_size_give_identical_bits(reference: SweepResult,
                                                       workers: int) -> None:
    options = SweepOptions(executor="processes", workers=workers, chunk_trials=2)
    _assert_identical(reference, run_sweep(_prepared(), options))


def test_dask_local_cluster_gives_identical_bits(reference: SweepResult) -> None:
    options = SweepOptions(executor="dask", workers=2, chunk_trials=3)
    _assert_identical(reference, run_sweep(_prepared(), options))


def _workers() -> list[psutil.Process]:
    return sweep_workers(psutil.Process())


class _KillOnce:
    """A progress callback that SIGKILLs one worker process at the first finished chunk."""

    def __init__(self) -> None:
        self.killed = 0
        self.calls = 0

    def __call__(self, n: int) -> None:
        self.calls += n
        if not self.killed:
            workers = _workers()
            assert workers, "no worker process to kill"
            os.kill(workers[0].pid, signal.SIGKILL)
            self.killed = workers[0].pid


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_a_killed_worker_is_retried_and_the_sweep_completes(reference: SweepResult,
                                                            executor: str) -> None:
    progress = _KillOnce()
    options = SweepOptions(executor=executor, workers=2, chunk_trials=1)  # type: ignore[arg-type]
    result = run_sweep(_prepared(), options, progress=progress)
    assert progress.killed
    _assert_identical(reference, result)
    assert progress.calls == len(TRIALS) - 1  # every valid trial reported once
    assert not _workers()  # nothing left running


class _Interrupt:
    def __call__(self, n: int) -> None:
        raise KeyboardInterrupt


@pytest.mark.parametrize("executor", ["local", "processes", "dask"])
def test_ctrl_c_cancels_and_stops_every_worker(executor: str) -> None:
    options = SweepOptions(executor=executor, workers=2, chunk_trials=1)  # type: ignore[arg-type]
    with pytest.raises(KeyboardInterrupt):
        run_sweep(_prepared(), options, progress=_Interrupt())
    assert not _workers()


def test_progress_reports_every_trial_once(reference: SweepResult) -> None:
    seen: list[int] = []
    run_sweep(_prepared(), SweepOptions(chunk_trials=4), progress=seen.append)
    assert sum(seen) == len(TRIALS) - 1  # the invalid trial never runs


def test_an_unreachable_scheduler_is_a_one_line_error() -> None:
    options = SweepOptions(executor="dask", scheduler="tcp://127.0.0.1:9", start_timeout_s=2,
                           connect_timeout_s=2)
    with pytest.raises(BacktestError, match=r"could not reach the Dask scheduler at "
                                            r"tcp://127.0.0.1:9 \(.*2 s"):
        run_sweep(_prepared(), options)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"executor": "threads"}, "unknown executor"),
    ({"workers": 0}, "workers must be a positive integer"),
    ({"chunk_trials": -1}, "chunk_trials must be a positive integer"),
    ({"scheduler": "tcp://h:8786"}, "needs the dask executor"),
    ({"start_timeout_s": 0}, "start_timeout_s must be > 0"),
])
def test_bad_options_are_config_errors(kwargs: dict[str, Any], message: str) -> None:
    from backtest.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        SweepOptions(**kwargs)


@pytest.mark.parametrize("executor", ["local", "processes"])
def test_returns_only_gives_the_same_returns(reference: SweepResult, executor: str) -> None:
    options = SweepOptions(executor=executor, workers=2, chunk_trials=5,  # type: ignore[arg-type]
                           metrics=False)
    result = run_sweep(_prepared(), options)
    assert np.array_equal(result.numbers, reference.numbers)
    assert result.returns.tobytes() == reference.returns.tobytes()
    assert result.metrics.shape == (len(result.numbers), 0)
    assert list(result.metrics.index) == list(result.numbers)
    assert result.failed == reference.failed


def test_local_dask_workers_keep_large_arrays() -> None:
    # issue 16: with Dask's MALLOC_TRIM_THRESHOLD_=65536 each chunk's temporaries were
    # fresh mappings (2.5x the CPU); the local cluster's workers start with ours
    from backtest.sweep._executors import ALLOCATOR_ENV, _connect

    client, cluster = _connect(1, None, timeout=60.0)
    try:
        seen = client.run(lambda: {k: os.environ.get(k) for k in ALLOCATOR_ENV})
    finally:
        client.close()
        cluster.close()
    assert list(seen.values()) == [ALLOCATOR_ENV]


@pytest.mark.parametrize("executor", ["local", "processes", "dask"])
def test_metrics_only_gives_the_same_metrics_and_no_series(reference: SweepResult,
                                                           executor: str) -> None:
    options = SweepOptions(executor=executor, workers=2, chunk_trials=3,  # type: ignore[arg-type]
                           returns=False)
    result = run_sweep(_prepared(), options)
    assert np.array_equal(result.numbers, reference.numbers)
    assert result.returns.shape == (len(reference.numbers), 0)
    assert result.metrics.to_numpy().tobytes() == reference.metrics.to_numpy().tobytes()
    assert result.failed == reference.failed and result.invalid == reference.invalid


def test_a_sweep_that_keeps_nothing_is_a_config_error() -> None:
    from backtest.errors import ConfigError

    with pytest.raises(ConfigError, match="neither returns nor metrics"):
        SweepOptions(returns=False, metrics=False)
