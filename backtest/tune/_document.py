"""Assemble the tune document: numbers first, then gates, baseline checks and the verdict.

The verdict is generated from the numbers, never written by hand: what the
out-of-sample series earned against the benchmark, whether the in-sample best
survives deflation for the number of trials, how often the search's winner
fell below the median out of sample (PBO), whether any trial beats the benchmark
after data snooping (SPA), and whether the selected point is a sharp peak.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from backtest.errors import ConfigError
from backtest.report.json import to_plain
from backtest.tune._result import (
    SCHEMA_VERSION,
    TrialTable,
    TuneResult,
    _judged,
    _series,
    _span,
    _window,
    check_baseline,
    flatten_numbers,
)

if TYPE_CHECKING:
    from backtest.config import RunConfig
    from backtest.stats import Gate, Tolerances
    from backtest.sweep import PreparedSweep, SweepResult
    from backtest.tune._placebo import PlaceboPlan
    from backtest.tune._protocol import FoldSelection
    from backtest.tune._space import Space

__all__ = ["PlaceboSearch", "assemble", "gated_numbers", "reads_placebo", "search_hash",
           "verdict"]

#: Which bars each statistic judges (in every output that shows it).
BARS = {
    "oos": "out_of_sample",           # the stitched series of the selections, on test bars
    "is": "in_sample",                # the in-sample best, on the bars before the first test
    "dsr": "out_of_sample",           # the stitched series, deflated over every trial run
    "pbo": "all",                     # CSCV: by design, every bar in and out of sample
    "spa": "out_of_sample",           # each trial on the test bars against the benchmark
    "spa.all": "all",                 # the same on every bar (shown, labelled)
    "stability": "out_of_sample",     # the neighbours' out-of-sample objective
    "placebo": "out_of_sample",       # the placebo searches' stitched series
}

#: How the placebo signals are made (shown in every output that shows placebo numbers).
PLACEBO_METHOD = ("circular shift of the composite signal (every component with it) by at "
                  "least min_shift_bars, drawn without replacement")


@dataclass(frozen=True)
class PlaceboSearch:
    """One placebo search, judged: its numbers as a real search's (None: every trial failed)."""

    shift: int
    summary: Mapping[str, Any] | None
    statistics: Mapping[str, Any] | None
    failed: int


def reads_placebo(gate: Gate) -> bool:
    """True when the gate reads a ``placebo.*`` number (judged on the real search only)."""
    return any(name.split(".")[0] == "placebo" for name in gate.names)


def gated_numbers(summary: Mapping[str, Any], statistics: Mapping[str, Any],
                  trials: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a tune document that gates read, for one search (real or placebo)."""
    ds, pbo = statistics.get("deflated_sharpe"), statistics.get("pbo")
    spa = statistics.get("spa")
    spa_doc = None
    if spa is not None:
        spa_doc = {**to_plain(spa), "bars": BARS["spa"]}
        if statistics.get("spa_all") is not None:
            spa_doc["all"] = {**to_plain(statistics["spa_all"]), "bars": BARS["spa.all"]}
    return {
        **to_plain(dict(summary)),
        "dsr": None if ds is None else to_plain(ds.dsr),
        "pbo": None if pbo is None else to_plain(pbo.pbo),
        "spa": spa_doc,
        "stability": (None if statistics.get("stability") is None
                      else to_plain(statistics["stability"])),
        "trials": dict(trials),
    }

_LEVEL = 0.95  # the confidence the verdict's words refer to


def _num(value: float, fmt: str = ".2f") -> str:
    return "undefined" if value is None or not math.isfinite(value) else format(value, fmt)


def verdict(doc: Mapping[str, Any]) -> str:
    """Plain-words verdict from the document's numbers."""
    proto, oos = doc["protocol"], doc["oos"]
    span = proto["out_of_sample"]
    folds = len(doc["folds"])
    how = "1 holdout fold" if proto["kind"] == "holdout" else f"{folds} walk-forward folds"
    parts = [f"Out of sample ({span['start']}..{span['end']}, {span['bars']} bars, {how}, "
             f"selected by {proto['objective']}): Sharpe {_num(oos['sharpe'])}, CAGR "
             f"{_num(oos['cagr'], '.1%')}, max drawdown {_num(oos['max_drawdown'], '.1%')}"]
    bench = doc.get("benchmark")
    if bench:
        diff = oos["sharpe"] - bench["oos"]["sharpe"]
        word = "above" if diff > 0 else "below" if diff < 0 else "level with"
        parts[-1] += (f"; {_num(abs(diff))} Sharpe {word} {bench['label']} "
                      f"({_num(bench['oos']['sharpe'])})")
    parts[-1] += "."
    ds = doc["statistics"]["deflated_sharpe"]
    sig = "significant" if ds["dsr"] is not None and ds["dsr"] >= _LEVEL else "not significant"
    parts.append(f"The deployed selection (the stitched out-of-sample series) in excess of "
                 f"{ds['reference']}, deflated over {ds['n_trials']} trials run (about "
                 f"{_num(ds['n_effective'], '.0f')} independent): DSR {_num(ds['dsr'], '.3f')},"
                 f" {sig} at {_LEVEL:.0%}.")
    parts.append(f"PBO {_num(doc['pbo'], '.2f')} (CSCV over every bar, in and out of sample): "
                 "the in-sample winner ranked below the out-of-sample median in that share of "
                 "splits" + (" (overfit more often than not)." if (doc["pbo"] or 0) > 0.5
                             else "."))
    spa = doc.get("spa")
    if spa:
        beat = ("some trial beats" if spa["consistent"] is not None
                and spa["consistent"] < 1 - _LEVEL else "no trial is shown to beat")
        every = spa.get("all")
        also = (f"; on every bar, in and out of sample, p = {_num(every['consistent'], '.3f')}"
                if every else "")
        parts.append(f"SPA on the out-of-sample bars (Hansen's studentized, consistent p = "
                     f"{_num(spa['consistent'], '.3f')}): {beat} "
                     f"{bench['label'] if bench else 'the benchmark'} after data snooping at "
                     f"{1 - _LEVEL:.0%}{also}.")
    placebo = doc.get("placebo")
    if placebo:
        p = placebo["p"]
        reading = ("better than nearly every placebo" if p is not None and p <= 1 - _LEVEL
                   else "no better than a signal with the same values and no timing")
        parts.append(f"Placebo test ({placebo['n']} circular shifts of the signal by at least "
                     f"{placebo['min_shift_bars']} bars): out-of-sample "
                     f"{placebo['objective']} {_num(placebo['real'])} against a placebo median "
                     f"of {_num(_median(placebo['values']))}, p = {_num(p, '.3f')} — "
                     f"{reading}; the gates that do not read placebo numbers pass "
                     f"{_num(placebo['pass_rate'], '.0%')} of the placebo searches.")
    st = doc["stability"]
    if st["n_neighbours"]:
        peak = " — a sharp peak: its neighbours do much worse" if st["sharp_peak"] else ""
        parts.append(f"Neighbours of the selected point: median {proto['objective']} "
                     f"{_num(st['neighbour_median'])} vs its own {_num(st['own'])}{peak}.")
    return " ".join(parts)


def _median(values: Sequence[float | None]) -> float:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.median(finite)) if finite else math.nan


def search_hash(config: RunConfig) -> str:
    """sha256 of the effective config without what only judges or displays a search.

    Gates and the heatmap axes do not change a single number of the search, so a
    baseline made with other gates still counts as the same config.
    """
    raw = json.loads(json.dumps(config.raw, default=str))
    tune = raw.get("tune")
    if isinstance(tune, dict):
        tune.pop("gates", None)
        tune.pop("heatmap", None)
        tune.pop("placebo", None)  # placebos add numbers; they change none of the search
    return hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest()


def _protocol(config: RunConfig, folds: Sequence[FoldSelection], label: str | None,
              index: pd.DatetimeIndex, is_pos: Any, oos_pos: Any) -> dict[str, Any]:
    section, first = config.tune, folds[0].fold
    wf = section.walk_forward
    out: dict[str, Any] = {
        "kind": "holdout" if wf is None else "walk_forward",
        "objective": section.objective, "benchmark": label,
        "holdout": section.holdout if wf is None else None,
        "train_bars": int(first.train.stop - first.train.start),
        "test_bars": int(first.test.stop - first.test.start),
        "step_bars": (int(folds[1].fold.test.start - first.test.start)
                      if len(folds) > 1 else None),
        "purge_bars": section.purge,
        "anchored": None if wf is None else wf.anchored,
        "in_sample": _window(index, is_pos), "out_of_sample": _window(index, oos_pos),
    }
    return out


def assemble(
    *,
    config: RunConfig,
    space: Space,
    prepared: PreparedSweep,
    sweep: SweepResult,
    table: TrialTable,
    selections: Sequence[FoldSelection],
    oos_returns: pd.Series,
    benchmark: tuple[str, pd.Series] | None,
    summary: Mapping[str, Any],
    statistics: Mapping[str, Any],
    positions: tuple[Any, Any],
    gates: Sequence[Gate],
    baseline: Mapping[str, Any] | None,
    tolerance: Tolerances,
    versions: Mapping[str, str],
    placebo: tuple[PlaceboPlan, Sequence[PlaceboSearch]] | None = None,
) -> TuneResult:
    """Build the document of a finished tune and judge its gates (see :mod:`._result`)."""
    index = sweep.index
    is_pos, oos_pos = positions
    trials = {"requested": len(table.trials), "evaluated": len(sweep.numbers),
              "invalid": len(sweep.invalid), "failed": len(sweep.failed)}
    params_of = {t.number: dict(t.params) for t in table.trials}
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION, "kind": "tune",
        "generated_by": f"dcf-regime {versions.get('dcf-regime', 'unknown')}",
        "config": {"source": config.source, "hash": search_hash(config),
                   "effective": to_plain(config.raw)},
        "data": {"fingerprint": prepared.fingerprint,
                 "sources": [to_plain(s) for s in prepared.sources]},
        "versions": dict(versions), "seed": config.tune.seed,
        "conventions": to_plain(prepared.conventions),
        "space": {"search": space.search, "grid_size": space.size,
                  "params": [{"path": p.path, "spec": p.spec, "values": to_plain(p.values)}
                             for p in space.parameters]},
        "protocol": _protocol(config, selections, benchmark and benchmark[0], index,
                              is_pos, oos_pos),
        "trials": {**trials, "list": to_plain(table.rows())},
        "folds": [{"number": s.fold.number, "train": _span(index, s.fold.train),
                   "test": _span(index, s.fold.test), "trial": s.trial,
                   "params": to_plain(params_of[s.trial]),
                   "train_objective": to_plain(s.train_objective),
                   "test_objective": to_plain(s.test_objective)} for s in selections],
        "selected": {"trial": selections[-1].trial,
                     "params": to_plain(params_of[selections[-1].trial])},
        **{k: v for k, v in gated_numbers(summary, statistics, trials).items()
           if k != "trials"},
        "statistics": {"deflated_sharpe": to_plain(statistics["deflated_sharpe"]),
                       "pbo": to_plain(statistics["pbo"]), "bars": dict(BARS)},
        "series": {"oos": _series(oos_returns)},
    }
    if benchmark is not None:
        doc["series"]["benchmark_oos"] = _series(benchmark[1])
    if placebo is not None:
        doc["placebo"] = placebo_section(*placebo, gates=gates, real=flatten_numbers(doc),
                                         objective=config.tune.objective, trials=trials)
    values = flatten_numbers(doc)
    outcomes = [gate.evaluate(values) for gate in gates]
    doc["gates"] = [{"expr": o.text, "passed": bool(o.passed), "lhs": to_plain(o.lhs),
                     "rhs": to_plain(o.rhs), "message": o.message} for o in outcomes]
    failures = [f"gate {o.message}" for o in outcomes if not o.passed]
    doc["baseline"] = None
    if baseline is not None:
        report = check_baseline(gates, values, baseline, tolerance=tolerance,
                                config_hash=search_hash(config),
                                fingerprint=prepared.fingerprint)
        doc["baseline"] = to_plain(report)
        failures += [f"baseline {c['expr']}: {c['message']}" for c in report["checks"]
                     if not c["passed"]]
    doc["failures"] = failures
    doc["verdict"] = verdict(doc)
    doc["exit_code"] = 3 if failures else 0
    return TuneResult(config=config, table=table, selections=tuple(selections),
                      oos_returns=oos_returns,
                      benchmark_returns=None if benchmark is None else benchmark[1],
                      document=doc,
                      placebos=tuple(placebo[1]) if placebo is not None else ())



def placebo_section(plan: PlaceboPlan, searches: Sequence[PlaceboSearch], *,
                    gates: Sequence[Gate], real: Mapping[str, float], objective: str,
                    trials: Mapping[str, Any]) -> dict[str, Any]:
    """Where the real search falls among its placebos, per gated number and per gate.

    ``p`` is the Monte Carlo p-value of the out-of-sample objective
    (:func:`backtest.tune._placebo.placebo_p`); ``pass_rate`` the share of placebo
    searches that pass every gate that does not itself read ``placebo.*`` — the gate
    set's false-pass rate on this very search. A placebo whose trials all failed
    counts as failing every gate and as worse than the real search.
    """
    from backtest.tune._placebo import placebo_p

    judged = [g for g in gates if not reads_placebo(g)]
    values: list[dict[str, float] | None] = []
    for search in searches:
        if search.summary is None or search.statistics is None:
            values.append(None)
            continue
        counts = {**trials, "evaluated": trials["requested"] - trials["invalid"] - search.failed,
                  "failed": search.failed}
        values.append(flatten_numbers(gated_numbers(search.summary, search.statistics, counts)))
    key = f"oos.{objective}"
    nan = math.nan

    def value(v: Mapping[str, float] | None, name: str) -> float:
        return nan if v is None else float(v.get(name, nan))

    placebo_objective = [value(v, key) if key in real else nan for v in values]
    quantities = []
    for gate in judged:
        try:
            found = _judged(gate, real)
        except KeyError:
            continue
        if found is None:
            continue
        name, real_value, higher = found
        others = [nan if v is None else _quantity(gate, v) for v in values]
        finite = [x for x in others if math.isfinite(x)]
        quantities.append({"quantity": name, "gate": gate.text, "higher_is_better": higher,
                           "real": to_plain(real_value),
                           "p": to_plain(placebo_p(real_value, others, higher)),
                           "placebo_median": to_plain(float(np.median(finite)) if finite
                                                      else nan)})
    passes = [[_passes(g, v) for g in judged] for v in values]
    every = [all(row) for row in passes] if judged else []
    return {
        "n": plan.n, "method": PLACEBO_METHOD, "min_shift_bars": plan.min_shift,
        "defined_bars": plan.defined_bars, "seed": plan.seed, "shifts": list(plan.shifts),
        "objective": objective, "real": to_plain(real.get(key, nan)),
        "values": to_plain(placebo_objective),
        "p": to_plain(placebo_p(real.get(key, nan), placebo_objective, True)),
        "pass_rate": to_plain(float(np.mean(every)) if every else nan),
        "failed_searches": sum(v is None for v in values),
        "quantities": quantities,
        "gates": [{"expr": g.text,
                   "pass_rate": to_plain(float(np.mean([row[i] for row in passes])))}
                  for i, g in enumerate(judged)],
    }


def _passes(gate: Gate, values: Mapping[str, float] | None) -> bool:
    """A placebo passes a gate when the gate holds on its numbers (undefined: it fails)."""
    if values is None:
        return False
    try:
        return gate.evaluate(values).passed
    except ConfigError:  # a number this placebo search does not have
        return False


def _quantity(gate: Gate, values: Mapping[str, float]) -> float:
    try:
        found = _judged(gate, values)
    except KeyError:
        return math.nan
    return math.nan if found is None else float(found[1])
