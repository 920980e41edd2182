"""Size and speed of the HTML report: render time, file size, time to first chart.

Targets (issue 10): <= 5 MB and first chart drawn <= 1.5 s in headless Chromium
(2 cores) for 10 strategies x 16,000 daily bars; (issue 17) a 4-config compare at most
25,000 px tall at 1,280 px with its metrics table starting within 1,200 px (printed for
every job).

Jobs: the default run (embedded data), seed_2026 on the shared files (--mirror),
a 4-config compare of the default config, and 10 strategies x 16,000 business
days (a synthetic document shaped like a real run). Each job runs in a fresh
process: the run itself (not timed), then the report (timed: JSON document ->
context -> HTML), its size, the process's peak memory. The peer is plotly's own
``Figure.write_html`` (full plotly.js inline, full-precision data) for the same
growth chart alone, timed and sized in the same process. Time to first chart:
median of 3 page loads in headless Chromium (performance mark set by the page
after its first chart), against a page that only loads plotly's full bundle.

Usage: python bench/bench_report.py [--mirror DIR] [--skip-browser]
"""

from __future__ import annotations

import importlib.util
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _chromium() -> Any:
    """tests/chromium.py, the driver shared with the browser tests (loaded by path: putting
    tests/ on sys.path would shadow the strategies package with tests/strategies)."""
    spec = importlib.util.spec_from_file_location("chromium", ROOT / "tests" / "chromium.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

BARS, STRATEGIES = 16_000, 10


def _synthetic_document() -> dict[str, Any]:
    """A run document with 10 strategies x 16,000 business days (5 assets, 4 components)."""
    import numpy as np
    import pandas as pd

    import backtest
    from backtest.report import to_json

    doc = to_json(backtest.run(), generated_at="2026-01-01 00:00:00")
    rng = np.random.default_rng(2026)
    dates = pd.bdate_range("1963-01-01", periods=BARS)
    iso = [d.strftime("%Y-%m-%d") for d in dates]
    cash = np.full(BARS - 1, 0.04 / 252)
    template = next(iter(doc["strategies"].values()))
    strategies = {}
    for i in range(STRATEGIES):
        rets = rng.normal(0.0003 + 0.00002 * i, 0.008 + 0.001 * i, BARS - 1)
        weights = rng.dirichlet(np.ones(5), BARS)
        state = np.sin(np.arange(BARS) / 300 + i) > 0.2
        strategies[f"strategy_{i:02d}_with_a_descriptive_name"] = {
            **template, "kind": "binary_rotation" if i == 0 else "buy_and_hold",
            "returns": {"dates": iso[1:], "values": rets.tolist()},
            "weights": {"dates": iso, "assets": ["A", "B", "C", "D", "CASH"],
                        "values": weights.tolist()},
            **({"risk_off": {"dates": iso, "values": state.tolist()}} if i == 0 else {}),
        }
    from backtest.metrics import compute_metrics

    index, rf = pd.DatetimeIndex(dates[1:]), pd.Series(cash, index=dates[1:])
    bench = pd.Series(strategies["strategy_01_with_a_descriptive_name"]["returns"]["values"],
                      index=index)
    for entry in strategies.values():
        rets = pd.Series(entry["returns"]["values"], index=index)
        stats = compute_metrics(rets, rf, periods_per_year=252, benchmark=bench)
        entry["metrics"] = {k: (None if not np.isfinite(v) else float(v)) for k, v in stats.items()}
    doc["strategies"] = strategies
    doc["run"] = {**doc["run"], "strategy_under_test": next(iter(strategies)),
                  "name": "synthetic_16k"}
    components = rng.normal(size=(BARS, 4)).cumsum(axis=0) / 50
    doc["signal"] = {"dates": iso, "columns": ["c1", "c2", "c3", "c4", "composite"],
                     "values": np.column_stack([components, components.sum(axis=1)]).tolist()}
    doc["cash_returns"] = {"dates": iso[1:], "values": cash.tolist()}
    doc["conventions"] = {**doc["conventions"], "frequency": "B", "periods_per_year": 252,
                          "start": iso[0], "end": iso[-1], "bars": BARS,
                          "benchmark": "strategy_01_with_a_descriptive_name"}
    main = doc["run"]["strategy_under_test"]
    doc["regimes"] = [{**r, "strategy": main} for r in doc["regimes"]
                      if r["strategy"] == doc["regimes"][0]["strategy"]]
    return doc


def _documents(job: str, mirror: Path) -> list[dict[str, Any]]:
    import backtest
    from backtest.data import make_loader
    from backtest.report import to_json

    when = "2026-01-01 00:00:00"
    if job == "default":
        return [to_json(backtest.run(), generated_at=when)]
    if job == "seed_2026":
        result = backtest.run(ROOT / "strategies" / "seed_2026.toml",
                              load=make_loader(mirror=mirror))
        return [to_json(result, generated_at=when)]
    if job == "compare4":
        variants = [[], ["strategy.enter=0.5"], ["strategy.risk_off_sleeve=cash"],
                    ["costs.fees_bps=25"]]
        return [to_json(backtest.run(None, overrides=[*o, f"run.name=v{i}"]), generated_at=when)
                for i, o in enumerate(variants)]
    return [_synthetic_document()]


def _job(job: str, mirror: Path, out: Path) -> None:
    """One job in this (fresh) process; prints a JSON line of figures."""
    from backtest.report import build_context, render_html, write_report
    from backtest.report._charts import build_charts  # noqa: F401  (import cost not timed)
    from backtest.report.figures import growth_figure

    documents = _documents(job, mirror)
    render_html(build_context(documents[:1]))  # warm: templates, plotly bundle cache
    start = time.perf_counter()
    page = render_html(build_context(documents))
    seconds = time.perf_counter() - start
    write_report(out, page)
    import pandas as pd

    from backtest.report import run_from_document

    runs = [run_from_document(d) for d in documents]
    frame = pd.DataFrame({f"{r.name}/{k}": s.returns for r in runs
                          for k, s in r.strategies.items()}).sort_index()
    start = time.perf_counter()
    peer = growth_figure(frame).to_html(include_plotlyjs=True, full_html=True)
    peer_seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "mb": len(page.encode()) / 1e6,
                      "peer_seconds": peer_seconds, "peer_mb": len(peer.encode()) / 1e6,
                      "peak_mb": rss, "bars": max(len(frame), 0), "columns": frame.shape[1]}))


def _first_chart(page: Path, profile: Path, mark: str = "first-chart") -> float:
    with _chromium().Browser(profile) as browser:
        browser.open(page)
        browser.wait_for(f"performance.getEntriesByName('{mark}').length > 0", timeout=120)
        return float(browser.evaluate(f"performance.getEntriesByName('{mark}')[0].startTime"))


def _layout(page: Path, profile: Path) -> tuple[int, int]:
    """Page height and the metrics table's top (px) at 1,280 px, every chart drawn."""
    with _chromium().Browser(profile, width=1280, height=900) as browser:
        browser.open(page)
        browser.wait_for("document.documentElement.dataset.charts !== undefined", timeout=120)
        return (int(browser.evaluate("document.documentElement.scrollHeight")),
                int(browser.evaluate("document.querySelector('table.metrics')"
                                     ".getBoundingClientRect().top + window.scrollY")))


def main() -> None:
    args = sys.argv[1:]
    mirror = Path(args[args.index("--mirror") + 1]) if "--mirror" in args else (
        ROOT.parent / "shared" / "data")
    if "--job" in args:
        _job(args[args.index("--job") + 1], mirror, Path(args[args.index("--out") + 1]))
        return
    browser = _chromium().CHROMIUM is not None and "--skip-browser" not in args
    tmp = Path(tempfile.mkdtemp())
    if browser:
        import plotly.offline

        (tmp / "plotly.js").write_text(plotly.offline.get_plotlyjs())
        (tmp / "floor.html").write_text(
            '<html><head><script src="plotly.js"></script><script>performance.mark("ready")'
            "</script></head><body></body></html>")
        floor = statistics.median(_first_chart(tmp / "floor.html", tmp / f"pf{i}", "ready")
                                  for i in range(3)) / 1000
        print(f"floor: a page that only loads plotly's full bundle: {floor:.2f} s")
    from backtest.report import _embed

    cartesian = _embed.bundle_source(frozenset({"scatter"})) == _embed.vendored_source()
    print("plotly.js in the pages: " + ("the vendored cartesian bundle (matches the installed "
          "plotly)" if cartesian else "the full bundle (the vendored one does not match the "
          "installed plotly's plotly.js)"))
    jobs = ("default", "seed_2026", "compare4", "synthetic_16k")
    for job in jobs:
        out = tmp / f"{job}.html"
        done = subprocess.run([sys.executable, __file__, "--job", job, "--out", str(out),
                               "--mirror", str(mirror)], capture_output=True, text=True,
                              check=False)
        if done.returncode != 0:
            print(f"{job}: failed: {done.stderr.strip().splitlines()[-1:]}")
            continue
        f = json.loads(done.stdout.strip().splitlines()[-1])
        line = (f"{job:<14} {f['columns']:>2} strategies x {f['bars']:>6} bars: "
                f"{f['mb']:.2f} MB, render {f['seconds']:.2f} s, peak RSS {f['peak_mb']:.0f} MB"
                f" | plotly write_html of the growth chart alone: {f['peer_mb']:.2f} MB "
                f"({f['peer_mb'] / f['mb']:.1f}x), {f['peer_seconds']:.2f} s")
        if browser:
            first = statistics.median(_first_chart(out, tmp / f"p{job}{i}") for i in range(3))
            height, top = _layout(out, tmp / f"l{job}")
            line += (f" | first chart {first / 1000:.2f} s (median of 3) | at 1,280 px: "
                     f"{height:,} px tall, metrics table at {top:,} px")
        print(line)
    print("targets for synthetic_16k: <= 5 MB, first chart <= 1.5 s; for compare4: <= 25,000 px "
          "tall, metrics table at <= 1,200 px")


if __name__ == "__main__":
    main()
