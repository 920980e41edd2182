"""`backtest tune` from the command line: per-combo cost against `bt`, and large grids.

Targets (issue 7): a tune grid on strategies/etf_rotation.toml (shared data through
--mirror) at least 50x faster per combo than `bt` running the same trials' weights;
(issue 8) the first tune after install (fresh virtual environment, no warm caches) on
the default config under 10 s for a 100-combo grid. Also printed: a 1,000-combo grid
on the default monthly config, wall time and peak memory.

`bt` is measured in this script, on a sample of the same trials: each trial's executed
weights (from the library, with the engine's execution lag) are handed to
`bt.algos.WeighTarget` + `Rebalance`, and `bt.run` is timed alone (building the
weights is not counted against bt). Peak memory is the tune process's max RSS.

Usage: python bench/bench_tune.py [--skip-fresh] [--bt-sample N]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ETF = ROOT / "strategies" / "etf_rotation.toml"
ETF_SMALL = ["--param", "strategy.enter=0:1.5:0.1", "--param", "strategy.exit=-1:0:0.25",
             "--param", "strategy.min_hold_periods=1,21"]  # 16 x 5 x 2 = 160 combos
ETF_GRID = ["--param", "strategy.enter=0:2:0.05", "--param", "strategy.exit=-1:0:0.1",
            "--param", "strategy.min_hold_periods=1,3,5,10,15,21,42,63"]  # 41 x 11 x 8 = 3,608
DEFAULT_1000 = ["--param", "strategy.enter=-1:1.45:0.05", "--param", "strategy.exit=-1:-0.1:0.1",
                "--param", "strategy.min_hold_periods=1,3"]  # 50 x 10 x 2 = 1,000 combos
DEFAULT_100 = ["--param", "strategy.enter=-1:1.25:0.25", "--param", "strategy.exit=-1:-0.1:0.1"]


def shared_data() -> Path:
    root = Path(os.environ.get("BACKTEST_SHARED_DATA") or ROOT / ".." / "shared" / "data")
    if not root.is_dir():
        sys.exit(f"shared data not found at {root}; set BACKTEST_SHARED_DATA")
    return root.resolve()


# runs one command and reports its own peak RSS: a fresh process per measurement, so the
# maximum is this command's, not the largest of every child so far
_MEASURE = """
import resource, subprocess, sys, time
t0 = time.perf_counter()
code = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(wall, peak / 1024, code.returncode, repr(code.stderr[-500:]))
"""


def run_tune(exe: str, args: list[str], out: Path, cwd: Path = ROOT) -> tuple[float, dict]:
    """Wall time of one `backtest tune` process, its peak RSS (MB) and its JSON."""
    proc = subprocess.run([sys.executable, "-c", _MEASURE, exe, *args, "--quiet", "--json",
                           str(out)], cwd=cwd, capture_output=True, text=True, check=True)
    wall, peak, code, err = proc.stdout.split(" ", 3)
    if int(code) not in (0, 3):
        sys.exit(f"tune failed ({code}): {err.strip()}")
    doc = json.loads(out.read_text())
    doc["_peak_mb"] = float(peak)
    return float(wall), doc


def bt_per_combo(doc: dict, mirror: Path, sample: int) -> float:
    """Seconds per combo for `bt` on a sample of the tune's trials (same weights)."""
    import bt

    import backtest
    from backtest.data import make_loader
    from backtest.engine import execute_targets

    ok = [t for t in doc["trials"]["list"] if t["status"] == "ok"]
    step = max(len(ok) // sample, 1)
    load = make_loader(mirror=mirror)
    times = []
    for t in ok[::step][:sample]:
        overrides = [f"{k}={json.dumps(v)}" for k, v in t["params"].items()]
        overrides += [f"run.start={doc['conventions']['start']}",
                      f"run.end={doc['conventions']['end']}"]
        run = backtest.run(ETF, overrides=overrides, load=load)
        main = run.main
        prices = run.dataset.prices.loc[run.window]
        executed = execute_targets(main.targets, run.dataset.cash, main.execution_lag)
        algo = bt.Strategy("s", [bt.algos.WeighTarget(executed.dropna(how="all")),
                                 bt.algos.Rebalance()])
        test = bt.Backtest(algo, prices, initial_capital=1e4, integer_positions=False,
                           progress_bar=False)
        start = time.perf_counter()
        bt.run(test)
        times.append(time.perf_counter() - start)
    return sum(times) / len(times)


def fresh_first_tune(out: Path) -> float:
    """`backtest tune` (100 combos, default config) in a brand-new virtual environment."""
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, str(ROOT)], check=True, capture_output=True)  # not timed
        wall, _ = run_tune(str(venv / "bin" / "backtest"), ["tune", *DEFAULT_100], out,
                           cwd=Path(tmp))
    return wall


def main() -> None:
    exe = str(Path(sys.executable).with_name("backtest"))
    sample = int(sys.argv[sys.argv.index("--bt-sample") + 1]) if "--bt-sample" in sys.argv else 5
    mirror = shared_data()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "t.json"
        etf = ["--mirror", str(mirror), "tune", str(ETF)]
        run_tune(exe, [*etf, *ETF_SMALL], out)  # warm-up (numba and file caches)
        small_wall, small = run_tune(exe, [*etf, *ETF_SMALL], out)
        wall, doc = run_tune(exe, [*etf, *ETF_GRID], out)
        combos, bars = doc["trials"]["evaluated"], doc["conventions"]["bars"]
        ours = wall / combos
        marginal = (wall - small_wall) / (combos - small["trials"]["evaluated"])
        theirs = bt_per_combo(doc, mirror, sample)
        print(f"etf_rotation tune grid: {combos} combos x {bars} daily bars x "
              f"{len(doc['data']['sources'])} series: whole command {wall:.2f} s (imports, "
              f"data, benchmarks, sweep, statistics, outputs), peak RSS {doc['_peak_mb']:.0f} MB")
        print(f"  per combo, whole command / combos: tune {ours * 1e3:.2f} ms, bt "
              f"{theirs * 1e3:.1f} ms (bt.run alone on the trial's executed weights, mean of "
              f"{sample} of the same trials) -> tune is {theirs / ours:.0f}x faster "
              f"(target >= 50x)")
        print(f"  marginal cost of a combo (against {small['trials']['evaluated']} combos in "
              f"{small_wall:.2f} s): {marginal * 1e3:.2f} ms -> {theirs / marginal:.0f}x faster "
              "than bt")
        wall, doc = run_tune(exe, ["tune", *DEFAULT_1000], out)
        print(f"default config, 1,000-combo grid ({doc['trials']['evaluated']} evaluated, "
              f"{doc['conventions']['bars']} monthly bars): {wall:.2f} s wall, peak RSS "
              f"{doc['_peak_mb']:.0f} MB")
        if "--skip-fresh" not in sys.argv:
            first = fresh_first_tune(out)
            print(f"first tune after install (fresh venv, 100 combos, default config): "
                  f"{first:.2f} s   target <= 10 s")


if __name__ == "__main__":
    main()
