"""Figure JSON for the page and the plotly.js bundle choice (pure)."""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.offline

import backtest.report
from backtest.report import _embed

VENDOR = Path(backtest.report.__file__).parent / "vendor" / "plotly-cartesian.min.js"


def test_vendored_bundle_is_the_npm_file_of_the_installed_plotly_version() -> None:
    source = VENDOR.read_text(encoding="utf-8")
    # npm pack plotly.js-cartesian-dist-min@4.1.1 (see vendor/README.md)
    assert hashlib.sha256(source.encode()).hexdigest() == (
        "79542150855a52c567260e3137095dbe2b744e6d702a5cabe67da246942fba7a")
    # fails when plotly (Python) is upgraded: replace the vendored file with the same version
    assert _embed._version(source) == _embed._version(plotly.offline.get_plotlyjs()) == "4.1.1"


def test_bundle_choice_follows_the_trace_types() -> None:
    assert _embed.bundle_source(frozenset({"scatter", "bar", "heatmap"})).startswith(
        "/**\n* plotly.js (cartesian")
    full = _embed.bundle_source(frozenset({"scatter", "parcoords"}))
    assert full == plotly.offline.get_plotlyjs()
    packed = _embed.plotly_bundle(frozenset({"scatter"}))
    assert zlib.decompress(base64.b64decode(packed)).decode() == VENDOR.read_text(encoding="utf-8")


def test_figure_json_is_script_safe_with_day_numbers_and_float32() -> None:
    idx = pd.bdate_range("2020-01-01", periods=100)
    fig = go.Figure(go.Scatter(x=idx, y=np.linspace(0, 1, 100), name="</script><b>&"))
    fig.update_layout(title="t")
    text = _embed.figure_json(fig)
    assert "<" not in text and ">" not in text and "&" not in text
    spec = json.loads(text)
    trace = spec["data"][0]
    assert trace["name"] == "</script><b>&"  # the escapes decode to the same text
    days = np.frombuffer(base64.b64decode(trace["x"]["days"]), dtype="<i4")
    assert list(days[:2]) == [18262, 18263]  # 2020-01-01, 2020-01-02
    assert trace["y"]["dtype"] == "f4"
    values = np.frombuffer(base64.b64decode(trace["y"]["bdata"]), dtype="<f4")
    np.testing.assert_allclose(values, np.linspace(0, 1, 100), rtol=1e-7)
    assert spec["layout"]["xaxis"]["type"] == "date"
    assert "title" not in spec["layout"]
    assert "title" in json.loads(_embed.figure_json(fig, keep_title=True))["layout"]


def test_short_arrays_keep_float64_and_nan_is_null() -> None:
    fig = go.Figure(go.Bar(x=[2001, 2002], y=[0.1, float("nan")]))
    spec = json.loads(_embed.figure_json(fig))
    y = spec["data"][0]["y"]
    if isinstance(y, dict):
        assert y["dtype"] == "f8"
    else:
        assert y == [0.1, None]
    assert _embed.trace_types([_embed.figure_json(fig)]) == frozenset({"bar"})
