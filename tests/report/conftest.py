"""Runs for the report tests.

``make_run`` builds a real :class:`RunResult` (so its ``metrics``,
``regime_table``, ``signal_timing`` and ``conventions`` methods are the real
ones) around a small synthetic market and stand-in config/dataset objects that
carry exactly the attributes the runner and the report read. ``real_run`` is the
default config on the embedded data (about 4 s, once per session).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from backtest.config import CostModel, StrategySpec
from backtest.data.dataset import SeriesInfo
from backtest.engine.result import BacktestResult
from backtest.regimes import Regime, RegimeKind
from backtest.runner import RunResult

EVIL = '<script>alert(1)</script> & "q"'
VERSIONS = {"dcf-regime": "0.1.0", "plotly": "7.1.0", "jinja2": "3.1.6"}


@dataclass(frozen=True)
class Section:
    name: str
    title: str = ""
    frequency: str = "M"
    execution_lag: int = 1
    initial_capital: float = 1.0


@dataclass(frozen=True)
class Config:
    run: Section
    costs: CostModel
    strategies: tuple[StrategySpec, ...]
    source: str = "tests/report/demo.toml"
    raw: dict[str, Any] = field(default_factory=dict)
    benchmark_label: str | None = None

    @property
    def benchmark(self) -> tuple[str | None, str]:
        return self.benchmark_label, "run.benchmark" if self.benchmark_label else "none"

    @property
    def strategy(self) -> StrategySpec:
        return self.strategies[0]

    @property
    def config_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.raw, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Data:
    sources: tuple[SeriesInfo, ...]
    cash: str = "CASH"
    periods_per_year: int = 12
    fingerprint: str = "f" * 64


def _regime(name: str, start: str, end: str, kind: RegimeKind, text: str = "d") -> Regime:
    return Regime(name, pd.Timestamp(start), pd.Timestamp(end), kind, text, "ref " + text)


CATALOG = (
    _regime("2007-09 crisis", "2007-08-09", "2009-03-09", RegimeKind.CREDIT_STRESS, "GFC"),
    _regime("2009 QE1", "2009-03-18", "2010-03-31", RegimeKind.EASING, "QE"),
    _regime(EVIL, "2005-06-01", "2005-12-31", RegimeKind.RATE_SHOCK, EVIL),
    _regime("partial at the end", "2009-10-01", "2011-06-30", RegimeKind.LIQUIDITY_DRAIN),
    _regime("before the data", "1994-02-04", "1994-11-07", RegimeKind.RATE_SHOCK),
)


def _result(label: str, kind: str, weights: pd.DataFrame, rets: pd.DataFrame,
            risk_off: pd.Series | None) -> BacktestResult:
    held = weights.shift(1).fillna(0.0)
    returns = (held * rets).sum(axis=1).iloc[1:].rename(label)
    values = pd.concat([pd.Series([1.0], index=weights.index[:1]), (1 + returns).cumprod()])
    turnover = weights.diff().abs().sum(axis=1).fillna(0.0) / 2
    return BacktestResult(
        label=label, kind=kind, returns=returns, values=values, weights=weights,
        targets=weights, turnover=turnover, cash_returns=rets["CASH"].iloc[1:],
        risk_off=risk_off, periods_per_year=12, execution_lag=1,
        costs=CostModel(fees_bps=10.0, slippage_bps=5.0),
    )


def make_run(labels: tuple[str, ...] = ("rotation", "buy & hold"), *, name: str = "demo",
             title: str = "Demo report", seed: int = 0, bars: int = 72,
             benchmark: str | None = "buy & hold", catalog: tuple[Regime, ...] | None = None,
             start: str = "2005-01-31", bench_seed: int | None = None,
             source_id: str = "synthetic:long", asset: str = "LONG") -> RunResult:
    """A run of ``len(labels)`` strategies on ``bars`` month ends from ``start``.

    The market of the strategy under test depends on ``seed``; that of the
    benchmarks on ``bench_seed`` (default: ``seed``), so two runs can share benchmarks.
    """
    rng = np.random.default_rng(seed if bench_seed is None else bench_seed)
    index = pd.date_range(start, periods=bars, freq="ME", name="date")
    rets = pd.DataFrame(
        {"LONG": rng.normal(0.006, 0.05, bars), "SHORT": rng.normal(0.004, 0.02, bars),
         "CASH": np.full(bars, 0.002)}, index=index,
    )
    composite = pd.Series(np.sin(np.arange(bars) / 6.0), index=index)
    risk_off = composite > 0.3
    on = pd.DataFrame({"LONG": 1.0, "SHORT": 0.0, "CASH": 0.0}, index=index)
    weights = on.where(~risk_off, other=0.0).assign(SHORT=risk_off.astype(float))
    main_rets = rets
    if bench_seed is not None and bench_seed != seed:
        other = np.random.default_rng(seed)
        main_rets = rets.assign(LONG=other.normal(0.006, 0.05, bars))
    results = {labels[0]: _result(labels[0], "binary_rotation", weights, main_rets, risk_off)}
    for i, label in enumerate(labels[1:]):
        mix = on.assign(LONG=0.5 + 0.1 * i, SHORT=0.5 - 0.1 * i)
        results[label] = _result(label, "static_mix", mix, rets, None)
    specs = tuple(StrategySpec(label, r.kind, {"enter": 0.3} if r.risk_off is not None else {})
                  for label, r in results.items())
    sources = (
        SeriesInfo(asset, source_id, "asset", "return", "decimal return", "M", "none",
                   index[0], index[-1], EVIL),
        SeriesInfo("CASH", "synthetic:cash", "cash", "return", "decimal return", "M", "none",
                   index[0], index[-1], "bill"),
    )
    if asset != "LONG":
        results = {k: replace(r, weights=r.weights.rename(columns={"LONG": asset}))
                   for k, r in results.items()}
    sleeves = pd.DataFrame({"long": rets["LONG"], "short": rets["SHORT"], "cash": rets["CASH"]})
    sleeves.iloc[0] = 0.0
    if benchmark is not None and benchmark not in results:
        benchmark = None
    if benchmark is not None:
        results = {k: replace(r, benchmark=results[benchmark].returns, benchmark_label=benchmark)
                   for k, r in results.items()}
    return RunResult(
        config=Config(Section(name, title), CostModel(fees_bps=10.0, slippage_bps=5.0), specs,
                      raw={"run": {"name": name, "note": float("nan")}},
                      benchmark_label=benchmark),  # type: ignore[arg-type]
        dataset=Data(sources),  # type: ignore[arg-type]
        window=index,
        signal=pd.DataFrame({"level_z": composite * 2, "composite": composite}),
        sleeve_returns=sleeves,
        results=results,
        catalog=CATALOG if catalog is None else catalog,
    )


@pytest.fixture
def run() -> RunResult:
    return make_run()


@pytest.fixture
def evil_run() -> RunResult:
    """Strategy label, run name and title, a regime's name and text, a source's notes: hostile."""
    return make_run((EVIL, "plain"), name=EVIL, title=EVIL)


@pytest.fixture(name="make_run")
def make_run_fixture() -> Any:
    """The :func:`make_run` factory, for tests that need several runs."""
    return make_run


@pytest.fixture(scope="session")
def real_run() -> RunResult:
    """The default config on the embedded data."""
    import backtest

    return backtest.run()
