"""Time the statistics of a search: PBO (CSCV, S = 16), SPA (1,000 bootstrap reps), N_eff.

Sizes (issue 7 / stats brief): 1,000 and 10,000 trials x 16,000 bars. Peers, measured
here on the same inputs: ffn's ``calc_prob_backtest_overfitting`` for PBO and
``arch.bootstrap.SPA`` for SPA, on moderate sizes they can finish (both recompute
per split / per replication). Each job runs in a fresh process so that its peak
RSS (printed beside it) is its own; the input matrix alone is n_trials x n_bars x 8
bytes (1.28 GB at 10,000 x 16,000) and is generated before the clock starts.

Usage: python bench/bench_stats.py [--repeat N] [--skip-large]
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd

JOBS = {
    # name: (kind, n_trials, n_bars)
    "pbo_1k": ("pbo", 1_000, 16_000),
    "pbo_10k": ("pbo", 10_000, 16_000),
    "spa_1k": ("spa", 1_000, 16_000),
    "spa_10k": ("spa", 10_000, 16_000),
    "neff_1k": ("neff", 1_000, 16_000),
    "neff_10k": ("neff", 10_000, 16_000),
    "pbo_peer_ours": ("pbo", 100, 1_600),
    "pbo_peer_ffn": ("pbo_ffn", 100, 1_600),
    "spa_peer_ours": ("spa_fast", 500, 4_000),
    "spa_peer_arch": ("spa_arch", 500, 4_000),
}
LARGE = {"pbo_10k", "spa_10k", "neff_10k"}


def make_returns(n_trials: int, n_bars: int) -> tuple[np.ndarray, np.ndarray]:
    """Trials that share a market factor (as a parameter grid's trials do) + own noise."""
    rng = np.random.default_rng(0)
    market = rng.normal(0.0003, 0.01, n_bars)
    returns = np.empty((n_trials, n_bars))
    for start in range(0, n_trials, 500):  # in slices: no second full-size temporary
        rows = slice(start, min(start + 500, n_trials))
        size = rows.stop - rows.start
        beta = rng.uniform(0.2, 1.2, (size, 1))
        returns[rows] = beta * market + rng.normal(0.0, 0.004, (size, n_bars))
    return returns, market


def run_job(name: str) -> dict[str, float]:
    from backtest.stats import effective_trials, pbo_cscv, spa_test

    kind, n_trials, n_bars = JOBS[name]
    returns, market = make_returns(n_trials, n_bars)
    cash = np.full(n_bars, 0.0001)
    if kind == "neff":  # its input is excess returns; made in place, before the clock
        returns -= cash
    start = time.perf_counter()
    if kind == "pbo":
        pbo_cscv(returns, cash, periods_per_year=252, n_blocks=16)
    elif kind == "pbo_ffn":
        import ffn

        ffn.core.calc_prob_backtest_overfitting(pd.DataFrame((returns - cash).T), n_blocks=16)
    elif kind == "spa":  # block size estimated (part of the call); SPA and RC together
        spa_test(market, returns.T, seed=0, reps=1000)  # a view: no copy of the input
    elif kind == "neff":  # a sample of 2,000 trials above 2,000
        effective_trials(returns)
    elif kind == "spa_fast":  # Hansen's SPA and the Reality Check
        spa_test(market, returns.T, seed=0, reps=1000, block_size=10, method="fast")
    else:  # arch's SPA alone: the Reality Check numbers only
        from arch.bootstrap import SPA

        spa = SPA(-market, -returns.T, block_size=10, reps=1000, bootstrap="stationary", seed=0)
        spa.compute()
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak_mb, "input_mb": returns.nbytes / 2**20}


def measure(name: str, repeat: int) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, __file__, "--job", name], check=True,
                             capture_output=True, text=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    best = min(runs, key=lambda r: r["seconds"])
    return {**best, "peak_mb": max(r["peak_mb"] for r in runs)}


def main() -> None:
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 1
    names = [n for n in JOBS if not ("--skip-large" in sys.argv and n in LARGE)]
    results = {name: measure(name, repeat) for name in names}
    print(f"backtest.stats, best of {repeat}; peak RSS of the job's process (input included)")
    print(f"{'job':<16} {'trials':>7} {'bars':>7} {'seconds':>9} {'peak MB':>9} {'input MB':>9}")
    for name, r in results.items():
        _, n_trials, n_bars = JOBS[name]
        print(f"{name:<16} {n_trials:>7,} {n_bars:>7,} {r['seconds']:>9.2f} "
              f"{r['peak_mb']:>9.0f} {r['input_mb']:>9.0f}")
    for ours, peer, label in (("pbo_peer_ours", "pbo_peer_ffn", "PBO vs ffn (S=16)"),
                              ("spa_peer_ours", "spa_peer_arch",
                               "SPA + RC vs arch's RC (1,000 reps)")):
        if ours in results and peer in results:
            ratio = results[peer]["seconds"] / results[ours]["seconds"]
            print(f"{label}: ours {results[ours]['seconds']:.2f} s, peer "
                  f"{results[peer]['seconds']:.2f} s -> {ratio:.0f}x faster")


if __name__ == "__main__":
    if "--job" in sys.argv:
        print(json.dumps(run_job(sys.argv[sys.argv.index("--job") + 1])))
    else:
        main()
