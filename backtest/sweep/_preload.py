"""Imported once by the process pool's fork server, so every worker forks ready.

The workers' entry points and the kernels, loaded from numba's cache (compiled
there, once, on a cold cache). A failed warm-up is left to each worker, which
then loads or compiles the kernels itself and reports any error as its chunk's.
"""

from __future__ import annotations

import contextlib

from backtest.sweep import _executors  # noqa: F401  (the pool workers' functions)
from backtest.sweep._run import _warm_up

with contextlib.suppress(Exception):
    _warm_up()
