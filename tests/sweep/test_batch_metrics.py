"""A chunk's metrics come from the kernel; the empyrical paths are the fallback and the reference.

Three tiers, each equal to the next to 1e-12 (relative above 1): the numba kernel
(``simulate_measured``), ``compute_metrics_batch`` on the trials it does not cover,
``compute_metrics`` one trial at a time when a batch raises.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sweep_support import KIND_PARAMS, prepared_sweep, random_trials

from backtest.sweep import _evaluate, run_sweep
from backtest.sweep._types import PreparedSweep

TRIALS = [
    {"strategy.enter": 0.5, "strategy.exit": 0.0},
    {"strategy.enter": 1.0, "strategy.min_hold_periods": 3},
    {"strategy.kind": "graded_tilt", "strategy.shape": "logistic"},
    {"strategy.kind": "buy_and_hold", "strategy.asset": "MID"},
]


def _refuse(*args: object, **kwargs: object) -> None:
    raise AssertionError("a fallback path was taken")


def _uncovered(*args: Any, **kwargs: Any) -> _evaluate.Measured:
    """The kernel's run with no trial covered: every metric from the reference path."""
    measured = _MEASURE(*args, **kwargs)
    return replace(measured, covered=np.zeros_like(measured.covered))


_MEASURE = _evaluate.measure_trials


def assert_close(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Same NaNs, else within 1e-12 (relative above 1): the kernel's documented tolerance."""
    assert list(got.columns) == list(want.columns)
    a, b = got.to_numpy(), want.to_numpy()
    assert np.array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(b)
    assert (np.abs(a[ok] - b[ok]) <= 1e-12 * np.maximum(1.0, np.abs(b[ok]))).all()


def test_metrics_come_from_the_kernel_and_the_fallbacks_give_the_same_numbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prepared = prepared_sweep("synthetic", "binary_rotation", TRIALS)
    with monkeypatch.context() as patch:  # the kernel measures every trial
        patch.setattr(_evaluate, "_metrics", _refuse)
        patch.setattr(_evaluate, "compute_metrics_batch", _refuse)
        kernel = run_sweep(prepared)
    assert not kernel.failed and len(kernel.numbers) == len(TRIALS)

    with monkeypatch.context() as patch:  # not covered: batched, never one by one
        patch.setattr(_evaluate, "measure_trials", _uncovered)
        patch.setattr(_evaluate, "_metrics", _refuse)
        batched = run_sweep(prepared)
    assert not batched.failed
    assert batched.returns.tobytes() == kernel.returns.tobytes()
    assert_close(kernel.metrics, batched.metrics)

    with monkeypatch.context() as patch:  # a batch that raises: each trial on its own
        patch.setattr(_evaluate, "measure_trials", _uncovered)
        patch.setattr(_evaluate, "compute_metrics_batch", _refuse)
        alone = run_sweep(prepared)
    assert not alone.failed
    assert_close(kernel.metrics, alone.metrics)


@pytest.mark.parametrize("config", ["synthetic", "default"])
@pytest.mark.parametrize("kind", list(KIND_PARAMS))
def test_the_kernel_equals_the_empyrical_path_on_every_kind(
    config: str, kind: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # random trials of the kind, costs (0 to 40 bp), lags 0-2 and signal settings drawn
    trials = random_trials(np.random.default_rng(len(kind) + len(config)), config, kind, 6)
    other = {"synthetic": "fifty_fifty", "default": "long_duration"}[config]
    for trial in trials[::2]:  # measured against a benchmark (the synthetic config has none)
        trial["run.benchmark"] = other
    trials += [{"costs.fees_bps": 40.0, "costs.slippage_bps": 5.0, "run.execution_lag": 0},
               {"run.execution_lag": 2, "run.benchmark": "none"}]
    prepared = prepared_sweep(config, kind, trials)
    kernel = run_sweep(prepared)
    with monkeypatch.context() as patch:
        patch.setattr(_evaluate, "measure_trials", _uncovered)
        reference = run_sweep(prepared)
    assert kernel.failed == reference.failed
    assert kernel.returns.tobytes() == reference.returns.tobytes()
    assert_close(kernel.metrics, reference.metrics)
    assert kernel.metrics["beta"].notna().any()  # benchmark-relative metrics measured


def _shorter(prepared: PreparedSweep) -> PreparedSweep:
    """The benchmarks on other dates than the trials' returns (the first bar missing)."""
    return replace(prepared, benchmark_returns=tuple(b.iloc[1:]
                                                     for b in prepared.benchmark_returns))


def test_a_benchmark_on_other_dates_falls_back_to_the_reference_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trials = [{**t, "run.benchmark": "fifty_fifty"} for t in TRIALS]
    prepared = _shorter(prepared_sweep("synthetic", "binary_rotation", trials))
    calls: list[int] = []
    real = _evaluate._metrics

    def counted(*args: Any, **kwargs: Any) -> pd.Series:
        calls.append(1)
        return real(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(_evaluate, "_metrics", counted)
        result = run_sweep(prepared)
    assert not result.failed and len(calls) == len(TRIALS)  # aligned one by one, as before
    assert result.metrics["beta"].notna().all()
    with monkeypatch.context() as patch:
        patch.setattr(_evaluate, "measure_trials", _uncovered)
        reference = run_sweep(prepared)
    assert_close(result.metrics, reference.metrics)


MIXED = [*TRIALS, {"run.benchmark": "fifty_fifty", "run.execution_lag": 0},
         {"strategy.kind": "static_mix", "strategy.weights": {"LONG1": 0.5},
          "run.benchmark": "long_duration", "costs.fees_bps": 25.0},
         {"strategy.enter": 0.25, "run.execution_lag": 2, "run.benchmark": "fifty_fifty"}]


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_a_trials_numbers_do_not_depend_on_its_chunk(data: st.DataObject) -> None:
    # any subset of the trials as one chunk: each trial's returns and metrics, same bits
    prepared = prepared_sweep("synthetic", "binary_rotation", MIXED)  # (cached)
    assert len(prepared.trials) == len(MIXED)
    everything = list(range(len(prepared.trials)))
    whole = _evaluate.evaluate_chunk(prepared, everything)
    part = sorted(data.draw(st.lists(st.sampled_from(everything), min_size=1, unique=True)))
    chunk = _evaluate.evaluate_chunk(prepared, part)
    rows = np.searchsorted(whole.numbers, chunk.numbers)
    assert chunk.returns.tobytes() == whole.returns[rows].tobytes()
    assert chunk.metrics.tobytes() == whole.metrics[rows].tobytes()
