"""Prepare a sweep: parse every trial, load the data once, share each distinct market.

A trial is a set of ``{dotted path: value}`` overrides of the base config, applied
with :func:`backtest.config.set_path` (the paths of ``--set``). Every series is
fetched once whatever the number of trials; each distinct market — data, signal,
sleeves — is computed once and shared by every trial that uses it.

Common window. Trials with different look-backs start on different bars, so every
valid trial (and the base config, whose benchmarks are run for comparison) is run
on ONE window: the intersection of their own windows, applied to each as
``run.start``/``run.end``. Each trial's returns are then exactly those of
``backtest run CONFIG --set <its params> --set run.start=S --set run.end=E``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from backtest.config import RunConfig, parse_config, replace_strategy, set_path, split_path
from backtest.config._overrides import plain
from backtest.data.base import FetchedSeries, SeriesRequest
from backtest.data.dataset import Dataset, Loader, build_dataset
from backtest.engine._accounting import simulation_prices
from backtest.errors import BacktestError, ConfigError, DataError
from backtest.runner import conventions, prepare_market
from backtest.strategies import load_strategy
from backtest.strategy import MarketData
from backtest.sweep._evaluate import generic_decision, reported, simulate_trials
from backtest.sweep._types import MarketSlot, PreparedSweep, Trial

__all__ = ["prepare_sweep"]

_NOT_SWEPT = ("benchmarks", "regimes")


@dataclass(frozen=True)
class _Parsed:
    number: int
    config: RunConfig
    strategy: Any
    dataset_key: str
    market_key: str


def _memoized(load: Loader) -> Loader:
    """``load`` that fetches each series once."""
    seen: dict[SeriesRequest, FetchedSeries] = {}

    def once(request: SeriesRequest) -> FetchedSeries:
        if request not in seen:
            seen[request] = load(request)
        return seen[request]

    return once


def _keys(config: RunConfig) -> tuple[str, str]:
    """Keys of the dataset and of the market a config makes (its data, signal, sleeves)."""
    raw, run = config.raw, config.run
    data = json.dumps([raw.get("data"), run.frequency, run.ppy], sort_keys=True, default=str)
    market = json.dumps([data, raw.get("signal"), raw.get("sleeves")], sort_keys=True, default=str)
    return data, market


def _parse_trial(
    number: int, base: _Parsed, params: Mapping[str, Any], source: str, base_dir: Path,
    sections: dict[str, _Parsed | ConfigError] | None = None,
) -> _Parsed:
    """A trial's config and strategy; ConfigError when either cannot be built.

    Only the ``[strategy]`` table of a trial is parsed per trial: its other paths
    (a signal's look-back, the costs) are applied to the base config and parsed once
    per distinct set of them (memoized in ``sections``), and the trial's strategy
    paths go on top with :func:`replace_strategy` — the result of
    :func:`parse_config` on the whole trial (tested). A 10,000-trial grid over four
    look-backs parses four configs, not 10,000 (5 s of a sweep's preparation). When
    the shared part is invalid, the trial is parsed whole, so its message lists
    every problem as ``parse_config`` reports them.
    """
    shared = [(path, value) for path, value in params.items()
              if split_path(path)[0] != "strategy"]
    group = base
    if shared:
        key = json.dumps(shared, sort_keys=True, default=str)
        if sections is None or key not in sections:
            try:
                raw = plain(base.config.raw)
                for path, value in shared:
                    set_path(raw, path, plain(value))
                config = parse_config(raw, source=source, base=base_dir)
                found: _Parsed | ConfigError = _Parsed(number, config, None, *_keys(config))
            except ConfigError as exc:
                found = exc
            if sections is not None:
                sections[key] = found
        else:
            found = sections[key]
        if isinstance(found, ConfigError):  # parsed whole: every problem, as run says them
            raw = plain(base.config.raw)
            for path, value in params.items():
                set_path(raw, path, plain(value))
            whole = parse_config(raw, source=source, base=base_dir)
            group = _Parsed(number, whole, None, *_keys(whole))
        else:
            group = found
    cfg = group.config
    raw = {**cfg.raw, "strategy": plain(cfg.raw.get("strategy", {}))}
    for path, value in params.items():
        if split_path(path)[0] == "strategy":
            set_path(raw, path, plain(value))
    config = replace_strategy(cfg, raw)
    spec = config.strategy
    strategy = load_strategy(spec.kind, spec.params, f"strategy {spec.label!r}",
                             base_dir=config.base_dir)
    if spec.label in {b.label for b in config.benchmarks}:
        raise ConfigError("strategy labels must be unique (strategy.label and benchmark names)")
    for name in ("frequency", "periods_per_year"):
        if getattr(config.run, name) != getattr(base.config.run, name):
            raise ConfigError(
                f"run.{name} = {getattr(config.run, name)!r} differs from the base config's "
                f"{getattr(base.config.run, name)!r}; the trials of a sweep share one calendar"
            )
    return _Parsed(number, config, strategy, group.dataset_key, group.market_key)


def _check_paths(trials: Sequence[Mapping[str, Any]]) -> None:
    for params in trials:
        for path in params:
            if str(path).split(".", 1)[0] in _NOT_SWEPT:
                raise ConfigError(
                    f"{path!r}: only the strategy under test, its signal, sleeves, data and "
                    "engine settings are swept; benchmarks run once from the base config"
                )


def _dataset(config: RunConfig, load: Loader) -> Dataset:
    return build_dataset(
        config.data.assets,
        config.data.macro,
        cash=config.data.cash,
        frequency=config.run.frequency,
        periods_per_year=config.run.ppy,
        load=load,
    )


def _with_window(config: RunConfig, start: str | None, end: str | None) -> RunConfig:
    return replace(config, run=replace(config.run, start=start, end=end))


def _own_windows(
    parsed: Mapping[int, _Parsed], datasets: Mapping[str, Dataset | BacktestError],
    invalid: dict[int, str], tick: Callable[[int], None] = lambda n: None,
) -> dict[int, pd.DatetimeIndex]:
    """Each trial's own window (its data, signal, sleeves and run.start/end)."""
    windows: dict[int, pd.DatetimeIndex] = {}
    done: dict[tuple[str, str | None, str | None], pd.DatetimeIndex | BacktestError] = {}
    for number, p in parsed.items():
        dataset = datasets[p.dataset_key]
        key = (p.market_key, p.config.run.start, p.config.run.end)
        if key not in done:
            try:
                if isinstance(dataset, BacktestError):
                    raise dataset
                done[key] = prepare_market(p.config, dataset).index
            except BacktestError as exc:
                done[key] = exc
        got = done[key]
        if isinstance(got, BacktestError):
            invalid[number] = str(got)
        else:
            windows[number] = got
        tick(1)
    return windows


def _common_window(windows: Sequence[pd.DatetimeIndex]) -> tuple[str, str]:
    start = max(w[0] for w in windows)
    end = min(w[-1] for w in windows)
    if start >= end:
        raise DataError(
            f"the trials' windows do not overlap (latest start {start.date()}, earliest end "
            f"{end.date()}); narrow the search space (e.g. shorter look-backs)"
        )
    return str(start.date()), str(end.date())


def _slot(market: MarketData, cash: str) -> MarketSlot:
    prices = market.prices.loc[market.index]
    return MarketSlot(
        market=market,
        close=np.ascontiguousarray(simulation_prices(prices.to_numpy(dtype="float64"))),
        cash_col=int(prices.columns.get_loc(cash)),
        cash_returns=prices[cash].pct_change().iloc[1:].rename("cash"),
    )


def _benchmark_returns(config: RunConfig, label: str, market: MarketData,
                       cash: str) -> pd.Series:
    """Returns of benchmark ``label`` of ``config``, simulated by the sweep's kernel.

    The kernel equals the vectorbt engine bit for bit (``tests/engine/test_kernel.py``)
    and needs no vectorbt import, which costs a tune more than its benchmarks do.
    """
    spec = next(b for b in config.benchmarks if b.label == label)
    run = config.run
    trial = Trial(number=-1, market=0,
                  strategy=load_strategy(spec.kind, spec.params, f"strategy {spec.label!r}",
                                         base_dir=config.base_dir),
                  label=spec.label, kind=spec.kind, costs=config.costs,
                  execution_lag=run.execution_lag, initial_capital=run.initial_capital,
                  periods_per_year=market.periods_per_year)
    slot = _slot(market, cash)
    sim = simulate_trials([trial], generic_decision(trial, slot), slot)
    returns, _ = reported([trial], sim)
    return pd.Series(returns[0], index=slot.cash_returns.index, name=spec.label)


def _benchmarks(config: RunConfig, market: MarketData, cash: str) -> dict[str, pd.Series]:
    """The base config's benchmarks, each run once (labels checked as ``run`` does)."""
    labels = [config.strategy.label, *(b.label for b in config.benchmarks)]
    if len(set(labels)) != len(labels):
        raise ConfigError("strategy labels must be unique (strategy.label and benchmark names)")
    return {b.label: _benchmark_returns(config, b.label, market, cash) for b in config.benchmarks}


class _Benchmarks:
    """The benchmarks trials are measured against (beta, alpha, IR, tracking error).

    ``RunConfig.benchmark`` chooses a trial's; each is run once per distinct
    market, engine setting and label (the base config's are reused).
    """

    def __init__(self, base: RunConfig, base_key: str, returns: Mapping[str, pd.Series]) -> None:
        self.series: list[pd.Series] = []
        self.index: dict[tuple[Any, ...], int] = {}
        for label, series in returns.items():
            self.index[self._key(base, base_key, label)] = len(self.series)
            self.series.append(series)

    @staticmethod
    def _key(config: RunConfig, market_key: str, label: str) -> tuple[Any, ...]:
        run, costs = config.run, config.costs
        return (market_key, costs.fees_bps, costs.slippage_bps, run.execution_lag,
                run.initial_capital, label)

    def of(self, config: RunConfig, market_key: str, slot: MarketSlot,
           window: tuple[str, str]) -> int | None:
        """Position of ``config``'s benchmark on ``window``, run if it is new.

        The key does not depend on the window: the windowed config (a parse of its
        dates) is made only for a benchmark not yet run, not once per trial.
        """
        label = config.benchmark[0]
        if label is None:
            return None
        key = self._key(config, market_key, label)
        if key not in self.index:
            self.index[key] = len(self.series)
            self.series.append(_benchmark_returns(_with_window(config, *window), label,
                                                  slot.market, slot.market.sleeves.cash))
        return self.index[key]


def prepare_sweep(
    raw: Mapping[str, Any],
    trials: Sequence[Mapping[str, Any]],
    *,
    source: str,
    base_dir: Path,
    load: Loader,
    progress: Callable[[str, int], None] | None = None,
) -> PreparedSweep:
    """Parse every trial, load the data once and build each distinct market once.

    Parameters
    ----------
    raw : mapping
        The parsed TOML of the base config.
    trials : sequence of mapping
        One ``{dotted path: value}`` per trial (the paths of ``--set``).
    source : str
        Where ``raw`` came from (for messages).
    base_dir : Path
        Directory relative paths of the config are resolved against.
    load : Loader
        Fetches one series; each series is fetched once.
    progress : callable, optional
        Called as ``progress(phase, n)`` with ``n`` trials done in ``phase``:
        "parsing" (each trial's config and strategy), then "preparing markets" (each
        trial's data, signal, sleeves and window), so a long preparation shows from
        the start.

    Returns
    -------
    PreparedSweep

    Raises
    ------
    ConfigError
        The base config is invalid, or a path addresses the benchmarks.
    DataError
        The base config's data cannot be loaded, or the windows do not overlap.
    """
    _check_paths(trials)
    load = _memoized(load)
    base = parse_config(plain(raw), source=source, base=base_dir)
    base_parsed = _Parsed(-1, base, None, *_keys(base))
    parsed: dict[int, _Parsed] = {}
    invalid: dict[int, str] = {}
    report = progress or (lambda phase, n: None)
    sections: dict[str, _Parsed | ConfigError] = {}
    for number, params in enumerate(trials):
        try:
            parsed[number] = _parse_trial(number, base_parsed, params, source, base_dir,
                                          sections)
        except ConfigError as exc:
            invalid[number] = str(exc)
        report("parsing", 1)
    datasets: dict[str, Dataset | BacktestError] = {}
    for p in parsed.values():
        if p.dataset_key not in datasets:
            try:
                datasets[p.dataset_key] = _dataset(p.config, load)
            except BacktestError as exc:
                datasets[p.dataset_key] = exc
    base_data = _dataset(base, load)
    base_window = prepare_market(base, base_data).index
    windows = _own_windows(parsed, datasets, invalid,
                           lambda n: report("preparing markets", n))
    report("preparing markets", len(trials) - len(parsed))  # invalid: no window to find
    start, end = _common_window([base_window, *windows.values()])
    base = _with_window(base, start, end)
    base_market = prepare_market(base, base_data)
    return _assemble(base, base_market, base_data, parsed, windows, datasets, invalid,
                     len(trials))


def _assemble(
    base: RunConfig, base_market: MarketData, base_data: Dataset,
    parsed: Mapping[int, _Parsed], windows: Mapping[int, pd.DatetimeIndex],
    datasets: Mapping[str, Dataset | BacktestError], invalid: dict[int, str], n_trials: int,
) -> PreparedSweep:
    """Markets on the common window, the trials, and the benchmarks run once."""
    index = base_market.index
    start, end = base.run.start, base.run.end
    assert start is not None and end is not None
    slots: list[MarketSlot] = []
    slot_of: dict[str, int] = {}
    trials = []
    base_returns = _benchmarks(base, base_market, base_data.cash)
    benchmarks = _Benchmarks(base, _keys(base)[1], base_returns)
    for number in sorted(windows):
        p = parsed[number]
        if p.market_key not in slot_of:
            dataset = datasets[p.dataset_key]
            assert isinstance(dataset, Dataset)
            market = prepare_market(_with_window(p.config, start, end), dataset)
            if not market.index.equals(index):
                raise DataError(f"trial {number}: its calendar differs from the base config's "
                                f"on the common window {start} .. {end}")
            slot_of[p.market_key] = len(slots)
            slots.append(_slot(market, dataset.cash))
        slot = slots[slot_of[p.market_key]]
        run = p.config.run
        trials.append(Trial(
            number=number, market=slot_of[p.market_key], strategy=p.strategy,
            label=p.config.strategy.label, kind=p.config.strategy.kind, costs=p.config.costs,
            execution_lag=run.execution_lag, initial_capital=run.initial_capital,
            periods_per_year=run.ppy,
            benchmark=benchmarks.of(p.config, p.market_key, slot, (start, end)),
        ))
    base_slot = _slot(base_market, base_data.cash)
    return PreparedSweep(
        config=base,
        window=(start, end),
        index=index,
        markets=tuple(slots),
        trials=tuple(trials),
        invalid=dict(sorted(invalid.items())),
        benchmarks={label: r.to_numpy() for label, r in base_returns.items()},
        cash_returns=base_slot.cash_returns.to_numpy(),
        n_trials=n_trials,
        benchmark_returns=tuple(
            pd.Series(r.to_numpy(), index=base_slot.cash_returns.index, name=r.name)
            for r in benchmarks.series
        ),
        fingerprint=base_data.fingerprint,
        sources=tuple(base_data.sources),
        conventions=conventions(base, base_data, index),
    )
