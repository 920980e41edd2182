"""Metrics in the kernel (issue 16, item 3): what one combo of a sweep costs, and against what.

Setup: bench/sweep.toml (daily Ken French factors timed by DGS10, ~16,279 bars x 5
assets, from ../shared/data through --mirror) and the first 1,000 combos of
bench_sweep's 10,000-combo grid (a fifth of them rebalance every bar). One process,
one core; each figure is the median of 3 runs, in ms per combo, with its ratio to
the minimal loop (b). Printed:

(a)  the project's evaluate path: ``evaluate_chunk`` on every combo (decisions, the
     fused kernel ``simulate_measured``: simulation, returns and every metric), and
     its parts: decisions, kernel. Target: <= 0.4 ms per combo.
(a0) the path before the kernel metrics, for reference: ``simulate_compact``, the
     engine's accounting in numpy (``reported``), ``compute_metrics_batch``
     (empyrical on a bars x trials matrix) on the same decisions.
(b)  a minimal numba loop over the same compact decisions: drifting weights, reset at
     each executed decision, no costs, no vectorbt tolerances, no validation; values,
     Sharpe and max drawdown accumulated in the same pass.
(c)  vectorbt ``Portfolio.from_orders`` (the engine's settings, ``engine="rust"`` if
     the installed vectorbt has it), every trial of a representative sample (the
     grid is in random order: its first ``--vbt`` combos) in one call as groups of
     5 columns with cash sharing, then ``value()``; scaled per combo.

Peak RSS (of this process, sampled every 20 ms) is printed for each part. The
machine's load average is printed first: on cores shared with other work the
figures are noisy (CPU time is what is timed, not wall time).

Usage: python bench/bench_kernel.py [--mirror DIR] [--combos N] [--vbt N]
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from bench_sweep import CONFIG, ROOT, PeakRSS, grid
from numba import njit

GB = 1e9


def _median_ms(fn: Callable[[], Any], combos: int, repeat: int = 3) -> float:
    """Median CPU time of ``repeat`` calls, in ms per combo."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return 1e3 * statistics.median(times) / combos


@njit(cache=True)
def minimal_loop(close, frames, first, second, a, b, trade, cash_col, lag, out):  # type: ignore[no-untyped-def]
    """(b): values, Sharpe and max drawdown of every trial in one pass over its bars.

    Holdings (value per asset) grow by each asset's price ratio (computed once per
    call, shared by the trials); at an executed decision they are reset to the
    row's mix of the current value (negatives clipped, the rest in cash).
    """
    n, k = close.shape
    growth = np.empty((n, k))
    for t in range(1, n):
        for j in range(k):
            growth[t, j] = close[t, j] / close[t - 1, j]
    h = np.empty(k)
    for i in range(a.shape[0]):
        for j in range(k):
            h[j] = 0.0
        h[cash_col] = 1.0
        value, peak, mdd, total, sq = 1.0, 1.0, 0.0, 0.0, 0.0
        for t in range(1, n):
            new = 0.0
            for j in range(k):
                h[j] *= growth[t, j]
                new += h[j]
            r = new / value - 1.0
            value = new
            d = t - lag[i]
            if d >= 0 and trade[i, d]:  # rebalance to row d's mix, the rest in cash
                held = 0.0
                for j in range(k):
                    x = a[i, d] * frames[first[i], d, j] + b[i, d] * frames[second[i], d, j]
                    x = x if x > 0.0 else 0.0
                    h[j] = x * value
                    held += x
                h[cash_col] += max(1.0 - held, 0.0) * value
            total += r
            sq += r * r
            if value > peak:
                peak = value
            elif value / peak - 1.0 < mdd:
                mdd = value / peak - 1.0
        m = n - 1
        mean = total / m
        std = np.sqrt((sq - m * mean * mean) / (m - 1))
        out[i, 0] = value
        out[i, 1] = mean / std * np.sqrt(252.0)
        out[i, 2] = mdd


def _prepare(mirror: Path, combos: int) -> Any:
    from backtest.data import make_loader
    from backtest.sweep import prepare_sweep

    raw = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    return prepare_sweep(raw, grid(combos), source=str(CONFIG), base_dir=CONFIG.parent,
                         load=make_loader(mirror=mirror))


def _batches(prepared: Any) -> list[tuple[list[Any], Any, Any]]:
    from backtest.sweep._evaluate import decide_trials

    groups: dict[tuple[int, type], list[Any]] = {}
    for trial in prepared.trials:
        groups.setdefault((trial.market, type(trial.strategy)), []).append(trial)
    out = []
    for (market, _), trials in groups.items():
        slot = prepared.markets[market]
        for members, batch in decide_trials(trials, slot)[0]:
            out.append((members, batch, slot))
    return out


def bench_evaluate(prepared: Any, batches: list[tuple[list[Any], Any, Any]]) -> dict[str, float]:
    """(a) and its parts, and (a0): the path before."""
    from backtest.metrics._batch import compute_metrics_batch
    from backtest.sweep._evaluate import (
        _batch_metrics,
        evaluate_chunk,
        measure_trials,
        reported,
        simulate_trials,
    )

    m = len(prepared.trials)
    positions = list(range(m))
    bench = prepared.benchmark_returns

    def decide() -> None:
        _batches(prepared)

    def kernel() -> None:
        for members, batch, slot in batches:
            measure_trials(members, batch, slot, bench)

    def before() -> None:  # simulate, account in numpy, empyrical on the matrix
        for members, batch, slot in batches:
            sim = simulate_trials(members, batch, slot)
            returns, turnover = reported(members, sim)
            groups: dict[tuple[int, int | None], list[int]] = {}
            for i, t in enumerate(members):
                groups.setdefault((t.periods_per_year, t.benchmark), []).append(i)
            for (ppy, which), rows in groups.items():
                _batch_metrics(rows, ppy, None if which is None else bench[which], returns,
                               turnover, batch, members, sim, slot)

    assert compute_metrics_batch is not None  # (what _batch_metrics calls)
    out = _split(batches, bench, m)
    with PeakRSS() as rss:
        out["a"] = _median_ms(lambda: evaluate_chunk(prepared, positions), m)
    out["a_rss"] = rss.peak
    out["decide"] = _median_ms(decide, m)
    out["kernel"] = _median_ms(kernel, m)
    with PeakRSS() as rss:
        out["a0"] = _median_ms(before, m)
    out["a0_rss"] = rss.peak
    return out


def _split(batches: list[tuple[list[Any], Any, Any]], bench: Any, m: int) -> dict[str, float]:
    """The fused kernel against the simulation alone, into outputs allocated once.

    Without the page faults of new output arrays: the difference is what measuring
    costs inside the kernel.
    """
    from backtest.engine._kernel import N_METRICS, simulate_compact, simulate_measured
    from backtest.sweep._evaluate import _kernel_benchmarks

    calls = []
    for members, batch, slot in batches:
        t, n = len(members), slot.close.shape[0]
        matrix, which, _ = _kernel_benchmarks(members, slot, bench)
        common = (slot.close, np.ascontiguousarray(batch.frames), batch.first, batch.second,
                  np.ascontiguousarray(batch.a), np.ascontiguousarray(batch.b),
                  np.ascontiguousarray(batch.trade), slot.cash_col,
                  np.array([x.execution_lag for x in members], dtype=np.int64),
                  np.array([x.costs.fees_bps / 1e4 for x in members]),
                  np.array([x.costs.slippage_bps / 1e4 for x in members]),
                  np.array([x.initial_capital for x in members]))
        sim = (*common, np.empty((t, n)), np.empty((t, n)), np.empty((t, n)),
               np.empty((t, 2), dtype=np.int64), np.empty((t, 2)))
        fused = (*common, np.array([x.periods_per_year for x in members], dtype=np.int64),
                 np.ascontiguousarray(slot.cash_returns.to_numpy()), matrix, which,
                 np.empty((t, n - 1)), np.arange(t, dtype=np.int64), np.empty((t, N_METRICS)),
                 np.empty((t, 2), dtype=np.int64), np.empty(t, dtype=bool))
        calls.append((sim, fused))
    for sim, fused in calls:  # outputs touched once before timing
        simulate_compact(*sim)
        simulate_measured(*fused)
    return {
        "sim_only": _median_ms(lambda: [simulate_compact(*c[0]) for c in calls], m),
        "fused": _median_ms(lambda: [simulate_measured(*c[1]) for c in calls], m),
    }


def bench_minimal(batches: list[tuple[list[Any], Any, Any]], m: int) -> tuple[float, int]:
    """(b) on the same decisions."""
    args = []
    for members, batch, slot in batches:
        lag = np.array([t.execution_lag for t in members], dtype=np.int64)
        args.append((slot.close, np.ascontiguousarray(batch.frames), batch.first,
                     batch.second, np.ascontiguousarray(batch.a),
                     np.ascontiguousarray(batch.b), np.ascontiguousarray(batch.trade),
                     slot.cash_col, lag, np.empty((len(members), 3))))
    minimal_loop(*args[0])  # compiled (or loaded from the cache) before timing

    def run() -> None:
        for one in args:
            minimal_loop(*one)

    with PeakRSS() as rss:
        ms = _median_ms(run, m)
    return ms, rss.peak


def bench_vectorbt(prepared: Any, sample: int) -> tuple[float, int, int]:
    """(c): ``sample`` trials in one ``Portfolio.from_orders`` call, per combo."""
    import inspect

    import pandas as pd
    import vectorbt as vbt

    from backtest.engine import execute_targets
    from backtest.sweep._evaluate import decide_trials

    trials = list(prepared.trials[:sample])
    columns, fees, slips, groups = [], [], [], []
    for g, trial in enumerate(trials):
        slot = prepared.markets[trial.market]
        batch = decide_trials([trial], slot)[0][0][1]
        weights = batch.decision(0, slot.market).weights
        executed = execute_targets(weights, prepared.config.data.cash, trial.execution_lag)
        columns.append(executed.to_numpy())
        k = executed.shape[1]
        cash = np.array([c == prepared.config.data.cash for c in executed.columns])
        fees.append(np.where(cash, 0.0, trial.costs.fees_bps / 1e4))
        slips.append(np.where(cash, 0.0, trial.costs.slippage_bps / 1e4))
        groups += [g] * k
    close = np.hstack([prepared.markets[t.market].close for t in trials])
    index = prepared.index
    targets = pd.DataFrame(np.hstack(columns), index=index)
    prices = pd.DataFrame(close, index=index)
    extra = ({"engine": "rust"} if "engine" in inspect.signature(vbt.Portfolio.from_orders)
             .parameters else {})

    def run() -> None:
        portfolio = vbt.Portfolio.from_orders(
            close=prices, size=targets, size_type="targetpercent", direction="longonly",
            price=np.inf, val_price=np.inf, fees=np.hstack(fees)[None, :], fixed_fees=0.0,
            slippage=np.hstack(slips)[None, :], min_size=0.0, max_size=np.inf,
            allow_partial=True, raise_reject=False, lock_cash=False, init_cash=1.0,
            cash_sharing=True, group_by=np.array(groups), call_seq="auto",
            update_value=False, ffill_val_price=True, freq=pd.Timedelta(days=1), **extra)
        portfolio.value()

    run()  # compiled before timing
    with PeakRSS() as rss:
        ms = _median_ms(run, len(trials))
    return ms, rss.peak, len(trials)


def main() -> None:
    args = sys.argv[1:]
    mirror = Path(args[args.index("--mirror") + 1] if "--mirror" in args else
                  os.environ.get("BACKTEST_SHARED_DATA") or ROOT.parent / "shared" / "data")
    combos = int(args[args.index("--combos") + 1]) if "--combos" in args else 1_000
    sample = int(args[args.index("--vbt") + 1]) if "--vbt" in args else 50
    from backtest.sweep._run import _warm_up

    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f} "
          "(other processes share these cores: CPU time is timed, medians of 3)")
    prepared = _prepare(mirror, combos)
    _warm_up()
    m = len(prepared.trials)
    n, k = prepared.markets[0].close.shape
    print(f"{m:,} combos x {n:,} bars x {k} assets (bench/sweep.toml, bench_sweep's grid)")
    batches = _batches(prepared)
    minimal, minimal_rss = bench_minimal(batches, m)
    ev = bench_evaluate(prepared, batches)
    vbt_ms, vbt_rss, vbt_n = bench_vectorbt(prepared, sample)

    def row(label: str, ms: float, rss: int | None = None) -> str:
        peak = f"; peak RSS {rss / GB:.2f} GB" if rss is not None else ""
        return f"  {label:<58} {ms:7.3f} ms/combo  {ms / minimal:6.1f}x minimal{peak}"

    print(row("(a) evaluate_chunk (decisions + kernel sim. + metrics)", ev["a"], ev["a_rss"]))
    print(row("    of which decisions (decide_batch)", ev["decide"]))
    print(row("    of which the kernel (simulate_measured)", ev["kernel"]))
    print(row("    kernel, outputs preallocated: simulation + metrics", ev["fused"]))
    print(row("    kernel, outputs preallocated: simulation alone", ev["sim_only"]))
    print(f"    -> measuring inside the kernel costs {ev['fused'] - ev['sim_only']:.3f} ms/combo")
    print(row("(a0) before: simulate_compact + reported + empyrical", ev["a0"], ev["a0_rss"]))
    print(row("(b) minimal numba loop (values, Sharpe, max DD)", minimal, minimal_rss))
    print(row(f"(c) vectorbt from_orders, {vbt_n} trials in one call", vbt_ms, vbt_rss))
    sim_metrics = ev["kernel"]
    verdict = "met" if sim_metrics <= 0.4 else "MISSED"
    print(f"  target <= 0.4 ms/combo for simulation + metrics: {sim_metrics:.3f} ms ({verdict}); "
          f"with decisions {ev['a']:.3f} ms")


if __name__ == "__main__":
    main()
