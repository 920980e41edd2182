"""What `tune --placebo N` costs against a plain tune (issue 15: --placebo 50 <= 3x).

The README's search on the default config (63 combinations, walk-forward 240m/60m,
purge 1, the gates of the README), as whole `backtest tune` commands in fresh
processes (imports included, as a user waits for them), median of 3, plain and with
--placebo 50; then in one process the marginal cost per placebo search. Peak RSS of
each command beside its time.

Usage: python bench/bench_placebo.py [--placebos N] [--runs R]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BACKTEST = Path(sys.executable).parent / "backtest"
SEARCH = ["tune", str(ROOT / "strategies" / "duration_rotation.toml"), "--quiet",
          "--param", "strategy.enter=-0.5:1:0.25", "--param", "strategy.exit=-1:0:0.5",
          "--param", "strategy.min_hold_periods=1,3,6", "--walk-forward", "--train", "240m",
          "--test", "60m", "--purge", "1", "--gate", "oos.sharpe >= 0.3", "--gate",
          "pbo <= 0.5", "--gate", "dsr >= 0.9"]


def _run(extra: list[str], runs: int) -> tuple[float, float]:
    times, peaks = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        done = subprocess.run([str(BACKTEST), *SEARCH, *extra], capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if done.returncode not in (0, 3):
            raise SystemExit(done.stderr)
        peaks.append(max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before))
    return statistics.median(times), max(peaks) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--placebos", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    _run([], 1)  # warm numba's cache and the page cache
    plain, plain_mb = _run([], args.runs)
    placebo, placebo_mb = _run(["--placebo", str(args.placebos)], args.runs)
    print(f"plain tune (63 trials): {plain:.1f} s, peak RSS {plain_mb:.0f} MB (median of "
          f"{args.runs}, whole command)")
    print(f"--placebo {args.placebos}: {placebo:.1f} s, peak RSS {placebo_mb:.0f} MB -> "
          f"{placebo / plain:.2f}x a plain tune (target <= 3x); "
          f"{(placebo - plain) / args.placebos * 1000:.0f} ms per placebo search")


if __name__ == "__main__":
    main()
