"""Rich tables of ``backtest thesis`` (and the timing cell of the run's regime table)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from backtest.engine.result import ENGINE_TEXT

if TYPE_CHECKING:
    from backtest.analysis import Interval, Thesis
    from backtest.evaluate import RunAnalysis
    from backtest.report import RunData

__all__ = ["thesis_report", "timing_cells", "timing_text"]

_DASH = "–"


def _ok(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _pct(value: float, digits: int = 1) -> str:
    return f"{value * 100:+.{digits}f}%" if _ok(value) else _DASH


def _iv(iv: Interval | None, *, percent: bool = True, digits: int = 1) -> str:
    if iv is None:
        return _DASH
    scale, unit = (100.0, "%") if percent else (1.0, "")
    head = f"{iv.estimate * scale:+.{digits}f}{unit}" if _ok(iv.estimate) else _DASH
    if not (_ok(iv.low) and _ok(iv.high)):
        return head
    return f"{head} [{iv.low * scale:+.{digits}f}, {iv.high * scale:+.{digits}f}]"


def _table(title: str, *columns: tuple[str, str]) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for name, justify in columns:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    return table


def timing_text(row: Mapping[str, Any]) -> str:
    """Compact timing of one regime: ``-2d 100%`` (lead, share held risk-off) or ``missed 0%``."""
    share = row.get("share_risk_off")
    held = f"{share:.0%}" if _ok(share) else _DASH
    lead = row.get("lead_days")
    return f"{lead:+.0f}d {held}" if _ok(lead) else f"missed {held}"


def timing_cells(run: RunData) -> dict[str, str]:
    """Regime name -> :func:`timing_text` of the strategy under test, from a run document.

    Uses the document's ``regime_timing`` (schema 1.2: the state in force). A document
    from before 1.2 has only ``signal_timing``, the first risk-off reading in a window
    opening six months before the regime; it is shown as such, marked ``(1.1)``.
    """
    rows = run.document.get("regime_timing")
    if rows is not None:
        return {str(r["regime"]): timing_text(r) for r in rows}
    out = {}
    for _, t in run.timing.iterrows():
        hit = bool(t.get("signal_hit")) and _ok(t.get("lead_days"))
        out[str(t["regime"])] = f"{int(t['lead_days']):+d}d (1.1)" if hit else "missed (1.1)"
    return out


def _state_table(thesis: Thesis) -> Table:
    s = thesis.state
    table = _table("Spread (long − short) by the state at the previous close",
                   ("", "left"), ("Bars", "right"), ("Per year", "right"))
    table.add_row("risk-off", str(s.bars_off), _pct(s.mean_off))
    table.add_row("risk-on", str(s.bars_on), _pct(s.mean_on))
    table.add_row("off − on [CI]", "", _iv(s.difference))
    table.add_row("Newey–West t", f"lags {s.nw_lags}", f"{s.nw_t:+.2f}")
    table.add_row("hit rate off/on", f"{s.hit_rate:.0%}", f"{s.hit_rate_off:.0%} / "
                  f"{s.hit_rate_on:.0%}")
    return table


def _model_table(thesis: Thesis) -> Table:
    p, m, ppy = thesis.predictive, thesis.mechanism, thesis.periods_per_year
    table = _table("Prediction and mechanism", ("", "left"), ("Value", "right"))
    table.add_row("next-bar spread per unit of composite", f"{_pct(p.slope * ppy)}/yr "
                  f"(t {p.slope_t:+.2f})")
    table.add_row("out-of-sample R² vs expanding mean", f"{_pct(p.oos_r2, 2)} (restricted "
                  f"{_pct(p.oos_r2_restricted, 2)})")
    cw = f"{p.cw_t:+.2f} (p {p.cw_p:.2f})" if _ok(p.cw_t) else _DASH
    table.add_row("Clark–West t", cw)
    if m is not None:
        table.add_row("spread per +100 bp yield [CI]", _iv(m.yield_beta))
        table.add_row("spread per +100 bp credit [CI]", _iv(m.credit_beta))
        table.add_row("duration gap, years [CI]", _iv(m.duration_gap, percent=False))
    for c in thesis.sharpe:
        table.add_row(f"Sharpe − {c.alternative} [CI]", _iv(c.difference, percent=False,
                                                            digits=2))
    r = thesis.durations
    if r is not None and _ok(r.mean):
        from backtest.analysis import duration_agreement

        iv = thesis.durations_mean
        ci = (f" [{iv.low:+.2f}, {iv.high:+.2f}]" if iv is not None and _ok(iv.low)
              and _ok(iv.high) else "")
        table.add_row(f"{r.first} vs {r.second} rank corr.", f"{r.mean:+.2f}{ci} mean, "
                      f"{r.share_positive:.0%} > 0: {duration_agreement(thesis)}")
    return table


def _idea_table(thesis: Thesis) -> Table | None:
    i = thesis.idea
    if i is None:
        return None
    table = _table(f"Before and after the idea date {i.idea_date:%Y-%m-%d}"
                   + (" — most bars precede it (hindsight)" if i.hindsight else ""),
                   ("Bars", "left"), ("Count", "right"), ("Dates", "left"),
                   ("Off − on/yr [CI]", "right"), ("Sharpe diff. [CI]", "right"))
    for part in (i.before, i.after):
        span = (f"{part.start:%Y-%m-%d} .. {part.end:%Y-%m-%d}"
                if part.start is not None and part.end is not None else _DASH)
        state = _iv(part.state.difference) if part.state is not None else _DASH
        sharpe = (f"vs {part.sharpe[0].alternative} "
                  + _iv(part.sharpe[0].difference, percent=False, digits=2)
                  if part.sharpe else _DASH)
        table.add_row(f"{part.label} the idea", str(part.bars), span, state, sharpe)
    missing = [f"{p.label}: {p.missing}" for p in (i.before, i.after) if p.missing]
    if missing:
        table.caption = "Not measured — " + "; ".join(missing)
    return table


def _concentration_table(thesis: Thesis) -> Table | None:
    c = thesis.concentration
    if c is None:
        return None
    table = _table(f"Concentration — largest contributor {c.asset}", ("", "left"),
                   ("As run", "right"), (f"Without {c.asset}", "right"))
    share = f" ({c.share:.0%} of it)" if _ok(c.share) else ""
    table.add_row("compounded return / its contribution", _pct(c.total),
                  f"{_pct(c.contribution)}{share}")
    table.add_row("CAGR", _pct(c.cagr), _pct(c.cagr_without))
    table.add_row("Sharpe", f"{c.sharpe:.2f}" if _ok(c.sharpe) else _DASH,
                  f"{c.sharpe_without:.2f}" if _ok(c.sharpe_without) else _DASH)
    table.caption = f"Without: {c.method}."
    return table


def _decade_table(thesis: Thesis) -> Table:
    table = _table("By decade", ("Decade", "left"), ("Bars", "right"),
                   ("Spread/yr [CI]", "right"), ("Off − on/yr [CI]", "right"))
    for d in thesis.decades:
        table.add_row(d.label, str(d.bars), _iv(d.spread), _iv(d.difference))
    return table


def _regime_table(thesis: Thesis, analysis: RunAnalysis, label: str) -> Table:
    table = _table(f"By regime — {label}", ("Regime", "left"), ("L−S [CI]", "right"),
                   ("Counts?", "left"), ("p (Holm)", "right"), ("Timing", "left"),
                   ("Return", "right"), ("Top contributors", "left"))
    timing = {str(r["regime"]): r for r in analysis.timing.to_dict(orient="records")}
    att = analysis.attribution[label].regimes
    for r in thesis.regimes:
        row = timing.get(r.label, {})
        start = row.get("state_at_start")
        since = row.get("state_since")
        when = (f"{str(start).replace('risk-', '')} since {since:%Y-%m-%d}; "
                if isinstance(start, str) and since is not None else "")
        contrib = att.loc[r.label].drop(["total", "costs"]) if r.label in att.index else None
        top = _DASH
        if contrib is not None:
            best = contrib[contrib != 0].abs().sort_values(ascending=False).index[:2]
            top = ", ".join(f"{k} {_pct(float(contrib[k]))}" for k in best) or _DASH
        total = float(att.loc[r.label, "total"]) if r.label in att.index else math.nan
        p = (f"{r.p_value:.3f} ({r.p_holm:.3f})" if _ok(r.p_value) and _ok(r.p_holm)
             else _DASH)
        table.add_row(r.label, _iv(r.spread), str(r.verdict), p, when + timing_text(row),
                      _pct(total), top)
    table.caption = ("L−S: compounded long minus short sleeve over the regime. Counts: its "
                     "interval is on the predicted side of zero; too noisy: wider than ±50 pp "
                     "a year and than its estimate. p: two-sided bootstrap p-value of a zero "
                     "spread, Holm-adjusted over the regimes tested. Timing: state at the start "
                     "and since when; days until the expected state was in force (negative: "
                     "already); share of bars held risk-off.")
    return table


def conventions_line(run: Mapping[str, Any]) -> str:
    """One run's conventions in a line: window, annualization, lag, costs, risk-free."""
    return (f"{run['start']} .. {run['end']} · {run['bars']} bars · periods_per_year="
            f"{run['periods_per_year']} · execution lag {run['execution_lag_bars']} bar · fees "
            f"{run['fees_bps']:g}bp + slippage {run['slippage_bps']:g}bp · risk-free = "
            f"{run['cash_asset']}")


def thesis_report(analysis: RunAnalysis, label: str,
                  conventions: Mapping[str, Any] | None = None) -> Group:
    """Everything ``backtest thesis`` prints: the verdict, the tables, the conventions.

    ``conventions`` (the run's, :meth:`backtest.runner.RunResult.conventions`) end the
    report in one line, the engine that executed the strategies named.
    """
    thesis = analysis.thesis
    assert thesis is not None  # the command refuses a run without a state
    settings = thesis.settings
    verdict = Panel(
        Text("\n\n".join(thesis.verdict)),
        title=(f"Verdict — {label}, {thesis.start:%Y-%m-%d} .. {thesis.end:%Y-%m-%d}, "
               f"{settings.reps} resamples, seed {settings.seed}"),
        title_align="left",
    )
    tables = [_state_table(thesis), _model_table(thesis), _idea_table(thesis),
              _concentration_table(thesis), _decade_table(thesis),
              _regime_table(thesis, analysis, label)]
    shown: list[Any] = [verdict, *(t for t in tables if t is not None)]
    if conventions is not None:
        engine = ENGINE_TEXT.get(str(conventions.get("engine")), "vectorbt")
        shown.append(Text(f"{conventions_line(conventions)} · engine: {engine}", style="dim"))
    return Group(*shown)
