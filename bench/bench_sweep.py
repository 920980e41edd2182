"""The sweep engine (issue 8): 10,000 combos x ~16,000 daily bars x 5 assets, and more.

Config: bench/sweep.toml — daily Ken French factors (market, growth, small, value
portfolios + the T-bill) timed by DGS10, 1963-2026, read from ../shared/data
through --mirror. The combos are a binary-rotation grid: enter (20 levels) x exit
(5 offsets below enter) x min_hold_periods (5) x rebalance (every_bar, weekly,
monthly, never, on_change) x the 3-month change's look-back (21, 63, 126, 252
bars) = 10,000, four distinct signals.

The machine's parallel capacity is printed first: two processes evaluating the same
chunks at once, against one (on two vCPUs that share a physical core, or under other
load, it is below 2 — the ceiling of every executor's speed-up).

Every job runs in a fresh subprocess that samples the resident memory of its whole
process tree (itself, pool or Dask workers) every 20 ms: "peak RSS" is the largest
sum seen (shared libraries count once per process, so it overstates). Printed:

1. the 10k sweep, local, on a 2-worker Dask LocalCluster, on a 2-process pool and on a
   command-line cluster (`dask scheduler` + two `dask worker`, docs/clusters.md's
   config; run twice: fresh workers, then the same workers again — a team's standing
   cluster):
   prepare and run seconds, combos/s, CPU seconds of all processes, peak RSS,
   identical results (sha256 of numbers, returns and metrics), and local with
   metrics=False (returns only). Targets: <= 60 s wall, <= 4 GB peak RSS, dask >= 1.7x
   local. The machine's load average is
   printed first: on cores shared with other work, wall times are not CPU times.
2. growth in combos (2,500 / 5,000 / 10,000) and in bars (4,000 / 8,000 / ~16,000):
   run seconds and ms per combo should stay flat (linear growth).
3. per-combo cost against bt (pmorissette/bt, the same executed weights, a random
   sample of the same combos stratified by rebalance schedule, in a subprocess of the
   same script): target >= 250x faster.
4. a cold start: the default config (embedded data), 100 combos, in a fresh
   interpreter with an empty numba cache (every kernel compiled): prepare + run.

Usage: python bench/bench_sweep.py [--mirror DIR] [--skip-bt] [--quick] [--executors-only]
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "bench" / "sweep.toml"
DEFAULT = ROOT / "strategies" / "duration_rotation.toml"
GB = 1e9


def grid(n: int) -> list[dict[str, Any]]:
    """The first ``n`` combos of the 10,000-combo grid, in a seeded random order."""
    enters = np.round(np.linspace(-1.0, 1.5, 20), 4)
    combos = [
        {"strategy.enter": float(e), "strategy.exit": float(round(e - off, 4)),
         "strategy.min_hold_periods": hold, "strategy.rebalance": rebalance,
         "signal.components.0.periods": periods}
        for e, off, hold, rebalance, periods in itertools.product(
            enters, [0.0, 0.25, 0.5, 0.75, 1.0], [1, 3, 5, 10, 21],
            ["every_bar", "weekly", "monthly", "never", "on_change"], [21, 63, 126, 252])
    ]
    order = np.random.default_rng(0).permutation(len(combos))
    return [combos[i] for i in order[:n]]


# -- child side ---------------------------------------------------------------------


class PeakRSS:
    """Largest total RSS of this process and its descendants, sampled every 20 ms.

    Also the CPU seconds of every descendant, last seen (``cpu``): a process pool's
    workers are forked by its fork server, not by this process, so their CPU never
    reaches this process's ``RUSAGE_CHILDREN``.
    """

    def __init__(self, extra: list[int] | None = None) -> None:
        import psutil

        self.me = psutil.Process()
        self.extra = [psutil.Process(pid) for pid in extra or []]  # a cluster's processes
        self.peak = 0
        self._cpu: dict[tuple[int, float], float] = {}  # (pid, start time): CPU s
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _total(self) -> int:
        import psutil

        total = 0
        for p in self.me.children(recursive=True):
            try:
                times = p.cpu_times()
                with self._lock:
                    self._cpu[(p.pid, p.create_time())] = times.user + times.system
                total += p.memory_info().rss
            except psutil.Error:
                continue
        for p in [self.me, *self.extra]:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                continue
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._total())
            time.sleep(0.02)

    def cpu(self) -> float:
        """CPU seconds of this process and of every descendant seen so far."""
        self._total()
        own = self.me.cpu_times()
        with self._lock:
            return own.user + own.system + sum(self._cpu.values())

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _digest(result: Any) -> str:
    h = hashlib.sha256()
    for part in (result.numbers, result.returns, result.metrics.to_numpy()):
        h.update(np.ascontiguousarray(part).tobytes())
    h.update(json.dumps(result.failed, sort_keys=True).encode())
    return h.hexdigest()[:16]


def job_sweep(spec: dict[str, Any]) -> dict[str, Any]:
    from backtest.data import make_loader
    from backtest.sweep import SweepOptions, prepare_sweep, prestart_workers, run_sweep
    from backtest.sweep._run import chunk_sizes

    path = Path(spec["config"])
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    if spec.get("start"):
        raw["run"]["start"] = spec["start"]
    mirror = Path(spec["mirror"]) if spec.get("mirror") else None
    trials = grid(spec["combos"]) if spec.get("grid", True) else spec["trials"]
    options = SweepOptions(executor=spec["executor"], workers=spec.get("workers"),
                           scheduler=spec.get("scheduler"), metrics=spec.get("metrics", True))
    with PeakRSS(spec.get("cluster_pids")) as rss:
        t0 = time.perf_counter()
        prestart_workers(options)  # as tune does
        prepared = prepare_sweep(raw, trials, source=str(path), base_dir=path.parent,
                                 load=make_loader(mirror=mirror))
        t1 = time.perf_counter()
        chunks = chunk_sizes(prepared, options)  # what run_sweep will use
        cpu1 = rss.cpu()
        result = run_sweep(prepared, options)
        t2 = time.perf_counter()
        cpu2 = rss.cpu()
    return {"prepare_s": t1 - t0, "run_s": t2 - t1, "run_cpu_s": cpu2 - cpu1,
            "combos": len(result.numbers),
            "invalid": len(result.invalid), "failed": len(result.failed),
            "bars": len(prepared.index), "assets": prepared.markets[0].close.shape[1],
            "peak_rss": rss.peak, "digest": _digest(result), "tasks": len(chunks),
            "chunk": max(chunks) if chunks else 0}


def job_capacity(spec: dict[str, Any]) -> dict[str, Any]:
    """Seconds of one process evaluating the same chunk of trials (after a warm-up chunk)."""
    from backtest.data import make_loader
    from backtest.sweep import prepare_sweep
    from backtest.sweep._evaluate import evaluate_chunk

    path = Path(spec["config"])
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    prepared = prepare_sweep(raw, grid(spec["combos"]), source=str(path), base_dir=path.parent,
                             load=make_loader(mirror=Path(spec["mirror"])))
    evaluate_chunk(prepared, range(10))
    start = time.perf_counter()
    for first in range(0, len(prepared.trials), 250):
        evaluate_chunk(prepared, range(first, min(first + 250, len(prepared.trials))))
    return {"seconds": time.perf_counter() - start}


def capacity(base: dict[str, Any]) -> float:
    """How much faster two processes do twice the work than one does it once (ideal: 2)."""
    spec = {**base, "combos": 1_000}
    one = child("capacity", spec)["seconds"]
    code = ("import sys, json; sys.path.insert(0, {!r}); import bench_sweep as b; "
            "print('RESULT ' + json.dumps(b.job_capacity(json.loads(sys.argv[1]))))").format(
                str(ROOT / "bench"))
    procs = [subprocess.Popen([sys.executable, "-c", code, json.dumps(spec)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True) for _ in range(2)]
    both = [json.loads(next(x for x in p.communicate()[0].splitlines()
                            if x.startswith("RESULT "))[7:])["seconds"] for p in procs]
    return 2 * one / max(both)


def job_bt(spec: dict[str, Any]) -> dict[str, Any]:
    """bt on the executed weights of a sample of the grid's combos (same window)."""
    import bt

    from backtest.data import make_loader
    from backtest.engine import execute_targets
    from backtest.sweep import prepare_sweep
    from backtest.sweep._evaluate import decide_trials

    path = CONFIG
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    combos = grid(10_000)
    rng = np.random.default_rng(1)
    # stratified: the same number of combos of each rebalance schedule (each is a fifth
    # of the grid, and bt's cost depends mostly on how many bars trade)
    pick = [int(i) for schedule in ("every_bar", "weekly", "monthly", "never", "on_change")
            for i in rng.choice([j for j, c in enumerate(combos)
                                 if c["strategy.rebalance"] == schedule],
                                spec["sample"] // 5, replace=False)]
    prepared = prepare_sweep(raw, [combos[i] for i in pick], source=str(path),
                             base_dir=path.parent, load=make_loader(mirror=Path(spec["mirror"])))
    seconds = []
    for trial in prepared.trials:
        slot = prepared.markets[trial.market]
        batch = decide_trials([trial], slot)[0][0][1]
        weights = batch.decision(0, slot.market).weights
        executed = execute_targets(weights, prepared.config.data.cash, trial.execution_lag)
        prices = slot.market.prices.loc[prepared.index]
        algo = bt.Strategy("s", [bt.algos.WeighTarget(executed.dropna(how="all")),
                                 bt.algos.Rebalance()])
        t = time.perf_counter()
        bt.run(bt.Backtest(algo, prices, initial_capital=1e4, integer_positions=False,
                           progress_bar=False))
        seconds.append(time.perf_counter() - t)
    return {"seconds": seconds, "rebalance": [t.strategy.rebalance for t in prepared.trials]}


# -- parent side --------------------------------------------------------------------


class CommandLineCluster:
    """`dask scheduler` and two `dask worker` processes on loopback (docs/clusters.md).

    The workers get the docs' Dask config file (the allocator settings); their CPU
    seconds are read from /proc before and after a job (they are not our children).
    """

    def __init__(self, tmp: Path) -> None:
        import re
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.address = f"tcp://127.0.0.1:{port}"
        page = (ROOT / "docs" / "clusters.md").read_text(encoding="utf-8")
        block = re.search(r'```yaml title="dask-config/dcf-regime.yaml"\n(.*?)```', page, re.S)
        assert block is not None, "docs/clusters.md lost its Dask config file"
        (tmp / "dcf-regime.yaml").write_text(block.group(1), encoding="utf-8")
        env = {**os.environ, "DASK_CONFIG": str(tmp)}
        dask = str(Path(sys.executable).with_name("dask"))
        log = (tmp / "cluster.log").open("wb")
        self.processes = [subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            env=env, stdout=log, stderr=log, start_new_session=True)]
        self.processes += [subprocess.Popen(
            [dask, "worker", self.address, "--nworkers", "1", "--nthreads", "1",
             "--no-dashboard"], env=env, stdout=log, stderr=log, start_new_session=True)
            for _ in range(2)]
        from dask.distributed import Client

        with Client(self.address, timeout=60) as client:  # both workers up before timing
            client.wait_for_workers(2, timeout=60)

    def family(self) -> list[Any]:
        import psutil

        out = []
        for p in self.processes:
            try:
                out += [psutil.Process(p.pid), *psutil.Process(p.pid).children(recursive=True)]
            except psutil.Error:
                continue
        return out

    def cpu(self) -> float:
        import psutil

        total = 0.0
        for p in self.family():
            try:
                times = p.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                continue
        return total

    def stop(self) -> None:
        import signal

        for p in self.processes:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.processes:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


def on_cluster(spec: dict[str, Any], cluster: CommandLineCluster) -> dict[str, Any]:
    """``job_sweep`` against a running cluster: its CPU and memory counted in."""
    before = cluster.cpu()
    result = child("sweep", {**spec, "executor": "dask", "scheduler": cluster.address,
                             "cluster_pids": [p.pid for p in cluster.family()]})
    result["run_cpu_s"] += cluster.cpu() - before
    return result



def child(job: str, spec: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, Any]:
    code = (f"import sys, json; sys.path.insert(0, {str(ROOT / 'bench')!r}); "
            f"import bench_sweep as b; print('RESULT ' + json.dumps(b.job_{job}("
            f"json.loads(sys.argv[1]))))")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, json.dumps(spec)], capture_output=True,
                         text=True, cwd=ROOT, env={**os.environ, **(env or {})}, check=False)
    if out.returncode != 0:
        sys.exit(f"job {job} failed:\n{out.stderr[-3000:]}")
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line[len("RESULT "):])
    result["wall_s"] = time.perf_counter() - start
    return result


def _row(label: str, r: dict[str, Any]) -> str:
    total = r["prepare_s"] + r["run_s"]
    return (f"  {label:<26} {r['combos']:>6} combos x {r['bars']:>6} bars x {r['assets']} assets: "
            f"prepare {r['prepare_s']:5.1f} s + run {r['run_s']:5.1f} s = {total:5.1f} s, "
            f"{r['combos'] / r['run_s']:5.0f} combos/s (run), {r['combos'] / total:5.0f} combos/s "
            f"(total), {1e3 * r['run_s'] / r['combos']:.2f} ms/combo; run CPU "
            f"{r['run_cpu_s']:5.1f} s ({r['run_cpu_s'] / r['run_s']:.2f} cores busy); peak RSS "
            f"{r['peak_rss'] / GB:.2f} GB; {r['tasks']} tasks of <= {r['chunk']}")


def main() -> None:
    args = sys.argv[1:]
    mirror = args[args.index("--mirror") + 1] if "--mirror" in args else str(
        Path(os.environ.get("BACKTEST_SHARED_DATA") or ROOT.parent / "shared" / "data"))
    quick = "--quick" in args
    base = {"config": str(CONFIG), "mirror": mirror}
    full = 2_000 if quick else 10_000
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f} "
          "(other processes share these cores)")
    print(f"   its parallel capacity: two processes each evaluating 1,000 combos finish "
          f"{capacity(base):.2f}x the work per second of one (the ceiling of any executor "
          "here; 2.00 on two independent cores)")
    print(f"1. {full:,} combos, local vs Dask LocalCluster(2 workers):")
    local = child("sweep", {**base, "combos": full, "executor": "local"})
    print(_row("local", local))
    dask = child("sweep", {**base, "combos": full, "executor": "dask", "workers": 2})
    print(_row("dask, 2 workers", dask))
    pool = child("sweep", {**base, "combos": full, "executor": "processes", "workers": 2})
    print(_row("process pool, 2 workers", pool))
    with tempfile.TemporaryDirectory() as tmp:
        cluster = CommandLineCluster(Path(tmp))
        try:
            cold = on_cluster({**base, "combos": full}, cluster)
            print(_row("dask CLI cluster, 2 workers", cold))
            warm = on_cluster({**base, "combos": full}, cluster)
            print(_row("  same workers, again", warm))
        finally:
            cluster.stop()
    bare = child("sweep", {**base, "combos": full, "executor": "local", "metrics": False})
    print(_row("local, returns only", bare))
    same = ("identical" if dask["digest"] == local["digest"] == pool["digest"] == cold["digest"]
            == warm["digest"] else "DIFFERENT")  # (returns only has no metrics: another digest)
    total = local["prepare_s"] + local["run_s"]
    print("  total (prepare + run) vs local: " + ", ".join(
        f"{name} {total / (r['prepare_s'] + r['run_s']):.2f}x" for name, r in (
            ("dask LocalCluster", dask), ("processes", pool), ("dask CLI cluster", cold),
            ("CLI cluster again", warm))) + " (targets >= 1.7x)")
    best = min(local["prepare_s"] + local["run_s"], dask["prepare_s"] + dask["run_s"])
    print(f"  results {same} (sha256 {local['digest']}); dask vs local: run "
          f"{local['run_s'] / dask['run_s']:.2f}x, total "
          f"{(local['prepare_s'] + local['run_s']) / (dask['prepare_s'] + dask['run_s']):.2f}x "
          f"(target >= 1.7x); best total {best:.1f} s (target <= 60 s); peak RSS "
          f"{max(local['peak_rss'], dask['peak_rss'], pool['peak_rss']) / GB:.2f} GB "
          f"(target <= 4 GB)")
    extra = dask["run_cpu_s"] - local["run_cpu_s"]
    print(f"  Dask spent {extra:.1f} CPU s more than local (worker start-up and imports, the "
          f"scheduler, shipping {local['combos'] * local['bars'] * 8 / GB:.2f} GB of returns "
          f"back); on 2 idle cores its run would take >= (local CPU + that) / 2 = "
          f"{(local['run_cpu_s'] + extra) / 2:.1f} s -> at best "
          f"{local['run_cpu_s'] / ((local['run_cpu_s'] + extra) / 2):.2f}x local")
    if "--executors-only" in args:
        return
    print("2. growth in combos (local):")
    for n in ([500, 1000] if quick else [2_500, 5_000]):
        print(_row(f"{n:,} combos", child("sweep", {**base, "combos": n, "executor": "local"})))
    print(_row(f"{full:,} combos", local))
    print("   growth in bars (local, run.start moved later):")
    for start in ("2010-01-04", "1994-06-01"):
        print(_row(f"from {start}", child("sweep", {**base, "combos": full,
                                                     "executor": "local", "start": start})))
    print(_row("from the first bar", local))
    if "--skip-bt" not in args:
        sample = 5 if quick else 10
        peer = child("bt", {**base, "sample": sample})
        bt_mean = float(np.mean(peer["seconds"]))
        ours = local["run_s"] / local["combos"]
        ours_total = (local["prepare_s"] + local["run_s"]) / local["combos"]
        bare_each = bare["run_s"] / bare["combos"]
        per = {r: float(np.mean([t for t, q in zip(peer["seconds"], peer["rebalance"],
                                                    strict=True) if q == r]))
               for r in dict.fromkeys(peer["rebalance"])}
        print(f"3. bt on {sample} random combos of the grid, {sample // 5} per rebalance "
              f"schedule (s per combo: {', '.join(f'{k} {v:.2f}' for k, v in per.items())}): "
              f"{bt_mean:.2f} s per combo; ours "
              f"{1e3 * ours:.2f} ms (run) / {1e3 * ours_total:.2f} ms (prepare + run) per combo "
              f"-> {bt_mean / ours:.0f}x / {bt_mean / ours_total:.0f}x faster (target >= 250x); "
              f"returns only (metrics=False) {1e3 * bare_each:.2f} ms -> "
              f"{bt_mean / bare_each:.0f}x")
    with tempfile.TemporaryDirectory() as cache:
        trials = [{"strategy.enter": float(e), "strategy.exit": float(e - x),
                   "strategy.min_hold_periods": h}
                  for e in (0.0, 0.25, 0.5, 0.75, 1.0) for x in (0.0, 0.25, 0.5, 1.0)
                  for h in (1, 2, 3, 6, 12)]
        cold = child("sweep", {"config": str(DEFAULT), "grid": False, "trials": trials,
                               "executor": "local"}, env={"NUMBA_CACHE_DIR": cache})
    print(f"4. cold start (fresh interpreter, empty numba cache), default config, "
          f"{cold['combos']} combos: {cold['wall_s']:.1f} s wall including imports and "
          f"compilation (prepare {cold['prepare_s']:.1f} s + run {cold['run_s']:.1f} s); "
          f"target <= 10 s for the first `tune` after install")


if __name__ == "__main__":
    main()
