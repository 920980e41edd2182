"""backtest.report.figures: pure pandas → plotly figures, hand-checked values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from backtest.regimes import Regime, RegimeKind
from backtest.report import figures

IDX = pd.date_range("2020-01-31", periods=4, freq="ME", name="date")


def _regime(name: str, start: str, end: str, kind: RegimeKind, text: str = "d") -> Regime:
    return Regime(name, pd.Timestamp(start), pd.Timestamp(end), kind, text, "ref")


def test_equity_is_growth_of_one_on_log_axis() -> None:
    rets = pd.DataFrame({"a": [0.1, -0.5, 0.2, 0.0], "b": [np.nan, np.nan, 0.1, 0.1]}, index=IDX)
    fig = figures.equity_figure(rets)
    assert [t.name for t in fig.data] == ["a", "b"]
    np.testing.assert_allclose(fig.data[0].y, [1.1, 0.55, 0.66, 0.66])
    # b starts where its data start: growth of 1 from its first return
    np.testing.assert_allclose(fig.data[1].y, [1.1, 1.21])
    assert list(fig.data[1].x) == list(IDX[2:])
    assert fig.layout.yaxis.type == "log"
    assert "log" in fig.layout.yaxis.title.text


def test_log_axes_are_ticked_1_2_5_10_and_decades_only_over_many() -> None:
    # issue 17: plotly's own ticks read "2, 3, … 10, 2, 3"
    rets = pd.DataFrame({"a": [1.0] * 10}, index=pd.date_range("2000", periods=10, freq="ME"))
    axis = figures.equity_figure(rets).layout.yaxis  # 2 → 1024: three decades
    assert list(axis.ticktext) == ["1", "2", "5", "10", "20", "50", "100", "200", "500",
                                   "1,000", "2,000"]
    small = pd.DataFrame({"a": [0.01] * 4}, index=IDX)
    assert list(figures.equity_figure(small).layout.yaxis.tickvals) == [1.0, 2.0]
    huge = pd.DataFrame({"a": [9.0] * 8}, index=pd.date_range("2000", periods=8, freq="ME"))
    assert list(figures.equity_figure(huge).layout.yaxis.ticktext)[:3] == ["1", "10", "100"]


def test_drawdown_peak_includes_the_starting_value() -> None:
    rets = pd.DataFrame({"a": [-0.1, 0.5, -0.5, 0.2]}, index=IDX)
    fig = figures.drawdown_figure(rets)
    # wealth 0.9, 1.35, 0.675, 0.81; peak 1, 1.35, 1.35, 1.35
    np.testing.assert_allclose(fig.data[0].y, [-0.1, 0.0, -0.5, -0.4])
    assert fig.layout.yaxis.tickformat == ".0%"
    assert "%" in fig.layout.yaxis.title.text


def test_weights_are_stacked_areas_in_percent() -> None:
    weights = pd.DataFrame({"x": [1.0, 0.5, np.nan, 0.0], "y": [0.0, 0.5, 1.0, 1.0]}, index=IDX)
    fig = figures.weights_figure(weights, title="s")
    assert {t.stackgroup for t in fig.data} == {"weights"}
    np.testing.assert_allclose(fig.data[0].y, [1.0, 0.5, 0.0, 0.0])
    assert fig.layout.yaxis.tickformat == ".0%"
    assert "s" in fig.layout.title.text


def test_signal_figure_shades_overlapping_regimes_by_kind() -> None:
    idx = pd.date_range("2000-01-31", periods=36, freq="ME")
    composite = pd.Series(np.linspace(-1, 1, 36), index=idx)
    regimes = [
        _regime("shock", "2000-06-01", "2000-12-31", RegimeKind.RATE_SHOCK, "rates up"),
        _regime("relief", "2002-06-01", "2004-06-30", RegimeKind.EASING),  # clipped at the end
        _regime("old", "1990-01-01", "1990-12-31", RegimeKind.CREDIT_STRESS),  # outside: skipped
    ]
    risk_off = composite > 0.5
    fig = figures.signal_figure(composite, composite.to_frame("c1"), regimes, risk_off, 0.5)
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(rects) == 2
    assert rects[0].fillcolor == figures.kind_colour("rate_shock")
    assert rects[1].fillcolor == figures.kind_colour("easing")
    assert pd.Timestamp(rects[1].x1) == idx[-1]
    texts = {a.text: a.hovertext for a in fig.layout.annotations}
    assert "rates up" in texts["shock"]
    assert any("threshold" in str(a.text) for a in fig.layout.annotations)
    names = [t.name for t in fig.data]
    assert names == ["risk-off (strategy under test)", "c1", "composite"]
    assert fig.data[0].yaxis == "y2"
    # the risk-off state is drawn exactly from its transitions (a step line)
    flips = risk_off.astype(float)
    assert list(fig.data[0].x) == [idx[0], idx[27], idx[-1]]
    np.testing.assert_array_equal(fig.data[0].y, [0.0, 1.0, 1.0])
    assert fig.data[0].line.shape == "hv"
    assert flips.iloc[27] == 1.0 and flips.iloc[26] == 0.0
    assert fig.data[1].visible == "legendonly"
    assert "z-score" in fig.layout.yaxis.title.text


def test_signal_figure_without_optional_parts() -> None:
    fig = figures.signal_figure(pd.Series([0.0, 1.0], index=IDX[:2]))
    assert [t.name for t in fig.data] == ["composite"]
    assert not fig.layout.shapes


def test_regime_bars_group_strategies_and_add_the_spread() -> None:
    table = pd.DataFrame({
        "regime": ["r1", "r1", "r2", "r2"],
        "strategy": ["s", "b", "s", "b"],
        "return": [0.1, -0.2, 0.3, 0.0],
        "long_minus_short": [-0.05, -0.05, 0.02, 0.02],
    })
    fig = figures.regime_bars_figure(table)
    assert [t.name for t in fig.data] == ["s", "b", "long − short duration sleeve"]
    # horizontal bars: regimes down the y axis (readable names), returns along x
    assert {t.orientation for t in fig.data} == {"h"}
    np.testing.assert_allclose(fig.data[1].x, [-0.2, 0.0])
    np.testing.assert_allclose(fig.data[2].x, [-0.05, 0.02])
    assert list(fig.data[0].y) == ["r1", "r2"]
    assert fig.layout.yaxis.autorange == "reversed"
    assert fig.layout.barmode == "group"
    assert not figures.regime_bars_figure(table.iloc[:0]).data


def test_user_text_is_escaped_for_plotly() -> None:
    rets = pd.DataFrame({"<b>x</b> & y": [0.1, 0.2]}, index=IDX[:2])
    fig = figures.equity_figure(rets)
    assert fig.data[0].name == "&lt;b&gt;x&lt;/b&gt; &amp; y"


def test_figures_do_not_mutate_inputs() -> None:
    rets = pd.DataFrame({"a": [0.1, np.nan, 0.2, 0.0]}, index=IDX)
    before = rets.copy()
    figures.equity_figure(rets)
    figures.drawdown_figure(rets)
    figures.weights_figure(rets, title="t")
    pd.testing.assert_frame_equal(rets, before)


@pytest.mark.parametrize("kind", ["equity", "drawdown", "weights"])
def test_result_plot_uses_the_figures(run, kind: str) -> None:  # type: ignore[no-untyped-def]
    fig = run.main.plot(kind)
    assert isinstance(fig, go.Figure)
    assert fig.layout.xaxis.title.text == "Date"
    assert fig.layout.yaxis.title.text


def test_kind_colour_matches_keywords() -> None:
    assert figures.kind_colour("rate_shock") != figures.kind_colour("easing")
    assert figures.kind_colour("Credit stress") == figures.kind_colour("credit_stress")
    assert figures.kind_colour("something else").startswith("#")


def test_long_legends_move_beside_the_plot() -> None:
    few = pd.DataFrame({c: [0.1, 0.0] for c in "abc"}, index=IDX[:2])
    many = pd.DataFrame({c: [0.1, 0.0] for c in "abcdefgh"}, index=IDX[:2])
    assert figures.equity_figure(few).layout.legend.orientation != "v"  # template: above
    assert figures.equity_figure(many).layout.legend.orientation == "v"
    assert figures.drawdown_figure(many).layout.legend.x == 1.02
