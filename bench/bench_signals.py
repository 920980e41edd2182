"""Time the part of a backtest that is ours: signal + sleeves + weights (not vectorbt's).

Target (issue 4): <= 1 s for 10,000 business-daily bars x 50 assets, with the
composite (3 components), empirical-duration sleeves (rolling 252-bar regression
of every asset, ranked top/bottom 10 at each month's first bar) and the weights of
every signal-driven strategy. The market is the seeded synthetic generator with 50
assets (durations 0.5..30 years). Data generation is not timed.

Usage: python bench/bench_signals.py [--repeat N]
"""

from __future__ import annotations

import sys
import time

import numpy as np

from backtest.config import parse_config
from backtest.data.dataset import Dataset
from backtest.runner import load_strategy, prepare_market
from backtest.signals import compute_signal
from backtest.synthetic import SyntheticSpec, generate_market

N_BARS, N_ASSETS = 10_000, 50

CONFIG = {
    "run": {"name": "bench", "frequency": "B", "periods_per_year": 252},
    "data": {
        "cash": "A00",
        "assets": {f"A{i:02d}": f"synthetic:seed=0/asset/A{i:02d}" for i in range(N_ASSETS)},
        "macro": {"YIELD": "synthetic:seed=0/yield", "SPREAD": "synthetic:seed=0/spread"},
    },
    "signal": {
        "components": [
            {"preset": "nominal_yield_momentum", "series": "YIELD", "horizon_months": 3,
             "min_history_months": 36, "weight": 0.5},
            {"preset": "credit_momentum", "series": "SPREAD", "horizon_months": 3,
             "min_history_months": 36},
            {"preset": "credit_level", "series": "SPREAD", "min_history_months": 36},
        ]
    },
    "sleeves": {"method": "empirical", "yield_series": "YIELD", "window": 252,
                "min_periods": 126, "select": "top_k", "k": 10, "rerank": "monthly"},
    "strategy": {"kind": "binary_rotation", "enter": 0.5, "exit": 0.0},
}
STRATEGIES = (
    ("binary_rotation", {"enter": 0.5, "exit": 0.0}),
    ("graded_tilt", {"shape": "logistic", "low": -0.5, "high": 1.5}),
    ("duration_targeting", {"duration_max_years": 20.0, "duration_min_years": 3.0}),
    ("trend_rule", {"lookback_months": 10}),
    ("always_short", {}),
)


def make_dataset() -> Dataset:
    names = [f"A{i:02d}" for i in range(N_ASSETS)]
    spec = SyntheticSpec(
        seed=0,
        n_periods=N_BARS,
        periods_per_year=252,
        durations=tuple(
            (n, float(d)) for n, d in zip(names, np.linspace(0.5, 30, N_ASSETS), strict=True)
        ),
        credit_betas=tuple((n, -0.1 * i / N_ASSETS) for i, n in enumerate(names)),
        noise_vols=tuple((n, 0.02 + 0.2 * i / N_ASSETS) for i, n in enumerate(names)),
    )
    m = generate_market(spec)
    macro = m.yields.to_frame("YIELD").assign(SPREAD=m.spread)
    return Dataset(prices=m.prices, macro=macro, cash="A00", frequency="B",
                   periods_per_year=252, sources=())


def main() -> None:
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 5
    config = parse_config(CONFIG)
    dataset = make_dataset()
    strategies = [load_strategy(kind, params) for kind, params in STRATEGIES]
    times: dict[str, list[float]] = {
        "signal alone": [], "signal + sleeves": [], "weights": [], "total": []
    }
    for _ in range(repeat):
        t = time.perf_counter()
        compute_signal(config.signal, dataset.macro, 252)
        times["signal alone"].append(time.perf_counter() - t)
        t0 = time.perf_counter()
        market = prepare_market(config, dataset)  # signal, empirical durations, ranking, window
        t1 = time.perf_counter()
        for strategy in strategies:
            strategy.decide(market)
        t2 = time.perf_counter()
        times["signal + sleeves"].append(t1 - t0)
        times["weights"].append(t2 - t1)
        times["total"].append(t2 - t0)
    print(f"{N_BARS:,} business-daily bars x {N_ASSETS} assets, {len(market.index):,} "
          f"trading bars, {len(strategies)} strategies; median of {repeat}:")
    for what, values in times.items():
        print(f"  {what:<18} {np.median(values):6.3f} s")
    print(f"  target: total <= 1 s -> {'ok' if np.median(times['total']) <= 1.0 else 'MISSED'}")


if __name__ == "__main__":
    main()
