"""The tune report: one self-contained HTML page rendered from the tune document (pure).

Charts: the out-of-sample objective over two parameters (the others at their
selected values), in-sample vs out-of-sample objective of every trial, the CSCV
logit distribution behind PBO, the stitched out-of-sample equity against the
benchmark, and the parameters selected in each fold. plotly.js is inlined once;
nothing loads from the network. Jinja2 autoescapes every value; only plotly.js
and plotly-generated figure markup are trusted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from backtest.report._embed import figure_json
from backtest.report.html import render_html

__all__ = ["render_tune_history", "render_tune_html"]

_HEIGHT = 420
_BLUE, _GREY, _RED = "#1f77b4", "#7f7f7f", "#c0392b"


def _spec(fig: go.Figure) -> str:
    fig.update_layout(height=_HEIGHT, margin={"l": 60, "r": 20, "t": 40, "b": 50},
                      template="plotly_white")
    return figure_json(fig, keep_title=True)  # script-safe JSON drawn by the page's loader


def _num(value: Any) -> float:
    return math.nan if value is None else float(value)


def _heatmap(doc: Mapping[str, Any], axes: Sequence[str]) -> go.Figure | None:
    paths = [p["path"] for p in doc["space"]["params"]]
    if len(paths) < 2:
        return None
    x_path, y_path = (axes[0], axes[1]) if len(axes) == 2 else (paths[0], paths[1])
    objective = doc["protocol"]["objective"]
    selected = doc["selected"]["params"]
    others = [p for p in paths if p not in (x_path, y_path)]
    cells = {}
    for t in doc["trials"]["list"]:
        if t["status"] != "ok" or any(t["params"][p] != selected[p] for p in others):
            continue
        cells[(t["params"][x_path], t["params"][y_path])] = _num(t["oos"][objective])
    values = {p["path"]: p["values"] for p in doc["space"]["params"]}
    xs, ys = values[x_path], values[y_path]
    z = [[cells.get((x, y), math.nan) for x in xs] for y in ys]
    fig = go.Figure(go.Heatmap(x=[str(x) for x in xs], y=[str(y) for y in ys], z=z,
                               colorscale="RdBu", zmid=0.0,
                               colorbar={"title": f"OOS {objective}"},
                               hovertemplate=f"{x_path}=%{{x}}<br>{y_path}=%{{y}}<br>"
                                             f"OOS {objective}=%{{z:.3f}}<extra></extra>"))
    fig.add_trace(go.Scatter(x=[str(selected[x_path])], y=[str(selected[y_path])],
                             mode="markers", name="selected",
                             marker={"symbol": "x", "size": 14, "color": "black"}))
    held = ", ".join(f"{p} = {selected[p]}" for p in others) or "no other parameters"
    fig.update_layout(title=f"Out-of-sample {objective} ({held})",
                      xaxis_title=x_path, yaxis_title=y_path)
    return fig


def _scatter(doc: Mapping[str, Any]) -> go.Figure:
    objective = doc["protocol"]["objective"]
    ok = [t for t in doc["trials"]["list"] if t["status"] == "ok"]
    x = [_num(t["is"][objective]) for t in ok]
    y = [_num(t["oos"][objective]) for t in ok]
    text = [", ".join(f"{k}={v}" for k, v in t["params"].items()) for t in ok]
    fig = go.Figure(go.Scatter(x=x, y=y, mode="markers", text=text, name="trials",
                                 marker={"color": _BLUE, "size": 6, "opacity": 0.6},
                                 hovertemplate="%{text}<br>IS %{x:.3f}, OOS %{y:.3f}"
                                               "<extra></extra>"))
    sel = doc["selected"]["trial"]
    for t in ok:
        if t["number"] == sel:
            fig.add_trace(go.Scatter(x=[_num(t["is"][objective])], y=[_num(t["oos"][objective])],
                                     mode="markers", name=f"selected (trial {sel})",
                                     marker={"symbol": "x", "size": 14, "color": _RED}))
    finite = [v for v in x + y if math.isfinite(v)]
    if finite:
        lo, hi = min(finite), max(finite)
        fig.add_trace(go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="OOS = IS",
                                 line={"color": _GREY, "dash": "dot"}))
    fig.update_layout(title=f"In-sample vs out-of-sample {objective}, every trial",
                      xaxis_title=f"in-sample {objective}",
                      yaxis_title=f"out-of-sample {objective}")
    return fig


def _logits(doc: Mapping[str, Any]) -> go.Figure:
    pbo = doc["statistics"]["pbo"]
    logits = [v for v in (pbo.get("logits") or []) if v is not None and math.isfinite(v)]
    fig = go.Figure(go.Histogram(x=logits, nbinsx=40, marker={"color": _BLUE},
                                 name="CSCV splits"))
    fig.add_vline(x=0.0, line={"color": _RED, "dash": "dash"})
    fig.update_layout(title=f"Logit of the in-sample best's out-of-sample rank (PBO = "
                            f"{_num(doc['pbo']):.2f}: share left of 0)",
                      xaxis_title="logit(relative OOS rank)", yaxis_title="splits",
                      showlegend=False)
    return fig


def _equity(doc: Mapping[str, Any]) -> go.Figure:
    fig = go.Figure()
    series = doc["series"]
    names = [("oos", "stitched out of sample", _BLUE)]
    if "benchmark_oos" in series:
        names.append(("benchmark_oos", doc["benchmark"]["label"], _GREY))
    for key, name, colour in names:
        values = np.array([_num(v) for v in series[key]["values"]])
        growth = np.cumprod(1.0 + np.nan_to_num(values))
        fig.add_trace(go.Scatter(x=series[key]["dates"], y=growth, name=name,
                                 line={"color": colour}))
    for fold in doc["folds"][1:]:
        fig.add_vline(x=fold["test"]["start"], line={"color": "#ddd", "width": 1})
    fig.update_layout(title="Growth of 1 out of sample (fold starts marked)",
                      yaxis_type="log", yaxis_title="growth of 1 (log)")
    return fig


def _folds(doc: Mapping[str, Any]) -> go.Figure:
    fig = go.Figure()
    starts = [f["test"]["start"] for f in doc["folds"]]
    for p in doc["space"]["params"]:
        values = [f["params"][p["path"]] for f in doc["folds"]]
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            fig.add_trace(go.Scatter(x=starts, y=values, mode="lines+markers",
                                     line={"shape": "hv"}, name=p["path"]))
    fig.update_layout(title="Selected parameters per fold (at each test window's start)",
                      xaxis_title="test window start")
    return fig


def _placebo(doc: Mapping[str, Any]) -> go.Figure | None:
    placebo = doc.get("placebo")
    if not placebo:
        return None
    objective = placebo["objective"]
    values = [v for v in placebo["values"] if v is not None and math.isfinite(v)]
    fig = go.Figure(go.Histogram(x=values, nbinsx=30, marker={"color": _GREY},
                                 name=f"{placebo['n']} placebo searches"))
    if placebo["real"] is not None:
        fig.add_vline(x=placebo["real"], line={"color": _RED, "width": 3})
    fig.update_layout(title=f"Out-of-sample {objective}: the real search (red) among "
                            f"{placebo['n']} placebo searches (p = {_num(placebo['p']):.3f})",
                      xaxis_title=f"out-of-sample {objective} of the whole search",
                      yaxis_title="placebo searches", showlegend=False)
    return fig


def render_tune_html(doc: Mapping[str, Any], *, heatmap: Sequence[str] = ()) -> str:
    """The report page of a tune document (``TuneResult.to_json()`` or a saved JSON).

    It extends the run report's base page: plotly.js embedded once, compressed,
    figures drawn by the same loader, sortable tables.
    """
    figures = {"equity": _spec(_equity(doc)), "logits": _spec(_logits(doc)),
               "scatter": _spec(_scatter(doc)), "folds": _spec(_folds(doc))}
    for name, fig in (("heatmap", _heatmap(doc, heatmap)), ("placebo", _placebo(doc))):
        if fig is not None:
            figures[name] = _spec(fig)
    return render_html({"doc": doc, "figures": figures, "generator": doc["generated_by"],
                        "title": f"Tune: {doc['config']['source']}"}, template="tune.html.j2")


def render_tune_history(docs: Sequence[Mapping[str, Any]], names: Sequence[str]) -> str:
    """One page of the gated numbers of successive tune documents (oldest first).

    ``names`` label the documents (their file names). Each gate that any document has
    gets a chart: its judged value in each document, failed ones in red, the latest
    threshold dashed.
    """
    gates: list[str] = list(dict.fromkeys(g["expr"] for d in docs for g in d["gates"]))
    runs = []
    for doc, name in zip(docs, names, strict=True):
        runs.append({
            "file": name, "generated": doc.get("generated_at") or "",
            "hash": str(doc["config"]["hash"])[:12],
            "fingerprint": str(doc["data"]["fingerprint"])[:12],
            "exit_code": doc["exit_code"],
            "gates": {g["expr"]: {"lhs": g["lhs"], "passed": g["passed"]} for g in doc["gates"]},
        })
    figures = {}
    x = list(range(1, len(docs) + 1))
    for i, gate in enumerate(gates, 1):
        points = [r["gates"].get(gate) for r in runs]
        y = [_num(p["lhs"]) if p else math.nan for p in points]
        colours = [_GREY if p is None else (_BLUE if p["passed"] else _RED) for p in points]
        fig = go.Figure(go.Scatter(
            x=x, y=y, mode="lines+markers", name=gate, line={"color": _GREY},
            marker={"color": colours, "size": 9},
            text=[f"{r['file']} ({r['generated']})" for r in runs],
            hovertemplate="%{text}<br>%{y:.4g}<extra></extra>"))
        latest = next((g for d in reversed(docs) for g in d["gates"] if g["expr"] == gate), None)
        if latest is not None and latest.get("rhs") is not None:
            fig.add_hline(y=latest["rhs"], line={"color": _RED, "dash": "dash"})
        fig.update_layout(title=gate, xaxis_title="result (oldest first)",
                          yaxis_title="value", showlegend=False,
                          xaxis={"tickmode": "array", "tickvals": x,
                                 "ticktext": [str(n) for n in x]})
        figures[f"gate-{i}"] = _spec(fig)
    configs = list(dict.fromkeys(str(d["config"]["source"]) for d in docs))
    mixed = len({(r["hash"], r["fingerprint"]) for r in runs}) > 1
    generator = docs[-1]["generated_by"] if docs else "dcf-regime"
    return render_html({"runs": runs, "gates": gates, "figures": figures, "configs": configs,
                        "mixed": mixed, "generator": generator,
                        "title": f"Tune history ({len(docs)} results)"},
                       template="tune_history.html.j2")
