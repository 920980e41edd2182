r"""Figures and plotly.js as they are embedded in the page (pure).

A figure is embedded as JSON in a ``<script type="application/json">`` block and
drawn by the page's loader. To keep pages small:

* dates on the x axis travel as int32 day numbers (days since 1970-01-01, base64);
  the loader turns them into milliseconds, which plotly reads on a date axis;
* numeric arrays longer than :data:`_F4_MIN` values travel as float32 typed arrays
  (base64, plotly's ``{"dtype", "bdata"}`` form): about 7 significant digits, the
  display resolution of a chart; the tables and the JSON keep every digit;
* plotly.js is plotly's cartesian partial bundle (``vendor/``, 1.5 MB instead of
  4.8 MB, so a page evaluates it in about half the time) when every trace type
  is in it and its version matches the installed plotly's; it travels
  gzip-compressed and base64-encoded (0.66 MB) and is decompressed in the
  browser with ``DecompressionStream``.

``<``, ``>``, ``&`` and the two JavaScript line separators are written as
``\\uXXXX`` escapes, so no text inside a figure can end the script block.
"""

from __future__ import annotations

import base64
import functools
import gzip
import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.offline

__all__ = [
    "VENDORED",
    "bundle_source",
    "figure_json",
    "plotly_bundle",
    "safe_json",
    "trace_types",
    "vendored_source",
]

_F4_MIN = 64
_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
            "\u2029": "\\u2029"}
_DATE_KEYS = ("x", "base")


def safe_json(value: Any) -> str:
    """Compact JSON that is safe inside ``<script type="application/json">``."""
    out = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    for char, escape in _ESCAPES.items():
        out = out.replace(char, escape)
    return out


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def _days(values: np.ndarray) -> dict[str, str] | None:
    """ISO date strings or datetime64 → ``{"days": base64 int32}``, or None if not dates."""
    if values.dtype.kind == "M":
        stamps = values.astype("datetime64[D]")
    elif values.dtype.kind == "U" and values.size and len(values.flat[0]) >= 10:
        try:
            stamps = values.astype("datetime64[us]").astype("datetime64[D]")
        except ValueError:
            return None
    else:
        return None
    return {"days": _b64(stamps.astype("int64").astype("<i4"))}


def _typed(block: dict[str, Any]) -> dict[str, Any]:
    """Plotly's float64 typed array → float32 when it is long (display resolution)."""
    if block.get("dtype") != "f8":
        return block
    values = np.frombuffer(base64.b64decode(block["bdata"]), dtype="<f8")
    if values.size < _F4_MIN:
        return block
    return {**block, "dtype": "f4", "bdata": _b64(values.astype("<f4"))}


def _compact(value: Any, key: str = "") -> Any:
    if isinstance(value, np.ndarray):
        if key in _DATE_KEYS:
            days = _days(value)
            if days is not None:
                return days
        if value.dtype.kind in "fiu":
            return _compact(value.tolist())
        return [_compact(v) for v in value.tolist()]
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:
            return _typed(value)
        return {k: _compact(v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_compact(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return _compact(value.item())
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def figure_json(fig: go.Figure, *, keep_title: bool = False) -> str:
    """The figure as compact, script-safe JSON for the page's loader.

    Parameters
    ----------
    fig : go.Figure
    keep_title : bool
        The report titles its charts in HTML headings; by default the plotly title
        is dropped (and its top margin with it).

    Returns
    -------
    str
        ``{"data": [...], "layout": {...}}``; see the module notes for the encoding.
    """
    spec = fig.to_plotly_json()
    layout = _compact(dict(spec.get("layout", {})))
    if not keep_title:
        layout.pop("title", None)
    data = _compact(spec.get("data", []))
    for trace in data:
        if isinstance(trace.get("x"), dict) and "days" in trace["x"]:
            # day numbers arrive as milliseconds: say the axis holds dates
            axis = "xaxis" + str(trace.get("xaxis", "x"))[1:]
            layout.setdefault(axis, {})["type"] = "date"
    return safe_json({"data": data, "layout": layout})


#: Trace types of plotly.js's cartesian partial bundle (lib/index-cartesian.js).
CARTESIAN_TRACES = frozenset({"scatter", "bar", "box", "heatmap", "histogram", "histogram2d",
                              "histogram2dcontour", "contour", "pie", "violin", "image"})
_VERSION = re.compile(r"plotly\.js(?: \([a-z -]+\))? v(\d+\.\d+\.\d+)")


def _version(source: str) -> str | None:
    found = _VERSION.search(source[:400])
    return found.group(1) if found else None


#: The vendored bundle, gzip-compressed (0.5 MB in the repository instead of 1.5 MB).
VENDORED = Path(__file__).parent / "vendor" / "plotly-cartesian.min.js.gz"


@functools.cache
def vendored_source() -> str | None:
    """The vendored cartesian bundle's JavaScript, or None if the file is missing."""
    try:
        return gzip.decompress(VENDORED.read_bytes()).decode("utf-8")
    except (OSError, EOFError, gzip.BadGzipFile):
        return None


@functools.cache
def _cartesian_source() -> str | None:
    """The vendored cartesian bundle, if it matches the installed plotly's plotly.js.

    Another plotly (Python) ships another plotly.js, whose figure JSON the vendored
    bundle may not read: then the full bundle is embedded (pages are slower to open,
    never wrong). ``bench/bench_report.py`` prints which one a page carries.
    """
    source = vendored_source()
    if source is None:
        return None
    full = plotly.offline.get_plotlyjs()
    return source if _version(source) == _version(full) is not None else None


def bundle_source(trace_types: frozenset[str] = frozenset()) -> str:
    """The plotly.js a page needs: the cartesian bundle when it suffices, else the full one.

    Parameters
    ----------
    trace_types : frozenset of str
        Every trace type the page draws.
    """
    cartesian = _cartesian_source()
    if cartesian is not None and trace_types <= CARTESIAN_TRACES:
        return cartesian
    return str(plotly.offline.get_plotlyjs())


@functools.cache
def plotly_bundle(trace_types: frozenset[str] = frozenset()) -> str:
    """:func:`bundle_source`, gzip-compressed and base64-encoded (cached per process).

    The vendored bundle goes in as the gzip file it is stored as: compressing its 1.5 MB
    again took 0.05-0.1 s of every report. The full bundle is compressed here.
    """
    if _cartesian_source() is not None and trace_types <= CARTESIAN_TRACES:
        packed = VENDORED.read_bytes()
    else:
        packed = gzip.compress(bundle_source(trace_types).encode("utf-8"), 9, mtime=0)
    return base64.b64encode(packed).decode("ascii")


def trace_types(specs: list[str]) -> frozenset[str]:
    """Every trace type in figure JSON strings (from :func:`figure_json`)."""
    return frozenset(str(t.get("type", "scatter")) for s in specs
                     for t in json.loads(s).get("data", []))
