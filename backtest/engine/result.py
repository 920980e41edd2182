"""The immutable result of one strategy's backtest."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Literal

import pandas as pd

from backtest.config import CostModel
from backtest.metrics import Metric, build_bar, compute_full_metrics, compute_metrics

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["ENGINES", "BacktestResult", "Engine", "PlotKind", "result_stats"]

PlotKind = Literal["equity", "drawdown", "weights"]

#: What executes the rules: vectorbt (the engine of record) or the project's kernel.
Engine = Literal["vectorbt", "kernel"]
ENGINES: tuple[Engine, ...] = ("vectorbt", "kernel")
#: How reports name each engine (a document before JSON schema 1.6 has none: vectorbt).
ENGINE_TEXT = {
    "vectorbt": "vectorbt (Portfolio.from_orders)",
    "kernel": "dcf-regime kernel (numba; tested equal to vectorbt to 1e-10)",
}


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """One strategy, executed.

    Attributes
    ----------
    label : str
        Display name (unique within a run).
    kind : str
        Registry name of the strategy.
    returns : pd.Series
        Net periodic returns, one per bar after the first bar of the window;
        compounded they end at ``values[-1] / values[0]``.
    values : pd.Series
        Portfolio value: the initial capital at the first close (before its
        trades), then the value after each close's trades. With
        ``execution_lag = 0`` the first trade's costs fall into the first return.
    weights : pd.DataFrame
        Executed weights per asset after each close's trades (drift included).
    targets : pd.DataFrame
        The strategy's decided targets (before the execution lag; NaN = no trade).
    turnover : pd.Series
        One-way turnover per bar, bar 0 included: half the traded value over
        portfolio value (:func:`backtest.engine.bar_turnover`). The initial build
        is at :attr:`build_bar`.
    cash_returns : pd.Series
        The cash asset's return per bar (the risk-free rate of Sharpe/Sortino).
    risk_off : pd.Series or None
        Risk-off state per bar for signal-driven strategies.
    periods_per_year, execution_lag : int
    costs : CostModel
    benchmark : pd.Series or None
        Returns of the run's benchmark on the same dates (beta, alpha, information
        ratio and tracking error are measured against it); None: those are NaN.
    benchmark_label : str or None
        Its label.
    engine : {"vectorbt", "kernel"}
        What executed the rules (:func:`backtest.engine.run_backtest`).
    """

    label: str
    kind: str
    returns: pd.Series
    values: pd.Series
    weights: pd.DataFrame
    targets: pd.DataFrame
    turnover: pd.Series
    cash_returns: pd.Series
    risk_off: pd.Series | None
    periods_per_year: int
    execution_lag: int
    costs: CostModel
    benchmark: pd.Series | None = None
    benchmark_label: str | None = None
    engine: Engine = "vectorbt"

    def stats(self) -> pd.Series:
        """Every headline :class:`~backtest.metrics.Metric`, then every ``FullMetric``.

        The headline metrics come first (the terminal tables show only those), then
        the full list of the JSON and the HTML report; annualized with
        ``periods_per_year``.
        """
        return self._stats.copy()

    @property
    def build_bar(self) -> int | None:
        """Position of the initial build: the bar that executes the first decision."""
        decided = self.targets.notna().any(axis=1).to_numpy()
        return build_bar(decided, self.execution_lag)

    @cached_property
    def _stats(self) -> pd.Series:
        headline = result_stats(
            self.returns,
            self.cash_returns,
            periods_per_year=self.periods_per_year,
            turnover=self.turnover,
            build=self.build_bar,
            risk_off=self.risk_off,
            benchmark=self.benchmark,
        )
        full = compute_full_metrics(
            self.returns, periods_per_year=self.periods_per_year, benchmark=self.benchmark
        )
        return pd.concat([headline, full]).rename(self.returns.name)

    def summary(self) -> str:
        """A plain-text summary with conventions."""
        s = self.stats()
        lines = [
            f"{self.label} ({self.kind}): {self.returns.index[0].date()} .. "
            f"{self.returns.index[-1].date()}, {len(self.returns)} bars, "
            f"periods_per_year={self.periods_per_year}, execution_lag={self.execution_lag}, "
            f"fees={self.costs.fees_bps:g}bps, slippage={self.costs.slippage_bps:g}bps, "
            f"benchmark={self.benchmark_label or 'none'}",
        ]
        for m in Metric:
            v = s[str(m)]
            value = f"{v:>10.2%}" if m.is_percent else f"{v:>10.3f}"
            lines.append(f"  {m.label:<24}{value}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def plot(self, kind: PlotKind = "equity") -> go.Figure:
        """A plotly figure (returned, never shown or written)."""
        from backtest.report import figures

        frame = self.returns.to_frame(self.label)
        if kind == "equity":
            return figures.equity_figure(frame)
        if kind == "drawdown":
            return figures.drawdown_figure(frame)
        return figures.weights_figure(self.weights, title=self.label)

    def to_frame(self) -> pd.DataFrame:
        """Returns, value, turnover and executed weights side by side."""
        frame = pd.concat(
            [
                self.returns.rename("return").reindex(self.values.index),
                self.values.rename("value"),
                self.turnover.rename("turnover"),
                self.weights.add_prefix("w_"),
            ],
            axis=1,
        )
        frame.index.name = "date"
        return frame


def result_stats(
    returns: pd.Series,
    cash_returns: pd.Series,
    *,
    periods_per_year: int,
    turnover: pd.Series,
    build: int | None,
    risk_off: pd.Series | None,
    benchmark: pd.Series | None = None,
) -> pd.Series:
    """The metrics of :meth:`BacktestResult.stats` from a result's series.

    One place for the rule, shared by :class:`BacktestResult` and the sweep engine
    (:mod:`backtest.sweep`), which has the series but no result object.

    Parameters
    ----------
    returns, cash_returns : pd.Series
        Net returns and the cash asset's returns, one per bar after the first.
    periods_per_year : int
    turnover : pd.Series
        One-way turnover on every bar of the window (bar 0 included).
    build : int or None
        Position of the initial build (:func:`backtest.metrics.build_bar`).
    risk_off : pd.Series or None
        Risk-off state on the bars of ``returns``.
    benchmark : pd.Series or None
        The run's benchmark returns on the bars of ``returns`` (beta, alpha,
        information ratio, tracking error; NaN without it).
    """
    return compute_metrics(
        returns,
        cash_returns,
        periods_per_year=periods_per_year,
        turnover=turnover,
        build=build,
        risk_off=risk_off,
        benchmark=benchmark,
    )
