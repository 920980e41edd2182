"""Saved runs → the plain context dict the HTML template renders (pure).

The only input is run documents (schema 1.x JSON, as :func:`to_json` makes them
or as read back from disk), so a report rendered from a saved result equals the
one rendered at run time. No clock, no filesystem, no network. Everything in the
context is plain data; figures are JSON strings (:mod:`backtest.report._embed`),
which :func:`backtest.report.html.render_html` marks, alone, as trusted markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from backtest.engine.result import ENGINE_TEXT
from backtest.errors import BacktestError
from backtest.metrics import BENCHMARK_METRICS, FullMetric, Metric
from backtest.report._analysis import (
    annual_table,
    distribution_inputs,
    distribution_rows,
    drawdown_rows,
    rolling_months,
    switch_rows,
    window_bars,
)
from backtest.report._charts import build_charts, page_palette
from backtest.report._compare import Comparison, compare_runs
from backtest.report._figbase import DISPLAY_POINTS
from backtest.report._format import CellStyle, format_date, format_value
from backtest.report._regimes import (
    by_state_groups,
    catalog_rows,
    regime_names,
    regime_rows,
    timing_groups,
)
from backtest.report._runs import RunData, run_from_document
from backtest.report.sections import build_sections

__all__ = ["build_context", "format_value", "to_runs"]

_FREQUENCIES = {"B": "business days", "D": "calendar days", "W": "weeks (Fridays)",
                "M": "month ends"}
_CONVENTIONS = {
    "engine": "Engine (executes the orders)",
    "frequency": "Bar frequency",
    "periods_per_year": "Periods per year (annualization)",
    "execution_lag_bars": "Execution lag (bars after the decision)",
    "fees_bps": "Fees (bps of traded value)",
    "slippage_bps": "Slippage (bps of traded value)",
    "cash_asset": "Cash asset",
    "risk_free": "Risk-free rate (Sharpe, Sortino, alpha, beta)",
    "benchmark": "Benchmark (beta, alpha, information ratio, tracking error)",
    "benchmark_rule": "Benchmark chosen by",
    "start": "First bar",
    "end": "Last bar",
    "bars": "Bars",
    "initial_capital": "Initial capital",
}
_SOURCE_FIELDS = ("alias", "role", "id", "kind", "units", "frequency", "lag", "first", "last",
                  "notes")


def to_runs(documents: Sequence[RunData | Mapping[str, Any]]) -> list[RunData]:
    """Run documents (or already parsed runs) as :class:`RunData`."""
    return [d if isinstance(d, RunData) else run_from_document(d, f"run {i + 1}")
            for i, d in enumerate(documents)]


def _convention_text(key: str, value: object) -> str:
    if key == "engine":
        return ENGINE_TEXT.get(str(value or "vectorbt"), str(value))
    if value is None:
        return "none"
    if key == "frequency":
        return f"{value} ({_FREQUENCIES.get(str(value), 'custom')})"
    if key in ("fees_bps", "slippage_bps"):
        return str(format_value(value, "bps")["text"])
    return str(value)


def _across(keys: Sequence[str], values: Sequence[Mapping[str, Any]],
            labels: Mapping[str, str], text: Any = None) -> list[dict[str, Any]]:
    """Rows of a per-run table: one value when every run agrees, else one per run."""
    rows = []
    for key in keys:
        shown = [(text or _convention_text)(key, v.get(key)) for v in values]
        rows.append({"key": key, "label": labels.get(key, key), "values": shown,
                     "same": len(set(shown)) == 1})
    return rows


def _conventions(comparison: Comparison) -> list[dict[str, Any]]:
    values = [run.conventions for run in comparison.runs]
    keys = list(dict.fromkeys(k for v in values for k in v))
    return _across(keys, values, _CONVENTIONS)


def _versions(comparison: Comparison) -> list[dict[str, Any]]:
    values = [dict(run.document.get("versions", {})) for run in comparison.runs]
    keys = list(dict.fromkeys(k for v in values for k in v))
    return _across(keys, values, {}, text=lambda _k, v: "—" if v is None else str(v))


#: The metrics table's columns shown at first (the others behind "Show all"): they fit
#: a 1,280 px page beside the strategy, run and benchmark columns.
HEADLINE_METRICS = (Metric.CAGR, Metric.ANNUAL_VOLATILITY, Metric.SHARPE, Metric.SORTINO,
                    Metric.MAX_DRAWDOWN, Metric.TOTAL_RETURN, Metric.INFORMATION_RATIO)


def _metrics(comparison: Comparison) -> dict[str, Any]:
    present = {k for e in comparison.entries for k in e.data.metrics}
    columns = [m for m in Metric if str(m) in present]
    palette = page_palette(comparison)
    rows = []
    for e in comparison.entries:
        rows.append({
            "label": e.label, "kind": e.data.kind, "main": e.main,
            "colour": palette.colour(e.label),
            "runs": ", ".join(comparison.names[i] for i in e.runs),
            "benchmark": e.benchmark or "—",
            "cells": [format_value(e.data.metrics.get(str(m)),
                                   "percent" if m.is_percent else "ratio") for m in columns],
        })
    return {
        "columns": [{"key": str(m), "label": m.label, "relative": m in BENCHMARK_METRICS,
                     "more": m not in HEADLINE_METRICS} for m in columns],
        "rows": rows,
    }


def _full_metrics(comparison: Comparison) -> dict[str, Any]:
    """The full list (:class:`FullMetric`): one row per metric, one column per strategy.

    Empty rows when no run has them (a document older than schema 1.4).
    """
    present = {k for e in comparison.entries for k in e.data.metrics}
    rows = []
    for m in FullMetric:
        if str(m) not in present:
            continue
        style: CellStyle = ("percent" if m.is_percent else
                 "int" if m in (FullMetric.MAX_CONSECUTIVE_WINS,
                                FullMetric.MAX_CONSECUTIVE_LOSSES) else "ratio")
        rows.append({"key": str(m), "label": m.label, "relative": m.against_benchmark,
                     "cells": [format_value(e.data.metrics.get(str(m)), style)
                               for e in comparison.entries]})
    return {"columns": [{"label": e.label, "main": e.main} for e in comparison.entries],
            "rows": rows}


def _run_rows(comparison: Comparison) -> list[dict[str, Any]]:
    rows = []
    for i, run in enumerate(comparison.runs):
        doc = run.document
        rows.append({
            "name": comparison.names[i], "title": run.title,
            "source": str(doc["config"].get("source", "")),
            "config_hash": str(doc["config"].get("hash", "")),
            "fingerprint": str(doc["data"].get("fingerprint", "")),
            "generated_at": str(doc.get("generated_at", "—")),
            "start": format_date(run.conventions.get("start")),
            "end": format_date(run.conventions.get("end")),
            "bars": run.conventions.get("bars"),
            "main": comparison.labels[i][run.main],
            "benchmark": comparison.labels[i].get(run.benchmark or "", "none"),
        })
    return rows


def _source_groups(comparison: Comparison) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = []
    for i, run in enumerate(comparison.runs):
        rows = []
        for info in run.document["data"].get("sources", []):
            row = {f: "" if info.get(f) is None else str(info.get(f)) for f in _SOURCE_FIELDS}
            row["first"] = format_date(info.get("first"))
            row["last"] = format_date(info.get("last"))
            rows.append(row)
        for group in groups:
            if group["rows"] == rows:
                group["runs"].append(comparison.names[i])
                break
        else:
            groups.append({"runs": [comparison.names[i]], "rows": rows})
    return groups



def build_context(
    runs: Sequence[RunData | Mapping[str, Any]],
    *,
    title: str | None = None,
    max_points: int | None = DISPLAY_POINTS,
) -> dict[str, Any]:
    """Everything the HTML report shows, as plain data.

    Parameters
    ----------
    runs : sequence of run documents or RunData
        One or more runs (:func:`backtest.report.to_json` documents, or read with
        :func:`backtest.report.read_results`); every strategy of every run is
        compared, labelled ``"<run> / <label>"`` when there are several runs.
    title : str, optional
        Report title; default the first run's title (or name), or "Comparison of
        N runs".
    max_points : int or None
        Display resolution of long series in charts (points per line); None: every bar.

    Returns
    -------
    dict
        Plain data for ``report.html.j2`` (see the template for the keys).

    Raises
    ------
    BacktestError
        ``runs`` is empty.
    ResultFileError
        A document is malformed.
    """
    if not runs:
        raise BacktestError("nothing to report: no runs were given")
    parsed = to_runs(runs)
    comparison = compare_runs(parsed)
    first = parsed[0]
    months = rolling_months(comparison)
    starts = {i: run.start for i, run in enumerate(parsed)}
    ends = {i: pd.Timestamp(run.conventions["end"]) for i, run in enumerate(parsed)}
    annual = annual_table(list(comparison.entries), ends, starts)
    dist_returns, period = distribution_inputs(comparison)
    stats, dist_rows = distribution_rows(dist_returns)
    names = regime_names(comparison)
    stamps = sorted(str(run.document.get("generated_at", "")) for run in parsed)
    default_title = (first.title or first.name) if len(parsed) == 1 else (
        f"Comparison of {len(parsed)} runs: " + ", ".join(comparison.names))
    return {
        "title": title or default_title,
        "generated_at": stamps[-1] or "—",
        "generator": str(first.document.get("generated_by", "dcf-regime")),
        "multi_run": comparison.multi,
        "run_names": list(comparison.names),
        "runs": _run_rows(comparison),
        "warnings": comparison.warnings(),
        "conventions": _conventions(comparison),
        "differs": [{"key": k, "values": list(v)} for k, v in comparison.differs],
        "metrics": _metrics(comparison),
        "full_metrics": _full_metrics(comparison),
        "strategies": [e.label for e in comparison.entries],
        "mains": [e.label for e in comparison.mains],
        "display": {
            "max_points": max_points,
            "rolling": f"{months} months",
            "rolling_bars": sorted({window_bars(months, r.periods_per_year) for r in parsed}),
            "distribution_period": period,
        },
        "annual": {"columns": [e.label for e in comparison.entries], "rows": annual["rows"]},
        "distribution": dist_rows,
        "drawdowns": drawdown_rows(list(comparison.entries), starts),
        "switches": switch_rows(comparison),
        "regimes": {"strategies": [e.label for e in comparison.entries],
                    "rows": regime_rows(comparison, names)},
        "timing": timing_groups(comparison),
        "by_state": by_state_groups(comparison),
        "catalog": catalog_rows(comparison, names),
        "catalog_size": len({str(i.get("name")) for r in parsed for i in r.catalog}),
        "sources": _source_groups(comparison),
        "versions": _versions(comparison),
        "figures": build_charts(comparison, months=months, max_points=max_points,
                                distribution=(dist_returns, stats, period),
                                annual=annual["frame"]),
        "sections": build_sections(comparison),
    }
