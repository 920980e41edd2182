"""Shared pieces of the sweep tests: the two offline configs and random trials of every kind.

``base_raw(config, kind)`` is a config's parsed TOML with its strategy table
replaced by a table of ``kind`` (plus the kind's required keys), so a sweep can
tune any kind on either market; ``overrides(trial)`` writes a trial as the
``--set`` arguments of ``backtest run``; ``random_trials`` draws trials of a kind
with signal and engine settings swept too (seeded numpy draws).
"""

from __future__ import annotations

import json
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from backtest.config import apply_overrides, parse_config
from backtest.data import make_loader
from backtest.sweep import PreparedSweep, prepare_sweep

REPO = Path(__file__).resolve().parents[1]
CONFIGS = {
    "default": REPO / "strategies" / "duration_rotation.toml",
    "synthetic": REPO / "strategies" / "synthetic_rotation.toml",
}
# duration_targeting on the default config needs durations (its sleeves are explicit lists):
# illustrative equity durations in years (long: growth and tech; short: value and defensives)
DEFAULT_DURATIONS = {"S5V1": 30.0, "S1V1": 35.0, "BusEq": 32.0, "S5V5": 12.0, "Utils": 14.0,
                     "NoDur": 16.0}
EXTRA = {
    ("default", "duration_targeting"): {"durations_years": DEFAULT_DURATIONS},
    ("default", "static_mix"): {"weights": {"MKT": 0.6}},
    ("synthetic", "static_mix"): {"weights": {"LONG1": 0.3, "SHORT1": 0.3}},
    ("default", "buy_and_hold"): {"asset": "MKT"},
    ("synthetic", "buy_and_hold"): {"sleeve": "long"},
}


def base_raw(config: str, kind: str | None = None) -> dict[str, Any]:
    """The config's TOML; with ``kind``, its strategy table is that kind's."""
    raw = tomllib.loads(CONFIGS[config].read_text(encoding="utf-8"))
    if kind is not None:
        raw["strategy"] = {"kind": kind, "label": f"{kind} under test",
                           **EXTRA.get((config, kind), {})}
    return raw


def toml_value(value: Any) -> str:
    """A trial value as the text of ``--set path=VALUE``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def overrides(trial: dict[str, Any], window: tuple[str, str] | None = None) -> list[str]:
    sets = [f"{path}={toml_value(v)}" for path, v in trial.items()]
    if window is not None:
        sets += [f"run.start={window[0]}", f"run.end={window[1]}"]
    return sets


def run_config(config: str, kind: str | None, trial: dict[str, Any],
               window: tuple[str, str] | None) -> Any:
    """What ``backtest run CONFIG --set ...`` computes (load_config minus reading the file)."""
    import backtest

    path = CONFIGS[config]
    cfg = parse_config(apply_overrides(base_raw(config, kind), overrides(trial, window)),
                       source=str(path), base=path.parent)
    return backtest.run(cfg)


@lru_cache(maxsize=32)
def _prepared(config: str, kind: str | None, trials_json: str) -> PreparedSweep:
    path = CONFIGS[config]
    return prepare_sweep(base_raw(config, kind), json.loads(trials_json), source=str(path),
                         base_dir=path.parent, load=make_loader())


def prepared_sweep(config: str, kind: str | None, trials: list[dict[str, Any]]) -> PreparedSweep:
    """A prepared sweep (cached: tests of executors and chunking share them)."""
    return _prepared(config, kind, json.dumps(trials))


SCHEDULES = ["every_bar", "weekly", "monthly", "never", "on_change"]
CALENDAR = ["every_bar", "monthly", "never"]
LEVELS = [-1.0, -0.5, 0.0, 0.25, 0.5, 1.0]

# path suffix under `strategy.` -> candidate values
KIND_PARAMS: dict[str, dict[str, list[Any]]] = {
    "binary_rotation": {"enter": LEVELS, "exit": LEVELS, "min_hold_periods": [1, 2, 4],
                        "risk_off_sleeve": ["short", "cash"], "rebalance": SCHEDULES},
    "graded_tilt": {"shape": ["linear", "logistic"], "low": [-1.5, -1.0, -0.5],
                    "high": [0.5, 1.0, 1.5], "short_weight_min": [0.0, 0.1],
                    "short_weight_max": [0.8, 1.0], "risk_off_sleeve": ["short", "cash"],
                    "rebalance": SCHEDULES},
    "duration_targeting": {"signal_low": [-1.5, -1.0, -0.5], "signal_high": [0.5, 1.0],
                           "duration_max_years": [15.0, 25.0],
                           "duration_min_years": [0.0, 3.0], "rebalance": SCHEDULES},
    "trend_rule": {"sleeve": ["long", "short"], "lookback_months": [3, 6, 10, 12],
                   "risk_off_sleeve": ["cash", "short"], "rebalance": SCHEDULES},
    "static_mix": {"rebalance": CALENDAR},
    "buy_and_hold": {"rebalance": CALENDAR},
    "always_short": {"rebalance": CALENDAR},
}
# signal parameters, by config (the default config's components are written out; the
# synthetic one uses presets, addressed by component name)
SIGNAL_PARAMS: dict[str, dict[str, list[Any]]] = {
    "default": {"signal.components.0.periods": [6, 12, 24],
                "signal.components.credit_spread_12m_change.min_periods": [36, 60]},
    "synthetic": {"signal.components.spread_3m_change.horizon_months": [2, 3, 6],
                  "signal.components.0.min_history_months": [24, 36]},
}
ENGINE_PARAMS: dict[str, list[Any]] = {
    "costs.fees_bps": [0.0, 0.5, 10.0, 40.0], "costs.slippage_bps": [0.0, 5.0],
    "run.execution_lag": [0, 1, 2],
}


def random_trials(rng: np.random.Generator, config: str, kind: str, n: int) -> list[dict[str, Any]]:
    """``n`` trials: each strategy parameter drawn, plus signal and engine settings at times."""
    trials = []
    for _ in range(n):
        trial: dict[str, Any] = {}
        for key, values in KIND_PARAMS[kind].items():
            if rng.random() < 0.8:
                trial[f"strategy.{key}"] = values[int(rng.integers(len(values)))]
        for group in (SIGNAL_PARAMS[config], ENGINE_PARAMS):
            for path, values in group.items():
                if rng.random() < 0.4:
                    trial[path] = values[int(rng.integers(len(values)))]
        trials.append(trial)
    return trials


def cpu_seconds(process: Any) -> float:
    """User + system CPU seconds of a psutil process so far (0 once it is gone)."""
    import psutil

    try:
        times = process.cpu_times()
        return float(times.user + times.system)
    except psutil.Error:
        return 0.0


def sweep_workers(root: Any) -> list[Any]:
    """Worker processes under psutil process ``root``: a process pool's (forked by its
    fork server) and a Dask LocalCluster's (spawned by its nannies); not the fork server
    itself nor multiprocessing's resource tracker."""
    import psutil

    out = []
    for child in root.children(recursive=True):
        try:
            parent = child.parent()
            if ("spawn_main" in " ".join(child.cmdline()) or (
                    parent is not None and "forkserver" in " ".join(parent.cmdline()))):
                out.append(child)
        except psutil.Error:
            continue
    return out
