"""Reports: runs → JSON documents → plain context → self-contained HTML.

Every report goes through the same path, whether it is rendered at run time or
later from saved files (``backtest report RESULT.json ...``)::

    RunResult --to_json--> document --build_context--> context --render_html--> page

``to_json``, ``build_context`` and ``render_html`` are pure; ``write_report`` and
``write_json`` are the only functions that touch the filesystem (atomic writes),
and ``read_results`` the only one that reads it.

Examples
--------
>>> from backtest.report import build_context, render_html, to_json, write_report
>>> ctx = build_context([to_json(run, generated_at="2026-01-01 12:00 UTC")])  # doctest: +SKIP
>>> write_report("reports/run.html", render_html(ctx))  # doctest: +SKIP
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backtest.report._compare import Comparison, compare_runs
    from backtest.report._notebook import ReportView, reset_plotlyjs
    from backtest.report._runs import RunData, read_results, run_from_document
    from backtest.report.context import build_context
    from backtest.report.html import render_html, write_report
    from backtest.report.json import (
        SCHEMA_VERSION,
        compare_document,
        to_compare_json,
        to_json,
        write_json,
    )

# names are imported on first use: the JSON helpers (used by tune) do not pay for the
# figures and templates of the HTML pages
_LAZY = {
    "Comparison": "backtest.report._compare", "compare_runs": "backtest.report._compare",
    "ReportView": "backtest.report._notebook", "reset_plotlyjs": "backtest.report._notebook",
    "RunData": "backtest.report._runs", "read_results": "backtest.report._runs",
    "run_from_document": "backtest.report._runs", "build_context": "backtest.report.context",
    "render_html": "backtest.report.html", "write_report": "backtest.report.html",
    "SCHEMA_VERSION": "backtest.report.json", "compare_document": "backtest.report.json",
    "to_compare_json": "backtest.report.json", "to_json": "backtest.report.json",
    "write_json": "backtest.report.json",
}

__all__ = [
    "SCHEMA_VERSION",
    "Comparison",
    "ReportView",
    "RunData",
    "build_context",
    "compare_document",
    "compare_runs",
    "read_results",
    "render_html",
    "reset_plotlyjs",
    "run_from_document",
    "to_compare_json",
    "to_json",
    "write_json",
    "write_report",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'backtest.report' has no attribute {name!r}")
