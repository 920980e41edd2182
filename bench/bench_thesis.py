"""Wall time of `backtest thesis` on the default config with 1,000 bootstrap resamples.

Target (issue 9): <= 3 s warm, on 2 cores.

Prints:
* the CLI end to end, warm (median of 3 after one warm-up), with the peak memory of
  the process;
* where the time goes in one warm process: imports, the run (on the kernel, as the
  command runs it), the analysis (thesis, regime timing, attribution) and the thesis
  statistics alone; then vectorbt's import and the same run on vectorbt, the engine
  of record behind `run` and `compare`;
* the peer: the same stationary-bootstrap intervals (the state difference and one
  regime's compounded spread) computed the usual arch way,
  `StationaryBootstrap(...).conf_int(func, reps=1000, method="percentile")`, against our
  path (arch's positions drawn by backtest.stats._stationary without arch, the
  statistics vectorized over resamples).

Usage: python bench/bench_thesis.py
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
REPS = 1000


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cli() -> None:
    exe = str(Path(sys.executable).with_name("backtest"))
    cmd = [exe, "thesis", "--reps", str(REPS)]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)  # warm-up
    times, cpu = [], []
    for _ in range(3):
        start, start_cpu = time.perf_counter(), _cpu()
        subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
        cpu.append(_cpu() - start_cpu)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"backtest thesis --reps {REPS} (warm, median of 3): {median(times):.2f} s wall, "
          f"{median(cpu):.2f} s CPU   target <= 3 s   (wall: "
          f"{', '.join(f'{t:.2f}' for t in times)}; peak memory {peak:.0f} MB)")
    help_cmd = [exe, "--help"]
    start = time.perf_counter()
    subprocess.run(help_cmd, cwd=ROOT, check=True, capture_output=True)
    print(f"  for scale, `backtest --help` (no pandas, no vectorbt): "
          f"{time.perf_counter() - start:.2f} s")


def breakdown() -> None:
    start = time.perf_counter()
    import pandas  # noqa: F401

    pandas_done = time.perf_counter()
    import backtest.engine._kernel

    vbt_done = time.perf_counter()
    import backtest
    from backtest.analysis import thesis_statistics  # noqa: F401  (statsmodels)
    from backtest.evaluate import analyze, evaluate_thesis

    imported = time.perf_counter()
    run = backtest.run(engine="kernel")
    ran = time.perf_counter()
    analyze(run, reps=REPS)  # first call: statsmodels' OLS, the engine
    first = time.perf_counter()
    warm = []
    for _ in range(3):
        t0 = time.perf_counter()
        analyze(run, reps=REPS)
        warm.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    evaluate_thesis(run, reps=REPS)
    thesis = time.perf_counter() - t0
    tracemalloc.start()
    analyze(run, reps=REPS)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(f"in one process: imports {imported - start:.2f} s (pandas {pandas_done - start:.2f}, "
          f"numba and the kernel {vbt_done - pandas_done:.2f}, backtest+statsmodels "
          f"{imported - vbt_done:.2f}); backtest.run(engine='kernel') {ran - imported:.2f} s; "
          f"analyze first {first - ran:.2f} s, warm {median(warm):.2f} s (thesis statistics "
          f"and the alternatives {thesis:.2f} s); analysis peak memory {peak:.0f} MB "
          "(tracemalloc)")
    t0 = time.perf_counter()
    import vectorbt  # noqa: F401

    t1 = time.perf_counter()
    backtest.run()
    print(f"the engine of record instead (run, compare): import vectorbt {t1 - t0:.2f} s, "
          f"backtest.run(engine='vectorbt') {time.perf_counter() - t1:.2f} s")
    peer(run)


def peer(run: object) -> None:
    import numpy as np
    from arch.bootstrap import StationaryBootstrap

    from backtest.analysis import bootstrap_interval, expected_block_length, rng_for
    from backtest.regimes import regime_mask

    bars = run.sleeve_returns.iloc[1:]  # type: ignore[attr-defined]
    state = run.main.risk_off.shift(1).reindex(bars.index)  # type: ignore[attr-defined]
    keep = state.notna().to_numpy()
    long, short = bars["long"].to_numpy()[keep], bars["short"].to_numpy()[keep]
    spread, off = long - short, state.to_numpy()[keep].astype(bool)
    index = bars.index[keep]
    samples = [(spread, off)]  # the state difference, then every regime with >= 12 bars
    for regime in run.catalog:  # type: ignore[attr-defined]
        mask = regime_mask(index, regime)
        if mask.sum() >= 12:
            samples.append((long[mask] - short[mask], None))

    def diff(x: np.ndarray, o: np.ndarray) -> float:
        o = o.astype(bool)
        return float((x[o].mean() - x[~o].mean()) * 12)

    def mean(x: np.ndarray) -> float:
        return float(x.mean() * 12)

    start = time.perf_counter()
    for x, o in samples:
        boot = (StationaryBootstrap(expected_block_length(x), x, o.astype(float), seed=0)
                if o is not None else StationaryBootstrap(expected_block_length(x), x, seed=0))
        boot.conf_int(diff if o is not None else mean, reps=REPS, method="percentile")
    arch_time = time.perf_counter() - start
    start = time.perf_counter()
    for x, o in samples:
        if o is None:
            def stat(pos: np.ndarray, x: np.ndarray = x) -> np.ndarray:
                return x[pos].mean(axis=1) * 12
        else:
            def stat(pos: np.ndarray, x: np.ndarray = x, o: np.ndarray = o) -> np.ndarray:
                s, f = x[pos], o[pos]
                return (np.where(f, s, 0).sum(1) / f.sum(1)
                        - np.where(f, 0, s).sum(1) / (~f).sum(1)) * 12
        bootstrap_interval(stat, len(x), reps=REPS, rng=rng_for(0, "bench"), confidence=0.95,
                           block_length=expected_block_length(x))
    ours = time.perf_counter() - start
    print(f"{len(samples)} bootstrap intervals (the state difference and {len(samples) - 1} "
          f"regimes), {REPS} resamples each: arch StationaryBootstrap.conf_int "
          f"{arch_time:.2f} s, ours (arch's positions, vectorized statistics) {ours:.2f} s "
          f"-> ratio {arch_time / ours:.1f}x")


def main() -> None:
    cli()
    breakdown()


if __name__ == "__main__":
    main()
