"""The JSON keys of a run's analysis (schema 1.2, 1.3): thesis, timing, attribution, contributions.

Kept apart from :mod:`backtest.report.json` so the two evolve separately;
:func:`add_analysis` is the only entry point, called once by ``to_json``::

    "thesis": {...} | null,            # statistics, intervals and the verdict lines
    "thesis_skipped": "<why>" | null,  # the strategy under test has no risk-off state
    "regime_timing": [{...}, ...],     # regimes.regime_timing rows
    "attribution": {"method": "...", "strategies": {<label>: {...}}},
    "metrics_by_state": {...} | absent, # metrics per regime and per decided state (1.5)
    "signal": {..., "contributions": {"columns", "values"}, "present": {"columns", "values"}}

Intervals are ``{"estimate", "low", "high", "confidence", "method", "reps",
"block_length"}``; returns and spreads are decimals (per year where the key says
``per_year``); durations are years. Schema 1.3 added to ``thesis``: the regimes'
``p_value``/``p_holm``/``p_bh`` and ``regime_count``, ``durations.agreement`` and
``durations.mean_interval``, ``idea`` (the split at ``[run] idea_date``),
``concentration``, ``counter_evidence`` and ``thresholds``.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from backtest.analysis import (
    AGREE_RHO,
    CONCENTRATED_SHARE,
    HINDSIGHT_SHARE,
    METHOD,
    SHARPE_EQUAL,
    STATE_METRICS,
    TOO_NOISY_HALF_WIDTH,
    Attribution,
    Interval,
    MetricsByState,
    PeriodSpread,
    SharpeComparison,
    SplitPart,
    StateSpread,
    Thesis,
    counter_evidence,
    duration_agreement,
)
from backtest.report.json import to_plain

if TYPE_CHECKING:
    from backtest.evaluate import RunAnalysis
    from backtest.runner import RunResult

__all__ = ["add_analysis", "analysis_keys", "attribution_json", "by_state_json", "interval_json",
           "thesis_json"]


def interval_json(iv: Interval | None) -> dict[str, Any] | None:
    """An :class:`~backtest.analysis.Interval` as plain data (NaN → null)."""
    return None if iv is None else to_plain(dataclasses.asdict(iv))


def _period(p: PeriodSpread) -> dict[str, Any]:
    return {
        "label": p.label, "kind": p.kind, "start": to_plain(p.start), "end": to_plain(p.end),
        "bars": p.bars, "spread": interval_json(p.spread), "expected_sign": p.expected_sign,
        "verdict": p.verdict, "difference_per_year": interval_json(p.difference),
        "p_value": to_plain(p.p_value), "p_holm": to_plain(p.p_holm),
        "p_bh": to_plain(p.p_bh),
    }


def _state(s: StateSpread) -> dict[str, Any]:
    return {
        "bars_off": s.bars_off, "bars_on": s.bars_on,
        "mean_off_per_year": to_plain(s.mean_off), "mean_on_per_year": to_plain(s.mean_on),
        "difference_per_year": interval_json(s.difference),
        "newey_west_t": to_plain(s.nw_t), "newey_west_lags": s.nw_lags,
        "hit_rate": to_plain(s.hit_rate), "hit_rate_off": to_plain(s.hit_rate_off),
        "hit_rate_on": to_plain(s.hit_rate_on),
    }


def _sharpe(comparisons: list[SharpeComparison]) -> list[dict[str, Any]]:
    return [
        {"strategy": c.strategy, "alternative": c.alternative,
         "sharpe_strategy": to_plain(c.sharpe_strategy),
         "sharpe_alternative": to_plain(c.sharpe_alternative),
         "difference": interval_json(c.difference)}
        for c in comparisons
    ]


def _part(part: SplitPart) -> dict[str, Any]:
    return {
        "bars": part.bars, "start": to_plain(part.start), "end": to_plain(part.end),
        "state": None if part.state is None else _state(part.state),
        "sharpe": _sharpe(part.sharpe), "missing": part.missing,
    }


def _regime_count(thesis: Thesis) -> dict[str, Any]:
    alpha = 1.0 - thesis.settings.confidence
    regimes = thesis.regimes

    def count(verdict: str, key: str | None = None) -> int:
        return sum(r.verdict == verdict and (key is None or getattr(r, key) < alpha)
                   for r in regimes)

    return {
        "alpha": to_plain(alpha),
        "tests": sum(r.p_value == r.p_value for r in regimes),  # finite p-values
        "judged": sum(r.verdict != "too short" for r in regimes),
        "counts": count("counts"), "counts_holm": count("counts", "p_holm"),
        "counts_bh": count("counts", "p_bh"),
        "fails": count("fails"), "fails_holm": count("fails", "p_holm"),
        "too_noisy": count("too noisy"), "inconclusive": count("inconclusive"),
        "too_short": count("too short"),
    }


def thesis_json(thesis: Thesis) -> dict[str, Any]:
    """The thesis statistics as plain data (see the JSON schema in docs/reports.md)."""
    p, m = thesis.predictive, thesis.mechanism
    s = thesis.state
    out: dict[str, Any] = {
        "strategy": thesis.strategy,
        "settings": to_plain(dataclasses.asdict(thesis.settings)),
        "periods_per_year": thesis.periods_per_year,
        "start": to_plain(thesis.start),
        "end": to_plain(thesis.end),
        "verdict": list(thesis.verdict),
        "state": _state(s),
        "predictive": to_plain(dataclasses.asdict(p)),
        "mechanism": None,
        "decades": [_period(d) for d in thesis.decades],
        "regimes": [_period(r) for r in thesis.regimes],
        "regime_count": _regime_count(thesis),
        "sharpe": _sharpe(thesis.sharpe),
        "durations": None,
        "notes": list(thesis.notes),
        "idea": None,
        "concentration": None if thesis.concentration is None else to_plain(
            {**dataclasses.asdict(thesis.concentration),
             "concentrated": thesis.concentration.concentrated}),
        "counter_evidence": [
            {"asset_class": asset_class, "assets": list(assets),
             **to_plain(dataclasses.asdict(ref))}
            for asset_class, assets, ref in counter_evidence(thesis.asset_classes)
        ],
        "thresholds": {
            "too_noisy_half_width_per_year": TOO_NOISY_HALF_WIDTH,
            "sharpe_equal": SHARPE_EQUAL, "agree_rho": AGREE_RHO,
            "hindsight_share": HINDSIGHT_SHARE, "concentrated_share": CONCENTRATED_SHARE,
        },
    }
    i = thesis.idea
    if i is not None:
        out["idea"] = {
            "idea_date": to_plain(i.idea_date), "share_before": to_plain(i.share_before),
            "hindsight": i.hindsight, "before": _part(i.before), "after": _part(i.after),
        }
    if m is not None:
        out["mechanism"] = {
            "yield_beta_per_100bp": interval_json(m.yield_beta),
            "credit_beta_per_100bp": interval_json(m.credit_beta),
            "yield_t": to_plain(m.yield_t), "credit_t": to_plain(m.credit_t),
            "duration_gap_years": interval_json(m.duration_gap),
            "nobs": m.nobs, "newey_west_lags": m.nw_lags, "r2": to_plain(m.r2),
        }
    r = thesis.durations
    if r is not None:
        out["durations"] = {
            "first": r.first, "second": r.second, "mean": to_plain(r.mean),
            "median": to_plain(r.median), "share_positive": to_plain(r.share_positive),
            "last": to_plain(r.last), "assets": r.assets,
            "spearman": {"dates": to_plain(list(r.rho.index)), "values": to_plain(r.rho)},
            "mean_interval": interval_json(thesis.durations_mean),
            "agreement": duration_agreement(thesis),
        }
    return out


def _contributions(values: pd.Series) -> dict[str, Any]:
    return {str(k): to_plain(float(v)) for k, v in values.items()}


def attribution_json(attribution: Attribution) -> dict[str, Any]:
    """One strategy's attribution: over the run and per regime (decimals)."""
    return {
        "assets": [str(c) for c in attribution.run.index],
        "run": _contributions(attribution.run),
        "total": to_plain(attribution.total),
        "regimes": [
            {"regime": str(name), "total": to_plain(float(row["total"])),
             "contributions": _contributions(row.drop("total"))}
            for name, row in attribution.regimes.iterrows()
        ],
    }


def by_state_json(result: MetricsByState) -> dict[str, Any]:
    """The metrics per regime and per state: one row per strategy and subset."""
    return {
        "state_of": result.state_of,
        "periods_per_year": result.periods_per_year,
        "settings": to_plain(dataclasses.asdict(result.settings)),
        "metrics": [str(m) for m in STATE_METRICS],
        "rows": [
            {"strategy": r.strategy, "subset": r.subset, "kind": r.kind, "bars": r.bars,
             "start": to_plain(r.start), "end": to_plain(r.end),
             "values": {k: interval_json(iv) for k, iv in r.values.items()}}
            for r in result.rows
        ],
    }


def _booleans(frame: pd.DataFrame) -> list[list[bool]]:
    values: list[list[bool]] = frame.to_numpy(dtype=bool).tolist()
    return values


def analysis_keys(analysis: RunAnalysis) -> dict[str, Any]:
    """The top-level keys of schema 1.2 (1.3 inside thesis): thesis, timing, attribution.

    ``metrics_by_state`` is written when the analysis has it (older documents lack it).
    """
    extra = ({} if analysis.by_state is None
             else {"metrics_by_state": by_state_json(analysis.by_state)})
    return extra | {
        "thesis": None if analysis.thesis is None else thesis_json(analysis.thesis),
        "thesis_skipped": analysis.skipped,
        "regime_timing": (
            [] if analysis.timing.empty else to_plain(analysis.timing.to_dict(orient="records"))
        ),
        "attribution": {
            "method": METHOD,
            "strategies": {label: attribution_json(a)
                           for label, a in analysis.attribution.items()},
        },
    }


def add_analysis(payload: dict[str, Any], run: RunResult, analysis: RunAnalysis) -> None:
    """Add the analysis keys of schema 1.2 to a ``to_json`` payload (in place)."""
    payload.update(analysis_keys(analysis))
    contributions = analysis.contributions.reindex(run.signal.index)
    present = analysis.present.reindex(run.signal.index, fill_value=False)
    payload["signal"]["contributions"] = {
        "columns": [str(c) for c in contributions.columns],
        "values": to_plain(contributions.to_numpy(dtype=np.float64)),
    }
    payload["signal"]["present"] = {
        "columns": [str(c) for c in present.columns],
        "values": _booleans(present),
    }
