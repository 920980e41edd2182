"""The scaffold's CI workflow on this machine, step by step, cold and warm.

`backtest init` writes a team repository from the wheel; its workflow runs as a
runner would (tests/scaffold/workflow_runner.py: every run: step with bash, the
uses: steps by their local equivalents): first a cold push to main (no venv, no
numba cache: the lock installed from the package index, the kernels compiled), then
a warm pull request (the venv with numba's cache restored, as actions/cache
restores it). Prints each step's time; the target is a warm run <= 2 minutes on 2
cores. `--offline` takes the dependencies from this environment instead of the
index (the cold install then measures only the venv and the wheel).

Usage: python bench/bench_scaffold.py [--offline]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from scaffold.workflow_runner import Runner, build_wheel, project_site_packages  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--offline", action="store_true",
                        help="dependencies from this environment, not the package index")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        wheel = build_wheel(ROOT, work / "dist")
        subprocess.run([str(Path(sys.executable).parent / "backtest"), "init", str(work / "team"),
                        "--source", str(wheel)], check=True, capture_output=True)
        print(f"wheel and backtest init: {time.perf_counter() - started:.1f} s")
        deps = project_site_packages(work / "deps") if args.offline else None
        runner = Runner(work / "team", work / "ci", config="strategies/tune.toml", deps=deps)
        for label, event in (("cold (push to main)", "push"),
                             ("warm (pull request)", "pull_request")):
            t = time.perf_counter()
            record = runner.run(event)
            steps = sum(s.seconds for s in record.steps if s.kind != "skipped")
            harness = time.perf_counter() - t - steps
            print(f"\n{label}: {steps:.1f} s of steps, {'FAILED' if record.failed else 'ok'} "
                  f"(the harness's own copying of the workspace and caches: {harness:.1f} s, "
                  "which a runner's cache restore does in its own step)")
            for step in record.steps:
                if step.kind != "skipped":
                    print(f"  {step.seconds:7.1f} s  {step.name}")
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"\npeak RSS of a step's process: {children:.0f} MB; "
              f"{'offline (this environment)' if args.offline else 'package index'} install; "
              "target: warm <= 120 s")


if __name__ == "__main__":
    main()
