"""CI outputs of a tune, rendered from its JSON document (pure): Markdown, JUnit, annotations.

Every failed gate or baseline check is one line in every output: the terminal,
the Markdown summary, the JUnit file (one test case per gate and per baseline
check), the ``::error::`` annotations on GitHub Actions, and the JSON.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

__all__ = ["MAX_SUMMARY_BYTES", "github_annotations", "to_junit", "to_markdown"]

#: GitHub refuses step summaries over 1 MiB; ours stay well under it.
MAX_SUMMARY_BYTES = 1_000_000
_TOP = 15  # trials listed in the summary


def _fmt(value: Any, spec: str = ".3f") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, float):
        return format(value, spec)
    return str(value)


def _cell(value: Any) -> str:
    return _fmt(value).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return out


def _top_trials(doc: Mapping[str, Any]) -> list[list[Any]]:
    objective = doc["protocol"]["objective"]
    ok = [t for t in doc["trials"]["list"] if t["status"] == "ok"]
    ok.sort(key=lambda t: -(t["is"][objective] if t["is"][objective] is not None
                            else -math.inf))
    return [[t["number"], ", ".join(f"{k}={v}" for k, v in t["params"].items()),
             t["is"][objective], t["oos"][objective]] for t in ok[:_TOP]]


def to_markdown(doc: Mapping[str, Any]) -> str:
    """A Markdown job summary: gates, verdict, selection, statistics, top trials (< 1 MB)."""
    ok = doc["exit_code"] == 0
    conv, proto, trials = doc["conventions"], doc["protocol"], doc["trials"]
    lines = [f"## backtest tune — {doc['config']['source']}: {'PASS' if ok else 'FAIL'}", ""]
    if doc["gates"]:
        lines += [("✅ " if g["passed"] else "❌ ") + f"`{g['expr']}` — {g['message']}"
                  for g in doc["gates"]]
        lines.append("")
    base = doc.get("baseline")
    if base:
        note = [] if base["config_match"] else ["config differs from the baseline's"]
        note += [] if base["data_match"] else ["data differ from the baseline's"]
        lines.append(f"**Baseline** (tolerance {base['tolerance']:g}"
                     + (f"; {'; '.join(note)}" if note else "") + "):")
        lines += [("✅ " if c["passed"] else "❌ ") + c["message"] for c in base["checks"]]
        lines.append("")
    lines += ["**Verdict.** " + doc["verdict"], ""]
    sel = doc["selected"]
    lines.append(f"**Selected** (trial {sel['trial']}): "
                 + ", ".join(f"`{k} = {v}`" for k, v in sel["params"].items()))
    lines.append("")
    oos, ins = doc["oos"], doc["is"]
    bench = doc.get("benchmark")
    header = ["", "Sharpe", "Sortino", "CAGR", "Max DD", "Calmar"]
    rows = [["out of sample (stitched)", *(oos[k] for k in ("sharpe", "sortino")),
             _fmt(oos["cagr"], ".2%"), _fmt(oos["max_drawdown"], ".2%"), oos["calmar"]],
            [f"in sample (best, trial {ins['trial']})", ins["sharpe"], ins["sortino"],
             _fmt(ins["cagr"], ".2%"), _fmt(ins["max_drawdown"], ".2%"), ins["calmar"]]]
    if bench:
        b = bench["oos"]
        rows.append([f"{bench['label']} out of sample", b["sharpe"], b["sortino"],
                     _fmt(b["cagr"], ".2%"), _fmt(b["max_drawdown"], ".2%"), b["calmar"]])
    lines += [*_table(header, rows), ""]
    spa = doc.get("spa") or {}
    st = doc["stability"]
    peak = " — sharp peak" if st.get("sharp_peak") else ""
    stats = [
        ["DSR", doc["dsr"], "P(true Sharpe of the in-sample best > 0), deflated for "
                            f"{trials['evaluated']} trials"],
        ["PBO", doc["pbo"], "share of CSCV splits where the in-sample best fell below the "
                            "out-of-sample median"],
        ["SPA consistent p", spa.get("consistent"), "small = some trial beats the benchmark"],
        ["Neighbour ratio", st.get("ratio"), "median out-of-sample objective of the grid "
                                             f"neighbours / the selected point's{peak}"],
    ]
    placebo = doc.get("placebo")
    if placebo:
        stats.append(["Placebo p", placebo["p"],
                      f"out-of-sample {placebo['objective']} among {placebo['n']} placebo "
                      "searches (signal circularly shifted: same values, no timing); small = "
                      "the timing matters"])
        stats.append(["Placebo pass rate", placebo["pass_rate"],
                      "share of the placebo searches that pass every other gate"])
    lines += [*_table(["Statistic", "Value", "Reading"], stats), ""]
    lines.append(
        f"Trials: {trials['requested']} requested, {trials['evaluated']} evaluated, "
        f"{trials['invalid']} invalid (skipped), {trials['failed']} failed. "
        f"Window {conv['start']}..{conv['end']}, periods_per_year={conv['periods_per_year']}, "
        f"execution lag {conv['execution_lag_bars']} bar, fees {conv['fees_bps']:g} bp + "
        f"slippage {conv['slippage_bps']:g} bp, risk-free {conv['cash_asset']}; protocol "
        f"{proto['kind']}, in sample {proto['in_sample']['start']}..{proto['in_sample']['end']}, "
        f"out of sample {proto['out_of_sample']['start']}..{proto['out_of_sample']['end']}.")
    lines.append("")
    objective = proto["objective"]
    lines.append(f"**Top {min(_TOP, trials['evaluated'])} trials by in-sample {objective}:**")
    lines += _table(["#", "params", f"IS {objective}", f"OOS {objective}"], _top_trials(doc))
    text = "\n".join(lines) + "\n"
    if len(text.encode()) > MAX_SUMMARY_BYTES:  # absurdly long parameter values
        text = text.encode()[: MAX_SUMMARY_BYTES - 200].decode(errors="ignore")
        text += "\n\n…(truncated to stay under GitHub's 1 MB step-summary limit)\n"
    return text


def to_junit(doc: Mapping[str, Any]) -> str:
    """JUnit XML: one test case per gate and per baseline check."""
    cases: list[tuple[str, bool, str]] = [
        (f"gate: {g['expr']}", bool(g["passed"]), g["message"]) for g in doc["gates"]]
    base = doc.get("baseline")
    if base:
        cases += [(f"baseline: {c['expr']}", bool(c["passed"]), c["message"])
                  for c in base["checks"]]
    failures = sum(not ok for _, ok, _ in cases)
    suite = ET.Element("testsuite", name="backtest tune", tests=str(len(cases)),
                       failures=str(failures), errors="0", skipped="0")
    for name, ok, message in cases:
        case = ET.SubElement(suite, "testcase", classname=f"tune.{doc['config']['source']}",
                             name=name)
        if not ok:
            fail = ET.SubElement(case, "failure", message=message)
            fail.text = message
    suites = ET.Element("testsuites", tests=str(len(cases)), failures=str(failures))
    suites.append(suite)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def github_annotations(doc: Mapping[str, Any]) -> list[str]:
    """GitHub Actions ``::error::`` workflow commands, one per failure."""
    def escape(text: str) -> str:  # the workflow-command encoding of a message
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    return [f"::error title=backtest tune::{escape(line)}" for line in doc["failures"]]
