"""Run a config end to end: Dataset → signal → sleeves → strategies → engine → results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from importlib import metadata
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from backtest.config import RunConfig
from backtest.data.dataset import Dataset, Loader, build_dataset
from backtest.data.expr import parse_expr
from backtest.duration import (
    empirical_duration,
    explicit_sleeves,
    hold_sleeves,
    implied_durations,
    rank_sleeves,
)
from backtest.engine import ENGINES, BacktestResult, Engine, run_backtest
from backtest.errors import ConfigError, DataError
from backtest.regimes import Regime, load_catalog, regime_table, signal_timing
from backtest.signals import compute_signal
from backtest.strategies import load_strategy
from backtest.strategy import MarketData, SleeveSet, decide, rebalance_mask

if TYPE_CHECKING:
    from backtest.analysis import MetricsByState
    from backtest.report._notebook import ReportView

__all__ = [
    "RunResult",
    "conventions",
    "library_versions",
    "load_strategy",
    "prepare_market",
    "run",
    "trading_window",
]

_LIBRARIES = (
    "dcf-regime", "vectorbt", "vectorbt-rust", "pandas", "numpy", "empyrical-reloaded",
    "arch", "linearmodels", "plotly", "jinja2",
)


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries that shape a result."""
    out = {}
    for name in _LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


@dataclass(frozen=True, eq=False)
class RunResult:
    """Every strategy of one config, run on the same data and window.

    Attributes
    ----------
    config : RunConfig
    dataset : Dataset
    window : pd.DatetimeIndex
        Bars of the backtest (all assets priced, signal defined, within start/end).
    signal : pd.DataFrame
        Component z-scores and ``composite`` on ``window``.
    sleeve_returns : pd.DataFrame
        Per-bar returns of the equal-weight ``long``, ``short`` and ``cash`` sleeves.
    results : dict of str to BacktestResult
        By label; the strategy under test first, then the benchmarks.
    catalog : tuple of Regime
    market : MarketData or None
        What the strategies saw (signal and sleeves on the calendar); the thesis
        runs its alternatives on it. None for results built by hand.
    """

    config: RunConfig
    dataset: Dataset
    window: pd.DatetimeIndex
    signal: pd.DataFrame
    sleeve_returns: pd.DataFrame
    results: dict[str, BacktestResult]
    catalog: tuple[Regime, ...]
    market: MarketData | None = None

    @property
    def main(self) -> BacktestResult:
        """The strategy under test."""
        return next(iter(self.results.values()))

    @cached_property
    def returns(self) -> pd.DataFrame:
        """Shape (n_bars - 1, n_strategies): net returns of every strategy."""
        return pd.DataFrame({k: r.returns for k, r in self.results.items()})

    def metrics(self) -> pd.DataFrame:
        """Shape (n_strategies, n_metrics)."""
        return pd.DataFrame({k: r.stats() for k, r in self.results.items()}).T

    def regime_table(self) -> pd.DataFrame:
        """Per regime × strategy: return, max drawdown, long-minus-short spread."""
        return regime_table(
            self.returns,
            self.catalog,
            long_returns=self.sleeve_returns["long"].iloc[1:],
            short_returns=self.sleeve_returns["short"].iloc[1:],
        )

    def metrics_by_regime(
        self, *, reps: int | None = None, seed: int | None = None
    ) -> MetricsByState:
        """The strategy under test and its benchmark: headline metrics per regime and state.

        CAGR, volatility, Sharpe, Sortino (in excess of cash), max drawdown and total
        return over each regime's bars and over the bars after a risk-off / risk-on
        close, each with the thesis' stationary-bootstrap interval
        (:func:`backtest.evaluate.metrics_by_regime`; ``reps``/``seed`` override
        ``[thesis]``).
        """
        from backtest.evaluate import metrics_by_regime

        return metrics_by_regime(self, reps=reps, seed=seed)

    def signal_timing(self) -> pd.DataFrame:
        """Per regime: did and when did the strategy under test turn risk-off."""
        risk_off = self.main.risk_off
        if risk_off is None:
            return pd.DataFrame()
        return signal_timing(risk_off, self.catalog)

    @property
    def engine(self) -> Engine:
        """What executed the rules: ``"vectorbt"`` (the engine of record) or ``"kernel"``."""
        return self.main.engine

    def conventions(self) -> dict[str, Any]:
        """The conventions every report shows."""
        return conventions(self.config, self.dataset, self.window, engine=self.engine)

    def report(self, *, title: str | None = None) -> ReportView:
        """The full HTML report, shown inline by Jupyter (``.save(path)`` writes it).

        The same page as ``backtest run --report``: the run is analysed first
        (thesis, regime timing, attribution), which takes a few seconds.
        """
        from backtest.report._notebook import full_report, run_documents

        return full_report(run_documents([self], analyse=True), title=title)

    def _repr_html_(self) -> str:
        """Jupyter: conventions, headline metrics and a compact growth chart."""
        from backtest.report._notebook import parsed, run_documents, runs_fragment

        return runs_fragment(parsed(run_documents([self], analyse=False)))


def conventions(config: RunConfig, dataset: Dataset, window: pd.DatetimeIndex,
                engine: Engine = "vectorbt") -> dict[str, Any]:
    """The conventions every report shows, for ``config`` on ``dataset`` over ``window``.

    ``engine`` names what executed the rules (:func:`backtest.engine.run_backtest`).
    """
    run, costs = config.run, config.costs
    return {
        "engine": engine,
        "frequency": run.frequency,
        "periods_per_year": dataset.periods_per_year,
        "execution_lag_bars": run.execution_lag,
        "fees_bps": costs.fees_bps,
        "slippage_bps": costs.slippage_bps,
        "cash_asset": dataset.cash,
        "risk_free": f"per-period return of the cash asset {dataset.cash!r}",
        "start": str(window[0].date()),
        "end": str(window[-1].date()),
        "bars": len(window),
        "initial_capital": run.initial_capital,
        "benchmark": config.benchmark[0],
        "benchmark_rule": config.benchmark[1],
    }


def trading_window(
    dataset: Dataset,
    composite: pd.Series,
    config: RunConfig,
    *,
    ready: pd.Series | None = None,
) -> pd.DatetimeIndex:
    """Bars where every asset is priced and the composite is defined, within [start, end].

    ``ready`` (boolean, on the calendar) further requires, e.g., that the duration
    sleeves are known (empirical sleeves need ``min_periods`` bars of history).
    """
    priced = dataset.prices.notna().all(axis=1)
    ok = priced & composite.notna()
    if ready is not None:
        ok &= ready.reindex(ok.index, fill_value=False).astype(bool)
    available = dataset.prices.index[ok.to_numpy()]
    index = available
    if config.run.start is not None:
        index = index[index >= pd.Timestamp(config.run.start)]
    if config.run.end is not None:
        index = index[index <= pd.Timestamp(config.run.end)]
    if len(index) < 3:
        raise DataError(_why_no_window(dataset, priced, composite, available, index, config))
    # a window is contiguous: stop at the first gap (an input that ends early)
    full = dataset.prices.index
    pos = full.get_indexer(index)
    gaps = np.flatnonzero(np.diff(pos) != 1)
    return index[: gaps[0] + 1] if len(gaps) else index


def _span(index: pd.DatetimeIndex) -> str:
    return f"{index[0].date()} .. {index[-1].date()}"


def _why_no_window(
    dataset: Dataset,
    priced: pd.Series,
    composite: pd.Series,
    available: pd.DatetimeIndex,
    index: pd.DatetimeIndex,
    config: RunConfig,
) -> str:
    """Say which input (or run.start/run.end) leaves fewer than 3 bars to trade."""
    prices = dataset.prices
    if not priced.any():
        spans = {a: prices[a].dropna().index for a in prices.columns}
        never = [a for a, s in spans.items() if s.empty]
        if never:
            return (f"no price on the {config.run.frequency} calendar for {', '.join(never)} "
                    "(see the data notes: its dates may not fall on this calendar)")
        late = max(spans, key=lambda a: spans[a][0])
        early = min(spans, key=lambda a: spans[a][-1])
        return (f"the assets are never all priced at once: {late} starts "
                f"{spans[late][0].date()}, but {early} ends {spans[early][-1].date()}")
    both = prices.index[(priced & composite.notna()).to_numpy()]
    if both.empty:
        signal = composite.dropna().index
        has = f"defined {_span(signal)}" if len(signal) else "never defined"
        return (f"the signal is {has} but every asset is priced only "
                f"{_span(prices.index[priced.to_numpy()])}: they do not overlap")
    if available.empty:
        return (f"the sleeves are never formed while the assets and the signal are available "
                f"({_span(both)}); [sleeves] needs more history (window/min_periods)")
    start, end = config.run.start, config.run.end
    if start is not None and pd.Timestamp(start) > available[-1]:
        return (f"run.start ({start}) is after the last bar with every input "
                f"({available[-1].date()}; available {_span(available)})")
    if end is not None and pd.Timestamp(end) < available[0]:
        return (f"run.end ({end}) is before the first bar with every input "
                f"({available[0].date()}; available {_span(available)})")
    return (f"only {len(index)} bar{'s' if len(index) != 1 else ''} between run.start and "
            f"run.end ({start} .. {end}) have every input; at least 3 are needed "
            f"(available {_span(available)})")


def _durations(config: RunConfig, dataset: Dataset) -> pd.DataFrame | None:
    """Empirical durations (years) of every asset known at each close, if asked for."""
    spec = config.sleeves
    if spec.yield_series is None or spec.window is None:
        return None
    prices = dataset.prices
    universe = _universe(config, dataset)
    level = parse_expr(spec.yield_series).evaluate(lambda alias: dataset.macro[alias])
    dy = level.diff() / 100.0  # percent -> decimal
    # R_{t-L} paired with the yield change known at t (the change over t-L-1..t-L)
    returns = prices[universe].pct_change(fill_method=None).shift(spec.yield_lag_bars)
    estimates = empirical_duration(
        returns, dy, window=spec.window, min_periods=spec.min_periods or spec.window
    )
    return estimates.reindex(columns=prices.columns)


def _universe(config: RunConfig, dataset: Dataset) -> list[str]:
    """Assets ranked: those of ``cash_flow_yields`` (dcf), ``universe``, or all but cash."""
    columns = list(dataset.prices.columns)
    universe = (list(config.sleeves.cash_flow_yields) or list(config.sleeves.universe)
                or [a for a in columns if a != dataset.cash])
    bad = [a for a in universe if a not in columns or a == dataset.cash]
    if bad:
        raise ConfigError(f"sleeves.universe: {bad} are not non-cash assets; assets: "
                          f"{', '.join(columns)} (cash: {dataset.cash})")
    return universe


def _dcf_durations(config: RunConfig, dataset: Dataset) -> pd.DataFrame:
    """Gordon durations ``(1 + r)/y`` from each asset's cash-flow yield known at each close."""
    spec = config.sleeves
    yields = pd.DataFrame({
        asset: parse_expr(expression).evaluate(lambda alias: dataset.macro[alias])
        for asset, expression in spec.cash_flow_yields.items()
    }, index=dataset.prices.index)
    durations = implied_durations(yields, discount_rate=spec.discount_rate)
    return durations.reindex(columns=dataset.prices.columns)


def _sleeves(config: RunConfig, dataset: Dataset) -> SleeveSet:
    """Sleeves on the whole calendar: explicit lists, or ranked by empirical or DCF duration."""
    spec, index = config.sleeves, dataset.prices.index
    columns = list(dataset.prices.columns)
    empirical = _durations(config, dataset)
    durations = _dcf_durations(config, dataset) if spec.method == "dcf" else empirical
    empty: frozenset[str] = frozenset()
    if spec.method == "explicit":
        assert spec.long is not None and spec.short is not None  # SleeveSpec requires both
        empty = frozenset(n for n, a in (("long", spec.long), ("short", spec.short)) if not a)
        nothing = pd.DataFrame(0.0, index=index, columns=columns)
        long = explicit_sleeves(spec.long, index, columns) if spec.long else nothing
        short = explicit_sleeves(spec.short, index, columns) if spec.short else nothing
    else:
        assert durations is not None  # SleeveSpec requires yield_series and window
        ranked = rank_sleeves(
            durations[_universe(config, dataset)],
            method=spec.select,
            k=spec.k or 3,
        )
        held = hold_sleeves(ranked, rebalance_mask(index, spec.rerank))
        long = _full_columns(held.long, columns)
        short = _full_columns(held.short, columns)
    return SleeveSet(long=long, short=short, cash=config.data.cash, durations=durations,
                     empirical=empirical if spec.method == "dcf" else None, empty=empty)


def _full_columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Add the assets a ranking left out with weight 0 (NaN on rows that are all NaN)."""
    out = frame.reindex(columns=columns, fill_value=0.0)
    out[frame.isna().all(axis=1).to_numpy()] = np.nan
    return out


def _sleeve_returns(sleeves: SleeveSet, prices: pd.DataFrame) -> pd.DataFrame:
    """Per-bar returns of the long, short and cash sleeves on the window of ``prices``."""
    rets = prices.pct_change(fill_method=None)
    out = {}
    for name in ("long", "short", "cash"):
        if name in sleeves.empty:  # no assets, no return (NaN, not 0)
            continue
        # held over the bar: the previous close's membership
        w = sleeves.get(name).reindex(columns=prices.columns).shift(1).reindex(prices.index)
        out[name] = (w * rets).sum(axis=1, min_count=1)
    frame = pd.DataFrame(out, index=prices.index).fillna(0.0)
    return frame.reindex(columns=["long", "short", "cash"])


def prepare_market(config: RunConfig, dataset: Dataset) -> MarketData:
    """Signal, sleeves and trading window of ``config`` on ``dataset``: what strategies see.

    Everything is cut at the end of the window; the signal and the sleeves keep
    the history before it (for look-backs). Each value uses data up to its date only.
    """
    signal = compute_signal(config.signal, dataset.macro, dataset.periods_per_year)
    sleeves = _sleeves(config, dataset)
    ready = sleeves.long.notna().all(axis=1) & sleeves.short.notna().all(axis=1)
    window = trading_window(dataset, signal["composite"], config, ready=ready)
    end = window[-1]
    return MarketData(
        index=window,
        prices=dataset.prices.loc[:end],
        signal=signal.loc[:end],
        sleeves=SleeveSet(
            long=sleeves.long.loc[:end],
            short=sleeves.short.loc[:end],
            cash=sleeves.cash,
            durations=None if sleeves.durations is None else sleeves.durations.loc[:end],
            empirical=None if sleeves.empirical is None else sleeves.empirical.loc[:end],
            empty=sleeves.empty,
        ),
        periods_per_year=dataset.periods_per_year,
    )


def run(config: RunConfig, *, load: Loader,
        progress: Callable[[str], None] | None = None,
        engine: Engine = "vectorbt") -> RunResult:
    """Run every strategy of ``config`` on the data that ``load`` serves.

    ``progress`` is called with each stage's name as it starts ("data", "signal and
    sleeves", "backtests"). ``engine`` executes the rules
    (:func:`backtest.engine.run_backtest`: vectorbt, or the kernel tested equal to it).
    """
    if engine not in ENGINES:  # before any data is loaded
        raise ConfigError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    stage = progress or (lambda _name: None)
    run_cfg = config.run
    strategies = {s.label: (s, load_strategy(s.kind, s.params, s.path, base_dir=config.base_dir))
                  for s in config.strategies}
    if len(strategies) != len(config.strategies):
        raise ConfigError("strategy labels must be unique (strategy.label and benchmark names)")
    stage("data")
    dataset = build_dataset(
        config.data.assets,
        config.data.macro,
        cash=config.data.cash,
        frequency=run_cfg.frequency,
        periods_per_year=run_cfg.ppy,
        load=load,
    )
    stage("signal and sleeves")
    market = prepare_market(config, dataset)
    window, prices = market.index, dataset.prices.loc[market.index]
    stage("backtests")
    results = {}
    for label, (spec, strategy) in strategies.items():
        try:
            decision = decide(strategy, market, f"strategy {label!r} ({spec.kind})")
        except ConfigError as exc:  # e.g. it holds a sleeve configured empty
            raise ConfigError(f"strategy {label!r} ({spec.kind}): {exc}") from None
        results[label] = run_backtest(
            decision,
            prices,
            cash=dataset.cash,
            costs=config.costs,
            execution_lag=run_cfg.execution_lag,
            periods_per_year=dataset.periods_per_year,
            initial_capital=run_cfg.initial_capital,
            label=label,
            kind=spec.kind,
            engine=engine,
        )
    return RunResult(
        config=config,
        dataset=dataset,
        window=window,
        signal=market.signal.loc[window],
        sleeve_returns=_sleeve_returns(market.sleeves, prices),
        results=_with_benchmark(results, config.benchmark[0]),
        catalog=load_catalog(config.regimes_catalog),
        market=market,
    )


def _with_benchmark(
    results: dict[str, BacktestResult], label: str | None
) -> dict[str, BacktestResult]:
    """Every result measured against the run's benchmark (itself included: beta 1)."""
    if label is None:
        return results
    bench = results[label].returns
    return {k: replace(r, benchmark=bench, benchmark_label=label) for k, r in results.items()}
