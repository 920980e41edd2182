"""Wall time of `backtest run` (the default config), warm and in a fresh environment.

Targets (issue 2): <= 5 s warm, <= 10 s for the first run after install, on 2 cores.
Issue 16 tightened the warm target to 3.5 s; bench/bench_latency.py measures it with
every other command's, beside `python -c "import numpy, pandas"` (dev venv, or a
runtime-only venv from the wheel with --wheel). This script keeps the first run after
install.

"Fresh" = a new virtual environment with the project installed and nothing run
yet (no __pycache__ of ours, no numba cache); the install itself is not timed.
Usage: python bench/bench_run.py [--skip-fresh]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    out = tempfile.mkdtemp()
    exe = str(Path(sys.executable).with_name("backtest"))
    timed([exe, "run", "--out", out], ROOT)  # warm-up
    warm = sorted(timed([exe, "run", "--out", out], ROOT) for _ in range(3))
    print(f"backtest run (warm, median of 3): {warm[1]:.2f} s   target <= 5 s")
    help_time = timed([exe, "--help"], ROOT)
    print(f"backtest --help: {help_time:.2f} s (does not import vectorbt)")
    if "--skip-fresh" in sys.argv:
        return
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, str(ROOT)], check=True, capture_output=True)  # not timed
        fresh = timed([str(venv / "bin" / "backtest"), "run", "--out", out], Path(tmp))
        again = timed([str(venv / "bin" / "backtest"), "run", "--out", out], Path(tmp))
    print(f"backtest run (first run after install): {fresh:.2f} s   target <= 10 s")
    print(f"backtest run (second run, same env):    {again:.2f} s")


if __name__ == "__main__":
    main()
