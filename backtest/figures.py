"""Plotly figures (pure): pandas in, :class:`plotly.graph_objects.Figure` out.

Nothing here shows, writes or configures anything globally: every figure carries
its own small template (no ``plotly.io.templates.default``), so the look is the
same in a notebook, in :meth:`BacktestResult.plot` and in the HTML report.

Text that comes from users (strategy labels, asset names, regime names and
descriptions) is HTML-escaped before it reaches plotly, because plotly.js renders
trace names and annotations as a subset of HTML: a label such as ``a<b>`` is shown
literally instead of being parsed.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date
from typing import Protocol

import numpy as np
import pandas as pd
import plotly.graph_objects as go

__all__ = [
    "RegimeSpan",
    "drawdown_figure",
    "equity_figure",
    "kind_colour",
    "regime_bars_figure",
    "signal_figure",
    "weights_figure",
]

_GRID = "#e6e6e6"
_AXIS = {
    "showgrid": True,
    "gridcolor": _GRID,
    "linecolor": "#9a9a9a",
    "ticks": "outside",
    "zeroline": False,
    "automargin": True,
}
_TEMPLATE = go.layout.Template(
    layout={
        "font": {
            "family": "system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif",
            "size": 12,
            "color": "#222",
        },
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "colorway": [
            "#1f77b4",
            "#d62728",
            "#2ca02c",
            "#9467bd",
            "#ff7f0e",
            "#8c564b",
            "#e377c2",
            "#17becf",
            "#7f7f7f",
            "#bcbd22",
        ],
        "xaxis": _AXIS,
        "yaxis": _AXIS,
        "hovermode": "x unified",
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        "margin": {"l": 70, "r": 20, "t": 70, "b": 50},
        "height": 420,
    }
)

#: Shading of each regime kind (matched on keywords, see :func:`kind_colour`).
_KIND_COLOURS = (
    ("rate", "#d62728"),
    ("credit", "#9467bd"),
    ("liquidity", "#ff7f0e"),
    ("easing", "#2ca02c"),
    ("relief", "#2ca02c"),
)
_OTHER_KIND = "#7f7f7f"
#: More traces than this and the legend moves from above the plot to its right.
_LEGEND_ABOVE_MAX = 5


class RegimeSpan(Protocol):
    """What the figures need of a regime (``backtest.regimes.Regime`` fits)."""

    @property
    def name(self) -> str:
        """Short name shown on the chart."""

    @property
    def kind(self) -> str:
        """Regime kind (rate shock, credit stress, liquidity drain, easing/relief)."""

    @property
    def start(self) -> date | str:
        """First day."""

    @property
    def end(self) -> date | str:
        """Last day."""

    @property
    def description(self) -> str:
        """One line, shown on hover."""


def kind_colour(kind: str) -> str:
    """Colour of a regime kind: red rate shock, purple credit, orange liquidity, green easing.

    Parameters
    ----------
    kind : str
        Regime kind, matched case-insensitively on its keywords.

    Returns
    -------
    str
        A hex colour; grey for kinds without a known keyword.
    """
    lowered = kind.lower()
    return next((colour for key, colour in _KIND_COLOURS if key in lowered), _OTHER_KIND)


def _text(value: object) -> str:
    return html.escape(str(value), quote=False)


def _figure(title: str, yaxis_title: str, xaxis_title: str = "Date") -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        template=_TEMPLATE,
        title={"text": _text(title), "x": 0, "xanchor": "left", "y": 0.98, "yanchor": "top"},
        xaxis_title=xaxis_title,
        yaxis_title=yaxis_title,
    )
    return fig


def _place_legend(fig: go.Figure) -> go.Figure:
    """Keep a long legend clear of the title: beside the plot instead of above it."""
    if len(fig.data) > _LEGEND_ABOVE_MAX:
        fig.update_layout(
            legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top"}
        )
    return fig


def _wealth(returns: pd.Series) -> pd.Series:
    """Growth of 1 over the non-missing returns of one strategy."""
    clean = returns.dropna().astype("float64")
    return (1.0 + clean).cumprod()


def equity_figure(returns: pd.DataFrame) -> go.Figure:
    """Growth of 1 per strategy on a log scale.

    Parameters
    ----------
    returns : pd.DataFrame
        Shape (n_dates, n_strategies): simple periodic net returns (decimals), one
        column per strategy, DatetimeIndex ``date``. Missing values (strategies on
        different windows) are skipped column by column.

    Returns
    -------
    go.Figure
        One line per column: cumulative product of ``1 + r``.
    """
    fig = _figure("Growth of 1 (net of costs)", "Growth of 1 (log scale)")
    low, high = 1.0, 1.0
    for column in returns.columns:
        wealth = _wealth(returns[column])
        if len(wealth):
            low, high = min(low, float(wealth.min())), max(high, float(wealth.max()))
        fig.add_trace(
            go.Scatter(
                x=wealth.index,
                y=wealth.to_numpy(),
                mode="lines",
                name=_text(column),
                hovertemplate="%{y:.3f}",
            )
        )
    # over more than two decades, label decades only (plotly would add 2 and 5 minor labels)
    fig.update_yaxes(type="log", dtick=1 if high / low > 100 else None)
    return _place_legend(fig)


def drawdown_figure(returns: pd.DataFrame) -> go.Figure:
    """Drawdown from the running peak of growth of 1, per strategy.

    Parameters
    ----------
    returns : pd.DataFrame
        Shape (n_dates, n_strategies): simple periodic net returns (decimals).

    Returns
    -------
    go.Figure
        One line per column: ``wealth / cummax(wealth) - 1`` (the peak includes the
        starting value 1), in percent.
    """
    fig = _figure("Drawdown from peak", "Drawdown (%)")
    for column in returns.columns:
        wealth = _wealth(returns[column])
        peak = np.maximum(wealth.cummax(), 1.0)
        drawdown = wealth / peak - 1.0
        fig.add_trace(
            go.Scatter(
                x=drawdown.index,
                y=drawdown.to_numpy(),
                mode="lines",
                name=_text(column),
                hovertemplate="%{y:.1%}",
            )
        )
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return _place_legend(fig)


def weights_figure(weights: pd.DataFrame, title: str = "Executed weights") -> go.Figure:
    """Stacked area of portfolio weights over time.

    Parameters
    ----------
    weights : pd.DataFrame
        Shape (n_dates, n_assets): weights (decimals) after each close's trades.
    title : str
        Figure title (escaped).

    Returns
    -------
    go.Figure
        One stacked, step-shaped area per asset, in percent of portfolio value.
    """
    fig = _figure(f"Weights: {title}", "Weight (% of portfolio)")
    for column in weights.columns:
        fig.add_trace(
            go.Scatter(
                x=weights.index,
                y=weights[column].fillna(0.0).to_numpy(),
                mode="lines",
                name=_text(column),
                stackgroup="weights",
                line={"width": 0.5, "shape": "hv"},
                hovertemplate="%{y:.1%}",
            )
        )
    fig.update_yaxes(tickformat=".0%", range=[0, 1.0])
    return _place_legend(fig)


def _runs(flags: pd.Series) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """(first, last) date of every consecutive stretch of ``True``."""
    values = flags.fillna(False).to_numpy(dtype=bool)
    if not values.any():
        return []
    edges = np.diff(np.r_[0, values.astype(np.int8), 0])
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return [(flags.index[s], flags.index[e]) for s, e in zip(starts, ends, strict=True)]


def _add_regimes(
    fig: go.Figure, regimes: Sequence[RegimeSpan], lo: pd.Timestamp, hi: pd.Timestamp
) -> None:
    for regime in regimes:
        start, end = pd.Timestamp(regime.start), pd.Timestamp(regime.end)
        if end < lo or start > hi:
            continue
        fig.add_vrect(
            x0=max(start, lo),
            x1=min(end, hi),
            fillcolor=kind_colour(regime.kind),
            opacity=0.13,
            layer="below",
            line_width=0,
            annotation={
                "text": _text(regime.name),
                "textangle": -90,
                "font": {"size": 9},
                "hovertext": _text(f"{regime.name} ({regime.kind}): {regime.description}"),
                "xanchor": "left",
                "yanchor": "top",
            },
            annotation_position="top left",
        )


def _add_risk_off(fig: go.Figure, risk_off: pd.Series) -> None:
    state = risk_off.astype("boolean").fillna(False).astype(bool)
    fig.add_trace(
        go.Scatter(
            x=state.index,
            y=state.astype(float).to_numpy(),
            yaxis="y2",
            mode="lines",
            line={"width": 0, "shape": "hv"},
            fill="tozeroy",
            fillcolor="rgba(90,90,90,0.16)",
            name="risk-off (strategy under test)",
            customdata=np.where(state.to_numpy(), "risk-off", "risk-on"),
            hovertemplate="%{customdata}<extra></extra>",
        )
    )
    fig.update_layout(
        yaxis2={"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True}
    )


def signal_figure(
    composite: pd.Series,
    components: pd.DataFrame | None = None,
    regimes: Sequence[RegimeSpan] = (),
    risk_off: pd.Series | None = None,
    threshold: float | None = None,
) -> go.Figure:
    """Draw the cost-of-capital composite with regime shading and the risk-off state.

    Parameters
    ----------
    composite : pd.Series
        Composite signal (z-score units) on a DatetimeIndex ``date``.
    components : pd.DataFrame or None
        Shape (n_dates, n_components): standardized components, drawn thin and
        hidden until clicked in the legend.
    regimes : sequence of RegimeSpan
        Catalog regimes; those overlapping the composite's dates are shaded in the
        colour of their kind (:func:`kind_colour`), labelled with their name, and
        their description is shown on hover over the label.
    risk_off : pd.Series or None
        Boolean risk-off state per bar; shaded grey where true.
    threshold : float or None
        Level at which the strategy turns risk-off, drawn as a dashed line.

    Returns
    -------
    go.Figure
    """
    fig = _figure("Cost-of-capital composite and historical regimes", "Composite (z-score)")
    if risk_off is not None and len(risk_off):
        _add_risk_off(fig, risk_off)
    if components is not None:
        for column in components.columns:
            fig.add_trace(
                go.Scatter(
                    x=components.index,
                    y=components[column].to_numpy(),
                    mode="lines",
                    name=_text(column),
                    line={"width": 1},
                    visible="legendonly",
                    hovertemplate="%{y:.2f}",
                )
            )
    fig.add_trace(
        go.Scatter(
            x=composite.index,
            y=composite.to_numpy(),
            mode="lines",
            name="composite",
            line={"width": 2, "color": "#111"},
            hovertemplate="%{y:.2f}",
        )
    )
    if threshold is not None:
        fig.add_hline(
            y=threshold,
            line={"dash": "dash", "width": 1, "color": "#d62728"},
            annotation_text=f"risk-off threshold {threshold:g}",
            annotation_position="bottom left",
        )
    valid = composite.dropna()
    if len(valid):
        _add_regimes(fig, regimes, valid.index[0], valid.index[-1])
    return fig


def regime_bars_figure(table: pd.DataFrame) -> go.Figure:
    """Return of every strategy in every regime, as grouped bars.

    Parameters
    ----------
    table : pd.DataFrame
        Long format, one row per (regime, strategy), with at least the columns
        ``regime``, ``strategy`` and ``return`` (decimal, over the regime); an
        optional ``long_minus_short`` column (one value per regime) adds a bar for
        the long-minus-short-duration sleeve spread.

    Returns
    -------
    go.Figure
        Regimes on the x axis in table order, one bar group per strategy, in percent.
    """
    fig = _figure("Return per regime", "Return over the regime (%)", xaxis_title="Regime")
    if table.empty:
        return fig
    order = list(dict.fromkeys(table["regime"]))
    labels = [_text(r) for r in order]
    for strategy in dict.fromkeys(table["strategy"]):
        rows = table[table["strategy"] == strategy].set_index("regime")["return"]
        fig.add_trace(
            go.Bar(
                x=labels,
                y=rows.reindex(order).to_numpy(),
                name=_text(strategy),
                hovertemplate="%{y:.1%}",
            )
        )
    if "long_minus_short" in table.columns:
        spread = table.drop_duplicates("regime").set_index("regime")["long_minus_short"]
        fig.add_trace(
            go.Bar(
                x=labels,
                y=spread.reindex(order).to_numpy(),
                name="long − short duration sleeve",
                marker_color="#bbbbbb",
                marker_pattern_shape="/",
                hovertemplate="%{y:.1%}",
            )
        )
    fig.update_layout(barmode="group", hovermode="x")
    fig.update_yaxes(tickformat=".0%", zeroline=True, zerolinecolor="#555")
    fig.update_xaxes(tickangle=-30)
    return _place_legend(fig)
