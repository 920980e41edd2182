"""Plotly figures (pure): pandas in, :class:`plotly.graph_objects.Figure` out.

Used by :meth:`BacktestResult.plot`, the HTML report and ``tune``. Nothing here
shows, writes or configures anything globally. Text that comes from users
(strategy labels, asset names, regime names and descriptions) is HTML-escaped
before it reaches plotly, because plotly.js renders trace names and annotations as
a subset of HTML: a label such as ``a<b>`` is shown literally.

``max_points`` (default None: every bar) sets the display resolution of long
series; see :func:`thin`. Numbers in tables and JSON never go through it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from backtest.report._fig_analysis import (
    annual_returns_figure,
    annual_vs_benchmark_figure,
    distribution_figure,
    monthly_heatmap_figure,
    return_quantiles_figure,
    risk_return_figure,
    rolling_figure,
    rolling_risk_figure,
)
from backtest.report._fig_signal import (
    SignalPanel,
    regime_bars_figure,
    signal_figure,
    signal_panels_figure,
)
from backtest.report._figbase import (
    DISPLAY_POINTS,
    NO_PALETTE,
    Palette,
    RegimeSpan,
    add_dropdown,
    base_figure,
    kind_colour,
    place_legend,
    sample_rows,
    text,
    thin,
)

__all__ = [
    "DISPLAY_POINTS",
    "NO_PALETTE",
    "Palette",
    "RegimeSpan",
    "SignalPanel",
    "annual_returns_figure",
    "annual_vs_benchmark_figure",
    "distribution_figure",
    "drawdown_figure",
    "equity_figure",
    "exposures_figure",
    "growth_figure",
    "kind_colour",
    "monthly_heatmap_figure",
    "regime_bars_figure",
    "return_quantiles_figure",
    "risk_return_figure",
    "rolling_figure",
    "rolling_risk_figure",
    "signal_figure",
    "signal_panels_figure",
    "thin",
    "weights_figure",
]


def _wealth(returns: pd.Series) -> pd.Series:
    """Growth of 1 over the non-missing returns of one strategy."""
    clean = returns.dropna().astype("float64")
    return (1.0 + clean).cumprod()


def _underwater(returns: pd.Series) -> pd.Series:
    wealth = _wealth(returns)
    return wealth / np.maximum(wealth.cummax(), 1.0) - 1.0


def _log_ticks(fig: go.Figure, low: float, high: float, row: int | None = None) -> None:
    """A log axis ticked 1, 2, 5, 10, 20, 50… (decades only beyond five decades).

    plotly's own log ticks read "2, 3, … 10, 2, 3": the digits of every decade, with
    the decade dropped.
    """
    low, high = max(min(low, high), 1e-12), max(high, low, 1e-12)
    steps = (1.0, 2.0, 5.0) if math.log10(high / low) <= 5 else (1.0,)
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    values = [m * 10.0**k for k in range(first, last + 1) for m in steps]
    values = [v for v in values if low / 2.5 <= v <= high * 2.5]
    fig.update_yaxes(type="log", tickvals=values, ticktext=[f"{v:,.12g}" for v in values],
                     row=row, col=1 if row else None)


def equity_figure(returns: pd.DataFrame, *, max_points: int | None = None) -> go.Figure:
    """Growth of 1 per strategy on a log scale.

    Parameters
    ----------
    returns : pd.DataFrame
        Shape (n_dates, n_strategies): simple periodic net returns (decimals), one
        column per strategy, DatetimeIndex ``date``. Missing values (strategies on
        different windows) are skipped column by column.
    max_points : int or None
        Display resolution (:func:`thin`); None draws every bar.

    Returns
    -------
    go.Figure
        One line per column: cumulative product of ``1 + r``.
    """
    fig = base_figure("Growth of 1 (net of costs)", "Growth of 1 (log scale)")
    low, high = 1.0, 1.0
    for column in returns.columns:
        wealth = _wealth(returns[column])
        if len(wealth):
            low, high = min(low, float(wealth.min())), max(high, float(wealth.max()))
        shown = thin(wealth, max_points)
        fig.add_trace(go.Scatter(x=shown.index, y=shown.to_numpy(), mode="lines",
                                 name=text(column), hovertemplate="%{y:.3f}"))
    _log_ticks(fig, low, high)
    return place_legend(fig)


def drawdown_figure(returns: pd.DataFrame, *, max_points: int | None = None) -> go.Figure:
    """Drawdown from the running peak of growth of 1, per strategy.

    Parameters
    ----------
    returns : pd.DataFrame
        Shape (n_dates, n_strategies): simple periodic net returns (decimals).
    max_points : int or None
        Display resolution (:func:`thin`); None draws every bar.

    Returns
    -------
    go.Figure
        One line per column: ``wealth / cummax(wealth) - 1`` (the peak includes the
        starting value 1), in percent.
    """
    fig = base_figure("Drawdown from peak", "Drawdown (%)")
    for column in returns.columns:
        shown = thin(_underwater(returns[column]), max_points)
        fig.add_trace(go.Scatter(x=shown.index, y=shown.to_numpy(), mode="lines",
                                 name=text(column), hovertemplate="%{y:.1%}"))
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return place_legend(fig)


def growth_figure(
    returns: pd.DataFrame, *, max_points: int | None = None, hidden: Sequence[str] = (),
    palette: Palette = NO_PALETTE,
) -> go.Figure:
    """Growth of 1 (log scale) above the underwater curve, sharing the date axis.

    Parameters
    ----------
    returns : pd.DataFrame
        Shape (n_dates, n_strategies): simple periodic net returns (decimals).
    max_points : int or None
        Display resolution (:func:`thin`) of each line.
    hidden : sequence of str
        Columns listed in the legend but not drawn until clicked.
    palette : Palette
        Each column's colour and dash (the page's, so they match every chart).

    Returns
    -------
    go.Figure
        Row 1: ``prod(1 + r)`` per strategy on a log axis; row 2: ``wealth /
        cummax(wealth) - 1`` (the peak includes the starting 1), in percent. One
        legend entry per strategy toggles both rows.
    """
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.64, 0.36],
                        vertical_spacing=0.04)
    fig.update_layout(template=base_figure("", "").layout.template, height=620,
                      margin={"t": 40})
    low, high = 1.0, 1.0
    for i, column in enumerate(returns.columns):
        wealth = _wealth(returns[column])
        if len(wealth):
            low, high = min(low, float(wealth.min())), max(high, float(wealth.max()))
        style = {"legendgroup": f"s{i}", "line": palette.line(column, i),
                 "visible": "legendonly" if column in hidden else True}
        up = thin(wealth, max_points)
        down = thin(_underwater(returns[column]), max_points)
        fig.add_trace(go.Scatter(x=up.index, y=up.to_numpy(), mode="lines", name=text(column),
                                 hovertemplate="%{y:.3f}", **style), row=1, col=1)
        fig.add_trace(go.Scatter(x=down.index, y=down.to_numpy(), mode="lines",
                                 name=text(column), showlegend=False,
                                 hovertemplate="%{y:.1%}", **style), row=2, col=1)
    _log_ticks(fig, low, high, row=1)
    fig.update_yaxes(title_text="Growth of 1 (log)", row=1, col=1)
    fig.update_yaxes(title_text="Drawdown", tickformat=".0%", row=2, col=1)
    fig.update_xaxes(showspikes=True, spikemode="across", spikethickness=1)
    return place_legend(fig, len(returns.columns))


def weights_figure(
    weights: pd.DataFrame, title: str = "Executed weights", *, max_points: int | None = None
) -> go.Figure:
    """Stacked area of portfolio weights over time.

    Parameters
    ----------
    weights : pd.DataFrame
        Shape (n_dates, n_assets): weights (decimals) after each close's trades.
    title : str
        Figure title (escaped).
    max_points : int or None
        Display resolution: every k-th row (:func:`sample_rows`); None: every row.

    Returns
    -------
    go.Figure
        One stacked, step-shaped area per asset, in percent of portfolio value.
    """
    fig = base_figure(f"Weights: {title}", "Weight (% of portfolio)")
    for trace in _weight_traces(weights, max_points, group="weights"):
        fig.add_trace(trace)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.0])
    return place_legend(fig)


def _weight_traces(weights: pd.DataFrame, max_points: int | None, group: str) -> list[go.Scatter]:
    shown = sample_rows(weights.fillna(0.0), max_points)
    return [
        go.Scatter(x=shown.index, y=shown[column].to_numpy(), mode="lines", name=text(column),
                   stackgroup=group, line={"width": 0.5, "shape": "hv"},
                   hovertemplate="%{y:.1%}")
        for column in shown.columns
    ]


def exposures_figure(
    weights: Mapping[str, pd.DataFrame], *, max_points: int | None = None
) -> go.Figure:
    """Executed weights of one or more strategies over time, one at a time.

    Parameters
    ----------
    weights : mapping of str to pd.DataFrame
        Strategy label → weights (n_dates, n_assets), decimals after each close's
        trades. With several, a dropdown chooses the strategy shown.
    max_points : int or None
        Display resolution (:func:`sample_rows`).

    Returns
    -------
    go.Figure
        Stacked, step-shaped areas per asset (cash included), in percent.
    """
    fig = base_figure("Exposures over time", "Weight (% of portfolio)")
    groups: list[tuple[str, list[int]]] = []
    for i, (label, frame) in enumerate(weights.items()):
        start = len(fig.data)
        for trace in _weight_traces(frame, max_points, group=f"w{i}"):
            trace.legendgroup = f"w{i}"
            fig.add_trace(trace)
        groups.append((label, list(range(start, len(fig.data)))))
    fig.update_yaxes(tickformat=".0%", range=[0, 1.0])
    fig.update_layout(legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1,
                              "yanchor": "top"}, margin={"t": 50})
    return add_dropdown(fig, groups)
