"""Cold load of the etf_rotation panel from the parquet cache, and the cache's size on disk.

Target (issue 3): <= 0.5 s to build the Dataset of ~20 daily series since 1993 from the
cache. The cache is first filled from the shared files (``$BACKTEST_SHARED_DATA``, else
``../shared/data`` beside the checkout) through mirror mode — not timed. Then each
measurement runs in a fresh Python process, offline against that cache: imports are
timed separately, and the figure is the wall time of ``build_dataset`` alone (read every
parquet file, verify its digest, align, apply publication lags). Printed, never asserted.

Usage: python bench/bench_cache.py [--runs N]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "strategies" / "etf_rotation.toml"

_CHILD = """
import json, sys, time
t0 = time.perf_counter()
from backtest.config import load_config
from backtest.data import build_dataset, make_loader
t1 = time.perf_counter()
cfg = load_config(sys.argv[1])
load = make_loader(offline=True, data_dir=sys.argv[2])
t2 = time.perf_counter()
ds = build_dataset(cfg.data.assets, cfg.data.macro, cash=cfg.data.cash,
                   frequency=cfg.run.frequency, periods_per_year=cfg.run.ppy, load=load)
t3 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "build": t3 - t2, "bars": len(ds.prices),
                  "first": str(ds.prices.index[0].date()), "series": len(ds.sources)}))
"""


def shared_data() -> Path:
    root = Path(os.environ.get("BACKTEST_SHARED_DATA") or ROOT / ".." / "shared" / "data")
    if not root.is_dir():
        sys.exit(f"shared data not found at {root}; set BACKTEST_SHARED_DATA")
    return root.resolve()


def fill_cache(cache_dir: Path, mirror: Path) -> list[str]:
    """Copy every series of the config from the mirror into the cache (not timed)."""
    from backtest.config import load_config
    from backtest.data import SeriesRequest, default_providers
    from backtest.data.cache import Cache, load_series

    cfg = load_config(CONFIG)
    ids = [i for spec in cfg.data.assets.values() for i in spec.series_ids]
    ids += [i for spec in cfg.data.macro.values() for i in spec.expr.names]
    ids = list(dict.fromkeys(ids))
    providers = default_providers(mirror=mirror)
    cache = Cache(cache_dir)
    for sid in ids:
        load_series(SeriesRequest.parse(sid), providers=providers, cache=cache, offline=False,
                    max_age=timedelta(0), now=datetime.now(UTC))
    return ids


def main() -> None:
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 5
    with tempfile.TemporaryDirectory() as tmp:
        cache_dir = Path(tmp) / "cache"
        ids = fill_cache(cache_dir, shared_data())
        files = [p for p in cache_dir.rglob("*") if p.is_file()]
        parquet = sum(p.stat().st_size for p in files if p.suffix == ".parquet")
        total = sum(p.stat().st_size for p in files)
        samples = []
        for _ in range(runs):
            out = subprocess.run([sys.executable, "-c", _CHILD, str(CONFIG), str(cache_dir)],
                                 check=True, capture_output=True, text=True, cwd=ROOT)
            samples.append(json.loads(out.stdout))
    build = statistics.median(s["build"] for s in samples)
    imports = statistics.median(s["imports"] for s in samples)
    first = samples[0]
    print(f"etf_rotation panel: {len(ids)} series ({', '.join(ids)})")
    print(f"  calendar from {first['first']} (DGS10's start): {first['bars']} business days")
    print(f"cold load from the cache (build_dataset, fresh process, median of {runs}): "
          f"{build:.3f} s   target <= 0.5 s")
    print(f"  imports in that process (not counted): {imports:.2f} s")
    print(f"cache size on disk: {total / 1e6:.2f} MB in {len(files)} files "
          f"({parquet / 1e6:.2f} MB parquet, zstd; {(total - parquet) / 1e3:.0f} kB JSON sidecars)")


if __name__ == "__main__":
    main()
