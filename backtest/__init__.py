"""dcf-regime: backtest duration rotation against the cost of capital.

Three lines from config to report::

    import backtest
    result = backtest.run("strategies/duration_rotation.toml")
    backtest.write_outputs([result], html="reports/x.html", json_path="reports/x.json")

Attributes are imported lazily so that ``backtest --help`` stays fast (vectorbt
costs about 2 s to import).
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("dcf-regime")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

_LAZY = {
    "run": "backtest.api",
    "write_outputs": "backtest.api",
    "compare": "backtest.api",
    "CompareResult": "backtest.api",
    "load_config": "backtest.config",
    "RunConfig": "backtest.config",
    "RunResult": "backtest.runner",
    "BacktestResult": "backtest.engine",
    "evaluate_thesis": "backtest.evaluate",
    "analyze": "backtest.evaluate",
}

__all__ = ["BacktestResult", "CompareResult", "RunConfig", "RunResult", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'backtest' has no attribute {name!r}")
