"""Results in Jupyter: a compact HTML fragment per result, the full report in an iframe.

``RunResult``, ``CompareResult`` and ``TuneResult`` call these from their
``_repr_html_`` and ``report()``. A fragment shows the conventions (window,
periods_per_year, execution lag, costs, risk-free/cash asset, benchmark, data
sources), the headline metrics and a compact growth chart.

plotly.js is embedded in the first fragment of the kernel session only (compressed,
as in the report; the product is offline, so no CDN): that fragment defines
``window.dcfRegimePlotly``, a promise of ``window.Plotly``, which every later
fragment awaits. After clearing that first output, call :func:`reset_plotlyjs` so
the next fragment embeds it again. The full report is a complete page, shown in an
``<iframe srcdoc=...>`` so that its CSS and scripts cannot touch the notebook's.

Every user string (run titles, labels, parameter names, source ids) is escaped.
IPython is never imported: Jupyter displays any object with ``_repr_html_``.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from backtest.report._embed import figure_json, plotly_bundle, trace_types

__all__ = [
    "BUNDLE_MARKER",
    "ReportView",
    "conventions_text",
    "fragment",
    "full_report",
    "growth_spec",
    "parsed",
    "reset_plotlyjs",
    "run_documents",
    "runs_fragment",
    "sources_text",
    "tune_fragment",
]

#: The attribute of the script block that carries plotly.js (one per kernel session).
BUNDLE_MARKER = "data-dcf-regime-plotly"

_STATE = {"plotlyjs_embedded": False}
_IDS = itertools.count(1)
_CHART_POINTS = 400  # a compact chart: min-max decimated to this many points per line

_STYLE = """<style>
.dcf-regime { font: 13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; }
.dcf-regime table { border-collapse: collapse; margin: .3rem 0; }
.dcf-regime th, .dcf-regime td { padding: .15rem .5rem; border-bottom: 1px solid #e5e5e5;
  text-align: right; white-space: nowrap; }
.dcf-regime th:first-child, .dcf-regime td:first-child { text-align: left; }
.dcf-regime .conv { color: #444; margin: .2rem 0; }
.dcf-regime .neg { color: #b03a2e; }
.dcf-regime .chart { width: 100%; max-width: 900px; height: 300px; }
</style>"""

# unpacks the base64 gzip bundle once per page, like the report's loader; define,
# module and exports are shadowed so that a page with require.js (classic notebook)
# still gets window.Plotly
_LOADER = """<script>
(function () {
  "use strict";
  if (window.dcfRegimePlotly && !window.dcfRegimePlotlyFailed) { return; }
  var blocks = document.querySelectorAll("script[data-dcf-regime-plotly]");
  var block = blocks[blocks.length - 1];
  window.dcfRegimePlotly = (async function () {
    if (window.Plotly) { return window.Plotly; }
    var raw = atob(block.textContent), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    var code = await new Response(stream).text();
    var url = URL.createObjectURL(new Blob(
      ["(function (define, module, exports) {\\n", code, "\\n}).call(window);"],
      {type: "text/javascript"}));
    await new Promise(function (done, fail) {
      var script = document.createElement("script");
      script.onload = done;
      script.onerror = function () { fail(new Error("plotly.js did not load")); };
      script.src = url;
      document.head.appendChild(script);
    });
    URL.revokeObjectURL(url);
    return window.Plotly;
  })();
  window.dcfRegimePlotly.catch(function () { window.dcfRegimePlotlyFailed = true; });
})();
</script>"""

_DRAW = """<script>
(function () {
  "use strict";
  var box = document.getElementById("%(id)s");
  var spec = JSON.parse(document.getElementById("%(id)s-spec").textContent);
  function days(trace, key) {
    var v = trace[key];
    if (v && v.days !== undefined) {
      var raw = atob(v.days), b = new Uint8Array(raw.length);
      for (var i = 0; i < raw.length; i++) { b[i] = raw.charCodeAt(i); }
      trace[key] = Array.from(new Int32Array(b.buffer), function (d) { return d * 864e5; });
    }
  }
  var ready = window.dcfRegimePlotly || (window.Plotly ? Promise.resolve(window.Plotly) : null);
  if (!ready) {
    box.textContent = "Chart: plotly.js was embedded in an output that is gone; run " +
      "backtest.report.reset_plotlyjs() and display the result again.";
    return;
  }
  ready.then(function (Plotly) {
    spec.data.forEach(function (t) { days(t, "x"); days(t, "base"); });
    box.textContent = "";
    return Plotly.newPlot(box, spec.data, spec.layout, {displaylogo: false, responsive: true});
  }).catch(function (e) { box.textContent = "Chart: " + e.message; });
})();
</script>"""


def reset_plotlyjs() -> None:
    """Embed plotly.js again in the next fragment (e.g. after clearing the output that had it)."""
    _STATE["plotlyjs_embedded"] = False


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def conventions_text(conv: Mapping[str, Any]) -> str:
    """One line of the conventions of a run (plain text, not escaped)."""
    def get(key: str) -> Any:
        value = conv.get(key)
        return "—" if value is None else value

    fees, slip = conv.get("fees_bps"), conv.get("slippage_bps")
    costs = (f"fees {fees:g} bps + slippage {slip:g} bps of traded value"
             if isinstance(fees, int | float) and isinstance(slip, int | float) else
             f"fees {get('fees_bps')} bps + slippage {get('slippage_bps')} bps")
    lag = get("execution_lag_bars")
    parts = [
        f"{get('start')} .. {get('end')} ({get('bars')} bars, frequency {get('frequency')})",
        f"periods_per_year={get('periods_per_year')}",
        f"execution lag {lag} bar{'' if lag == 1 else 's'} after the decision",
        costs,
        f"risk-free = per-bar return of the cash asset {get('cash_asset')}",
    ]
    if "benchmark" in conv:
        parts.append(f"benchmark {conv.get('benchmark') or 'none'}")
    return " · ".join(parts)


def sources_text(sources: Sequence[Mapping[str, Any]]) -> str:
    """The data sources of a run as ``alias = id`` (plain text, not escaped)."""
    if not sources:
        return "none recorded"
    return ", ".join(f"{s.get('alias', '?')} = {s.get('id', '?')}" for s in sources)


def growth_spec(returns: pd.DataFrame, title: str = "Growth of 1 (net of costs, log scale)") -> str:
    """A compact growth-of-1 chart of ``returns`` (one column per line) as figure JSON."""
    from backtest.report.figures import equity_figure

    fig = equity_figure(returns, max_points=_CHART_POINTS)
    fig.update_layout(title={"text": _esc(title), "x": 0.0, "font": {"size": 13}}, height=300,
                      margin={"l": 50, "r": 10, "t": 36, "b": 30})
    return figure_json(fig, keep_title=True)


def _plotlyjs(specs: Sequence[str]) -> str:
    if _STATE["plotlyjs_embedded"]:
        return ""
    bundle = plotly_bundle(trace_types(list(specs)))
    _STATE["plotlyjs_embedded"] = True
    return (f'<script type="application/octet-stream" {BUNDLE_MARKER}="1">{bundle}</script>'
            + _LOADER)


def _cell(text: str) -> str:
    negative = text.startswith("−")
    return f'<td class="neg">{_esc(text)}</td>' if negative else f"<td>{_esc(text)}</td>"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]],
           titles: Sequence[str] = ()) -> str:
    heads = "".join(
        f'<th title="{_esc(t)}">{_esc(h)}</th>' if t else f"<th>{_esc(h)}</th>"
        for h, t in itertools.zip_longest(header, titles, fillvalue=""))
    body = "".join("<tr>" + f"<td>{_esc(r[0])}</td>" + "".join(_cell(c) for c in r[1:])
                   + "</tr>" for r in rows)
    return f'<table class="metrics"><thead><tr>{heads}</tr></thead><tbody>{body}</tbody></table>'


def fragment(
    *,
    title: str,
    runs: Sequence[tuple[str, Mapping[str, Any], Sequence[Mapping[str, Any]]]],
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    spec: str | None,
    notes: Sequence[str] = (),
    titles: Sequence[str] = (),
) -> str:
    """The HTML fragment of a result (every user string escaped here).

    Parameters
    ----------
    title : str
    runs : sequence of (name, conventions, sources)
        One line of conventions and one of data sources per run (``name`` is shown
        when there are several).
    header, rows : the metrics table (first column: the label; cells are display text).
    spec : str or None
        Figure JSON of the growth chart (:func:`growth_spec`).
    notes : sequence of str
        Lines shown under the title (verdict, selection, warnings).
    titles : sequence of str
        Tooltips of the header cells.
    """
    parts = [_STYLE, '<div class="dcf-regime">', f"<h4>{_esc(title)}</h4>"]
    parts += [f'<p class="conv">{_esc(n)}</p>' for n in notes]
    for name, conv, sources in runs:
        who = f"{name}: " if len(runs) > 1 else ""
        parts.append(f'<p class="conv"><b>Conventions</b> {_esc(who + conventions_text(conv))}'
                     f"<br><b>Data</b> {_esc(sources_text(sources))}</p>")
    parts.append(_table(header, rows, titles))
    if spec is not None:
        chart = f"dcf-regime-chart-{next(_IDS)}"
        parts.append(_plotlyjs([spec]))
        parts.append(f'<div class="chart" id="{chart}" role="img" aria-label="growth of 1">'
                     "Chart: needs JavaScript (a trusted notebook).</div>")
        parts.append(f'<script type="application/json" id="{chart}-spec">{spec}</script>')
        parts.append(_DRAW % {"id": chart})
    parts.append("</div>")
    return "\n".join(parts)


def runs_fragment(runs: Sequence[Any], *, title: str | None = None,
                  notes: Sequence[str] = ()) -> str:
    """The fragment of one run or a comparison of several (:class:`RunData` each)."""
    from backtest.report._compare import compare_runs
    from backtest.report.context import _metrics

    comparison = compare_runs(runs)
    table = _metrics(comparison)
    header = ["Strategy", *(c["label"] for c in table["columns"]), "Benchmark"]
    rows = [[r["label"], *(c["text"] for c in r["cells"]), r["benchmark"]]
            for r in table["rows"]]
    returns = pd.DataFrame({e.label: e.data.returns for e in comparison.entries})
    first = comparison.runs[0]
    shown = title or ((first.title or first.name) if not comparison.multi else
                      f"Comparison of {len(runs)} runs: " + ", ".join(comparison.names))
    lines = [*notes, *comparison.warnings()]
    lines.append("Sharpe and Sortino on returns in excess of the cash asset; beta, alpha, "
                 "information ratio and tracking error against each run's benchmark. "
                 "The full report: .report().")
    return fragment(
        title=shown,
        runs=[(name, run.conventions, run.document.get("data", {}).get("sources", []))
              for name, run in zip(comparison.names, comparison.runs, strict=True)],
        header=header, rows=rows, spec=growth_spec(returns), notes=lines)


def tune_fragment(doc: Mapping[str, Any]) -> str:
    """The fragment of a tune document: verdict, selection, in/out-of-sample metrics."""
    from backtest.report._format import format_value

    proto, oos, ins = doc["protocol"], doc["oos"], doc["is"]
    bars = (proto["out_of_sample"]["bars"], proto["in_sample"]["bars"])

    def row(label: str, n: Any, m: Mapping[str, Any]) -> list[str]:
        return [label, str(n), *(format_value(m.get(k), "ratio")["text"]
                                 for k in ("sharpe", "sortino")),
                *(format_value(m.get(k), "percent")["text"] for k in ("cagr", "max_drawdown")),
                format_value(m.get("calmar"), "ratio")["text"]]

    rows = [row("out of sample (stitched: the verdict)", bars[0], oos),
            row(f"in sample (best, trial {ins.get('trial')})", bars[1], ins)]
    bench = doc.get("benchmark")
    returns = {"stitched out of sample": _doc_series(doc["series"]["oos"])}
    if bench:
        rows.append(row(f"{bench['label']} out of sample", bars[0], bench["oos"]))
        if "benchmark_oos" in doc["series"]:
            returns[str(bench["label"])] = _doc_series(doc["series"]["benchmark_oos"])
    selected = doc["selected"]
    gates = [f"gate {g['message']}" for g in doc.get("gates", [])]
    notes = [str(doc["verdict"]),
             f"Selected (trial {selected['trial']}): "
             + ", ".join(f"{k} = {v}" for k, v in selected["params"].items()),
             f"Protocol {proto['kind']}, objective {proto['objective']}; in sample "
             f"{proto['in_sample']['start']}..{proto['in_sample']['end']}, out of sample "
             f"{proto['out_of_sample']['start']}..{proto['out_of_sample']['end']}. "
             "The full report: .report().", *gates]
    return fragment(
        title=f"Tune: {doc['config']['source']}",
        runs=[("tune", doc["conventions"], doc.get("data", {}).get("sources", []))],
        header=["", "Bars", "Sharpe", "Sortino", "CAGR", "Max DD", "Calmar"], rows=rows,
        spec=growth_spec(pd.DataFrame(returns), "Growth of 1 out of sample (log scale)"),
        notes=notes)


def _doc_series(block: Mapping[str, Any]) -> pd.Series:
    values = [float("nan") if v is None else float(v) for v in block["values"]]
    return pd.Series(values, index=pd.DatetimeIndex(pd.to_datetime(list(block["dates"]))))


def run_documents(results: Sequence[Any], *, analyse: bool) -> list[dict[str, Any]]:
    """The JSON documents of fresh ``RunResult`` objects, stamped now.

    ``analyse`` adds the thesis, regime timing and attribution (what the full report
    shows; it costs seconds); the fragments need only the metrics and the series.
    """
    from datetime import UTC, datetime

    from backtest.report.json import to_json

    when = datetime.now(UTC)
    if not analyse:
        return [to_json(r, generated_at=when) for r in results]
    from backtest.evaluate import analyze

    return [to_json(r, generated_at=when, analysis=analyze(r)) for r in results]


def parsed(documents: Sequence[Mapping[str, Any]]) -> list[Any]:
    """Run documents as ``RunData`` (what the fragments and the report read)."""
    from backtest.report._runs import run_from_document

    return [run_from_document(d, f"run {i + 1}") for i, d in enumerate(documents)]


def full_report(documents: Sequence[Mapping[str, Any]], *, title: str | None = None
                ) -> ReportView:
    """The report page of run documents, as ``backtest run``/``compare`` writes it."""
    from backtest.report.context import build_context
    from backtest.report.html import render_html

    return ReportView(render_html(build_context(parsed(documents), title=title)))


class ReportView:
    """A full HTML report that Jupyter shows inline (in an iframe) and that can be saved.

    Attributes
    ----------
    html : str
        The complete, self-contained page (as ``backtest run --report`` writes it).
    """

    def __init__(self, page: str, *, height: int = 900) -> None:
        self.html = page
        self.height = height

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
                f'style="width: 100%; height: {int(self.height)}px; border: 1px solid #ddd;" '
                'title="dcf-regime report"></iframe>')

    def save(self, path: str | Path) -> Path:
        """Write the page atomically to ``path`` (a ``.html`` file)."""
        from backtest.report.html import write_report

        return write_report(path, self.html)

    def __repr__(self) -> str:
        return f"<ReportView: {len(self.html) / 1e6:.1f} MB page; display it or .save(path)>"
