"""TEMPORARY slow sweep (one full run per trial) with the API of the coming sweep engine.

The lead's stand-in, used to develop the tune protocol while the vectorized sweep
engine is being built; the engine's branch replaces this file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from backtest.config import RunConfig, parse_config, set_path
from backtest.config._overrides import plain
from backtest.data.dataset import Loader
from backtest.engine import run_backtest
from backtest.errors import BacktestError, ConfigError
from backtest.runner import load_strategy, prepare_market, run
from backtest.strategy import Decision

__all__ = ["PreparedSweep", "Segment", "SweepOptions", "SweepResult", "prepare_sweep",
           "run_segments", "run_sweep"]


@dataclass(frozen=True)
class SweepOptions:
    """How a sweep is executed."""

    executor: Literal["local", "processes", "dask"] = "local"
    workers: int | None = None
    scheduler: str | None = None
    max_memory: int | None = None
    chunk_trials: int | None = None


@dataclass(frozen=True)
class Segment:
    """Follow ``trial``'s decisions on decision rows ``first..last`` of the price window."""

    trial: int
    first: int
    last: int


@dataclass(frozen=True, eq=False)
class PreparedSweep:
    """Trials built and checked, data loaded once, the common window fixed."""

    base: RunConfig
    configs: Mapping[int, RunConfig]
    invalid: Mapping[int, str]
    window: tuple[str, str]
    fingerprint: str
    sources: tuple[Any, ...]
    conventions: Mapping[str, Any]
    load: Loader = field(repr=False)


@dataclass(frozen=True, eq=False)
class SweepResult:
    """Exact net returns of every trial on the common window."""

    index: pd.DatetimeIndex
    window: tuple[str, str]
    numbers: np.ndarray
    returns: np.ndarray
    metrics: pd.DataFrame
    cash_returns: np.ndarray
    benchmarks: Mapping[str, np.ndarray]
    invalid: Mapping[int, str]
    failed: Mapping[int, str]


def prepare_sweep(
    raw: Mapping[str, Any],
    trials: Sequence[Mapping[str, Any]],
    *,
    source: str,
    base_dir: Path,
    load: Loader,
) -> PreparedSweep:
    """Build each trial's config; invalid ones are skipped with their reason."""
    cached = cache(load)
    base = parse_config(plain(raw), source=source, base=base_dir)
    configs: dict[int, RunConfig] = {}
    invalid: dict[int, str] = {}
    windows = []
    for n, params in enumerate(trials):
        trial_raw = plain(raw)
        try:
            for path, value in params.items():
                set_path(trial_raw, path, value)
            cfg = parse_config(trial_raw, source=source, base=base_dir)
            load_strategy(cfg.strategy.kind, cfg.strategy.params)
        except ConfigError as exc:
            invalid[n] = str(exc)
            continue
        configs[n] = cfg
        from backtest.data.dataset import build_dataset

        ds = build_dataset(cfg.data.assets, cfg.data.macro, cash=cfg.data.cash,
                           frequency=cfg.run.frequency, periods_per_year=cfg.run.ppy,
                           load=cached)
        windows.append(prepare_market(cfg, ds).index)
    if not configs:
        first_bad = next(iter(invalid.items()))
        raise BacktestError(f"tune: every trial is invalid; trial {first_bad[0]}: {first_bad[1]}")
    start = max(w[0] for w in windows)
    end = min(w[-1] for w in windows)
    window = (str(start.date()), str(end.date()))
    fixed = {}
    for n, cfg in configs.items():
        r = plain(cfg.raw)
        set_path(r, "run.start", window[0])
        set_path(r, "run.end", window[1])
        fixed[n] = parse_config(r, source=source, base=base_dir)
    first = run(next(iter(fixed.values())), load=cached)
    return PreparedSweep(base=base, configs=fixed, invalid=invalid, window=window,
                         fingerprint=first.dataset.fingerprint, sources=first.dataset.sources,
                         conventions=first.conventions(), load=cached)


def run_sweep(
    prepared: PreparedSweep,
    options: SweepOptions = SweepOptions(),
    progress: Callable[[int], None] | None = None,
) -> SweepResult:
    """Run every valid trial (slowly: one full run each)."""
    rows, metrics, failed = {}, {}, {}
    first = None
    for n, cfg in prepared.configs.items():
        try:
            result = run(cfg, load=prepared.load)
        except BacktestError as exc:
            failed[n] = f"{type(exc).__name__}: {exc}"
            continue
        first = first or result
        rows[n] = result.main.returns.to_numpy()
        metrics[n] = result.main.stats()
        if progress:
            progress(1)
    assert first is not None
    numbers = np.array(sorted(rows))
    return SweepResult(
        index=first.main.returns.index,
        window=prepared.window,
        numbers=numbers,
        returns=np.vstack([rows[n] for n in numbers]),
        metrics=pd.DataFrame([metrics[n] for n in numbers], index=numbers),
        cash_returns=first.main.cash_returns.to_numpy(),
        benchmarks={k: r.returns.to_numpy() for k, r in list(first.results.items())[1:]},
        invalid=prepared.invalid,
        failed=failed,
    )


def run_segments(prepared: PreparedSweep, segments: Sequence[Segment]) -> pd.Series:
    """One backtest following each segment's trial on its decision rows."""
    cfg0 = prepared.configs[segments[0].trial]
    from backtest.data.dataset import build_dataset

    ds = build_dataset(cfg0.data.assets, cfg0.data.macro, cash=cfg0.data.cash,
                       frequency=cfg0.run.frequency, periods_per_year=cfg0.run.ppy,
                       load=prepared.load)
    market = prepare_market(cfg0, ds)
    prices = ds.prices.loc[market.index]
    weights = pd.DataFrame(np.nan, index=market.index, columns=prices.columns)
    for seg in segments:
        cfg = prepared.configs[seg.trial]
        m = prepare_market(cfg, ds)
        strat = load_strategy(cfg.strategy.kind, cfg.strategy.params)
        d = strat.decide(m).weights
        full = d.ffill()
        part = d.iloc[seg.first: seg.last + 1].copy()
        part.iloc[0] = full.iloc[seg.first]
        weights.iloc[seg.first: seg.last + 1] = part.to_numpy()
    weights.iloc[: segments[0].first] = np.nan
    res = run_backtest(Decision(weights=weights), prices, cash=ds.cash, costs=cfg0.costs,
                       execution_lag=cfg0.run.execution_lag,
                       periods_per_year=ds.periods_per_year,
                       initial_capital=cfg0.run.initial_capital)
    return res.returns.iloc[segments[0].first:]
