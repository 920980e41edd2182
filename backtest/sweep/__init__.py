"""Sweeps: N parameter sets of one config turned into N exact return series, fast.

The engine behind ``backtest tune``::

    prepared = prepare_sweep(raw, trials, source=path, base_dir=root, load=loader)
    result = run_sweep(prepared, SweepOptions(executor="dask", workers=2))
    result.returns        # (n_ok, n_bars) net returns, row i = trial result.numbers[i]

Data are loaded once, each distinct market (data, signal, sleeves) is computed
once, strategies decide in vectorized batches (``decide_batch``), and a numba
kernel of the engine's accounting (:mod:`backtest.engine._kernel`) simulates
every trial; each trial equals ``backtest run`` with its overrides and the common
window to 1e-10 (tested against the vectorbt engine). Memory is bounded by
``max_memory`` whatever the number of trials, and the numbers are identical bit
for bit whichever executor, worker count or chunk size ran them.

Names are imported lazily: a worker process that only evaluates chunks
(:mod:`backtest.sweep._evaluate`) does not pay for the preparation's imports.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backtest.sweep._prepare import prepare_sweep
    from backtest.sweep._run import prestart_workers, run_sweep
    from backtest.sweep._segments import run_segments, segment_weights
    from backtest.sweep._types import (
        EXECUTORS,
        Executor,
        PreparedSweep,
        Segment,
        SweepOptions,
        SweepResult,
    )

_LAZY = {
    "prepare_sweep": "backtest.sweep._prepare",
    "prestart_workers": "backtest.sweep._run",
    "run_sweep": "backtest.sweep._run",
    "run_segments": "backtest.sweep._segments",
    "segment_weights": "backtest.sweep._segments",
    "EXECUTORS": "backtest.sweep._types",
    "Executor": "backtest.sweep._types",
    "PreparedSweep": "backtest.sweep._types",
    "Segment": "backtest.sweep._types",
    "SweepOptions": "backtest.sweep._types",
    "SweepResult": "backtest.sweep._types",
}

__all__ = [
    "EXECUTORS",
    "Executor",
    "PreparedSweep",
    "Segment",
    "SweepOptions",
    "SweepResult",
    "prepare_sweep",
    "prestart_workers",
    "run_segments",
    "run_sweep",
    "segment_weights",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'backtest.sweep' has no attribute {name!r}")
