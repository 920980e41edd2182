"""Figures of return analysis: rolling measures, calendar returns, distribution, risk/return."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from backtest.report._figbase import (
    NO_PALETTE,
    Palette,
    add_dropdown,
    base_figure,
    place_legend,
    text,
    thin,
)

__all__ = [
    "annual_returns_figure",
    "annual_vs_benchmark_figure",
    "distribution_figure",
    "monthly_heatmap_figure",
    "return_quantiles_figure",
    "risk_return_figure",
    "rolling_figure",
    "rolling_risk_figure",
]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: Red for losses, white at zero, green for gains.
_DIVERGING = [[0.0, "#b2182b"], [0.5, "#f7f7f7"], [1.0, "#1a9850"]]


def _two_panels(top: pd.DataFrame, bottom: pd.DataFrame, bottom_hover: str, *,
                max_points: int | None, hidden: Sequence[str], palette: Palette) -> go.Figure:
    """Two line panels sharing the date axis, one legend entry per column toggling both."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.05)
    fig.update_layout(template=base_figure("", "").layout.template, height=560,
                      margin={"t": 40})
    for i, column in enumerate(top.columns):
        style = {"legendgroup": f"s{i}", "line": palette.line(column, i, 1.2),
                 "visible": "legendonly" if column in hidden else True}
        upper, lower = thin(top[column], max_points), thin(bottom[column], max_points)
        fig.add_trace(go.Scatter(x=upper.index, y=upper.to_numpy(), mode="lines",
                                 name=text(column), hovertemplate="%{y:.2f}", **style),
                      row=1, col=1)
        fig.add_trace(go.Scatter(x=lower.index, y=lower.to_numpy(), mode="lines",
                                 name=text(column), showlegend=False,
                                 hovertemplate=bottom_hover, **style), row=2, col=1)
    return fig


def rolling_figure(
    sharpe: pd.DataFrame,
    volatility: pd.DataFrame,
    window: str,
    *,
    max_points: int | None = None,
    hidden: Sequence[str] = (),
    palette: Palette = NO_PALETTE,
) -> go.Figure:
    """Rolling Sharpe ratio above rolling volatility, sharing the date axis.

    Parameters
    ----------
    sharpe, volatility : pd.DataFrame
        Shape (n_dates, n_strategies): annualized rolling measures
        (:func:`backtest.metrics.rolling_sharpe`, :func:`~backtest.metrics.rolling_volatility`).
    window : str
        The window as stated to the reader (``"36 months"``), shown in the axis titles.
    max_points : int or None
        Display resolution (:func:`thin`).
    hidden : sequence of str
        Columns listed in the legend but not drawn until clicked.

    Returns
    -------
    go.Figure
    """
    fig = _two_panels(sharpe, volatility, "%{y:.1%}", max_points=max_points, hidden=hidden,
                      palette=palette)
    fig.update_yaxes(title_text=f"Sharpe, {window}", zeroline=True, zerolinecolor="#888",
                     row=1, col=1)
    fig.update_yaxes(title_text=f"Volatility, {window}", tickformat=".0%", rangemode="tozero",
                     row=2, col=1)
    return place_legend(fig, len(sharpe.columns))


def annual_returns_figure(table: pd.DataFrame, *, hidden: Sequence[str] = (),
                          palette: Palette = NO_PALETTE) -> go.Figure:
    """Calendar-year returns as grouped bars.

    Parameters
    ----------
    table : pd.DataFrame
        Shape (n_years, n_strategies): compounded return of each year (decimals),
        indexed by year (int); NaN where a strategy has no bar in that year.
    hidden : sequence of str
        Columns listed in the legend but not drawn until clicked.

    Returns
    -------
    go.Figure
    """
    fig = base_figure("Annual returns", "Return over the calendar year (%)", "Year")
    for i, column in enumerate(table.columns):
        fig.add_trace(go.Bar(x=table.index.to_numpy(), y=table[column].to_numpy(),
                             name=text(column), marker_color=palette.colour(column, i),
                             visible="legendonly" if column in hidden else True,
                             hovertemplate="%{x}: %{y:.1%}"))
    fig.update_layout(barmode="group", hovermode="x", bargap=0.15, margin={"t": 40},
                      title=None)
    fig.update_yaxes(tickformat=".0%", zeroline=True, zerolinecolor="#555")
    return place_legend(fig)


def monthly_heatmap_figure(monthly: Mapping[str, pd.Series]) -> go.Figure:
    """Monthly returns as a year × month heatmap, one strategy at a time.

    Parameters
    ----------
    monthly : mapping of str to pd.Series
        Strategy label → compounded monthly returns indexed by (year, month)
        (:func:`backtest.metrics.calendar_returns` with ``"month"``). With several,
        a dropdown chooses the strategy shown.

    Returns
    -------
    go.Figure
        Years down, months across, each cell's return written in it; red losses,
        green gains, white zero (the colour scale is symmetric about 0 and scaled to
        each strategy's own largest month, so one run's 87% month does not wash out
        another's).
    """
    fig = base_figure("Monthly returns", "Year", "Month")
    years: list[int] = []
    for series in monthly.values():
        frame = series.unstack().reindex(columns=range(1, 13))  # noqa: PD010 (a 2-level index)
        years = sorted(set(years) | set(frame.index))
    groups = []
    for label, series in monthly.items():
        frame = series.unstack().reindex(index=years, columns=range(1, 13))  # noqa: PD010
        z = frame.to_numpy(dtype="float64")
        finite = np.abs(z[np.isfinite(z)])
        top = float(finite.max()) if finite.size else 0.0
        cells = np.where(np.isfinite(z), np.char.mod("%.1f", np.nan_to_num(z) * 100), "")
        fig.add_trace(go.Heatmap(
            z=z, x=list(_MONTHS), y=[str(y) for y in years], text=cells,
            texttemplate="%{text}", textfont={"size": 9}, colorscale=_DIVERGING,
            zmin=-top or -0.01, zmax=top or 0.01, xgap=1, ygap=1, name=text(label),
            colorbar={"tickformat": ".0%", "title": {"text": "Return"}},
            hovertemplate="%{y} %{x}: %{z:.2%}<extra></extra>",
        ))
        groups.append((label, [len(fig.data) - 1]))
    fig.update_yaxes(autorange="reversed", type="category", showgrid=False, title=None)
    fig.update_xaxes(side="top", showgrid=False, title=None)
    # 17 px a year, at most 1,200 px (a century of months still fits a screen or two)
    fig.update_layout(height=max(320, min(1200, 120 + 17 * len(years))), hovermode="closest",
                      title=None,
                      margin={"t": 90 if len(groups) > 1 else 50, "l": 60})
    return add_dropdown(fig, groups)


def distribution_figure(
    returns: Mapping[str, pd.Series],
    stats: Mapping[str, Mapping[str, float]],
    *,
    bins: int = 80,
    period: str = "bar",
    hidden: Sequence[str] = (),
    palette: Palette = NO_PALETTE,
) -> go.Figure:
    """Histogram of periodic returns per strategy on common bins, overlaid.

    Parameters
    ----------
    returns : mapping of str to pd.Series
        Strategy label → periodic returns (decimals).
    stats : mapping of str to mapping
        Strategy label → :func:`backtest.metrics.distribution_stats` (skew and
        kurtosis are written in the legend).
    bins : int
        Number of equal-width bins spanning every strategy's whole range.
    period : str
        What one return covers (``"month"``, ``"business day"``), for the axis title.
    hidden : sequence of str
        Labels listed in the legend but not drawn until clicked.

    Returns
    -------
    go.Figure
        One bar trace per strategy: share of its returns in each bin (percent; the
        bars of a strategy sum to 100%), binned with numpy, so the page carries the
        counts, not the returns.
    """
    fig = base_figure("Distribution of returns", "Share of periods", f"Return per {period}")
    pooled = np.concatenate([s.dropna().to_numpy(dtype="float64") for s in returns.values()]
                            or [np.zeros(0)])
    if pooled.size == 0:
        return fig
    edges = np.histogram_bin_edges(pooled, bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    for i, (label, series) in enumerate(returns.items()):
        values = series.dropna().to_numpy(dtype="float64")
        counts, _ = np.histogram(values, bins=edges)
        share = counts / max(len(values), 1)
        s = stats.get(label, {})
        fig.add_trace(go.Bar(
            x=centres, y=share, width=float(edges[1] - edges[0]),
            marker_color=palette.colour(label, i),
            opacity=0.55, name=text(f"{label} (skew {s.get('skew', np.nan):.2f}, "
                                    f"excess kurtosis {s.get('kurtosis', np.nan):.2f})"),
            visible="legendonly" if label in hidden else True,
            hovertemplate="%{x:.2%}: %{y:.1%}<extra></extra>",
        ))
    fig.update_layout(barmode="overlay", hovermode="closest", title=None, margin={"t": 40},
                      legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1,
                              "yanchor": "top"})
    fig.update_xaxes(tickformat=".1%")
    fig.update_yaxes(tickformat=".0%")
    return fig


def risk_return_figure(points: pd.DataFrame, *, palette: Palette = NO_PALETTE) -> go.Figure:
    """Annualized volatility against CAGR, one labelled marker per strategy.

    Parameters
    ----------
    points : pd.DataFrame
        Indexed by strategy label, with columns ``volatility``, ``cagr`` and
        ``sharpe`` (decimals; Sharpe shown on hover); rows with a missing value
        are left out.

    Returns
    -------
    go.Figure
    """
    fig = base_figure("Risk and return", "CAGR", "Annualized volatility")
    clean = points.dropna(subset=["volatility", "cagr"])
    for i, (label, row) in enumerate(clean.iterrows()):
        fig.add_trace(go.Scatter(
            x=[row["volatility"]], y=[row["cagr"]], mode="markers+text", name=text(label),
            text=[text(label)], textposition="top center", textfont={"size": 10},
            marker={"size": 11, "color": palette.colour(str(label), i),
                    "line": {"width": 1, "color": "#333"}},
            customdata=[row.get("sharpe", np.nan)],
            # the label is the trace name (shown escaped beside the box), never part of
            # the template, where "%{...}" in a label would be read as a placeholder
            hovertemplate="volatility %{x:.1%}<br>CAGR %{y:.2%}<br>Sharpe %{customdata:.2f}",
        ))
    fig.update_xaxes(tickformat=".0%", rangemode="tozero")
    fig.update_yaxes(tickformat=".1%", zeroline=True, zerolinecolor="#888")
    fig.update_layout(hovermode="closest", title=None, margin={"t": 40},
                      legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1,
                              "yanchor": "top"})
    return fig


def rolling_risk_figure(
    sortino: pd.DataFrame,
    beta: pd.DataFrame,
    window: str,
    *,
    max_points: int | None = None,
    hidden: Sequence[str] = (),
    palette: Palette = NO_PALETTE,
) -> go.Figure:
    """Rolling Sortino ratio above rolling beta to the benchmark, sharing the date axis.

    Parameters
    ----------
    sortino, beta : pd.DataFrame
        Shape (n_dates, n_strategies): :func:`backtest.metrics.rolling_sortino` and
        :func:`~backtest.metrics.rolling_beta` (all NaN for a strategy without a
        benchmark).
    window : str
        The window as stated to the reader, shown in the axis titles.
    max_points : int or None
        Display resolution (:func:`thin`).
    hidden : sequence of str
        Columns listed in the legend but not drawn until clicked.

    Returns
    -------
    go.Figure
    """
    fig = _two_panels(sortino, beta, "%{y:.2f}", max_points=max_points, hidden=hidden,
                      palette=palette)
    fig.update_yaxes(title_text=f"Sortino, {window}", zeroline=True, zerolinecolor="#888",
                     row=1, col=1)
    fig.update_yaxes(title_text=f"Beta, {window}", zeroline=True, zerolinecolor="#888",
                     row=2, col=1)
    return place_legend(fig, len(sortino.columns))


def annual_vs_benchmark_figure(tables: Mapping[str, pd.DataFrame], *,
                               palette: Palette = NO_PALETTE) -> go.Figure:
    """Each year's return of a strategy beside its benchmark's, one strategy at a time.

    Parameters
    ----------
    tables : mapping of str to pd.DataFrame
        Strategy label → :func:`backtest.metrics.annual_returns_vs_benchmark`
        (``strategy`` and ``benchmark`` columns, indexed by year). With several, a
        dropdown chooses the strategy shown.

    Returns
    -------
    go.Figure
        Grouped bars: the strategy, then the benchmark.
    """
    fig = base_figure("Annual returns against the benchmark",
                      "Return over the calendar year (%)", "Year")
    groups = []
    for label, table in tables.items():
        years = table.index.to_numpy()
        first = len(fig.data)
        fig.add_trace(go.Bar(x=years, y=table["strategy"].to_numpy(), name=text(label),
                             marker_color=palette.colour(label), hovertemplate="%{x}: %{y:.1%}"))
        fig.add_trace(go.Bar(x=years, y=table["benchmark"].to_numpy(), name="benchmark",
                             marker_color="#888", hovertemplate="%{x}: %{y:.1%}"))
        groups.append((label, [first, first + 1]))
    fig.update_layout(barmode="group", hovermode="x", bargap=0.15,
                      margin={"t": 90 if len(groups) > 1 else 40}, title=None)
    fig.update_yaxes(tickformat=".0%", zeroline=True, zerolinecolor="#555")
    return add_dropdown(place_legend(fig, 2), groups)


def return_quantiles_figure(
    quantiles: Mapping[str, Mapping[str, Mapping[str, float]]], *, hidden: Sequence[str] = (),
    palette: Palette = NO_PALETTE,
) -> go.Figure:
    """Box plots of the returns per bar, month and year, one box per strategy and period.

    Parameters
    ----------
    quantiles : mapping
        Strategy label → period name (``"bar"``, ``"month"``, ``"year"``) →
        ``min``, ``q1``, ``median``, ``q3``, ``max`` and ``mean`` of the returns over
        that period (:func:`backtest.report._analysis.return_quantiles`). The boxes
        are drawn from these numbers, not from the returns, so a long daily run
        embeds six numbers a box.
    hidden : sequence of str
        Labels listed in the legend but not drawn until clicked.

    Returns
    -------
    go.Figure
        Whiskers at the lowest and highest return; the dashed line is the mean.
    """
    fig = base_figure("Return quantiles", "Return over the period (%)", "Period")
    for i, (label, by_period) in enumerate(quantiles.items()):
        periods = list(by_period)

        def column(key: str, by_period: Mapping[str, Mapping[str, float]] = by_period,
                   periods: list[str] = periods) -> list[float]:
            return [float(by_period[p][key]) for p in periods]

        fig.add_trace(go.Box(
            x=periods, q1=column("q1"), median=column("median"), q3=column("q3"),
            lowerfence=column("min"), upperfence=column("max"), mean=column("mean"),
            name=text(label), marker_color=palette.colour(label, i), boxpoints=False,
            visible="legendonly" if label in hidden else True,
        ))
    fig.update_layout(boxmode="group", margin={"t": 40}, title=None)
    fig.update_yaxes(tickformat=".0%", zeroline=True, zerolinecolor="#555")
    return place_legend(fig)
