"""Runs → the plain context dict the HTML template renders (pure).

No clock, no filesystem, no network: the generation time and the library
versions are arguments. Everything in the context is plain data (str, int,
float, bool, None, lists and dicts of those). Figures are HTML ``<div>``
strings made by plotly; :func:`backtest.report.html.render_html` marks exactly
those (and nothing else) as trusted markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from backtest.errors import BacktestError
from backtest.figures import (
    drawdown_figure,
    equity_figure,
    kind_colour,
    regime_bars_figure,
    signal_figure,
    weights_figure,
)
from backtest.metrics import Metric
from backtest.report._format import format_date, format_value, to_number
from backtest.report._regimes import kind_text, regime_section

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from backtest.runner import RunResult

__all__ = ["build_context", "format_value", "run_names", "strategy_labels"]


_FREQUENCIES = {
    "B": "business days",
    "D": "calendar days",
    "W": "weeks (Fridays)",
    "M": "month ends",
}
_CONVENTIONS = {
    "frequency": "Bar frequency",
    "periods_per_year": "Periods per year (annualization)",
    "execution_lag_bars": "Execution lag (bars after the decision)",
    "fees_bps": "Fees (bps of traded value)",
    "slippage_bps": "Slippage (bps of traded value)",
    "cash_asset": "Cash asset",
    "risk_free": "Risk-free rate (Sharpe, Sortino)",
    "start": "First bar",
    "end": "Last bar",
    "bars": "Bars",
    "initial_capital": "Initial capital",
}
_SOURCE_FIELDS = (
    "alias",
    "role",
    "id",
    "kind",
    "units",
    "frequency",
    "lag",
    "first",
    "last",
    "notes",
)
_PLOT_CONFIG = {"displaylogo": False, "responsive": True}


def _unique(names: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for name in names:
        candidate, n = name, 2
        while candidate in seen:
            candidate, n = f"{name} ({n})", n + 1
        seen.add(candidate)
        out.append(candidate)
    return out


def run_names(runs: Sequence[RunResult]) -> list[str]:
    """Display name of every run: ``run.name``, with ``" (2)"``, ... for repeats."""
    return _unique([run.config.run.name for run in runs])


def strategy_labels(runs: Sequence[RunResult]) -> list[dict[str, str]]:
    """Display label of every strategy, unique across runs.

    Parameters
    ----------
    runs : sequence of RunResult

    Returns
    -------
    list of dict
        Per run, strategy label → display label: the label itself for one run,
        ``"<run name> / <label>"`` for several; duplicates get ``" (2)"``, ``" (3)"``.
    """
    names = run_names(runs)
    flat = [
        (i, label, label if len(runs) == 1 else f"{names[i]} / {label}")
        for i, run in enumerate(runs)
        for label in run.results
    ]
    display = _unique([d for _, _, d in flat])
    out: list[dict[str, str]] = [{} for _ in runs]
    for (i, label, _), shown in zip(flat, display, strict=True):
        out[i][label] = shown
    return out


def _div(fig: go.Figure, div_id: str) -> str:
    html: str = fig.to_html(
        full_html=False, include_plotlyjs=False, div_id=div_id, config=_PLOT_CONFIG
    )
    return html


def _metrics_table(runs: Sequence[RunResult], labels: list[dict[str, str]]) -> dict[str, Any]:
    frames = [run.metrics() for run in runs]
    columns = [m for m in Metric if any(str(m) in f.columns for f in frames)]
    rows = []
    for run, frame, names in zip(runs, frames, labels, strict=True):
        main = next(iter(run.results))
        for label, result in run.results.items():
            stats = frame.loc[label] if label in frame.index else pd.Series(dtype=float)
            rows.append(
                {
                    "label": names[label],
                    "kind": result.kind,
                    "run": run.config.run.name,
                    "main": label == main,
                    "cells": [
                        format_value(stats.get(str(m)), "percent" if m.is_percent else "ratio")
                        for m in columns
                    ],
                }
            )
    return {
        "columns": [{"key": str(m), "label": m.label, "percent": m.is_percent} for m in columns],
        "rows": rows,
    }


def _conventions(run: RunResult) -> list[dict[str, str]]:
    out = []
    for key, value in run.conventions().items():
        if key == "frequency":
            text = f"{value} ({_FREQUENCIES.get(str(value), 'custom')})"
        elif key in ("fees_bps", "slippage_bps"):
            text = format_value(value, "bps")["text"]
        else:
            text = str(value)
        out.append({"key": key, "label": _CONVENTIONS.get(key, key), "value": text})
    return out


def _sources(run: RunResult) -> list[dict[str, str]]:
    out = []
    for info in run.dataset.sources:
        row = {f: str(getattr(info, f, "")) for f in _SOURCE_FIELDS}
        row["first"], row["last"] = format_date(info.first), format_date(info.last)
        out.append(row)
    return out


def _threshold(run: RunResult) -> float | None:
    """Return the strategy under test's risk-off level (``enter``), if it has one."""
    value = to_number(run.config.strategy.params.get("enter"))
    return value if run.main.risk_off is not None else None


def _run_figures(
    run: RunResult, names: Mapping[str, str], table: pd.DataFrame, shown: list[str], tag: str
) -> dict[str, str]:
    signal = run.signal
    components = signal.drop(columns=["composite"])
    regimes = [r for r in run.catalog if r.name in set(shown)]
    if not table.empty:
        table = table[table["regime"].isin(shown)]
        table = table.assign(strategy=table["strategy"].map(names))
    main = run.main
    return {
        "signal": _div(
            signal_figure(
                signal["composite"],
                components if len(components.columns) else None,
                regimes,
                main.risk_off,
                _threshold(run),
            ),
            f"{tag}-signal",
        ),
        "regime_bars": _div(regime_bars_figure(table), f"{tag}-regimes"),
        "weights": _div(weights_figure(main.weights, title=names[main.label]), f"{tag}-weights"),
    }


def _catalog(run: RunResult, shown: list[str]) -> list[dict[str, str]]:
    return [
        {
            "name": r.name,
            "kind": kind_text(r.kind),
            "colour": kind_colour(r.kind),
            "start": format_date(r.start),
            "end": format_date(r.end),
            "description": r.description,
            "reference": r.reference,
        }
        for r in run.catalog
        if r.name in set(shown)
    ]


def _run_context(run: RunResult, name: str, names: Mapping[str, str], tag: str) -> dict[str, Any]:
    table = run.regime_table()
    regimes = regime_section(table, run.signal_timing(), names)
    return {
        "name": name,
        "title": run.config.run.title,
        "source": run.config.source,
        "config_hash": run.config.config_hash,
        "fingerprint": run.dataset.fingerprint,
        "window": {
            "start": format_date(run.window[0]),
            "end": format_date(run.window[-1]),
            "bars": len(run.window),
        },
        "main": names[run.main.label],
        "conventions": _conventions(run),
        "sources": _sources(run),
        "regimes": regimes,
        "catalog": _catalog(run, regimes["names"]),
        "figures": _run_figures(run, names, table, regimes["names"], tag),
    }


def _installed_versions() -> dict[str, str]:
    from backtest.runner import library_versions

    return library_versions()


def build_context(
    runs: Sequence[RunResult],
    *,
    generated_at: str | datetime,
    versions: Mapping[str, str] | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    """Everything the HTML report shows, as plain data.

    Parameters
    ----------
    runs : sequence of RunResult
        One or more runs; every strategy of every run is compared. With several
        runs, strategies are labelled ``"<run name> / <label>"``.
    generated_at : str or datetime
        Generation time (the caller reads the clock); a datetime is printed in ISO
        format to the second.
    versions : mapping of str to str, optional
        Library versions; default :func:`backtest.runner.library_versions`.
    title : str, optional
        Report title; default the first run's ``run.title`` (or its name).

    Returns
    -------
    dict
        Keys ``title``, ``generated_at``, ``generator``, ``multi_run``,
        ``metrics`` (``columns``, ``rows``), ``figures`` (``equity``,
        ``drawdown``: HTML divs), ``runs`` (per run: conventions, sources,
        regimes, catalog, figures, hashes) and ``versions``.

    Raises
    ------
    BacktestError
        ``runs`` is empty.
    """
    if not runs:
        raise BacktestError("nothing to report: no runs were given")
    labels = strategy_labels(runs)
    returns = pd.concat(
        {
            names[k]: r.returns
            for run, names in zip(runs, labels, strict=True)
            for k, r in run.results.items()
        },
        axis=1,
    ).sort_index()
    versions = dict(versions) if versions is not None else _installed_versions()
    first = runs[0].config.run
    return {
        "title": title or first.title or first.name,
        "generated_at": (
            generated_at.isoformat(sep=" ", timespec="seconds")
            if isinstance(generated_at, datetime)
            else generated_at
        ),
        "generator": f"dcf-regime {versions.get('dcf-regime', 'unknown version')}",
        "multi_run": len(runs) > 1,
        "metrics": _metrics_table(runs, labels),
        "figures": {
            "equity": _div(equity_figure(returns), "fig-equity"),
            "drawdown": _div(drawdown_figure(returns), "fig-drawdown"),
        },
        "runs": [
            _run_context(run, name, names, f"fig-run{i}")
            for i, (run, name, names) in enumerate(zip(runs, run_names(runs), labels, strict=True))
        ],
        "versions": [{"name": k, "version": v} for k, v in versions.items()],
    }
