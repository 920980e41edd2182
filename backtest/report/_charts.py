"""Every chart of the report, as embedded figure JSON (pure)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from backtest.metrics import (
    annual_returns_vs_benchmark,
    calendar_returns,
    rolling_beta,
    rolling_sharpe,
    rolling_sortino,
    rolling_volatility,
)
from backtest.report import figures
from backtest.report._analysis import return_quantiles, thresholds, window_bars
from backtest.report._compare import Comparison, Entry
from backtest.report._embed import figure_json
from backtest.report._regimes import regime_names
from backtest.report._runs import RunData

__all__ = ["build_charts", "page_palette"]

#: With more strategies than this, only the strategies under test (and each run's
#: benchmark) are drawn at first; the others are one legend click away.
_SHOWN_MAX = 6


class _Span:
    """A catalog entry as :class:`figures.RegimeSpan`."""

    def __init__(self, item: dict[str, Any]) -> None:
        self.name = str(item.get("name", ""))
        self.kind = str(item.get("kind", ""))
        self.start = str(item.get("start"))
        self.end = str(item.get("end"))
        self.description = str(item.get("description", ""))


def is_synthetic(run: RunData) -> bool:
    """Whether any series of the run comes from the synthetic market (its dates are labels)."""
    sources = run.document.get("data", {}).get("sources", [])
    return any(str(s.get("id", "")).startswith("synthetic:") for s in sources
               if isinstance(s, dict))


def page_palette(comparison: Comparison) -> figures.Palette:
    """Every strategy's colour and dash on the page, in every chart and table.

    Strategies under test take the colour-blind-safe colours, the benchmarks (every
    other strategy) greys.
    """
    return figures.Palette([e.label for e in comparison.entries],
                           benchmarks=[e.label for e in comparison.entries if not e.main])


def _hidden(comparison: Comparison) -> list[str]:
    if len(comparison.entries) <= _SHOWN_MAX:
        return []
    keep = {e.label for e in comparison.mains} | {e.benchmark for e in comparison.mains}
    return [e.label for e in comparison.entries if e.label not in keep]


def _benchmark_returns(comparison: Comparison, entry: Entry) -> pd.Series | None:
    """Returns of the benchmark the entry's beta is measured against (None: no benchmark)."""
    run = comparison.runs[entry.run]
    if run.benchmark is None or run.benchmark not in run.strategies:
        return None
    return run.strategies[run.benchmark].returns


def _rolling(comparison: Comparison, months: int) -> dict[str, pd.DataFrame]:
    """Rolling Sharpe, volatility, Sortino and beta of every strategy, one window each run."""
    out: dict[str, dict[str, pd.Series]] = {"sharpe": {}, "vol": {}, "sortino": {}, "beta": {}}
    for e in comparison.entries:
        run, r = comparison.runs[e.run], e.data.returns
        bars = window_bars(months, run.periods_per_year)
        out["sharpe"][e.label] = rolling_sharpe(r, run.cash, bars, run.periods_per_year)
        out["vol"][e.label] = rolling_volatility(r, bars, run.periods_per_year)
        out["sortino"][e.label] = rolling_sortino(r, run.cash, bars, run.periods_per_year)
        bench = _benchmark_returns(comparison, e)
        out["beta"][e.label] = (rolling_beta(r, bench, run.cash, bars) if bench is not None
                                else pd.Series(float("nan"), index=r.index))
    return {name: pd.DataFrame(columns) for name, columns in out.items()}


def _against_benchmark(comparison: Comparison) -> dict[str, pd.DataFrame]:
    tables = {}
    for e in comparison.mains:
        bench = _benchmark_returns(comparison, e)
        if bench is not None and not bench.equals(e.data.returns):
            tables[e.label] = annual_returns_vs_benchmark(e.data.returns, bench)
    return tables


def _signal_panels(comparison: Comparison, max_points: int | None) -> list[figures.SignalPanel]:
    panels = []
    for i, run in enumerate(comparison.runs):
        if "composite" not in run.signal:
            continue
        main = run.strategies[run.main]
        components = run.signal.drop(columns=["composite"])
        panels.append(figures.SignalPanel(
            label=comparison.names[i], composite=run.signal["composite"],
            components=components if len(components.columns) else None,
            risk_off=main.risk_off, thresholds=thresholds(main.kind, main.params),
            synthetic=is_synthetic(run),
        ))
    return panels


def _regime_table(comparison: Comparison, names: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows: list[dict[str, Any]] = []
    spreads: dict[str, pd.Series] = {}
    for e in comparison.entries:
        table = comparison.runs[e.run].regimes
        if table.empty:
            continue
        mine = table[table["strategy"] == e.data.label]
        rows += [{"regime": r, "strategy": e.label, "return": v}
                 for r, v in zip(mine["regime"], mine["return"], strict=True)]
    for i, run in enumerate(comparison.runs):
        if run.regimes.empty or "long_minus_short" not in run.regimes:
            continue
        spread = run.regimes.drop_duplicates("regime").set_index("regime")["long_minus_short"]
        label = "long − short sleeve" + (f" ({comparison.names[i]})" if comparison.multi else "")
        if not any(spread.equals(s) for s in spreads.values()):
            spreads[label] = spread
    table = pd.DataFrame(rows, columns=["regime", "strategy", "return"])
    order = {n: k for k, n in enumerate(names)}
    table = table.sort_values("regime", key=lambda s: s.map(order), kind="stable")
    return table, pd.DataFrame(spreads).reindex(names)


def build_charts(comparison: Comparison, *, months: int, max_points: int | None,
                 distribution: tuple[dict[str, pd.Series], dict[str, dict[str, float]], str],
                 annual: pd.DataFrame) -> dict[str, str]:
    """Figure JSON of every chart, keyed by chart name (see the template for the order)."""
    hidden = _hidden(comparison)
    returns = pd.DataFrame({e.label: e.data.returns for e in comparison.entries}).sort_index()
    rolling = _rolling(comparison, months)
    sharpe, vol = rolling["sharpe"], rolling["vol"]
    returns_by_label, stats, period = distribution
    points = pd.DataFrame({
        e.label: {"volatility": e.data.metrics.get("annual_volatility"),
                  "cagr": e.data.metrics.get("cagr"), "sharpe": e.data.metrics.get("sharpe")}
        for e in comparison.entries
    }).T.astype("float64")
    names = regime_names(comparison)
    spans = {str(i.get("name")): _Span(dict(i)) for run in comparison.runs for i in run.catalog}
    regimes = [spans[n] for n in names if n in spans]
    table, spreads = _regime_table(comparison, names)
    palette = page_palette(comparison)
    sortino, beta = rolling["sortino"], rolling["beta"]
    against = _against_benchmark(comparison)
    quantiles = {e.label: return_quantiles(e.data.returns,
                                           str(comparison.runs[e.run].conventions.get("frequency")))
                 for e in comparison.entries}
    charts = {
        "growth": figures.growth_figure(returns, max_points=max_points, hidden=hidden,
                                        palette=palette),
        "rolling": figures.rolling_figure(sharpe, vol, f"{months} months",
                                          max_points=max_points, hidden=hidden,
                                          palette=palette),
        "rolling_risk": figures.rolling_risk_figure(sortino, beta, f"{months} months",
                                                    max_points=max_points, hidden=hidden,
                                                    palette=palette),
        "annual": figures.annual_returns_figure(annual, hidden=hidden, palette=palette),
        "annual_vs_benchmark": figures.annual_vs_benchmark_figure(against, palette=palette),
        "quantiles": figures.return_quantiles_figure(quantiles, hidden=hidden,
                                                     palette=palette),
        "monthly": figures.monthly_heatmap_figure(
            {e.label: calendar_returns(e.data.returns, "month") for e in comparison.mains}),
        "distribution": figures.distribution_figure(returns_by_label, stats, period=period,
                                                    hidden=hidden, palette=palette),
        "scatter": figures.risk_return_figure(points, palette=palette),
        "exposures": figures.exposures_figure(
            {e.label: e.data.weights for e in comparison.mains}, max_points=max_points),
        "signal": figures.signal_panels_figure(_signal_panels(comparison, max_points), regimes,
                                               max_points=max_points),
        "regimes": figures.regime_bars_figure(table, spreads=spreads, hidden=hidden,
                                              palette=palette),
    }
    if not names:
        del charts["regimes"]
    if not against:
        del charts["annual_vs_benchmark"]
    return {key: figure_json(fig) for key, fig in charts.items()}
