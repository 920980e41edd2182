"""Does `tune --max-memory B` keep the whole command within B? (issue 18, item 3)

The daily sweep config (bench/sweep.toml: ~16,000 business days x 5 assets, read from
../shared/data with --mirror), searched at random at two grid sizes per budget: as
many trials as the budget holds (95% of the "about N trials fit" the command answers
to an oversized request) and about half of that, each followed by the statistics and
the report. Each run
is a fresh `backtest tune` process; its peak RSS is read from the kernel
(RUSAGE_CHILDREN of a wrapper that runs only it). The baseline is the same command
with 2 trials: the interpreter, the libraries and the data. The target is
peak - baseline <= budget x 1.1, for three budgets and two grid sizes.

Usage: BACKTEST_SHARED_DATA=../shared/data python bench/bench_memory.py [--budgets 1,1.5,2]
       [--sizes 0.95,0.5]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BACKTEST = Path(sys.executable).parent / "backtest"
SHARED = Path(os.environ.get("BACKTEST_SHARED_DATA", ROOT.parent / "shared" / "data"))
GIB = 1 << 30
BARS = 16_300  # about the config's business days (only to oversize the first ask)


def _peak(args: list[str]) -> tuple[float, int, str]:
    """Peak RSS (bytes) of one command in a process of its own, its exit code and last line."""
    code = ("import resource, subprocess, sys; "
            "done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024); "
            "print(done.returncode); print((done.stderr.strip().splitlines() or [''])[-1])")
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    return float(out[0]), int(out[1]), out[2] if len(out) > 2 else ""


def _tune(trials: int, budget: float, work: Path) -> list[str]:
    return [str(BACKTEST), "--mirror", str(SHARED), "--data-dir", str(work / "cache"), "tune",
            str(ROOT / "bench" / "sweep.toml"), "--quiet", "--search", "random", "--trials",
            str(trials), "--param", "strategy.enter=-2:2:0.001", "--param",
            "strategy.exit=-3:-2:0.01", "--holdout", "0.3", "--max-memory",
            f"{int(budget * GIB)}", "--json", str(work / "t.json"), "--report",
            str(work / "t.html")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budgets", default="1,1.5,2", help="GiB, comma-separated")
    parser.add_argument("--sizes", default="0.95,0.5",
                        help="grid sizes as fractions of the trials that fit, comma-separated")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        baseline, code, line = _peak(_tune(2, 1.0, work))
        if code != 0:
            raise SystemExit(f"baseline run failed: {line}")
        print(f"baseline (2 trials): peak RSS {baseline / GIB:.2f} GiB")
        for budget in (float(b) for b in args.budgets.split(",")):
            _, code, line = _peak(_tune(10 * int(budget * GIB / (BARS * 8)), budget, work))
            fits = re.search(r"about (\d+) trials fit", line)
            if code == 0 or fits is None:
                raise SystemExit(f"an oversized sweep was not refused: {line}")
            for size in (float(f) for f in args.sizes.split(",")):
                trials = int(size * int(fits.group(1)))
                peak, code, line = _peak(_tune(trials, budget, work))
                added = peak - baseline
                verdict = "within" if added <= budget * 1.1 * GIB else "OVER"
                print(f"--max-memory {budget:.1f} GiB, {trials:,} trials ({size:.0%} of what "
                      f"fits): peak {peak / GIB:.2f} GiB, {added / GIB:.2f} GiB over the "
                      f"baseline ({added / (budget * GIB):.2f} x budget; limit 1.1): {verdict}; "
                      f"exit {code}" + (f" ({line[:80]})" if code else ""))

if __name__ == "__main__":
    main()
