"""Warm wall time of each command beside `python -c "import numpy, pandas"` (issue 16).

Targets (issue 16, item 4), warm, on 2 cores: `backtest thesis` <= 3 s, `backtest run`
<= 3.5 s, `backtest signal` <= 1 s, a config error <= 1 s. A busy machine slows every
process alike, so each command is printed beside the import of numpy and pandas timed
in the same run, just before it, and the ratio of the two: the ratio is what to compare
between machines and over time.

Commands: `--help`; `run` (the default config on the embedded data, HTML and JSON
written); `thesis`; `signal`; `compare` of the four shipped real-data configs on the
shared files (`--mirror`, default `../shared/data`); a config error
(`run --set run.nonsense=1`). Each is run once to warm up, then timed 3 times
(median).

Environments: by default this checkout, run as `python -m backtest` with the current
interpreter (the dev venv: it also has the dev-only quantstats, which vectorbt imports
when present, ~0.6 s). With `--wheel`: dcf-regime's wheel built from this checkout
without the network and installed into a runtime-only venv (requirements/runtime.lock,
from the package index; no dev dependency), run as its `backtest` script from an empty
directory, as a user who installed the wheel would. `--venv DIR` keeps that venv
between runs (created when DIR has none; only the wheel is reinstalled).

Usage: python bench/bench_latency.py [--wheel [--venv DIR]] [--mirror DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
REPS = 3
CONFIGS = ("duration_rotation", "ff_duration", "ff_dcf_duration", "seed_2026")
#: Targets of issue 16 (seconds, warm, 2 cores); None: no target, shown for reference.
TARGETS: dict[str, float | None] = {
    "--help": None, "run": 3.5, "thesis": 3.0, "signal": 1.0, "compare (4 configs)": None,
    "config error": 1.0,
}


def _timed(cmd: Sequence[str], cwd: Path, env: dict[str, str], ok: Sequence[int]) -> float:
    start = time.perf_counter()
    done = subprocess.run(list(cmd), cwd=cwd, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return took


Command = tuple[str, list[str], tuple[int, ...]]  # name, argv, accepted exit codes


def _commands(backtest: list[str], out: Path, mirror: Path) -> list[Command]:
    configs = [str(ROOT / "strategies" / f"{name}.toml") for name in CONFIGS]
    return [
        ("--help", [*backtest, "--help"], (0,)),
        ("run", [*backtest, "run", "--out", str(out), "--quiet"], (0,)),
        ("thesis", [*backtest, "thesis", "--quiet"], (0,)),
        # exit 4: every component stale (the embedded series end in 2018); still a reading
        ("signal", [*backtest, "signal"], (0, 4)),
        ("compare (4 configs)", [*backtest, "--mirror", str(mirror), "compare", *configs,
                                 "--report", str(out / "compare.html"), "--quiet"], (0,)),
        ("config error", [*backtest, "run", "--set", "run.nonsense=1"], (1,)),
    ]


def measure(python: Path, backtest: list[str], cwd: Path, env: dict[str, str],
            mirror: Path) -> None:
    """Print each command's median beside numpy + pandas timed just before it."""
    base = [str(python), "-c", "import numpy, pandas"]
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for name, cmd, ok in _commands(backtest, Path(tmp), mirror):
            _timed(cmd, cwd, env, ok)  # warm-up: __pycache__, numba's cache, the OS file cache
            pairs = [(_timed(base, cwd, env, (0,)), _timed(cmd, cwd, env, ok))
                     for _ in range(REPS)]
            reference = median(p[0] for p in pairs)
            took = median(p[1] for p in pairs)
            rows.append((name, took, reference))
            target = TARGETS[name]
            verdict = "" if target is None else (
                f"target <= {target:.1f} s: {'ok' if took <= target else 'ABOVE'}")
            print(f"  {name:<21} {took:6.2f} s   numpy+pandas {reference:5.2f} s   "
                  f"ratio {took / reference:5.1f}   {verdict}", flush=True)


def runtime_venv(venv: Path) -> Path:
    """``venv`` with the runtime lock and this checkout's wheel (built offline) installed."""
    sys.path.insert(0, str(ROOT / "tests"))
    from scaffold.workflow_runner import build_wheel

    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating {venv} from requirements/runtime.lock (package index) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--require-hashes",
                        "-r", str(ROOT / "requirements" / "runtime.lock")], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = build_wheel(ROOT, Path(tmp))
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps",
                        "--force-reinstall", str(wheel)], check=True)
    return python


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", action="store_true",
                        help="measure in a runtime-only venv built from the wheel")
    parser.add_argument("--venv", type=Path, help="keep the runtime-only venv here")
    parser.add_argument("--mirror", type=Path, default=ROOT.parent / "shared" / "data",
                        help="the shared real data, for compare (default ../shared/data)")
    args = parser.parse_args(argv)
    mirror = args.mirror.resolve()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "BACKTEST_DATA")}
    if not args.wheel:
        print(f"dev environment ({sys.executable}), this checkout, warm, median of {REPS}:")
        measure(Path(sys.executable), [sys.executable, "-m", "backtest"], ROOT,
                {**env, "PYTHONPATH": str(ROOT)}, mirror)
        return
    with tempfile.TemporaryDirectory() as tmp:
        venv = args.venv.resolve() if args.venv else Path(tmp) / "venv"
        python = runtime_venv(venv)
        cwd = Path(tmp) / "empty"
        cwd.mkdir()
        print(f"runtime-only venv from the wheel ({venv}), warm, median of {REPS}:")
        measure(python, [str(venv / "bin" / "backtest")], cwd, env, mirror)


if __name__ == "__main__":
    main()
