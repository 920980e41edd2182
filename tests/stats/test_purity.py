"""backtest.stats is pure: no I/O, no printing, no eval, only the allowed libraries."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
STATS = sorted((ROOT / "backtest" / "stats").glob("*.py"))
ALLOWED = {"numpy", "pandas", "scipy", "arch", "statsmodels", "numba", "__future__",
           "dataclasses", "typing", "collections", "math", "re", "itertools", "difflib",
           "importlib"}  # importlib: the package's names load on first use (__init__)
ALLOWED_INTERNAL = ("backtest.errors", "backtest.signals", "backtest.stats")
FORBIDDEN_CALLS = {"print", "eval", "exec", "open", "compile", "__import__", "input"}


def test_imports_and_calls() -> None:
    assert len(STATS) >= 8
    for path in STATS:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                names = []
            for name in names:
                top = name.split(".")[0]
                assert top in ALLOWED or name.startswith(ALLOWED_INTERNAL), f"{path.name}: {name}"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in FORBIDDEN_CALLS, f"{path.name} calls {node.func.id}"


def test_importing_stats_does_not_import_the_engine_or_ffn() -> None:
    import subprocess

    code = ("import sys, backtest.stats; "
            "print(sorted(m for m in ('vectorbt', 'ffn', 'plotly', 'backtest.engine') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_walk_forward_selection_never_sees_its_test_window() -> None:
    # the tune protocol: in each fold, select on train, judge on test. Rewriting every
    # bar from a fold's test start on changes neither the folds nor that selection.
    from backtest.stats import objective_values, walk_forward

    rng = np.random.default_rng(0)
    returns = rng.normal(0.005, 0.04, (25, 240))
    cash = np.full(240, 0.002)
    folds = walk_forward(240, train=60, test=24, purge=1)
    for fold in folds:
        future = returns.copy()
        future[:, fold.test.start:] = rng.normal(0.05, 0.2, (25, 240 - fold.test.start))
        assert walk_forward(240, train=60, test=24, purge=1) == folds  # data-free
        picks = [int(np.nanargmax(objective_values(r[:, fold.train], cash[fold.train],
                                                    periods_per_year=12, objective="sharpe")))
                 for r in (returns, future)]
        assert picks[0] == picks[1]
        assert fold.train.stop < fold.test.start  # purge gap of one bar
