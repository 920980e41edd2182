"""The result of a tune: trials, folds, out-of-sample verdict, statistics, gates (JSON).

Schema ``1.0`` of ``backtest tune --json`` (strict JSON: NaN → ``null``; dates ISO;
decimals, never percent)::

    {"schema_version": "1.0", "kind": "tune", "generated_by", "generated_at",
     "config": {"source", "hash", "effective"}, "data": {"fingerprint", "sources"},
     "versions": {...}, "seed": int,
     "conventions": {"frequency", "periods_per_year", "execution_lag_bars", "fees_bps",
                     "slippage_bps", "cash_asset", "risk_free", "start", "end", "bars",
                     "initial_capital"},
     "space": {"search", "grid_size", "params": [{"path", "spec", "values"}]},
     "protocol": {"kind": "holdout" | "walk_forward", "objective", "benchmark",
                  "holdout", "train_bars", "test_bars", "step_bars", "purge_bars",
                  "anchored", "in_sample": {"start", "end", "bars"},
                  "out_of_sample": {"start", "end", "bars"}},
     "trials": {"requested", "evaluated", "invalid", "failed",
                "list": [{"number", "params", "status": "ok"|"invalid"|"failed", "error",
                          "is": {<objective>: ...}, "oos": {<objective>: ...}}]},
     "folds": [{"number", "train": {...}, "test": {...}, "trial", "params",
                "train_objective", "test_objective"}],
     "selected": {"trial", "params"},          # the last fold's choice
     "is": {"trial", <metrics>},               # the in-sample best, on in-sample bars
     "oos": {<metrics>},                       # the stitched out-of-sample series
     "benchmark": {"label", "is": {...}, "oos": {...}},
     "dsr": float, "pbo": float,
     "spa": {"lower", "consistent", "upper", "statistic", "label",   # Hansen's SPA
             "rc": {"lower", "consistent", "upper", "statistic", "label"},  # Reality Check
             "block_size", "reps", "n_trials", "n_distinct", "n_degenerate", "method"},
     "stability": {"own", "neighbour_median", "ratio", "n_neighbours", "sharp_peak"},
     "statistics": {"deflated_sharpe": {...}, "pbo": {...}},
     "series": {"oos": {"dates", "values"}, "benchmark_oos": {"dates", "values"}},
     "gates": [{"expr", "passed", "lhs", "rhs", "message"}],
     "baseline": null | {"file", "config_match", "data_match", "tolerance", "checks": [...]},
     "failures": [str, ...], "verdict": str, "exit_code": 0 | 3}

Gate names are the dotted paths of the numbers in this document (``oos.sharpe``,
``benchmark.oos.sharpe``, ``dsr``, ``pbo``, ``spa.consistent``, ``trials.failed``…).
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from backtest.config import Objective, RunConfig
from backtest.errors import ConfigError
from backtest.report.json import to_plain
from backtest.stats import Tolerances, baseline_check
from backtest.tune._protocol import FoldSelection, positions_to_dates
from backtest.tune._space import Space, Trial

if TYPE_CHECKING:
    from backtest.report._notebook import ReportView
    from backtest.stats import Gate
    from backtest.sweep import SweepResult

__all__ = ["SCHEMA_VERSION", "TrialTable", "TuneResult", "check_baseline", "check_gate_names",
           "flatten_numbers", "gate_names"]

SCHEMA_VERSION = "1.0"
_OBJECTIVES: tuple[Objective, ...] = ("sharpe", "sortino", "calmar", "cagr", "excess")
# parts of the document that are not gate-able numbers
_NOT_GATED = frozenset({"config", "data", "versions", "conventions", "space", "protocol",
                        "folds", "series", "gates", "baseline", "failures", "selected",
                        "statistics", "generated_by", "generated_at", "schema_version",
                        "kind", "verdict", "exit_code", "seed"})


def flatten_numbers(doc: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """Every number of a tune document by dotted path (the names gates may use)."""
    out: dict[str, float] = {}
    for key, value in doc.items():
        if not prefix and key in _NOT_GATED:
            continue
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out |= flatten_numbers(value, f"{path}.")
        elif isinstance(value, (bool, int | float)):
            out[path] = float(value)
        elif value is None and prefix:  # an undefined number (NaN in the result)
            out[path] = math.nan
    return out


def gate_names(*, benchmark: bool, placebo: bool) -> set[str]:
    """Every name a gate may read, known before any trial runs.

    The dotted paths of the numbers :func:`flatten_numbers` finds in a tune document
    (tested equal to a real document's); ``benchmark.*`` and ``spa.*`` need a
    benchmark, ``placebo.*`` needs ``--placebo``.
    """
    from backtest.metrics import Metric
    from backtest.stats import SPAResult, Stability

    metrics = [str(m) for m in Metric]
    names = {f"oos.{m}" for m in metrics} | {f"is.{m}" for m in metrics} | {"is.trial"}
    names |= {"dsr", "pbo"} | {f"trials.{k}" for k in ("requested", "evaluated", "invalid",
                                                         "failed")}
    names |= {f"stability.{name}" for name in _number_fields(Stability)}
    if benchmark:
        names |= {f"benchmark.{side}.{m}" for side in ("is", "oos") for m in metrics}
        spa = _number_fields(SPAResult)
        names |= {f"spa.{name}" for name in spa} | {f"spa.all.{name}" for name in spa}
    if placebo:
        names |= {f"placebo.{k}" for k in ("n", "min_shift_bars", "defined_bars", "seed",
                                           "real", "p", "pass_rate", "failed_searches")}
    return names


def _number_fields(cls: type[Any]) -> list[str]:
    """Dotted fields of a result dataclass that hold one number (what a gate can read)."""
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        kind = hints[f.name]
        if kind in (float, int, bool):
            out.append(f.name)
        elif dataclasses.is_dataclass(kind):  # a nested result: spa.rc.consistent
            out += [f"{f.name}.{sub}" for sub in _number_fields(kind)]  # type: ignore[arg-type]
    return out


def check_gate_names(gates: Sequence[Gate], *, benchmark: bool, placebo: bool) -> None:
    """Raise :class:`ConfigError` (with a did-you-mean) for a gate reading an unknown name."""
    valid = gate_names(benchmark=benchmark, placebo=placebo)
    for gate in gates:
        unknown = gate.names - valid
        if any(name.split(".")[0] == "placebo" for name in unknown) and not placebo:
            raise ConfigError(f"gate {gate.text!r} reads placebo numbers: add --placebo N "
                              "(placebo searches to compare the real one with)")
        gate.validate(valid)


@dataclass(frozen=True, eq=False)
class TrialTable:
    """Every trial: its parameters, status, and objectives in and out of sample.

    ``is_values`` / ``oos_values`` map an objective name to one value per
    evaluated trial (rows in ``numbers`` order).
    """

    trials: tuple[Trial, ...]
    status: Mapping[int, str]
    errors: Mapping[int, str]
    numbers: np.ndarray
    objective: str
    is_values: Mapping[str, np.ndarray]
    oos_values: Mapping[str, np.ndarray]
    param_frame: pd.DataFrame

    @property
    def is_objective(self) -> np.ndarray:
        """The search objective of every evaluated trial on the in-sample bars."""
        return self.is_values[self.objective]

    @property
    def oos_objective(self) -> np.ndarray:
        """The search objective of every evaluated trial on the out-of-sample bars."""
        return self.oos_values[self.objective]

    @classmethod
    def build(
        cls,
        trials: Sequence[Trial],
        sweep: SweepResult,
        space: Space,
        objective: str,
        values: Callable[[Objective, np.ndarray], np.ndarray],
        is_pos: np.ndarray,
        oos_pos: np.ndarray,
        *,
        with_excess: bool,
    ) -> TrialTable:
        """Score every evaluated trial; ``values(objective, positions)`` is vectorized."""
        status = {t.number: "ok" for t in trials}
        status |= {n: "invalid" for n in sweep.invalid} | {n: "failed" for n in sweep.failed}
        names: list[Objective] = [o for o in _OBJECTIVES if o != "excess" or with_excess]
        by_number = {t.number: t for t in trials}
        frame = pd.DataFrame(
            [[by_number[int(n)].params[p] for p in space.paths] for n in sweep.numbers],
            columns=list(space.paths), index=sweep.numbers,
        )
        return cls(
            trials=tuple(trials), status=status,
            errors={**sweep.invalid, **sweep.failed}, numbers=sweep.numbers,
            objective=objective,
            is_values={o: values(o, is_pos) for o in names},
            oos_values={o: values(o, oos_pos) for o in names},
            param_frame=frame,
        )

    def rows(self) -> list[dict[str, Any]]:
        """One record per trial, in trial-number order (the JSON ``trials.list``)."""
        row_of = {int(n): i for i, n in enumerate(self.numbers)}
        out = []
        for t in self.trials:
            rec: dict[str, Any] = {"number": t.number, "params": dict(t.params),
                                   "status": self.status[t.number],
                                   "error": self.errors.get(t.number)}
            if t.number in row_of:
                i = row_of[t.number]
                rec["is"] = {o: float(v[i]) for o, v in self.is_values.items()}
                rec["oos"] = {o: float(v[i]) for o, v in self.oos_values.items()}
            out.append(rec)
        return out


def _window(index: pd.DatetimeIndex, positions: np.ndarray) -> dict[str, Any]:
    if len(positions) == 0:
        return {"start": None, "end": None, "bars": 0}
    return {"start": str(index[positions[0]].date()), "end": str(index[positions[-1]].date()),
            "bars": len(positions)}


def _span(index: pd.DatetimeIndex, window: slice) -> dict[str, Any]:
    start, end = positions_to_dates(index, window)
    return {"start": start, "end": end, "bars": int(window.stop - window.start)}


def _series(series: pd.Series) -> dict[str, Any]:
    return {"dates": [str(d.date()) for d in series.index],
            "values": to_plain([float(v) for v in series.to_numpy()])}


def _judged(gate: Gate, values: Mapping[str, float]) -> tuple[str, float, bool] | None:
    """The quantity a gate judges: its text, value, and whether higher is better.

    ``x >= c`` judges ``x`` (higher is better), ``c >= x`` judges ``x`` (lower is
    better), ``x >= y`` judges ``x - (y)``; ``==``/``!=`` have no direction (None).
    """
    if gate.op in ("==", "!="):
        return None
    up = gate.op in (">=", ">")

    def constant(expr: Any) -> bool:
        try:
            expr.evaluate({})
        except KeyError:
            return False
        return True

    left, right = gate.left, gate.right
    if constant(right):
        return left.render(), left.evaluate(values), up
    if constant(left):
        return right.render(), right.evaluate(values), not up
    return (f"{left.render()} - ({right.render()})",
            left.evaluate(values) - right.evaluate(values), up)


def check_baseline(
    gates: Sequence[Gate],
    current: Mapping[str, float],
    baseline: Mapping[str, Any],
    *,
    tolerance: Tolerances,
    config_hash: str,
    fingerprint: str,
) -> dict[str, Any]:
    """Compare the quantity each gate judges with its value in a previous tune document.

    Worse by more than its tolerance (absolute, in the quantity's own units, or a
    share of the baseline's value: :class:`backtest.stats.Tolerances`) fails
    (:func:`backtest.stats.baseline_check`), and so does a quantity the baseline lacks
    or has no number for: a baseline never vouches for what it does not hold. A
    baseline from another config or other data is compared all the same and reported
    as such.
    """
    then_values = flatten_numbers(baseline)
    now: dict[str, float] = {}
    then: dict[str, float] = {}
    up: dict[str, bool] = {}
    texts: dict[str, str] = {}
    allowed: dict[str, float] = {}
    shown: dict[str, str] = {}
    for gate in gates:
        judged = _judged(gate, current)
        if judged is None:
            continue
        name, value, higher = judged
        now[name], up[name], texts[name] = value, higher, gate.text
        try:
            then_judged = _judged(gate, then_values)
        except KeyError:
            then_judged = None
        if then_judged is not None:
            then[name] = then_judged[1]
        tol = tolerance.of(name, gate.text)
        base_value = then.get(name, math.nan)
        allowed[name] = tol.allowed(base_value) if math.isfinite(base_value) else tol.value
        shown[name] = str(tol)
    outcomes = baseline_check(now, then, list(now), allowed, up)
    config, data = baseline.get("config"), baseline.get("data")
    return {
        "config_match": isinstance(config, Mapping) and config.get("hash") == config_hash,
        "data_match": isinstance(data, Mapping) and data.get("fingerprint") == fingerprint,
        "tolerance": tolerance.to_json(),
        "checks": [{"expr": texts[name], "quantity": name, "passed": o.passed,
                    "now": o.lhs, "limit": o.rhs, "tolerance": shown[name],
                    "message": o.message}
                   for name, o in zip(now, outcomes, strict=True)],
    }


@dataclass(frozen=True, eq=False)
class TuneResult:
    """A finished tune. ``document`` is the JSON (without ``generated_at``).

    Attributes
    ----------
    config : RunConfig
    table : TrialTable
    selections : tuple of FoldSelection
    oos_returns : pd.Series
        The stitched out-of-sample series (net returns on the test bars).
    benchmark_returns : pd.Series or None
        The benchmark on the same bars.
    document : dict
        Every number, by the schema of the module docstring.
    placebos : tuple
        The placebo searches, judged (``PlaceboSearch``: shift, numbers, statistics),
        for calibrating gates (``bench/bench_calibration.py``); empty without placebos.
    """

    config: RunConfig
    table: TrialTable
    selections: tuple[FoldSelection, ...]
    oos_returns: pd.Series
    benchmark_returns: pd.Series | None
    document: Mapping[str, Any]
    placebos: tuple[Any, ...] = ()

    @property
    def exit_code(self) -> int:
        """0 when every gate and baseline check passed, 3 otherwise."""
        return int(self.document["exit_code"])

    @property
    def failures(self) -> list[str]:
        """One line per failed gate or baseline check."""
        return list(self.document["failures"])

    @cached_property
    def trials(self) -> pd.DataFrame:
        """Shape (n_trials, ...): parameters, status, and objectives in and out of sample."""
        rows = []
        for rec in self.table.rows():
            row = {"number": rec["number"], **rec["params"], "status": rec["status"],
                   "error": rec["error"]}
            row |= {f"is_{k}": v for k, v in rec.get("is", {}).items()}
            row |= {f"oos_{k}": v for k, v in rec.get("oos", {}).items()}
            rows.append(row)
        return pd.DataFrame(rows).set_index("number")

    @property
    def best(self) -> dict[str, Any]:
        """The selected trial (the last fold's choice): number and parameters."""
        return dict(self.document["selected"])

    def to_json(self, *, generated_at: str | None = None) -> dict[str, Any]:
        """The JSON document, with ``generated_at`` when given."""
        doc = dict(self.document)
        if generated_at is not None:
            doc = {"schema_version": doc["schema_version"], "kind": doc["kind"],
                   "generated_by": doc["generated_by"], "generated_at": generated_at, **doc}
        return doc

    def summary(self) -> str:
        """The verdict and the gates, as plain text."""
        lines = [str(self.document["verdict"])]
        lines += [f"gate {g['message']}" for g in self.document["gates"]]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        """Jupyter: verdict, selection, in/out-of-sample metrics, conventions, growth chart."""
        from backtest.report._notebook import tune_fragment

        return tune_fragment(self.document)

    def report(self) -> ReportView:
        """The full tune report, shown inline by Jupyter (``.save(path)`` writes it)."""
        from datetime import UTC, datetime

        from backtest.report._notebook import ReportView
        from backtest.tune._html import render_tune_html

        doc = self.to_json(generated_at=datetime.now(UTC).isoformat(timespec="seconds"))
        return ReportView(render_tune_html(doc, heatmap=self.config.tune.heatmap))

