"""How long a user waits for the answer to a typical mistake (issue 19: <= 1 s warm).

Five errors a user makes, each through the installed `backtest` command, median of
5 runs, beside `python -c "import numpy, pandas"` measured in the same run (the floor
any command that reads a config pays): a misspelt config key, a bad --param path,
an unknown gate name, a malformed TOML file, and a missing config file.

Usage: python bench/bench_errors.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BACKTEST = Path(sys.executable).parent / "backtest"


def _time(args: list[str], runs: int, cwd: Path) -> tuple[float, str]:
    times, last = [], ""
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(args, capture_output=True, text=True, cwd=cwd)
        times.append(time.perf_counter() - started)
        last = (done.stderr.strip().splitlines() or [""])[-1]
    return statistics.median(times), last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        text = (ROOT / "strategies" / "duration_rotation.toml").read_text()
        (work / "typo.toml").write_text(text.replace("fees_bps = 10.0", "fee_bps = 10.0"))
        (work / "broken.toml").write_text(text.replace('[costs]', '[costs'))
        config = str(ROOT / "strategies" / "duration_rotation.toml")
        cases = {
            "misspelt key (run)": [str(BACKTEST), "run", str(work / "typo.toml")],
            "bad --param path (tune)": [str(BACKTEST), "tune", config, "--param",
                                        "strategy.entr=0,1"],
            "unknown gate (tune)": [str(BACKTEST), "tune", config, "--param",
                                    "strategy.enter=0,1", "--gate", "oos.sharp >= 0.3"],
            "malformed TOML (run)": [str(BACKTEST), "run", str(work / "broken.toml")],
            "missing file (thesis)": [str(BACKTEST), "thesis", str(work / "nope.toml")],
        }
        floor, _ = _time([sys.executable, "-c", "import numpy, pandas"], args.runs, work)
        print(f"python -c 'import numpy, pandas': {floor:.2f} s (median of {args.runs})")
        for name, command in cases.items():
            seconds, line = _time(command, args.runs, work)
            print(f"{name:<26} {seconds:5.2f} s  ({seconds / floor:4.1f}x the floor)  {line[:70]}")


if __name__ == "__main__":
    main()
