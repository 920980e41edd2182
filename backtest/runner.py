"""Run a config end to end: Dataset → signal → sleeves → strategies → engine → results."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd

from backtest.config import RunConfig
from backtest.data.dataset import Dataset, Loader, build_dataset
from backtest.duration import explicit_sleeves
from backtest.engine import BacktestResult, run_backtest
from backtest.errors import ConfigError, DataError
from backtest.regimes import Regime, load_catalog, regime_table, signal_timing
from backtest.signals import compute_signal
from backtest.strategy import MarketData, SleeveSet, load_strategy

__all__ = ["RunResult", "library_versions", "run", "trading_window"]

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
    """

    config: RunConfig
    dataset: Dataset
    window: pd.DatetimeIndex
    signal: pd.DataFrame
    sleeve_returns: pd.DataFrame
    results: dict[str, BacktestResult]
    catalog: tuple[Regime, ...]

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

    def signal_timing(self) -> pd.DataFrame:
        """Per regime: did and when did the strategy under test turn risk-off."""
        risk_off = self.main.risk_off
        if risk_off is None:
            return pd.DataFrame()
        return signal_timing(risk_off, self.catalog)

    def conventions(self) -> dict[str, Any]:
        """The conventions every report shows."""
        run, costs = self.config.run, self.config.costs
        return {
            "frequency": run.frequency,
            "periods_per_year": self.dataset.periods_per_year,
            "execution_lag_bars": run.execution_lag,
            "fees_bps": costs.fees_bps,
            "slippage_bps": costs.slippage_bps,
            "cash_asset": self.dataset.cash,
            "risk_free": f"per-period return of the cash asset {self.dataset.cash!r}",
            "start": str(self.window[0].date()),
            "end": str(self.window[-1].date()),
            "bars": len(self.window),
            "initial_capital": run.initial_capital,
        }


def trading_window(dataset: Dataset, composite: pd.Series, config: RunConfig) -> pd.DatetimeIndex:
    """Bars where every asset is priced and the composite is defined, within [start, end]."""
    ok = dataset.prices.notna().all(axis=1) & composite.notna()
    index = dataset.prices.index[ok.to_numpy()]
    if config.run.start is not None:
        index = index[index >= pd.Timestamp(config.run.start)]
    if config.run.end is not None:
        index = index[index <= pd.Timestamp(config.run.end)]
    if len(index) < 3:
        first = dataset.prices.dropna().index
        raise DataError(
            "empty date range: the assets, the signal and run.start/run.end "
            f"({config.run.start} .. {config.run.end}) overlap on {len(index)} bars; "
            f"all assets are priced {first[0].date() if len(first) else 'never'} .. "
            f"{first[-1].date() if len(first) else 'never'}"
        )
    # a window is contiguous: stop at the first gap (an input that ends early)
    full = dataset.prices.index
    pos = full.get_indexer(index)
    gaps = np.flatnonzero(np.diff(pos) != 1)
    return index[: gaps[0] + 1] if len(gaps) else index


def _sleeves(config: RunConfig, index: pd.DatetimeIndex, columns: list[str]) -> SleeveSet:
    return SleeveSet(
        long=explicit_sleeves(config.sleeves.long, index, columns),
        short=explicit_sleeves(config.sleeves.short, index, columns),
        cash=config.data.cash,
    )


def _sleeve_returns(sleeves: SleeveSet, prices: pd.DataFrame) -> pd.DataFrame:
    rets = prices.pct_change()
    out = {}
    for name in ("long", "short", "cash"):
        w = sleeves.get(name).shift(1)  # held over the bar: last bar's membership
        out[name] = (w * rets).sum(axis=1, min_count=1)
    return pd.DataFrame(out).fillna(0.0)


def run(config: RunConfig, *, load: Loader) -> RunResult:
    """Run every strategy of ``config`` on the data that ``load`` serves."""
    run_cfg = config.run
    strategies = {s.label: (s, load_strategy(s.kind, s.params, f"strategy {s.label!r}"))
                  for s in config.strategies}
    if len(strategies) != len(config.strategies):
        raise ConfigError("strategy labels must be unique (strategy.label and benchmark names)")
    dataset = build_dataset(
        config.data.assets,
        config.data.macro,
        cash=config.data.cash,
        frequency=run_cfg.frequency,
        periods_per_year=run_cfg.ppy,
        load=load,
    )
    signal = compute_signal(config.signal, dataset.macro, dataset.periods_per_year)
    window = trading_window(dataset, signal["composite"], config)
    prices = dataset.prices.loc[window]
    sleeves = _sleeves(config, window, list(prices.columns))
    market = MarketData(
        index=window,
        prices=dataset.prices.loc[: window[-1]],
        signal=signal.loc[: window[-1]],
        sleeves=sleeves,
        periods_per_year=dataset.periods_per_year,
    )
    results = {}
    for label, (spec, strategy) in strategies.items():
        results[label] = run_backtest(
            strategy.decide(market),
            prices,
            cash=dataset.cash,
            costs=config.costs,
            execution_lag=run_cfg.execution_lag,
            periods_per_year=dataset.periods_per_year,
            initial_capital=run_cfg.initial_capital,
            label=label,
            kind=spec.kind,
        )
    return RunResult(
        config=config,
        dataset=dataset,
        window=window,
        signal=signal.loc[window],
        sleeve_returns=_sleeve_returns(sleeves, prices),
        results=results,
        catalog=load_catalog(config.regimes_catalog),
    )
