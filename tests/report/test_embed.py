"""Figure JSON for the page and the plotly.js bundle choice (pure)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.offline

from backtest.report import _embed


def test_vendored_bundle_is_the_npm_file() -> None:
    source = _embed.vendored_source()
    assert source is not None
    # npm pack plotly.js-cartesian-dist-min@4.1.1 (see vendor/README.md), gzip -9 -n
    assert hashlib.sha256(source.encode()).hexdigest() == (
        "79542150855a52c567260e3137095dbe2b744e6d702a5cabe67da246942fba7a")
    assert _embed._version(source) == "4.1.1"


def test_bundle_choice_follows_the_trace_types_and_the_installed_version(monkeypatch) -> None:
    vendored, full = _embed.vendored_source(), plotly.offline.get_plotlyjs()
    # whichever plotly is installed: the vendored bundle exactly when the versions agree
    matches = _embed._version(vendored) == _embed._version(full)
    cartesian = _embed.bundle_source(frozenset({"scatter", "bar", "heatmap"}))
    assert cartesian == (vendored if matches else full)
    assert _embed.bundle_source(frozenset({"scatter", "parcoords"})) == full
    packed = _embed.plotly_bundle(frozenset({"scatter"}))
    assert gzip.decompress(base64.b64decode(packed)).decode() == cartesian
    # and both branches, whatever is installed
    _embed._cartesian_source.cache_clear()
    monkeypatch.setattr(_embed.plotly.offline, "get_plotlyjs",
                        lambda: "/**\n* plotly.js v9.9.9\n*/")
    assert _embed.bundle_source(frozenset({"scatter"})).startswith("/**\n* plotly.js v9.9.9")
    _embed._cartesian_source.cache_clear()
    monkeypatch.setattr(_embed.plotly.offline, "get_plotlyjs",
                        lambda: f"/**\n* plotly.js v{_embed._version(vendored)}\n*/")
    assert _embed.bundle_source(frozenset({"scatter"})) == vendored
    _embed._cartesian_source.cache_clear()


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
