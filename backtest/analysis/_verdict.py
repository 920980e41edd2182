"""The verdict in plain words, generated from the numbers (never written per config)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from backtest.analysis._bootstrap import Interval

if TYPE_CHECKING:
    from backtest.analysis._thesis import Thesis

__all__ = ["COUNTER_EVIDENCE", "write_verdict"]

#: The counter-evidence every verdict cites (also in the README).
COUNTER_EVIDENCE = (
    "Counter-evidence to weigh: Maloney & Moskowitz (2021, \"Value and Interest Rates: Are "
    "Rates to Blame for Value's Torments?\", Journal of Portfolio Management) find only "
    "modest links between value-minus-growth returns and interest rates that change with "
    "the specification and are not robust across samples, and conclude that timing with "
    "rate signals is likely to perform poorly."
)


def _pct(value: float, digits: int = 1) -> str:
    return "n/a" if not math.isfinite(value) else f"{value * 100:+.{digits}f}%"


def _span(iv: Interval, digits: int = 1, percent: bool = True) -> str:
    if not (math.isfinite(iv.low) and math.isfinite(iv.high)):
        return "no interval"
    level = f"{iv.confidence:.0%} CI"
    if percent:
        return f"{level} {iv.low * 100:+.{digits}f} to {iv.high * 100:+.{digits}f}"
    return f"{level} {iv.low:+.{digits}f} to {iv.high:+.{digits}f}"


def _headline(thesis: Thesis) -> str:
    s = thesis.state
    d = s.difference
    alpha = f"{1 - d.confidence:.0%}"
    word = "lower" if d.estimate < 0 else "higher"
    body = (
        f"the long-minus-short spread was {abs(d.estimate) * 100:.1f}%/yr {word} in bars after "
        f"a risk-off close of {thesis.strategy!r} than after a risk-on close "
        f"({_span(d)} pp/yr; Newey-West t = {s.nw_t:.2f}; {_pct(s.mean_off)}/yr over "
        f"{s.bars_off} risk-off bars, {_pct(s.mean_on)}/yr over {s.bars_on} risk-on bars; "
        f"the spread had the predicted sign in {s.hit_rate:.0%} of bars)"
    )
    if d.sign < 0:
        return f"Evidence at {alpha}: {body}."
    if d.sign > 0:
        return f"Evidence AGAINST the thesis at {alpha}: {body}."
    return f"No evidence at {alpha}: {body}."


def _predictive(thesis: Thesis) -> str:
    p, ppy = thesis.predictive, thesis.periods_per_year
    start = "" if p.oos_start is None else f" from {p.oos_start:%Y-%m}"
    if not math.isfinite(p.oos_r2):
        oos = "too few bars for an out-of-sample test"
    else:
        beat = "beat" if p.oos_r2 > 0 else "did not beat"
        cw = ("" if not math.isfinite(p.cw_t)
              else f"; Clark-West t = {p.cw_t:.2f}, one-sided p = {p.cw_p:.2f}")
        oos = (f"out of sample{start} ({p.oos_bars} bars, expanding estimates) it {beat} the "
               f"historical mean: R2_OS = {p.oos_r2 * 100:+.2f}% (sign-restricted "
               f"{p.oos_r2_restricted * 100:+.2f}%{cw}; Campbell & Thompson 2008)")
    return (
        f"Prediction: one unit more of the composite at a close came before a next-bar spread "
        f"{_pct(p.slope * ppy)}/yr (Newey-West t = {p.slope_t:.2f}); {oos}."
    )


def _mechanism(thesis: Thesis) -> str | None:
    m = thesis.mechanism
    if m is None:
        return None
    gap = m.duration_gap
    if gap.sign > 0:
        reading = "the long sleeve is measurably longer"
    elif gap.sign < 0:
        reading = "the 'long' sleeve is measurably SHORTER than the 'short' one"
    else:
        reading = "no measurable duration gap"
    return (
        f"Mechanism (same bars): per 100 bp rise in the yield the spread moved "
        f"{_pct(m.yield_beta.estimate)} (t = {m.yield_t:.2f}); per 100 bp of credit widening "
        f"{_pct(m.credit_beta.estimate)} (t = {m.credit_t:.2f}). Empirical duration gap "
        f"{gap.estimate:+.1f} years ({_span(gap, percent=False)}): {reading}."
    )


def _names(items: list[str], limit: int = 6) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _regimes(thesis: Thesis) -> str:
    by: dict[str, list[str]] = {"counts": [], "fails": [], "inconclusive": [], "too short": []}
    for r in thesis.regimes:
        by[str(r.verdict)].append(r.label)
    judged = len(by["counts"]) + len(by["fails"]) + len(by["inconclusive"])
    parts = [f"Regimes: {len(by['counts'])} of {judged} with at least "
             f"{thesis.settings.min_bars} bars count for the thesis (interval on the predicted "
             "side of zero)" + (f": {_names(by['counts'])}" if by["counts"] else "")]
    if by["fails"]:
        parts.append(f"the thesis FAILED in {_names(by['fails'])} (interval on the wrong side)")
    parts.append(f"{len(by['inconclusive'])} inconclusive")
    if by["too short"]:
        parts.append(f"{len(by['too short'])} too short to judge")
    return "; ".join(parts) + "."


def _sharpe(thesis: Thesis) -> str | None:
    if not thesis.sharpe:
        return None
    parts = []
    for c in thesis.sharpe:
        d = c.difference
        word = ("better" if d.sign > 0 else "worse" if d.sign < 0
                else "not distinguishable")
        parts.append(
            f"vs {c.alternative}: Sharpe {c.sharpe_strategy:.2f} - {c.sharpe_alternative:.2f} = "
            f"{d.estimate:+.2f} ({_span(d, 2, percent=False)}, paired bootstrap): {word}"
        )
    return f"Against its honest alternatives, {thesis.strategy!r} " + "; ".join(parts) + "."


def _durations(thesis: Thesis) -> str | None:
    r = thesis.durations
    if r is None:
        return None
    if not math.isfinite(r.mean):
        return f"Duration measures: {r.first} and {r.second} never ranked three assets together."
    return (
        f"Duration measures: {r.first} and {r.second} durations ranked the assets with a mean "
        f"Spearman correlation of {r.mean:+.2f} (positive on {r.share_positive:.0%} of "
        f"{len(r.rho)} dates, {r.assets} assets, last {r.last:+.2f})."
    )


def write_verdict(thesis: Thesis) -> tuple[str, ...]:
    """Plain-language lines from the statistics of ``thesis``.

    The first line says whether there is evidence at the stated level, and in
    which direction; then the prediction, the mechanism, the regimes (naming those
    where the thesis failed), the Sharpe comparisons, the duration measures, the
    notes on what was left out, and the counter-evidence (Maloney & Moskowitz 2021).
    """
    lines = [_headline(thesis), _predictive(thesis), _mechanism(thesis), _regimes(thesis),
             _sharpe(thesis), _durations(thesis), *thesis.notes, COUNTER_EVIDENCE]
    return tuple(line for line in lines if line)
