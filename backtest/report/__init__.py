"""Reports: runs → plain context → self-contained HTML; a run → schema-versioned JSON.

``build_context``, ``render_html`` and ``to_json`` are pure; ``write_report`` and
``write_json`` are the only functions that touch the filesystem (atomic writes).

Examples
--------
>>> from backtest.report import build_context, render_html, write_report
>>> ctx = build_context([run], generated_at="2026-01-01 12:00 UTC")  # doctest: +SKIP
>>> write_report("reports/run.html", render_html(ctx))  # doctest: +SKIP
"""

from __future__ import annotations

from backtest.report.context import build_context
from backtest.report.html import render_html, write_report
from backtest.report.json import SCHEMA_VERSION, to_json, write_json

__all__ = [
    "SCHEMA_VERSION",
    "build_context",
    "render_html",
    "to_json",
    "write_json",
    "write_report",
]
