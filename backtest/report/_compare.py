"""Several runs → one comparison: display labels, shared benchmarks once, what differs (pure)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from backtest.report._runs import RunData, StrategyData

__all__ = ["Comparison", "Entry", "compare_runs", "flatten_config", "unique_names"]


@dataclass(frozen=True)
class Entry:
    """One strategy as the comparison shows it.

    Attributes
    ----------
    label : str
        Display label, unique: the strategy's label for one run, ``"run / label"``
        for several.
    run : int
        Position of the run it is taken from (the first run that has it).
    runs : tuple of int
        Every run that has this exact series (a benchmark shared by several runs
        is shown once).
    data : StrategyData
    main : bool
        The strategy under test of its run.
    benchmark : str or None
        Display label of the benchmark its beta/alpha/IR/TE are measured against.
    """

    label: str
    run: int
    runs: tuple[int, ...]
    data: StrategyData
    main: bool
    benchmark: str | None


@dataclass(frozen=True)
class Comparison:
    """Every strategy of every run, deduplicated and labelled."""

    runs: tuple[RunData, ...]
    names: tuple[str, ...]
    entries: tuple[Entry, ...]
    labels: tuple[Mapping[str, str], ...]
    duplicates: tuple[tuple[int, ...], ...]
    differs: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def multi(self) -> bool:
        """More than one run."""
        return len(self.runs) > 1

    @property
    def mains(self) -> list[Entry]:
        """The strategy under test of each run, in run order."""
        return [e for e in self.entries if e.main]

    def warnings(self) -> list[str]:
        """One line per group of identical runs (same effective config and data)."""
        return [
            "runs " + " and ".join(self.names[i] for i in group) + " have the same effective "
            "config and data: their results are identical"
            for group in self.duplicates
        ]


def unique_names(names: Sequence[str]) -> list[str]:
    """``names`` with ``" (2)"``, ``" (3)"`` appended to repeats."""
    seen: set[str] = set()
    out = []
    for name in names:
        candidate, n = name, 2
        while candidate in seen:
            candidate, n = f"{name} ({n})", n + 1
        seen.add(candidate)
        out.append(candidate)
    return out


def _series_key(run: RunData, label: str) -> str:
    """Identity of a strategy's numbers: returns, risk-free and metrics."""
    doc = run.document
    entry = doc["strategies"][label]
    blob = json.dumps([entry["returns"], doc["cash_returns"], entry["metrics"]],
                      sort_keys=True, allow_nan=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def flatten_config(value: Any, prefix: str = "") -> dict[str, str]:
    """Dotted key → JSON text of every scalar (or list of scalars) of a config table.

    An array of tables is keyed by each element's ``name`` (else ``preset``, else
    its position), as ``--set`` addresses it.
    """
    if isinstance(value, Mapping):
        out: dict[str, str] = {}
        for key, item in value.items():
            part = f'"{key}"' if "." in str(key) else str(key)
            out |= flatten_config(item, f"{prefix}.{part}" if prefix else part)
        return out
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        out = {}
        for i, item in enumerate(value):
            name = item.get("name") or item.get("preset") or i
            out |= flatten_config(item, f"{prefix}.{name}")
        return out
    return {prefix: json.dumps(value, ensure_ascii=False, sort_keys=True)}


def _differs(runs: Sequence[RunData]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    flat = [flatten_config(run.document["config"].get("effective", {})) for run in runs]
    keys = list(dict.fromkeys(k for f in flat for k in f))
    rows = []
    for key in keys:
        values = tuple(f.get(key, "—") for f in flat)
        if len(set(values)) > 1:
            rows.append((key, values))
    return tuple(rows)


def _duplicates(runs: Sequence[RunData]) -> tuple[tuple[int, ...], ...]:
    groups: dict[tuple[str, str], list[int]] = {}
    for i, run in enumerate(runs):
        key = (run.config_hash, str(run.document["data"].get("fingerprint")))
        groups.setdefault(key, []).append(i)
    return tuple(tuple(g) for g in groups.values() if len(g) > 1)


def compare_runs(runs: Sequence[RunData]) -> Comparison:
    """Label every strategy of every run; show a benchmark shared by several runs once.

    Parameters
    ----------
    runs : sequence of RunData

    Returns
    -------
    Comparison
        Entries in run order (each run's strategy under test first). A benchmark
        whose returns (dates and values), risk-free returns and metrics equal those
        of a benchmark of an earlier run is not repeated: the earlier entry lists
        both runs. Strategies under test are never merged; identical runs are
        reported in ``duplicates``.
    """
    names = unique_names([run.name for run in runs])
    multi = len(runs) > 1
    seen: dict[str, int] = {}
    entries: list[dict[str, Any]] = []
    labels: list[dict[str, str]] = [{} for _ in runs]
    display = unique_names([label if not multi else f"{names[i]} / {label}"
                            for i, run in enumerate(runs) for label in run.strategies])
    position = 0
    for i, run in enumerate(runs):
        for label, data in run.strategies.items():
            shown, position = display[position], position + 1
            main = label == run.main
            key = _series_key(run, label)
            if not main and key in seen:
                first = entries[seen[key]]
                first["runs"] += (i,)
                labels[i][label] = first["label"]
                continue
            if not main:
                seen[key] = len(entries)
            labels[i][label] = shown
            entries.append({"label": shown, "run": i, "runs": (i,), "data": data, "main": main})
    built = tuple(
        Entry(**e, benchmark=labels[e["run"]].get(runs[e["run"]].benchmark or "", None))
        for e in entries
    )
    return Comparison(runs=tuple(runs), names=tuple(names), entries=built,
                      labels=tuple(labels), duplicates=_duplicates(runs),
                      differs=_differs(runs) if multi else ())
