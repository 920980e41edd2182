"""The verdict in plain words, generated from the numbers (never written per config).

Order: the mechanism (do the sleeves differ in duration, and did the spread fall
when yields and credit spreads rose), the two duration measures when both exist,
the strategy's state, the prediction, the regimes, the honest alternatives, the
idea-date split, concentration, what was left out, and the counter-evidence for the
asset classes held.

Words follow numbers, by the thresholds below: a difference whose magnitude rounds
to zero at the precision shown is "equal"/"unchanged"; a p-value above the level
(1 − confidence) never "beats" anything; an estimate with the sign the thesis does
not predict says so ("higher (the thesis predicts lower)"); an interval whose
half-width exceeds :data:`TOO_NOISY_HALF_WIDTH` a year is "too noisy to judge".
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import TYPE_CHECKING

from backtest.analysis._bootstrap import Interval
from backtest.analysis._concentration import CONCENTRATED_SHARE
from backtest.analysis._evidence import counter_evidence
from backtest.analysis._split import SplitPart
from backtest.analysis._spread import TOO_NOISY_HALF_WIDTH, too_noisy

if TYPE_CHECKING:
    from backtest.analysis._thesis import Thesis

__all__ = [
    "AGREE_RHO",
    "SHARPE_EQUAL",
    "TOO_NOISY_HALF_WIDTH",
    "duration_agreement",
    "write_verdict",
]

#: A Sharpe difference smaller than this is "equal" (so is one that shows as 0.00).
SHARPE_EQUAL = 1e-3
#: Two duration measures "agree" when their mean rank correlation is at least this
#: and its interval excludes zero; below it (interval above zero) they agree weakly.
AGREE_RHO = 0.5

#: What each duration measure captures (docs/thesis.md, "Duration measures").
_MEASURES = {
    "DCF": "cash-flow timing implied by each asset's yield",
    "empirical": "how each asset's price moved with the yield",
}


# ---------------------------------------------------------------- formatting

def _ok(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _level(thesis: Thesis) -> str:
    return f"{1 - thesis.settings.confidence:.0%}"


def _pct(value: float, digits: int = 1) -> str:
    if not _ok(value):
        return "n/a"
    if abs(value) >= 10.0:  # a compounded return over decades: +99,226%, not +99225.7%
        return f"{value * 100:+,.0f}%"
    return f"{value * 100:+.{digits}f}%"


def _zero(value: float, digits: int, scale: float = 100.0) -> bool:
    """``value`` shows as zero at ``digits`` decimals (after ``scale``)."""
    return round(abs(value) * scale, digits) == 0.0


def _ci(iv: Interval, digits: int = 1, percent: bool = True) -> str:
    if not (_ok(iv.low) and _ok(iv.high)):
        return "no interval"
    scale = 100.0 if percent else 1.0
    return (f"{iv.confidence:.0%} CI {iv.low * scale:+.{digits}f} to "
            f"{iv.high * scale:+.{digits}f}")


def _change(value: float, *, unit: str = "%", digits: int = 1,
            predicted: int = -1) -> tuple[str, str | None]:
    """``("4.7% lower", None)``, ``("1.2%/yr higher", "the thesis predicts lower")``.

    The second item says so when the sign is the one the thesis does not predict;
    a value that rounds to zero is ``unchanged``.
    """
    if not _ok(value):
        return "not measurable", None
    if _zero(value, digits):
        return f"unchanged ({0:.{digits}f}{unit})", None
    word = "lower" if value < 0 else "higher"
    text = f"{abs(value) * 100:.{digits}f}{unit} {word}"
    against = predicted != 0 and (value > 0) == (predicted < 0)
    return text, (f"the thesis predicts {'lower' if predicted < 0 else 'higher'}"
                  if against else None)


def _with(text: str, *notes: str | None) -> str:
    """``text (a; b)`` with the notes that are not None."""
    kept = [n for n in notes if n]
    return f"{text} ({'; '.join(kept)})" if kept else text


def _names(items: list[str], limit: int = 6) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _state_word(d: Interval, level: str) -> str:
    """How an off-minus-on difference per year stands: evidence, none, against, too noisy."""
    if too_noisy(d):
        return "too noisy to judge"
    if d.sign < 0:
        return f"evidence at {level}"
    if d.sign > 0:
        return f"evidence AGAINST the thesis at {level}"
    return f"no evidence at {level}"


def _noise_note(d: Interval) -> str | None:
    if too_noisy(d):
        return f"wider than ±{TOO_NOISY_HALF_WIDTH * 100:.0f} pp/yr and than the estimate"
    return None


# ---------------------------------------------------------------- the lines

def _beta(iv: Interval, t: float) -> str:
    change, against = _change(iv.estimate)
    reading = "not distinguishable from zero" if iv.sign == 0 else None
    stat = f"{_ci(iv)}, t = {t:.2f}" + (f": {reading}" if reading else "")
    return _with(change, against, stat)


def _mechanism(thesis: Thesis) -> str:
    m = thesis.mechanism
    if m is None:
        return ("Mechanism: not tested, so this verdict cannot say whether the sleeves differ "
                "in duration, nor whether the spread fell when yields and credit spreads rose.")
    gap = m.duration_gap
    figures = f"empirical duration gap {gap.estimate:+.1f} years, {_ci(gap, percent=False)}"
    if gap.sign == 0:
        opening = (f"the sleeves do not measurably differ in duration ({figures}), so this test "
                   "cannot answer whether a rising cost of capital hurts long duration more "
                   "than short")
    elif gap.sign > 0:
        opening = f"the long sleeve is measurably longer than the short one ({figures})"
    else:
        opening = (f"the 'long' sleeve is measurably SHORTER than the 'short' one ({figures}): "
                   "the sleeves are the wrong way round for this test")
    return (f"Mechanism: {opening}. On the same bars (Newey-West), per 100 bp rise in the "
            f"yield the long-minus-short spread was {_beta(m.yield_beta, m.yield_t)}; per 100 "
            f"bp of credit widening {_beta(m.credit_beta, m.credit_t)}.")


def duration_agreement(thesis: Thesis) -> str | None:
    """``agree``, ``agree weakly``, ``unrelated``, ``opposite`` or ``too few dates``.

    From the interval of the mean Spearman correlation of the two duration rankings
    (:attr:`Thesis.durations_mean`): above zero and a mean of at least
    :data:`AGREE_RHO` — agree; above zero — agree weakly; below zero — opposite;
    covering zero — unrelated. None when there is no second measure.
    """
    r, iv = thesis.durations, thesis.durations_mean
    if r is None:
        return None
    if iv is None or not _ok(iv.estimate):
        return "too few dates"
    if iv.sign > 0:
        return "agree" if iv.estimate >= AGREE_RHO else "agree weakly"
    return "opposite" if iv.sign < 0 else "unrelated"


_AGREEMENT = {
    "agree": "they agree: the sleeves are long on both measures",
    "agree weakly": ("they agree only weakly: a sleeve long on one measure is only partly long "
                     "on the other"),
    "unrelated": ("their rankings are unrelated: the assets whose value lies furthest in the "
                  "future are not the ones whose prices fell most when yields rose, so the "
                  "empirical gap above measures how rate-sensitive these sleeves were, not "
                  "whether cash-flow timing matters"),
    "opposite": ("they rank the assets in opposite order: the sleeves long in cash-flow timing "
                 "were short in rate sensitivity, so the empirical gap above tests the opposite "
                 "of the ranking traded"),
}


def _durations(thesis: Thesis) -> str | None:
    r, word = thesis.durations, duration_agreement(thesis)
    if r is None or word is None:
        return None
    if not _ok(r.mean):
        return f"Duration measures: {r.first} and {r.second} never ranked three assets together."
    what = [f"the {name} durations ({_MEASURES[name]})" if name in _MEASURES
            else f"the {name} durations" for name in (r.first, r.second)]
    iv = thesis.durations_mean
    ci = f"{_ci(iv, digits=2, percent=False)}; " if iv is not None else ""
    reading = _AGREEMENT.get(word, "too few dates to judge their agreement")
    return (f"Duration measures: {what[0]} and {what[1]} ranked the same {r.assets} assets "
            f"with a mean Spearman correlation of {r.mean:+.2f} ({ci}positive on "
            f"{r.share_positive:.0%} of {len(r.rho)} dates, last {r.last:+.2f}): {reading}.")


def _state(thesis: Thesis) -> str:
    s = thesis.state
    d = s.difference
    change, against = _change(d.estimate, unit="%/yr")
    stats = (f"{_ci(d)} pp/yr" + (f", {_noise_note(d)}" if _noise_note(d) else "")
             + f"; Newey-West t = {s.nw_t:.2f}; {_pct(s.mean_off)}/yr over {s.bars_off} "
             f"risk-off bars, {_pct(s.mean_on)}/yr over {s.bars_on} risk-on bars; the spread "
             f"had the predicted sign in {s.hit_rate:.0%} of bars")
    return (f"Signal state — {_state_word(d, _level(thesis))}: the long-minus-short spread was "
            f"{_with(change, against)} in bars after a risk-off close of {thesis.strategy!r} "
            f"than after a risk-on close ({stats}).")


def _predictive(thesis: Thesis) -> str:
    p, ppy = thesis.predictive, thesis.periods_per_year
    alpha = 1 - thesis.settings.confidence
    slope_p = 2 * (1 - NormalDist().cdf(abs(p.slope_t))) if _ok(p.slope_t) else math.nan
    change, against = _change(p.slope * ppy, unit="%/yr")
    slope = _with(change, against, f"Newey-West t = {p.slope_t:.2f}" + (
        ": not distinguishable from zero" if not (slope_p <= alpha) else ""))
    start = "" if p.oos_start is None else f" from {p.oos_start:%Y-%m}"
    if not _ok(p.oos_r2):
        oos = "there were too few bars for an out-of-sample test"
    else:
        cw_ok = _ok(p.cw_p)
        significant = cw_ok and p.cw_p <= alpha
        if p.oos_r2 > 0 and not _zero(p.oos_r2, 2) and significant:
            word = "beat the historical mean"
        elif p.oos_r2 > 0:
            word = "were not distinguishable from the historical mean"
        elif significant:
            word = ("did not beat the historical mean in squared error, though Clark-West's "
                    "adjusted test favours them")
        else:
            word = "did not beat the historical mean"
        cw = (f", Clark-West t = {p.cw_t:.2f}, one-sided p = {p.cw_p:.2f}" if cw_ok
              else ", no Clark-West test (too few forecasts)")
        oos = (f"out of sample{start} ({p.oos_bars} bars, expanding estimates) its forecasts "
               f"{word}: R2_OS = {p.oos_r2 * 100:+.2f}% (sign-restricted "
               f"{p.oos_r2_restricted * 100:+.2f}%){cw} (Campbell & Thompson 2008)")
    return (f"Prediction: one unit more of the composite at a close came before a next-bar "
            f"spread {slope}; {oos}.")


def _regimes(thesis: Thesis) -> str:
    by: dict[str, list[str]] = {"counts": [], "fails": [], "inconclusive": [], "too noisy": [],
                                "too short": []}
    for r in thesis.regimes:
        by[str(r.verdict)].append(r.label)
    alpha = 1 - thesis.settings.confidence
    tested = [r for r in thesis.regimes if _ok(r.p_value)]
    holm = sum(r.verdict == "counts" and r.p_holm < alpha for r in thesis.regimes)
    bh = sum(r.verdict == "counts" and r.p_bh < alpha for r in thesis.regimes)
    judged = len(thesis.regimes) - len(by["too short"])
    head = (f"Regimes: {len(by['counts'])} of {judged} with at least {thesis.settings.min_bars} "
            "bars count for the thesis (interval on the predicted side of zero)"
            + (f": {_names(by['counts'])}" if by["counts"] else ""))
    parts = [head]
    if tested:
        parts.append(f"after adjusting for {len(tested)} tests, {holm} by Holm's method "
                     f"({bh} by Benjamini-Hochberg)")
    if by["fails"]:
        failed_holm = sum(r.verdict == "fails" and r.p_holm < alpha for r in thesis.regimes)
        parts.append(f"the thesis FAILED in {_names(by['fails'])} (interval on the wrong side; "
                     f"{failed_holm} after Holm)")
    if by["too noisy"]:
        parts.append(f"{len(by['too noisy'])} too noisy to judge (interval wider than "
                     f"±{TOO_NOISY_HALF_WIDTH * 100:.0f} pp a year and than its estimate): "
                     f"{_names(by['too noisy'])}")
    parts.append(f"{len(by['inconclusive'])} inconclusive")
    if by["too short"]:
        parts.append(f"{len(by['too short'])} too short to judge")
    floor = 2.0 / (thesis.settings.reps + 1)
    if tested and floor > alpha / len(tested):
        parts.append(f"with {thesis.settings.reps} resamples no p-value can fall below "
                     f"{floor:.4f}, above Holm's first threshold {alpha / len(tested):.4f}: "
                     "raise [thesis] bootstrap_reps")
    return "; ".join(parts) + "."


def _sharpe_word(d: Interval) -> str:
    if not _ok(d.estimate):
        return "not measurable"
    if abs(d.estimate) < SHARPE_EQUAL or _zero(d.estimate, 2, 1.0):
        return "equal"
    return "better" if d.sign > 0 else "worse" if d.sign < 0 else "not distinguishable"


def _sharpe_one(alternative: str, mine: float, other: float, d: Interval) -> str:
    word = _sharpe_word(d)
    if word == "equal":
        return (f"vs {alternative}: Sharpe {mine:.2f} and {other:.2f}: equal (difference "
                f"{d.estimate:+.0e})")
    return (f"vs {alternative}: Sharpe {mine:.2f} - {other:.2f} = {d.estimate:+.2f} "
            f"({_ci(d, 2, percent=False)}, paired bootstrap): {word}")


def _sharpe(thesis: Thesis) -> str | None:
    if not thesis.sharpe:
        return None
    parts = [_sharpe_one(c.alternative, c.sharpe_strategy, c.sharpe_alternative, c.difference)
             for c in thesis.sharpe]
    return f"Alternatives: {thesis.strategy!r} " + "; ".join(parts) + "."


def _bars(n: int) -> str:
    return f"{n} bar{'' if n == 1 else 's'}"


def _part(part: SplitPart, level: str) -> str:
    if part.bars == 0:
        return f"{part.label} it, no bars"
    span = (_bars(part.bars) if part.start is None or part.end is None
            else f"{_bars(part.bars)}, {part.start:%Y-%m-%d} to {part.end:%Y-%m-%d}")
    if part.state is None:
        return f"{part.label} it ({span}) not measured: {part.missing}"
    d = part.state.difference
    change, against = _change(d.estimate, unit="%/yr")
    text = (f"{part.label} it ({span}) {_state_word(d, level)}, the spread "
            f"{_with(change, against, _ci(d) + ' pp/yr')} after risk-off than after risk-on "
            "closes")
    for c in part.sharpe[:1]:
        text += ", " + _sharpe_one(c.alternative, c.sharpe_strategy, c.sharpe_alternative,
                                   c.difference)
    return text


def _idea(thesis: Thesis) -> list[str]:
    i = thesis.idea
    if i is None:
        return []
    total = i.before.bars + i.after.bars
    lines = []
    if i.hindsight:
        after = (f"only the {_bars(i.after.bars)} after it {'is' if i.after.bars == 1 else 'are'}"
                 " out of sample" if i.after.bars else "no bar after it is out of sample")
        lines.append(
            f"Hindsight: {i.before.bars} of {total} bars ({i.share_before:.0%}) are dated up to "
            f"the idea date {i.idea_date:%Y-%m-%d}: most of this evidence was in view when the "
            f"idea was formed, so it cannot confirm the idea; {after}.")
    level = _level(thesis)
    lines.append(f"Idea date {i.idea_date:%Y-%m-%d}: {_part(i.before, level)}; "
                 f"{_part(i.after, level)}.")
    return lines


def _concentration(thesis: Thesis) -> str | None:
    c = thesis.concentration
    if c is None:
        return None
    if _ok(c.share):
        made = (f"{c.asset} made {_pct(c.contribution)} of the strategy's {_pct(c.total)} "
                f"compounded return ({c.share:.0%}"
                + (f", more than {CONCENTRATED_SHARE:.0%}: the result rests on one asset"
                   if c.concentrated else "") + ")")
    else:
        made = (f"the strategy's compounded return was {_pct(c.total)}; its largest single "
                f"contributor, {c.asset}, made {_pct(c.contribution)}")
    return (f"Concentration: {made}. Without {c.asset} (its weight held in cash; same engine, "
            f"costs and lag) the CAGR would have been {_pct(c.cagr_without)}/yr instead of "
            f"{_pct(c.cagr)}/yr and the Sharpe {c.sharpe_without:.2f} instead of "
            f"{c.sharpe:.2f}.")


def _evidence(thesis: Thesis) -> list[str]:
    lines = []
    for asset_class, assets, ref in counter_evidence(thesis.asset_classes):
        held = f" ({_names(list(assets), 4)})" if assets else ""
        lines.append(f"Counter-evidence, {asset_class}{held}: {ref.citation()} find "
                     f"{ref.finding}.")
    return lines


def write_verdict(thesis: Thesis) -> tuple[str, ...]:
    """Plain-language lines from the statistics of ``thesis``, the question answered first.

    The mechanism (duration gap and betas per 100 bp, with intervals; when the gap's
    interval covers zero the first line says this test cannot answer), the two
    duration measures' agreement, the strategy's state, the prediction, the regimes
    (with the count after Holm and Benjamini–Hochberg), the Sharpe comparisons, the
    idea-date split (a hindsight warning first when most bars precede it), the
    concentration, the notes on what was left out, and the counter-evidence for each
    asset class held (:data:`~backtest.analysis.COUNTER_EVIDENCE`).
    """
    lines = [_mechanism(thesis), _durations(thesis), _state(thesis), _predictive(thesis),
             _regimes(thesis), _sharpe(thesis), *_idea(thesis), _concentration(thesis),
             *thesis.notes, *_evidence(thesis)]
    return tuple(line for line in lines if line)
