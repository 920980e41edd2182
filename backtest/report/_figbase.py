"""What every figure shares: the look, escaping, legends, dropdowns, display resolution.

Pure: nothing here shows, writes or configures plotly globally. Every figure carries
its own small template (no ``plotly.io.templates.default``), so the look is the same
in a notebook, in :meth:`BacktestResult.plot`, in the HTML report and in ``tune``.
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
    "DISPLAY_POINTS",
    "NO_PALETTE",
    "Palette",
    "RegimeSpan",
    "add_dropdown",
    "base_figure",
    "kind_colour",
    "place_legend",
    "sample_rows",
    "text",
    "thin",
]

#: Points per line the report draws at most (a 1,280 px page shows about 1,100).
DISPLAY_POINTS = 2000

_GRID = "#e6e6e6"
_AXIS = {
    "showgrid": True,
    "gridcolor": _GRID,
    "linecolor": "#9a9a9a",
    "ticks": "outside",
    "zeroline": False,
    "automargin": True,
}
COLOURS = (
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
    "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22",
)
_TEMPLATE = go.layout.Template(
    layout={
        "font": {
            "family": "system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif",
            "size": 12,
            "color": "#222",
        },
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "colorway": list(COLOURS),
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


def colour(i: int) -> str:
    """The ``i``-th colour of the palette (cycled)."""
    return COLOURS[i % len(COLOURS)]


#: Okabe & Ito's colour-blind-safe categorical palette (its yellow, unreadable on white,
#: left out), for the strategies; greys for the benchmarks; line dashes beyond them.
SAFE_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
GREYS = ("#4d4d4d", "#8c8c8c", "#b3b3b3")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


class Palette:
    """One colour and dash per strategy label, the same in every chart of a page.

    Strategies take :data:`SAFE_COLOURS` in order, benchmarks :data:`GREYS`; once a
    list is used up, the next round of labels repeats it with the next dash style.
    A label the palette does not know gets the colours by its position (a figure
    drawn on its own).
    """

    def __init__(self, labels: Sequence[str], benchmarks: Sequence[str] = ()) -> None:
        self.styles: dict[str, tuple[str, str]] = {}
        counts = {True: 0, False: 0}
        for label in labels:
            grey = label in benchmarks
            colours = GREYS if grey else SAFE_COLOURS
            k = counts[grey]
            counts[grey] += 1
            self.styles[label] = (colours[k % len(colours)],
                                  DASHES[(k // len(colours)) % len(DASHES)])

    def colour(self, label: str, i: int = 0) -> str:
        """The label's colour (or the ``i``-th strategy colour for an unknown label)."""
        known = self.styles.get(label)
        return known[0] if known else SAFE_COLOURS[i % len(SAFE_COLOURS)]

    def line(self, label: str, i: int = 0, width: float = 1.4) -> dict[str, object]:
        """Plotly ``line`` settings: colour, dash and width."""
        known = self.styles.get(label)
        dash = known[1] if known else DASHES[(i // len(SAFE_COLOURS)) % len(DASHES)]
        return {"color": self.colour(label, i), "dash": dash, "width": width}


NO_PALETTE = Palette(())


def text(value: object) -> str:
    """User text made literal for plotly, which renders names as a subset of HTML."""
    return html.escape(str(value), quote=False)


def base_figure(title: str, yaxis_title: str, xaxis_title: str = "Date") -> go.Figure:
    """An empty figure with the house template, a left-aligned title and axis titles."""
    fig = go.Figure()
    fig.update_layout(
        template=_TEMPLATE,
        title={"text": text(title), "x": 0, "xanchor": "left", "y": 0.98, "yanchor": "top"},
        xaxis_title=xaxis_title,
        yaxis_title=yaxis_title,
    )
    return fig


def place_legend(fig: go.Figure, entries: int | None = None) -> go.Figure:
    """Keep a long legend clear of the title: beside the plot instead of above it."""
    count = len(fig.data) if entries is None else entries
    if count > _LEGEND_ABOVE_MAX:
        fig.update_layout(
            legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top"}
        )
    return fig


def add_dropdown(fig: go.Figure, groups: Sequence[tuple[str, Sequence[int]]],
                 always: Sequence[int] = ()) -> go.Figure:
    """Show one group of traces at a time, chosen from a dropdown above the plot.

    Parameters
    ----------
    fig : go.Figure
    groups : sequence of (label, trace positions)
        The first group is shown initially. One group: no dropdown.
    always : sequence of int
        Traces shown whatever the choice.

    Returns
    -------
    go.Figure
        The same figure (modified in place and returned).
    """
    n = len(fig.data)
    keep = set(always)

    def mask(members: Sequence[int]) -> list[bool]:
        chosen = set(members) | keep
        return [i in chosen for i in range(n)]

    initial = mask(groups[0][1]) if groups else [True] * n
    for trace, shown in zip(fig.data, initial, strict=True):
        if not shown:
            trace.visible = False
    if len(groups) > 1:
        # at the top edge of the figure, above whatever sits on the plot's top edge:
        # y is in plot-height units, so 1 + top margin / plot height is the figure's top
        top = max(fig.layout.margin.t if fig.layout.margin.t is not None else 0, 56)
        bottom = fig.layout.margin.b if fig.layout.margin.b is not None else 50
        height = fig.layout.height or 420
        fig.update_layout(margin={"t": top}, updatemenus=[{
            "type": "dropdown", "direction": "down", "x": 0, "xanchor": "left",
            "y": 1 + (top - 4) / max(height - top - bottom, 1), "yanchor": "top",
            "showactive": True,
            "buttons": [
                {"label": text(label), "method": "restyle", "args": [{"visible": mask(members)}]}
                for label, members in groups
            ],
        }])
    return fig


def thin(series: pd.Series, max_points: int | None) -> pd.Series:
    """The points of a line worth drawing at ``max_points`` (min-max decimation).

    Parameters
    ----------
    series : pd.Series
        A line (NaN dropped first).
    max_points : int or None
        None: every point. Otherwise a series longer than ``max_points`` is cut
        into ``max_points // 2`` buckets of consecutive bars and each keeps its
        lowest and highest point (and the first and last point of the series are
        kept), so every peak and trough a screen of that width can show is drawn.

    Returns
    -------
    pd.Series
        A subset of ``series``, in date order.
    """
    clean = series.dropna()
    n = len(clean)
    if max_points is None or n <= max_points:
        return clean
    buckets = np.minimum(np.arange(n) * (max_points // 2) // n, max_points // 2 - 1)
    values = pd.Series(clean.to_numpy(dtype="float64"))
    grouped = values.groupby(buckets)
    keep = np.union1d(grouped.idxmin().to_numpy(), grouped.idxmax().to_numpy())
    keep = np.union1d(keep, [0, n - 1])
    return clean.iloc[keep]


def sample_rows(frame: pd.DataFrame, max_points: int | None) -> pd.DataFrame:
    """Every k-th row (and the last) so that at most about ``max_points`` rows remain.

    For stacked areas, whose traces must share their dates. None: every row.
    """
    n = len(frame)
    if max_points is None or n <= max_points:
        return frame
    step = -(-n // max_points)
    keep = np.union1d(np.arange(0, n, step), [n - 1])
    return frame.iloc[keep]
