"""kill -9 during `backtest data fetch`: what the cache holds afterwards (issue 11, item 10).

Target: 0 corrupt reads, 0 records whose data came from another fetch, 0 `data list`
failures, 0 temp or uncommitted data files left after the next `data list`, over at
least 50 kills (rounds whose fetch ends before its kill do not count). Each round
rewrites a local mirror of 6 daily series (20,000 rows) to the other of two versions,
starts `backtest --mirror DIR data fetch --force ...`, SIGKILLs it at a random moment
in the span where it writes, and inspects the cache (tests/killing.py). Printed,
never asserted; POSIX only.

Usage: python bench/bench_kill.py [--kills N] [--seed S]
"""

from __future__ import annotations

import argparse
import importlib.util
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _harness():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("killing", ROOT / "tests" / "killing.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        totals = _harness().campaign(Path(tmp), args.kills, seed=args.seed)
    seconds = time.perf_counter() - started
    print(f"kill -9 during data fetch: {totals['killed']} kills in {totals['rounds']} rounds, "
          f"{seconds:.0f} s (seed {args.seed})")
    print(f"  killed mid-run: {totals['killed']}   finished before the kill: "
          f"{totals['finished_before_the_kill']}")
    print(f"  rounds that left some series new and some old (killed mid-write): "
          f"{totals['rounds_with_both_versions']}")
    print(f"  temp files found right after a kill (before the next command): "
          f"{totals['temp_files_before']}")
    print(f"  entries read back: version A {totals['version_A']}, version B {totals['version_B']}")
    for key, label in [("corrupt_reads", "corrupt reads"),
                       ("missing", "entries missing after a kill"),
                       ("mixed_values", "values from neither version"),
                       ("record_data_mismatch", "record and data from different fetches"),
                       ("list_failures", "`data list` failures right after a kill"),
                       ("temp_files_after_list", "temp files left after `data list`"),
                       ("orphans_after_list", "uncommitted data files left after `data list`")]:
        print(f"  {label}: {totals[key]}   target 0")


if __name__ == "__main__":
    main()
