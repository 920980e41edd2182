"""Figures of the signal and the regimes: composite, components, thresholds, regime bands."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from backtest.report._figbase import (
    NO_PALETTE,
    Palette,
    RegimeSpan,
    add_dropdown,
    base_figure,
    colour,
    kind_colour,
    place_legend,
    text,
    thin,
)

__all__ = ["SignalPanel", "regime_bars_figure", "signal_figure", "signal_panels_figure"]

_RISK_OFF_FILL = "rgba(90,90,90,0.16)"


@dataclass(frozen=True)
class SignalPanel:
    """One run's signal, as the signal figure draws it.

    Attributes
    ----------
    label : str
        Name in the dropdown (the run).
    composite : pd.Series
        Composite signal (z-score units) on a DatetimeIndex.
    components : pd.DataFrame or None
        Shape (n_dates, n_components): standardized components.
    risk_off : pd.Series or None
        Boolean risk-off state of the strategy under test per bar.
    thresholds : tuple of (str, float)
        Levels of the strategy's rule (``("risk-off above", 0.5)``), drawn dashed.
    synthetic : bool
        The run's data are synthetic: its dates are labels, not history, so the
        historical regimes are not drawn over it.
    """

    label: str
    composite: pd.Series
    components: pd.DataFrame | None = None
    risk_off: pd.Series | None = None
    thresholds: tuple[tuple[str, float], ...] = field(default=())
    synthetic: bool = False


def _transitions(state: pd.Series) -> pd.Series:
    """The bars where a boolean state changes (and the last bar): exact for a step line."""
    flags = state.astype("boolean").fillna(False).astype(float)
    keep = flags.ne(flags.shift()).to_numpy().copy()
    keep[-1:] = True
    return flags[keep]


def _risk_off_trace(state: pd.Series, yaxis: str, legendgroup: str | None = None) -> go.Scatter:
    steps = _transitions(state)
    return go.Scatter(
        x=steps.index, y=steps.to_numpy(), yaxis=yaxis, mode="lines",
        line={"width": 0, "shape": "hv"}, fill="tozeroy", fillcolor=_RISK_OFF_FILL,
        name="risk-off (strategy under test)", legendgroup=legendgroup, hoverinfo="skip",
    )


def _add_regimes(
    fig: go.Figure, regimes: Sequence[RegimeSpan], lo: pd.Timestamp, hi: pd.Timestamp
) -> None:
    """Shade each regime over the whole plot height and name it at the top (one update)."""
    shapes, notes = list(fig.layout.shapes), list(fig.layout.annotations)
    for regime in regimes:
        start, end = pd.Timestamp(regime.start), pd.Timestamp(regime.end)
        if end < lo or start > hi:
            continue
        x0 = max(start, lo).strftime("%Y-%m-%d")
        shapes.append({
            "type": "rect", "xref": "x", "yref": "paper", "x0": x0,
            "x1": min(end, hi).strftime("%Y-%m-%d"), "y0": 0, "y1": 1,
            "fillcolor": kind_colour(regime.kind), "opacity": 0.13, "layer": "below",
            "line": {"width": 0},
        })
        notes.append({
            "text": text(regime.name), "textangle": -90, "font": {"size": 9}, "xref": "x",
            "yref": "paper", "x": x0, "y": 1, "xanchor": "left", "yanchor": "top",
            "showarrow": False,
            "hovertext": text(f"{regime.name} ({regime.kind}): {regime.description}"),
        })
    fig.update_layout(shapes=shapes, annotations=notes)


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
    fig = base_figure("Cost-of-capital composite and historical regimes", "Composite (z-score)")
    if risk_off is not None and len(risk_off):
        fig.add_trace(_risk_off_trace(risk_off, "y2"))
        fig.update_layout(
            yaxis2={"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True}
        )
    parts = components if components is not None else pd.DataFrame()
    for column in parts.columns:
        fig.add_trace(go.Scatter(x=parts.index, y=parts[column].to_numpy(),
                                 mode="lines", name=text(column), line={"width": 1},
                                 visible="legendonly", hovertemplate="%{y:.2f}"))
    fig.add_trace(go.Scatter(x=composite.index, y=composite.to_numpy(), mode="lines",
                             name="composite", line={"width": 2, "color": "#111"},
                             hovertemplate="%{y:.2f}"))
    if threshold is not None:
        fig.add_hline(y=threshold, line={"dash": "dash", "width": 1, "color": "#d62728"},
                      annotation_text=f"risk-off threshold {threshold:g}",
                      annotation_position="bottom left")
    valid = composite.dropna()
    if len(valid):
        _add_regimes(fig, regimes, valid.index[0], valid.index[-1])
    return fig


def _panel_traces(
    panel: SignalPanel, i: int, max_points: int | None
) -> list[tuple[go.Scatter, int]]:
    """(trace, subplot row) of one panel: risk-off, thresholds, composite, components."""
    group = f"p{i}"
    out: list[tuple[go.Scatter, int]] = []
    if panel.risk_off is not None and len(panel.risk_off):
        out.append((_risk_off_trace(panel.risk_off, "y3", group), 0))
    valid = panel.composite.dropna()
    for k, (name, level) in enumerate(panel.thresholds):
        if len(valid):
            out.append((go.Scatter(
                x=[valid.index[0], valid.index[-1]], y=[level, level], mode="lines",
                name=text(f"{name} {level:g}"), legendgroup=group, hoverinfo="skip",
                line={"dash": "dash" if k == 0 else "dot", "width": 1.2, "color": "#d62728"},
            ), 1))
    shown = thin(panel.composite, max_points)
    out.append((go.Scatter(x=shown.index, y=shown.to_numpy(), mode="lines", name="composite",
                           legendgroup=group, line={"width": 1.8, "color": "#111"},
                           hovertemplate="%{y:.2f}"), 1))
    for j, column in enumerate(panel.components.columns if panel.components is not None else ()):
        assert panel.components is not None
        line = thin(panel.components[column], max_points)
        out.append((go.Scatter(x=line.index, y=line.to_numpy(), mode="lines", name=text(column),
                               legendgroup=group, line={"width": 1, "color": colour(j)},
                               hovertemplate="%{y:.2f}"), 2))
    return out


def signal_panels_figure(
    panels: Sequence[SignalPanel],
    regimes: Sequence[RegimeSpan] = (),
    *,
    max_points: int | None = None,
) -> go.Figure:
    """The composite with thresholds, risk-off shading and regime bands; components below.

    Parameters
    ----------
    panels : sequence of SignalPanel
        One per run; with several, a dropdown chooses the run shown.
    regimes : sequence of RegimeSpan
        Shaded in both rows in the colour of their kind, named in the top row
        (hover over a name for the description).
    max_points : int or None
        Display resolution of the lines (:func:`thin`); the risk-off state is drawn
        exactly (its transitions).

    Returns
    -------
    go.Figure
        Row 1: composite (z-score), rule thresholds (dashed), risk-off bars of the
        strategy under test (grey); row 2: the standardized components.
    """
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.6, 0.4],
                        vertical_spacing=0.05)
    fig.update_layout(template=base_figure("", "").layout.template, height=640,
                      margin={"t": 60}, hovermode="x unified",
                      yaxis3={"overlaying": "y", "range": [0, 1], "visible": False,
                              "fixedrange": True})
    groups: list[tuple[str, list[int]]] = []
    lo, hi = None, None
    for i, panel in enumerate(panels):
        start = len(fig.data)
        for trace, row in _panel_traces(panel, i, max_points):
            if row == 0:
                fig.add_trace(trace)
            else:
                fig.add_trace(trace, row=row, col=1)
        groups.append((panel.label, list(range(start, len(fig.data)))))
        valid = panel.composite.dropna()
        if len(valid) and not panel.synthetic:  # history's regimes only over history
            lo = valid.index[0] if lo is None else min(lo, valid.index[0])
            hi = valid.index[-1] if hi is None else max(hi, valid.index[-1])
    if lo is not None and hi is not None:
        _add_regimes(fig, regimes, lo, hi)
    fig.update_yaxes(title_text="Composite (z)", row=1, col=1)
    fig.update_yaxes(title_text="Components (z)", row=2, col=1)
    fig.update_layout(legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1,
                              "yanchor": "top"})
    return add_dropdown(fig, groups)


def regime_bars_figure(
    table: pd.DataFrame, *, spreads: pd.DataFrame | None = None, hidden: Sequence[str] = (),
    palette: Palette = NO_PALETTE,
) -> go.Figure:
    """Return of every strategy in every regime, as horizontal grouped bars.

    Parameters
    ----------
    table : pd.DataFrame
        Long format, one row per (regime, strategy), with at least the columns
        ``regime``, ``strategy`` and ``return`` (decimal, over the regime); an
        optional ``long_minus_short`` column (one value per regime) adds a bar for
        the long-minus-short-duration sleeve spread unless ``spreads`` is given.
    spreads : pd.DataFrame, optional
        Shape (n_regimes, n_spreads): long-minus-short spreads by regime, one column
        per run (their name in the legend).
    hidden : sequence of str
        Strategies listed in the legend but not drawn until clicked.

    Returns
    -------
    go.Figure
        One row per regime (table order, top to bottom; the name is readable on the
        axis), one bar per visible strategy, in percent.
    """
    fig = base_figure("Return per regime", "Regime", "Return over the regime (%)")
    if table.empty:
        return fig
    order = list(dict.fromkeys(table["regime"]))
    labels = [text(r) for r in order]
    strategies = list(dict.fromkeys(table["strategy"]))
    for i, strategy in enumerate(strategies):
        rows = table[table["strategy"] == strategy].set_index("regime")["return"]
        fig.add_trace(go.Bar(y=labels, x=rows.reindex(order).to_numpy(), orientation="h",
                             name=text(strategy), marker_color=palette.colour(strategy, i),
                             visible="legendonly" if strategy in hidden else True,
                             hovertemplate="%{x:.1%}"))
    if spreads is None and "long_minus_short" in table.columns:
        spread = table.drop_duplicates("regime").set_index("regime")["long_minus_short"]
        spreads = spread.to_frame("long − short duration sleeve")
    for column in spreads.columns if spreads is not None else ():
        assert spreads is not None
        fig.add_trace(go.Bar(y=labels, x=spreads[column].reindex(order).to_numpy(),
                             orientation="h", name=text(column), marker_color="#bbbbbb",
                             marker_pattern_shape="/", hovertemplate="%{x:.1%}"))
    shown = sum(1 for t in fig.data if t.visible is not False and t.visible != "legendonly")
    bar = 9 if shown <= 6 else 5  # px per bar: thinner bars when many are drawn
    fig.update_layout(barmode="group", hovermode="y unified", title=None,
                      height=max(420, 110 + len(order) * (8 + bar * max(shown, 1))),
                      margin={"t": 40, "l": 10}, bargap=0.25)
    fig.update_xaxes(tickformat=".0%", zeroline=True, zerolinecolor="#555", side="top")
    fig.update_yaxes(autorange="reversed", title=None, showgrid=False)
    return place_legend(fig)
