"""Calibration of the tune gates: how often each passes noise, and how often a real edge.

A gate is only as good as its false-pass rate. Two experiments, every gate judged
exactly as ``backtest tune`` judges it:

1. **Placebo signals on the embedded data** (the search of docs/tune.md: the default config,
   63 combinations, walk-forward 240m/60m, purge 1). One sweep holds the real search
   and M placebo searches (the composite circularly shifted by >= 3 years: same
   values and persistence, no timing). Each of the first K placebos plays "the real
   search": its gates are evaluated on its own numbers, and its ``placebo.p`` against
   19 of the others that are themselves shifts of it by >= 3 years (so the nested
   test is exactly what ``--placebo 19`` would run on that signal). False-pass rate =
   share of the K placebo searches that pass.
2. **The synthetic market's planted truth** (``backtest/synthetic.py``: 100 years of
   months, a rising cost of capital hurting long duration): the scaffold's config
   (``strategies/tune.toml``: the plugin tilt, 12 combinations, walk-forward
   120m/60m, 19 placebos) on S seeds with the planted edge (``link=1``: true-pass
   rate) and with ``link=0`` (returns pure noise: false-pass rate).

Prints, per gate and per gate set, the false- and true-pass rates with their
binomial standard errors. The shipped gates (the scaffold's config and workflow template)
must pass <= 5 % of placebos and >= 80 % of planted edges.

Usage: python bench/bench_calibration.py [--placebos K] [--seeds S] [--quick]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from backtest.data import make_loader
from backtest.stats import parse_gate
from backtest.tune import flatten_numbers, run_tune, tune_config
from backtest.tune._document import gated_numbers
from backtest.tune._placebo import placebo_p

ROOT = Path(__file__).resolve().parents[1]
GATES = {
    "trials.failed == 0": "trials.failed == 0",
    "dsr >= 0.9": "dsr >= 0.9",
    "oos.sharpe >= 0.3": "oos.sharpe >= 0.3",
    "pbo <= 0.5": "pbo <= 0.5",
    "spa.consistent <= 0.1": "spa.consistent <= 0.1",
    "oos.sharpe - benchmark.oos.sharpe >= 0": "oos.sharpe - benchmark.oos.sharpe >= 0",
    "placebo.p <= 0.05": "placebo.p <= 0.05",
}
SETS = {
    "the former example set (dsr, oos.sharpe, pbo)": ["dsr >= 0.9", "oos.sharpe >= 0.3",
                                                   "pbo <= 0.5"],
    "shipped set (trials.failed, placebo.p)": ["trials.failed == 0", "placebo.p <= 0.05"],
    "shipped set + spa.consistent": ["trials.failed == 0", "placebo.p <= 0.05",
                                     "spa.consistent <= 0.1"],
    "shipped set + beats the benchmark": ["trials.failed == 0", "placebo.p <= 0.05",
                                          "oos.sharpe - benchmark.oos.sharpe >= 0"],
    "shipped set + dsr": ["trials.failed == 0", "placebo.p <= 0.05", "dsr >= 0.9"],
}
INNER = 19  # placebos behind each nested placebo.p, as --placebo 19


def _passes(values: dict[str, float]) -> dict[str, bool]:
    out = {}
    for name, text in GATES.items():
        try:
            out[name] = parse_gate(text).evaluate(values).passed
        except Exception:  # a number this search does not have (no benchmark...)
            out[name] = False
    return out


def _circular(a: int, b: int, n: int) -> int:
    d = (a - b) % n
    return min(d, n - d)


def placebo_experiment(k: int) -> dict[str, list[bool]]:
    """Gate outcomes of K placebo searches on the embedded data (the search of docs/tune.md)."""
    cfg = tune_config(
        ROOT / "strategies" / "duration_rotation.toml",
        params=["strategy.enter=-0.5:1:0.25", "strategy.exit=-1:0:0.5",
                "strategy.min_hold_periods=1,3,6"],
        tune={"walk_forward": {"train": "240m", "test": "60m"}, "purge": 1},
        gates=[g for g in GATES.values() if not g.startswith("placebo")])
    pool = k + 3 * INNER  # enough shifts that every outer one has 19 far enough away
    result = run_tune(cfg, load=make_loader(), placebo=pool)
    doc = result.document
    n_defined, min_shift = doc["placebo"]["defined_bars"], doc["placebo"]["min_shift_bars"]
    trials = doc["trials"]
    searches = []
    for p in result.placebos:
        counts = {**{key: trials[key] for key in ("requested", "invalid")},
                  "evaluated": trials["requested"] - trials["invalid"] - p.failed,
                  "failed": p.failed}
        numbers = (flatten_numbers(gated_numbers(p.summary, p.statistics, counts))
                   if p.summary is not None else {})
        searches.append((p.shift, numbers))
    objective = "oos.sharpe"
    outcomes: dict[str, list[bool]] = {name: [] for name in GATES}
    rng = np.random.default_rng(2026)
    # the outer searches spread over the pool (neighbouring shifts are near copies), each
    # with its own random 19 of the shifts at least min_shift away from it
    outer = np.linspace(0, len(searches) - 1, k).round().astype(int)
    for i in outer:
        shift, numbers = searches[i]
        eligible = [j for j, (s, _) in enumerate(searches) if j != i
                    and _circular(s, shift, n_defined) >= min_shift]
        assert len(eligible) >= INNER, "the pool is too small"
        inner = [searches[j][1] for j in rng.choice(eligible, INNER, replace=False)]
        values = dict(numbers)
        values["placebo.p"] = placebo_p(numbers.get(objective, math.nan),
                                        [x.get(objective, math.nan) for x in inner], True)
        for name, ok in _passes(values).items():
            outcomes[name].append(ok)
    real = dict(flatten_numbers(doc))
    real["placebo.p"] = doc["placebo"]["p"]
    print(f"  the real signal itself: placebo.p = {doc['placebo']['p']:.3f} among {pool}; "
          f"passes {[n for n, ok in _passes(real).items() if ok]}")
    return outcomes


def synthetic_experiment(seeds: int, link: float, where: Path) -> dict[str, list[bool]]:
    """Gate outcomes of the scaffold's search on S synthetic markets of strength ``link``.

    The configs are written beside one copy of the plugin in ``where`` (a module name
    is imported once per process: the same directory every time).
    """
    text = (ROOT / "strategies" / "tune.toml").read_text()
    (where / "my_rules.py").write_text((ROOT / "strategies" / "my_rules.py").read_text())
    outcomes: dict[str, list[bool]] = {name: [] for name in GATES}
    for seed in range(seeds):
        path = where / f"s{seed}_{link}.toml"
        path.write_text(text.replace("seed=7,periods=1200",
                                     f"seed={seed},periods=1200,link={link}"))
        cfg = tune_config(path, gates=list(GATES.values()))
        doc = run_tune(cfg, load=make_loader()).document
        values = dict(flatten_numbers(doc))
        for name, ok in _passes(values).items():
            outcomes[name].append(ok)
    return outcomes


def _rate(flags: list[bool]) -> str:
    n = len(flags)
    if not n:
        return "—"
    p = sum(flags) / n
    return f"{p:6.1%} ± {math.sqrt(p * (1 - p) / n):.1%}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--placebos", type=int, default=100, help="placebo searches judged")
    parser.add_argument("--seeds", type=int, default=50, help="synthetic seeds per strength")
    parser.add_argument("--quick", action="store_true", help="20 placebos, 10 seeds")
    args = parser.parse_args()
    k, s = (20, 10) if args.quick else (args.placebos, args.seeds)
    started = time.perf_counter()
    print(f"1. {k} placebo searches on the embedded data (the README's search)")
    placebo = placebo_experiment(k)
    print(f"   ({time.perf_counter() - started:.0f} s)")
    t = time.perf_counter()
    print(f"2. the scaffold's search on {s} synthetic markets with the planted edge (link=1) "
          f"and {s} without (link=0)")
    with tempfile.TemporaryDirectory() as tmp:
        edge = synthetic_experiment(s, 1.0, Path(tmp))
        noise = synthetic_experiment(s, 0.0, Path(tmp))
    print(f"   ({time.perf_counter() - t:.0f} s)")
    width = max(map(len, [*GATES, *SETS]))
    print(f"\n{'gate':<{width}}  {'placebo signals':>16}  {'link=0 noise':>16}  "
          f"{'planted edge':>16}")
    rows = [(name, [name]) for name in GATES] + list(SETS.items())
    for label, members in rows:
        cols = []
        for table in (placebo, noise, edge):
            flags = [all(table[m][i] for m in members) for i in range(len(table[members[0]]))]
            cols.append(_rate(flags))
        print(f"{label:<{width}}  {cols[0]:>16}  {cols[1]:>16}  {cols[2]:>16}")
    print(f"\n(false-pass: placebo signals and link=0; true-pass: planted edge; ± one binomial "
          f"standard error, which understates the placebo column's: its searches are shifts of "
          f"one signal and overlap; {time.perf_counter() - started:.0f} s in all; python "
          f"{sys.version.split()[0]}, numpy {np.__version__})")


if __name__ == "__main__":
    main()
