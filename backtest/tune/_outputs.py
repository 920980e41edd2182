"""CI outputs of a tune, rendered from its JSON document (pure): Markdown, JUnit, annotations.

Every failed gate or baseline check is one line in every output: the terminal,
the Markdown summary, the JUnit file (one test case per gate and per baseline
check), the ``::error::`` annotations on GitHub Actions, and the JSON.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from backtest._ci import annotation, escape_html

__all__ = ["MAX_SUMMARY_BYTES", "github_annotations", "to_junit", "to_markdown"]

#: GitHub refuses step summaries over 1 MiB; ours stay well under it.
MAX_SUMMARY_BYTES = 1_000_000
_TOP = 15  # trials listed in the summary
_BACKTICKS = re.compile(r"`+")


def _fmt(value: Any, spec: str = ".3f") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, float):
        return format(value, spec)
    return str(value)


def _cell(value: Any) -> str:
    """A table cell: formatted, HTML-escaped, its pipes escaped, on one line."""
    return escape_html(_fmt(value)).replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def _code(text: str) -> str:
    """Inline code that no backtick in ``text`` can end early (CommonMark: a longer fence)."""
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}".replace("|", "\\|")


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    """A GFM table with a blank line before and after (else it renders as text)."""
    out = ["", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_cell(v) if not isinstance(v, _Raw) else v.text for v in row)
            + " |" for row in rows]
    return [*out, ""]


@dataclass(frozen=True)
class _Raw:
    """Cell text already made safe (code spans, escaped)."""

    text: str


def _params(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())


def _top_trials(doc: Mapping[str, Any]) -> list[list[Any]]:
    objective = doc["protocol"]["objective"]
    ok = [t for t in doc["trials"]["list"] if t["status"] == "ok"]
    ok.sort(key=lambda t: -(t["is"][objective] if t["is"][objective] is not None
                            else -math.inf))
    return [[t["number"], _params(t["params"]), t["is"][objective], t["oos"][objective]]
            for t in ok[:_TOP]]


def _gate_rows(doc: Mapping[str, Any]) -> list[list[Any]]:
    return [[_Raw("✅" if g["passed"] else "❌"), _Raw(_code(g["expr"])), g["lhs"], g["message"]]
            for g in doc["gates"]]


def _baseline_lines(doc: Mapping[str, Any]) -> list[str]:
    base = doc.get("baseline")
    if not base:
        return []
    note = [] if base["config_match"] else ["the config differs from the baseline's"]
    note += [] if base["data_match"] else ["the data differ from the baseline's"]
    head = (f"**Baseline** ({escape_html(str(base.get('file') or 'previous run'))}; tolerance "
            f"{escape_html(_tolerance_text(base))}" + (f"; {'; '.join(note)}" if note else "")
            + "):")
    rows = [[_Raw("✅" if c["passed"] else "❌"), _Raw(_code(c["expr"])), c["now"], c["limit"],
             c["message"]] for c in base["checks"]]
    return [head, *_table(["", "Gate", "Now", "Limit", "Result"], rows)]


def _tolerance_text(base: Mapping[str, Any]) -> str:
    tolerance = base["tolerance"]
    if isinstance(tolerance, Mapping):
        return ", ".join(f"{k}: {v}" for k, v in tolerance.items())
    return format(tolerance, "g") if isinstance(tolerance, float | int) else str(tolerance)


_BARS = {"out_of_sample": "out of sample", "in_sample": "in sample", "all": "all"}


def _statistics_rows(doc: Mapping[str, Any]) -> list[list[Any]]:
    bars = {k: _BARS.get(v, v) for k, v in doc["statistics"].get("bars", {}).items()}
    ds = doc["statistics"]["deflated_sharpe"]
    spa = doc.get("spa") or {}
    st = doc["stability"] or {}
    peak = " — sharp peak" if st.get("sharp_peak") else ""
    rows = [
        ["DSR", bars.get("dsr"), doc["dsr"],
         f"P(true Sharpe > 0) of the stitched series in excess of {ds.get('reference')}, "
         f"deflated over {ds.get('n_trials')} trials run (about "
         f"{_fmt(ds.get('n_effective'), '.0f')} independent)"],
        ["PBO", bars.get("pbo"), doc["pbo"], "share of CSCV splits where the in-sample best "
                                             "fell below the out-of-sample median"],
    ]
    if spa:
        rows.append(["SPA consistent p", bars.get("spa"), spa.get("consistent"),
                     "Hansen's studentized SPA: small = some trial beats the benchmark"])
        rc = spa.get("rc") or {}
        rows.append(["Reality Check consistent p", bars.get("spa"), rc.get("consistent"),
                     "the same without studentizing (arch's statistic), for comparison"])
        every = spa.get("all") or {}
        if every:
            rows.append(["SPA consistent p, every bar", bars.get("spa.all"),
                         every.get("consistent"), "in and out of sample together"])
    rows.append(["Neighbour ratio", bars.get("stability"), st.get("ratio"),
                 f"median objective of the grid neighbours / the selected point's{peak}"])
    placebo = doc.get("placebo")
    if placebo:
        rows.append(["Placebo p", bars.get("placebo"), placebo["p"],
                     f"out-of-sample {placebo['objective']} among {placebo['n']} placebo "
                     "searches (signal circularly shifted: same values, no timing); small = "
                     "the timing matters"])
        rows.append(["Placebo pass rate", bars.get("placebo"), placebo["pass_rate"],
                     "share of the placebo searches that pass every other gate"])
    return rows


def to_markdown(doc: Mapping[str, Any]) -> str:
    """A GitHub-flavoured Markdown job summary (< 1 MB): gates, verdict, numbers, trials.

    Gates and baseline checks are table rows; every table has a blank line before and
    after it; every name from the user (labels, parameters, file names) is HTML-escaped.
    """
    ok = doc["exit_code"] == 0
    conv, proto, trials = doc["conventions"], doc["protocol"], doc["trials"]
    source = escape_html(str(doc["config"]["source"]))
    lines = [f"## backtest tune — {source}: {'✅ PASS' if ok else '❌ FAIL'}", ""]
    if doc["gates"]:
        lines += _table(["", "Gate", "Value", "Result"], _gate_rows(doc))
    else:
        lines += ["No gates were given.", ""]
    lines += _baseline_lines(doc)
    lines += ["**Verdict.** " + escape_html(doc["verdict"]), ""]
    sel = doc["selected"]
    lines.append(f"**Selected** (trial {sel['trial']}): "
                 + escape_html(", ".join(f"{k} = {v}" for k, v in sel["params"].items())))
    oos, ins = doc["oos"], doc["is"]
    bench = doc.get("benchmark")
    header = ["", "Bars", "Sharpe", "Sortino", "CAGR", "Max DD", "Calmar"]
    bars = (proto["out_of_sample"]["bars"], proto["in_sample"]["bars"])
    rows = [["out of sample (stitched: the verdict)", bars[0],
             *(oos[k] for k in ("sharpe", "sortino")),
             _fmt(oos["cagr"], ".2%"), _fmt(oos["max_drawdown"], ".2%"), oos["calmar"]],
            [f"in sample (best, trial {ins['trial']})", bars[1], ins["sharpe"], ins["sortino"],
             _fmt(ins["cagr"], ".2%"), _fmt(ins["max_drawdown"], ".2%"), ins["calmar"]]]
    if bench:
        b = bench["oos"]
        rows.append([f"{bench['label']} out of sample", bars[0], b["sharpe"], b["sortino"],
                     _fmt(b["cagr"], ".2%"), _fmt(b["max_drawdown"], ".2%"), b["calmar"]])
    lines += _table(header, rows)
    lines += _table(["Statistic", "Bars judged", "Value", "Reading"], _statistics_rows(doc))
    lines.append(escape_html(
        f"Trials: {trials['requested']} requested, {trials['evaluated']} evaluated, "
        f"{trials['invalid']} invalid (skipped), {trials['failed']} failed. "
        f"Window {conv['start']}..{conv['end']}, periods_per_year={conv['periods_per_year']}, "
        f"execution lag {conv['execution_lag_bars']} bar, fees {conv['fees_bps']:g} bp + "
        f"slippage {conv['slippage_bps']:g} bp, risk-free {conv['cash_asset']}; protocol "
        f"{proto['kind']}, in sample {proto['in_sample']['start']}..{proto['in_sample']['end']}, "
        f"out of sample {proto['out_of_sample']['start']}..{proto['out_of_sample']['end']}."))
    lines.append("")
    objective = proto["objective"]
    lines.append(f"**Top {min(_TOP, trials['evaluated'])} trials by in-sample {objective}:**")
    lines += _table(["#", "Parameters", f"IS {objective}", f"OOS {objective}"], _top_trials(doc))
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).rstrip("\n") + "\n"
    if len(text.encode()) > MAX_SUMMARY_BYTES:  # absurdly long parameter values
        text = text.encode()[: MAX_SUMMARY_BYTES - 200].decode(errors="ignore")
        text += "\n\n…(truncated to stay under GitHub's 1 MB step-summary limit)\n"
    return text


def to_junit(doc: Mapping[str, Any]) -> str:
    """JUnit XML: one test case per gate and per baseline check."""
    cases: list[tuple[str, bool, str]] = [
        (f"gate: {g['expr']}", bool(g["passed"]), escape_html(g["message"]))
        for g in doc["gates"]]
    base = doc.get("baseline")
    if base:
        cases += [(f"baseline: {c['expr']}", bool(c["passed"]), escape_html(c["message"]))
                  for c in base["checks"]]
    failures = sum(not ok for _, ok, _ in cases)
    suite = ET.Element("testsuite", name="backtest tune", tests=str(len(cases)),
                       failures=str(failures), errors="0", skipped="0")
    for name, ok, message in cases:
        case = ET.SubElement(suite, "testcase",
                             classname=escape_html(f"tune.{doc['config']['source']}"),
                             name=escape_html(name))
        if not ok:
            fail = ET.SubElement(case, "failure", message=message)
            fail.text = message
    suites = ET.Element("testsuites", tests=str(len(cases)), failures=str(failures))
    suites.append(suite)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def github_annotations(doc: Mapping[str, Any]) -> list[str]:
    """GitHub Actions ``::error::`` workflow commands, one per failure."""
    return [annotation("backtest tune", line) for line in doc["failures"]]
