"""Context → one self-contained HTML file (pure), and its atomic write (the only I/O).

The page embeds plotly.js inline, once, and loads nothing from the network: no
CDN, no external stylesheet or font. Jinja2 autoescapes every value; the only
strings marked safe are plotly.js itself and the figure ``<div>`` strings under
the context's ``figures`` keys, which plotly generated (plotly JSON-encodes the
figure data with ``<``, ``>`` and ``/`` escaped).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import plotly.offline
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from backtest.report._io import write_text_atomic

__all__ = ["render_html", "write_report"]

_TEMPLATE = "report.html.j2"


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("backtest", "report/templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _trusted(figures: Mapping[str, str]) -> dict[str, Markup]:
    # plotly-generated markup only; user text never reaches this function
    return {key: Markup(div) for key, div in figures.items()}


def render_html(context: Mapping[str, Any]) -> str:
    """Render the report page.

    Parameters
    ----------
    context : mapping
        As made by :func:`backtest.report.build_context`.

    Returns
    -------
    str
        A complete HTML document that opens offline.
    """
    page = dict(context)
    page["figures"] = _trusted(context["figures"])
    page["runs"] = [{**run, "figures": _trusted(run["figures"])} for run in context["runs"]]
    plotly_js = Markup(plotly.offline.get_plotlyjs())
    return _environment().get_template(_TEMPLATE).render(**page, plotly_js=plotly_js)


def write_report(path: str | os.PathLike[str], html: str) -> Path:
    """Write the report atomically (temp file in the same directory, then rename).

    Parameters
    ----------
    path : str or os.PathLike
        Destination ``.html`` file; parent directories are created.
    html : str
        The page, from :func:`render_html`.

    Returns
    -------
    Path
        The destination.

    Raises
    ------
    BacktestError
        ``cannot write report <path>: <reason>``.
    """
    return write_text_atomic(path, html, "report")
