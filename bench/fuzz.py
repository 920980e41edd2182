"""Fuzz the `backtest` command with malformed inputs and count what happens (issue 11).

Target: >= 10,000 cases, 0 tracebacks, 0 hangs (> 30 s), 0 errors that are not one
clean line, 0 damaged files (an input, a link or a device changed outside the output
directory and the cache). The cases cycle through every kind of input — TOML configs,
`--set` values, CSV files, mirror files, cache files, regime catalogs, `signal --asof`
values (exit 4, a reading whose state is unknown, counts as success), `tune` options
and baselines, `init` targets, `report` documents, `thesis` options and the output
paths of every command that writes (links, devices, pipes, directories) — made by the
generators in tests/fuzz/cases.py from `random.Random(f"{seed}-{kind}-{i}")`, so a
run is reproducible and a case can be replayed by its number. Each runs through the
real CLI in this process (Typer's CliRunner) under a 30 s alarm. Printed, never
asserted. The config keys reached (including `[run] idea_date`, the thesis's
hindsight split) are those of the generators' path lists and mutations.

Usage: python bench/fuzz.py [--cases N] [--seed S] [--limit SECONDS] [--kinds a,b]
       python bench/fuzz.py --replay I [--seed S] [--kinds a,b]   (one case, with its traceback)
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from random import Random

ROOT = Path(__file__).resolve().parents[1]


def _cases():  # type: ignore[no-untyped-def]
    # loaded by path: putting tests/ on sys.path would shadow the `strategies` package
    folder = ROOT / "tests" / "fuzz"
    spec = importlib.util.spec_from_file_location(
        "fuzzing", folder / "__init__.py", submodule_search_locations=[str(folder)]
    )
    assert spec is not None and spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    sys.modules["fuzzing"] = package
    spec.loader.exec_module(package)
    return importlib.import_module("fuzzing.cases")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=float, default=30.0, help="seconds before a hang")
    parser.add_argument("--kinds", default="", help="comma-separated subset of kinds")
    parser.add_argument("--replay", type=int, default=None, help="run case number I only")
    args = parser.parse_args()
    cases = _cases()
    kinds = [k for k in cases.GENERATORS if not args.kinds or k in args.kinds.split(",")]
    if args.replay is not None:
        replay(cases, kinds, args.seed, args.replay)
        return
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    seconds: dict[str, float] = defaultdict(float)
    bad: list[str] = []
    started = time.perf_counter()
    for i in range(args.cases):
        kind = kinds[i % len(kinds)]
        case = cases.GENERATORS[kind](Random(f"{args.seed}-{kind}-{i}"))
        with tempfile.TemporaryDirectory() as tmp:
            result = cases.run_case(case, Path(tmp), limit_s=args.limit)
        counts[kind][result.outcome] += 1
        seconds[kind] += result.seconds
        if result.outcome not in ("success", "clean_error"):
            bad.append(f"  #{i} {kind} {result.outcome}: {result.detail}")
        if (i + 1) % 1000 == 0:
            print(f"  ... {i + 1} cases, {time.perf_counter() - started:.0f} s", flush=True)
    wall = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    header = f"{'kind':<9}" + "".join(f"{o:>15}" for o in cases.OUTCOMES) + f"{'s/case':>9}"
    print(f"fuzz: {args.cases} cases, seed {args.seed}, hang = over {args.limit:g} s; "
          f"{wall:.0f} s wall ({args.cases / wall:.1f} cases/s), peak RSS {peak_mb:.0f} MB")
    print(header)
    total: Counter[str] = Counter()
    for kind in kinds:
        total.update(counts[kind])
        n = sum(counts[kind].values())
        print(f"{kind:<9}" + "".join(f"{counts[kind][o]:>15}" for o in cases.OUTCOMES)
              + f"{seconds[kind] / max(n, 1):>9.3f}")
    print(f"{'total':<9}" + "".join(f"{total[o]:>15}" for o in cases.OUTCOMES))
    print(f"targets: traceback 0, hang 0, unclean_error 0, damaged 0 -> "
          f"{'met' if not bad else f'{len(bad)} case(s) to fix'}")
    for line in bad[:40]:
        print(line)


def replay(cases, kinds: list[str], seed: int, i: int) -> None:  # type: ignore[no-untyped-def]
    """Run case ``i`` again and show its files, command, output and traceback."""
    import traceback

    from typer.testing import CliRunner

    from backtest.cli import app

    kind = kinds[i % len(kinds)]
    case = cases.GENERATORS[kind](Random(f"{seed}-{kind}-{i}"))
    with tempfile.TemporaryDirectory() as tmp:
        argv = case.materialise(Path(tmp))
        for name, data in case.files.items():
            print(f"--- {name}\n{data[:2000].decode(errors='replace')}")
        print("--- backtest", " ".join(argv))
        result = CliRunner().invoke(app, argv)
        print(f"--- exit {result.exit_code}\n{result.output[-3000:]}")
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            traceback.print_exception(result.exception)


if __name__ == "__main__":
    main()
