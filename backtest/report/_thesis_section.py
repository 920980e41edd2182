"""The report's thesis section (pure): built from the JSON keys of schema 1.2 and 1.3.

Registered in :data:`backtest.report.sections.SECTIONS` under the key ``thesis``:
:func:`build` turns every run document that has the key into the context of
``templates/_thesis.html.j2`` — the verdict, the statistics, regime timing and
attribution, and (1.3) the idea-date split, concentration and the adjusted regime
count — from plain data alone, so a report rendered from a saved result file equals
the one rendered at run time. A 1.2 document simply has no 1.3 blocks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from backtest.report._format import MISSING, format_date

if TYPE_CHECKING:
    from backtest.report._compare import Comparison
    from backtest.report._runs import RunData

__all__ = ["build", "interval_text", "section_from_json", "top_contributors"]

_TOP = 3


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _minus(text: str) -> str:
    return text.replace("-", "−")  # a typographic minus, as elsewhere in the report


def _pct(value: object, digits: int = 1) -> str:
    if not _finite(value):
        return MISSING
    return _minus(f"{value * 100:+.{digits}f}%")  # type: ignore[operator]


def _num(value: object, digits: int = 2) -> str:
    return _minus(f"{value:+.{digits}f}") if _finite(value) else MISSING


def interval_text(iv: Mapping[str, Any] | None, *, percent: bool = True, digits: int = 1) -> str:
    """``−3.1% [−5.2, −1.0]`` (or ``−3.1% (no interval)``) from an interval's JSON."""
    if iv is None:
        return MISSING
    fmt = _pct if percent else _num
    head = fmt(iv.get("estimate"), digits)
    if not (_finite(iv.get("low")) and _finite(iv.get("high"))):
        return f"{head} (no interval)"
    scale = 100.0 if percent else 1.0
    return head + _minus(f" [{iv['low'] * scale:+.{digits}f}, {iv['high'] * scale:+.{digits}f}]")


def top_contributors(contributions: Mapping[str, Any], n: int = _TOP) -> str:
    """The ``n`` largest asset contributions by size, e.g. ``MU +61.2%, COWZ +4.1%``."""
    items = [(k, v) for k, v in contributions.items()
             if k != "costs" and _finite(v) and v != 0.0]  # costs have their own column
    items.sort(key=lambda kv: -abs(kv[1]))
    return ", ".join(f"{k} {_pct(v)}" for k, v in items[:n]) or MISSING


def _timing_text(row: Mapping[str, Any] | None) -> dict[str, str]:
    if row is None:
        return {"start": MISSING, "switch": MISSING, "share": MISSING, "lead": MISSING}
    start = row.get("state_at_start")
    since = format_date(row.get("state_since"))
    switch = row.get("first_switch")
    lead = row.get("lead_days")
    return {
        "start": MISSING if start is None else f"{start} since {since}",
        "switch": (MISSING if switch is None
                   else f"to {row.get('first_switch_to')} {format_date(switch)}"),
        "share": _pct(row.get("share_risk_off"), 0).lstrip("+"),
        "lead": "missed" if not _finite(lead) else _minus(f"{lead:+.0f}d"),
    }


def _regime_rows(payload: Mapping[str, Any], main: str) -> list[dict[str, Any]]:
    thesis = payload.get("thesis") or {}
    timing = {r["regime"]: r for r in payload.get("regime_timing", [])}
    attribution = payload.get("attribution", {}).get("strategies", {}).get(main, {})
    by_regime = {r["regime"]: r for r in attribution.get("regimes", [])}
    rows = []
    for r in thesis.get("regimes", []):
        contrib = by_regime.get(r["label"], {})
        rows.append({
            "name": r["label"], "kind": str(r["kind"]).replace("_", " "), "bars": r["bars"],
            "spread": interval_text(r.get("spread")), "verdict": r.get("verdict") or MISSING,
            "p": _p_text(r.get("p_value"), r.get("p_holm")),
            "timing": _timing_text(timing.get(r["label"])),
            "return": _pct(contrib.get("total")),
            "top": top_contributors(contrib.get("contributions", {})),
        })
    return rows


def _p_text(p: object, holm: object) -> str:
    """``0.004 (Holm 0.044)`` or the missing mark (schema 1.2, too short)."""
    if not _finite(p):
        return MISSING
    return f"{p:.3f}" + (f" (Holm {holm:.3f})" if _finite(holm) else "")


def _count_text(count: Mapping[str, Any] | None) -> str | None:
    if not count:
        return None
    judged, tests = count.get("judged", 0), count.get("tests", 0)
    return (f"{count['counts']} of {judged} count for the thesis; after adjusting for {tests} "
            f"tests, {count['counts_holm']} by Holm's method and {count['counts_bh']} by "
            f"Benjamini–Hochberg. {count['fails']} failed ({count['fails_holm']} after Holm), "
            f"{count['too_noisy']} too noisy to judge, {count['inconclusive']} inconclusive, "
            f"{count['too_short']} too short.")


def _idea_rows(idea: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not idea:
        return None
    rows = []
    for side in ("before", "after"):
        part = idea[side]
        state, sharpe = part.get("state"), part.get("sharpe") or []
        span = (f"{format_date(part['start'])} – {format_date(part['end'])}"
                if part.get("start") else MISSING)
        rows.append({
            "side": side, "bars": part["bars"], "span": span,
            "difference": (interval_text(state["difference_per_year"]) + " per yr"
                           if state else MISSING),
            "sharpe": (f"vs {sharpe[0]['alternative']}: "
                       + interval_text(sharpe[0]["difference"], percent=False, digits=2)
                       if sharpe else MISSING),
            "missing": part.get("missing") or "",
        })
    return {"date": format_date(idea["idea_date"]), "share": _pct(idea["share_before"], 0)
            .lstrip("+"), "hindsight": bool(idea.get("hindsight")), "rows": rows}


def _concentration(c: Mapping[str, Any] | None) -> dict[str, str] | None:
    if not c:
        return None
    return {
        "asset": str(c["asset"]), "contribution": _pct(c.get("contribution")),
        "total": _pct(c.get("total")),
        "share": _pct(c.get("share"), 0).lstrip("+") if _finite(c.get("share")) else MISSING,
        "cagr": _pct(c.get("cagr")), "cagr_without": _pct(c.get("cagr_without")),
        "sharpe": _num(c.get("sharpe")).lstrip("+"),
        "sharpe_without": _num(c.get("sharpe_without")).lstrip("+"),
        "method": str(c.get("method", "")),
    }


def _tables(thesis: Mapping[str, Any]) -> dict[str, Any]:
    s, p, m = thesis["state"], thesis["predictive"], thesis.get("mechanism")
    ppy = thesis["periods_per_year"]
    state = [
        ("Bars after a risk-off close", f"{s['bars_off']}",
         f"{_pct(s['mean_off_per_year'])}/yr"),
        ("Bars after a risk-on close", f"{s['bars_on']}", f"{_pct(s['mean_on_per_year'])}/yr"),
        ("Risk-off minus risk-on", "", interval_text(s["difference_per_year"]) + " per yr"),
        ("Newey–West t (lags)", "", f"{_num(s['newey_west_t'])} ({s['newey_west_lags']})"),
        ("Hit rate (off / on)", "", f"{_pct(s['hit_rate'], 0)} ({_pct(s['hit_rate_off'], 0)}"
                                    f" / {_pct(s['hit_rate_on'], 0)})".replace("+", "")),
    ]
    slope = p["slope"] * ppy if _finite(p["slope"]) else None
    predictive = [
        ("Slope per unit of composite", f"{_pct(slope)}/yr (t {_num(p['slope_t'])})"),
        ("Out-of-sample R² vs the expanding mean", _pct(p["oos_r2"], 2)),
        ("… sign-restricted (Campbell–Thompson)", _pct(p["oos_r2_restricted"], 2)),
        ("Clark–West t (one-sided p)", f"{_num(p['cw_t'])} ({_num(p['cw_p'])})"),
        ("Forecasts", f"{p['oos_bars']} bars from {format_date(p['oos_start'])}"),
    ]
    mechanism = None
    if m is not None:
        mechanism = [
            ("Spread per +100 bp in the yield", interval_text(m["yield_beta_per_100bp"])),
            ("Spread per +100 bp of credit spread", interval_text(m["credit_beta_per_100bp"])),
            ("Empirical duration gap (years)",
             interval_text(m["duration_gap_years"], percent=False, digits=1)),
            ("Bars, R²", f"{m['nobs']}, {m['r2']:.3f}"),
        ]
    return {"state": state, "predictive": predictive, "mechanism": mechanism}


def section_from_json(payload: Mapping[str, Any], main: str) -> dict[str, Any]:
    """One run's block of the template context, from the JSON keys of schema 1.2 (or 1.3).

    Parameters
    ----------
    payload : mapping
        A ``to_json`` payload (or a loaded result file) with the analysis keys.
    main : str
        Label of the strategy under test (as in the payload).
    """
    thesis = payload.get("thesis")
    attribution = payload.get("attribution", {})
    out: dict[str, Any] = {
        "skipped": payload.get("thesis_skipped"),
        "method": attribution.get("method", ""),
        "attribution": [
            {"label": label, "total": _pct(a.get("total")), "top": top_contributors(a["run"], 5),
             "costs": _pct(a["run"].get("costs"), 2)}
            for label, a in attribution.get("strategies", {}).items()
        ],
        "thesis": None,
    }
    if thesis is None:
        return out
    settings = thesis["settings"]
    out["thesis"] = {
        "verdict": thesis["verdict"],
        "settings": (f"{settings['reps']} stationary-bootstrap resamples (seed "
                     f"{settings['seed']}), {settings['confidence']:.0%} intervals, regimes "
                     f"and decades need {settings['min_bars']} bars; bars "
                     f"{format_date(thesis['start'])} to {format_date(thesis['end'])}"),
        **_tables(thesis),
        "decades": [
            {"label": d["label"], "bars": d["bars"], "mean": interval_text(d["spread"]),
             "difference": interval_text(d.get("difference_per_year"))}
            for d in thesis["decades"]
        ],
        "regimes": _regime_rows(payload, main),
        "sharpe": [
            {"alternative": c["alternative"], "strategy": _num(c["sharpe_strategy"]),
             "other": _num(c["sharpe_alternative"]),
             "difference": interval_text(c["difference"], percent=False, digits=2)}
            for c in thesis["sharpe"]
        ],
        "durations": thesis.get("durations"),
        "duration_interval": (interval_text(thesis["durations"].get("mean_interval"),
                                            percent=False, digits=2)
                              if thesis.get("durations") and
                              thesis["durations"].get("mean_interval") else None),
        "regime_count": _count_text(thesis.get("regime_count")),
        "idea": _idea_rows(thesis.get("idea")),
        "concentration": _concentration(thesis.get("concentration")),
    }
    return out


def build(runs: Sequence[RunData], comparison: Comparison) -> dict[str, Any]:
    """The section's context: one block per run whose document has ``thesis``.

    Parameters
    ----------
    runs : sequence of RunData
        The runs with the key (in the comparison's order).
    comparison : Comparison
        For run names and display labels.
    """
    blocks = []
    for i, run in enumerate(comparison.runs):
        if not any(run is r for r in runs):
            continue
        labels = comparison.labels[i]
        block = section_from_json(run.document, run.main)
        for row in block["attribution"]:
            row["label"] = labels.get(row["label"], row["label"])
        blocks.append({"name": comparison.names[i], "main": labels.get(run.main, run.main),
                       **block})
    return {"multi": comparison.multi, "runs": blocks}
