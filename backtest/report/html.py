"""Context → one self-contained HTML file (pure), and its atomic write (the only I/O).

The page embeds plotly.js once (compressed, see :mod:`backtest.report._embed`)
and loads nothing from the network: no CDN, no external stylesheet or font.
Jinja2 autoescapes every value; the only strings marked safe are the plotly
bundle (base64 text) and the figure JSON strings under the context's ``figures``
keys (and each extra section's ``figures``), which :func:`figure_json` made
script-safe.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from backtest.report._embed import plotly_bundle, trace_types
from backtest.report._io import write_text_atomic

__all__ = ["environment", "render_html", "write_report"]

_TEMPLATE = "report.html.j2"


def environment() -> Environment:
    """The Jinja2 environment of every page (autoescape, strict undefined).

    Other pages (``tune``) extend ``base.html.j2`` and import ``_macros.html.j2``.
    """
    return Environment(
        loader=PackageLoader("backtest", "report/templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _trusted(figures: Mapping[str, str]) -> dict[str, Markup]:
    # figure_json output only; user text never reaches this function unescaped
    return {key: Markup(spec) for key, spec in figures.items()}


def render_html(context: Mapping[str, Any], template: str = _TEMPLATE) -> str:
    """Render a page.

    Parameters
    ----------
    context : mapping
        As made by :func:`backtest.report.build_context`.
    template : str
        Template name (default the run/compare report).

    Returns
    -------
    str
        A complete HTML document that opens offline.
    """
    page = dict(context)
    page["figures"] = _trusted(context.get("figures", {}))
    page["sections"] = [
        {**s, "section": {**s["section"], "figures": _trusted(s["section"].get("figures", {}))}}
        for s in context.get("sections", [])
    ]
    specs = [*page["figures"].values(),
             *(f for sec in page["sections"] for f in sec["section"]["figures"].values())]
    bundle = Markup(plotly_bundle(trace_types([str(s) for s in specs])))
    return environment().get_template(template).render(**page, plotly_bundle=bundle)


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
