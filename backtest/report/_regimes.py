"""The regime sections of the report context (pure).

Every strategy in every regime, the long-minus-short spread and the signal's timing
per run (runs with identical rows merged), the catalog once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from backtest.report._compare import Comparison
from backtest.report._figbase import kind_colour
from backtest.report._format import (
    MISSING,
    CellStyle,
    format_date,
    format_value,
    to_number,
)
from backtest.report._runs import RunData

__all__ = ["by_state_groups", "catalog_rows", "expected_spread_sign", "kind_text",
           "regime_names", "regime_rows", "timing_groups"]

#: Metrics of the per-state table: JSON key, column header, cell style.
_STATE_COLUMNS: tuple[tuple[str, str, CellStyle], ...] = (
    ("cagr", "CAGR", "percent"), ("annual_volatility", "Ann. vol", "percent"),
    ("sharpe", "Sharpe (xs cash)", "ratio"), ("sortino", "Sortino (xs cash)", "ratio"),
    ("max_drawdown", "Max DD", "percent"), ("total_return", "Total return", "percent"),
)


def expected_spread_sign(kind: str) -> int:
    """Sign the thesis predicts for long-minus-short duration in a regime of ``kind``.

    Easing/relief regimes: long duration should outperform (+1). Every other kind
    (rate shock, credit stress, liquidity drain): it should underperform (−1).
    """
    lowered = kind.lower()
    return 1 if ("easing" in lowered or "relief" in lowered) else -1


def kind_text(kind: object) -> str:
    """Return a regime kind for display: ``rate_shock`` → ``rate shock``."""
    return str(kind).replace("_", " ")


def regime_names(comparison: Comparison) -> list[str]:
    """Regimes with at least one bar in some run's window, by start date then name."""
    firsts: dict[str, pd.Timestamp] = {}
    for run in comparison.runs:
        if run.regimes.empty:
            continue
        for name, start in zip(run.regimes["regime"], run.regimes["start"], strict=True):
            firsts.setdefault(str(name), pd.Timestamp(start))
    return sorted(firsts, key=lambda n: (firsts[n], n))


def _first_row(comparison: Comparison, name: str) -> pd.Series:
    for run in comparison.runs:
        if not run.regimes.empty and name in set(run.regimes["regime"]):
            return run.regimes[run.regimes["regime"] == name].iloc[0]
    raise KeyError(name)


def regime_rows(comparison: Comparison, names: Sequence[str]) -> list[dict[str, Any]]:
    """One row per regime: kind, dates, coverage and every strategy's return and max DD."""
    tables = [
        run.regimes.set_index(["regime", "strategy"]) if not run.regimes.empty else None
        for run in comparison.runs
    ]
    rows = []
    for name in names:
        first = _first_row(comparison, name)
        partial = any(
            t is not None and name in t.index.get_level_values(0)
            and (t.loc[name]["coverage"] == "partial").any()
            for t in tables
        )
        cells = []
        for entry in comparison.entries:
            table = tables[entry.run]
            key = (name, entry.data.label)
            row = table.loc[key] if table is not None and key in table.index else None
            cells.append({
                "return": format_value(None if row is None else row["return"], "percent"),
                "max_drawdown": format_value(None if row is None else row["max_drawdown"],
                                             "percent"),
            })
        rows.append({
            "name": name, "kind": kind_text(first["kind"]),
            "colour": kind_colour(str(first["kind"])),
            "start": format_date(first["start"]), "end": format_date(first["end"]),
            "coverage": "partial" if partial else "full", "partial": partial, "strategies": cells,
        })
    return rows


def _timing(run: RunData, name: str) -> dict[str, Any]:
    timing = run.timing
    if timing.empty or "regime" not in timing.columns or name not in set(timing["regime"]):
        return {"hit": MISSING, "first_risk_off": MISSING,
                "lead_days": format_value(None, "int"),
                "share_risk_off": format_value(None, "percent")}
    row = timing[timing["regime"] == name].iloc[0]
    hit = row.get("signal_hit")
    return {
        "hit": MISSING if hit is None or pd.isna(hit) else ("yes" if bool(hit) else "no"),
        "first_risk_off": format_date(row.get("first_risk_off")),
        # a negative lead is the signal leading: not a loss, so not shown in red
        "lead_days": {**format_value(row.get("lead_days"), "int"), "negative": False},
        "share_risk_off": format_value(row.get("share_risk_off"), "percent"),
    }


def _spread_rows(run: RunData) -> list[dict[str, Any]]:
    if run.regimes.empty:
        return []
    rows = []
    for name in dict.fromkeys(run.regimes["regime"]):
        group = run.regimes[run.regimes["regime"] == name]
        first = group.iloc[0]
        spread = to_number(first.get("long_minus_short"))
        expected = expected_spread_sign(str(first["kind"]))
        main = group[group["strategy"] == run.main]
        rows.append({
            "name": str(name), "kind": kind_text(first["kind"]),
            "colour": kind_colour(str(first["kind"])),
            "start": format_date(first["start"]), "end": format_date(first["end"]),
            "partial": bool((group["coverage"] == "partial").any()),
            "spread": format_value(spread, "percent"),
            "expected": ("long duration outperforms" if expected > 0
                         else "long duration underperforms"),
            "thesis": (MISSING if spread is None
                       else "held" if spread * expected > 0 else "failed"),
            "main_return": to_number(main["return"].iloc[0]) if len(main) else None,
            **_timing(run, str(name)),
        })
    return rows


def timing_groups(comparison: Comparison) -> list[dict[str, Any]]:
    """Per run (runs with identical rows merged): spread, thesis and the signal's timing."""
    groups: list[dict[str, Any]] = []
    for i, run in enumerate(comparison.runs):
        rows = _spread_rows(run)
        for group in groups:
            if group["rows"] == rows and group["timing"] == (not run.timing.empty):
                group["runs"].append(comparison.names[i])
                group["mains"].append(comparison.labels[i][run.main])
                break
        else:
            groups.append({"runs": [comparison.names[i]],
                           "mains": [comparison.labels[i][run.main]],
                           "rows": rows, "timing": not run.timing.empty})
    for group in groups:
        rows = group["rows"]
        group["summary"] = {
            "regimes": len(rows),
            "main_lost": sum(1 for r in rows
                             if r["main_return"] is not None and r["main_return"] < 0),
            "thesis_failed": sum(1 for r in rows if r["thesis"] == "failed"),
            "thesis_held": sum(1 for r in rows if r["thesis"] == "held"),
            "signal_hits": sum(1 for r in rows if r["hit"] == "yes") if group["timing"] else None,
        }
    return groups


def catalog_rows(comparison: Comparison, names: Sequence[str]) -> list[dict[str, str]]:
    """The catalog entries of ``names``, once (the first run's text when runs differ)."""
    entries: dict[str, dict[str, Any]] = {}
    for run in comparison.runs:
        for item in run.catalog:
            entries.setdefault(str(item.get("name")), dict(item))
    return [
        {"name": name, "kind": kind_text(entries[name].get("kind", "")),
         "colour": kind_colour(str(entries[name].get("kind", ""))),
         "start": format_date(entries[name].get("start")),
         "end": format_date(entries[name].get("end")),
         "description": str(entries[name].get("description", "")),
         "reference": str(entries[name].get("reference", ""))}
        for name in names if name in entries
    ]


def _interval_cell(value: object, style: CellStyle) -> dict[str, Any]:
    """``value`` and, when it has one, its interval: ``12.30% [4.10%, 20.20%]``."""
    iv = value if isinstance(value, Mapping) else {}
    cell = format_value(iv.get("estimate"), style)
    low, high = to_number(iv.get("low")), to_number(iv.get("high"))
    if cell["value"] is not None and low is not None and high is not None:
        cell["text"] += (f" [{format_value(low, style)['text']}, "
                         f"{format_value(high, style)['text']}]")
    return cell


def _by_state_table(block: Mapping[str, Any]) -> dict[str, Any] | None:
    rows = block.get("rows")
    if not isinstance(rows, list):
        return None
    raw = block.get("settings")
    settings: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    confidence = to_number(settings.get("confidence"))
    out = []
    for row in rows:
        if not isinstance(row, Mapping) or not isinstance(row.get("values"), Mapping):
            continue
        values = row["values"]
        subset, kind = str(row.get("subset", "")), str(row.get("kind", ""))
        out.append({
            "strategy": str(row.get("strategy", "")), "subset": subset,
            "kind": kind_text(kind), "state": kind == "state",
            "colour": "" if kind == "state" else kind_colour(kind),
            "dates": f"{format_date(row.get('start'))} → {format_date(row.get('end'))}",
            "bars": format_value(row.get("bars"), "int"),
            "interval": any(isinstance(v, Mapping) and to_number(v.get("low")) is not None
                            for v in values.values()),
            "cells": [_interval_cell(values.get(key), style) for key, _, style in _STATE_COLUMNS],
        })
    return {
        "state_of": None if block.get("state_of") is None else str(block["state_of"]),
        "confidence": MISSING if confidence is None else f"{confidence:.0%}",
        "reps": format_value(settings.get("reps"), "int")["text"],
        "min_bars": format_value(settings.get("min_bars"), "int")["text"],
        "rows": out,
    }


def by_state_groups(comparison: Comparison) -> dict[str, Any]:
    """Per run: the metrics per state and per regime with their intervals (JSON 1.4).

    Documents written before the key existed (or with a damaged one) give no table.
    """
    runs = []
    for i, run in enumerate(comparison.runs):
        block = run.document.get("metrics_by_state")
        table = _by_state_table(block) if isinstance(block, Mapping) else None
        if table is not None and table["rows"]:
            runs.append({"run": comparison.names[i], **table})
    return {"columns": [header for _, header, _ in _STATE_COLUMNS], "runs": runs}
