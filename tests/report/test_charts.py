"""The report's newer figures and the display resolution helpers (pure)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtest.report import figures
from backtest.report._figbase import sample_rows

IDX = pd.bdate_range("2000-01-03", periods=5000)


@settings(max_examples=40, deadline=None)
@given(st.integers(10, 3000), st.integers(4, 400), st.integers(0, 2**31 - 1))
def test_thin_keeps_every_extreme_of_each_bucket(n: int, max_points: int, seed: int) -> None:
    values = pd.Series(np.random.default_rng(seed).normal(size=n).cumsum(), index=IDX[:n])
    shown = figures.thin(values, max_points)
    assert shown.index.is_monotonic_increasing
    if n <= max_points:
        pd.testing.assert_series_equal(shown, values)
        return
    assert len(shown) <= max_points + 2
    assert shown.iloc[0] == values.iloc[0] and shown.iloc[-1] == values.iloc[-1]
    assert shown.max() == values.max() and shown.min() == values.min()
    assert set(shown.index) <= set(values.index)


def test_sample_rows_shares_dates_and_keeps_the_last() -> None:
    frame = pd.DataFrame({"a": np.arange(5000.0)}, index=IDX)
    shown = sample_rows(frame, 1000)
    assert len(shown) <= 1001 and shown.index[-1] == IDX[-1]
    assert sample_rows(frame, None) is frame


def test_growth_figure_has_two_panels_toggled_together() -> None:
    rets = pd.DataFrame({"a": [0.1, -0.5, 0.2], "b": [0.0, 0.1, 0.1]}, index=IDX[:3])
    fig = figures.growth_figure(rets, hidden=["b"])
    assert [t.name for t in fig.data] == ["a", "a", "b", "b"]
    np.testing.assert_allclose(fig.data[0].y, [1.1, 0.55, 0.66])
    np.testing.assert_allclose(fig.data[1].y, [0.0, -0.5, -0.4])
    assert fig.data[0].legendgroup == fig.data[1].legendgroup and not fig.data[1].showlegend
    assert fig.data[2].visible == "legendonly" and fig.data[0].visible is True
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis2.tickformat == ".0%"


def test_monthly_heatmap_years_down_months_across_with_a_menu() -> None:
    idx = pd.MultiIndex.from_tuples([(2001, 1), (2001, 2), (2002, 12)], names=["year", "month"])
    a = pd.Series([0.01, -0.02, 0.03], index=idx)
    fig = figures.monthly_heatmap_figure({"a": a, "b": a * 2})
    z = np.array(fig.data[0].z, dtype=float)
    assert z.shape == (2, 12) and z[0, 1] == -0.02 and z[1, 11] == 0.03
    assert np.isnan(z[1, 0])
    assert list(fig.data[0].y) == ["2001", "2002"]
    # symmetric about 0, each strategy on its own scale (issue 17: one run's 87% month
    # washed out every other run's colours)
    assert fig.data[0].zmin == -fig.data[0].zmax == pytest.approx(-0.03)
    assert fig.data[1].zmin == -fig.data[1].zmax == pytest.approx(-0.06)
    assert fig.data[1].visible is False
    buttons = fig.layout.updatemenus[0].buttons
    assert [b.label for b in buttons] == ["a", "b"]
    assert buttons[1].args[0]["visible"] == [False, True]


def test_distribution_bins_share_edges_and_sum_to_one() -> None:
    rng = np.random.default_rng(0)
    a = pd.Series(rng.normal(0, 0.01, 500))
    b = pd.Series(rng.normal(0.001, 0.02, 300))
    fig = figures.distribution_figure({"a": a, "b": b}, {"a": {"skew": 0.1, "kurtosis": 2.0}},
                                      bins=20, period="month")
    assert list(fig.data[0].x) == list(fig.data[1].x)
    assert sum(fig.data[0].y) == pytest.approx(1.0) and sum(fig.data[1].y) == pytest.approx(1.0)
    assert "skew 0.10, excess kurtosis 2.00" in fig.data[0].name
    assert "month" in fig.layout.xaxis.title.text


def test_risk_return_scatter_skips_missing_points() -> None:
    points = pd.DataFrame({"volatility": [0.1, np.nan], "cagr": [0.05, 0.02],
                           "sharpe": [0.4, 0.1]}, index=["a", "b"])
    fig = figures.risk_return_figure(points)
    assert [t.name for t in fig.data] == ["a"]
    assert fig.data[0].x == (0.1,) and fig.data[0].y == (0.05,)


def test_signal_panels_toggle_runs_and_draw_thresholds() -> None:
    idx = pd.date_range("2000-01-31", periods=24, freq="ME")
    composite = pd.Series(np.sin(np.arange(24) / 3), index=idx)
    panels = [
        figures.SignalPanel("r1", composite, composite.to_frame("c"), composite > 0.5,
                            (("risk-off above", 0.5), ("risk-on below", 0.0))),
        figures.SignalPanel("r2", composite * 2),
    ]
    fig = figures.signal_panels_figure(panels, max_points=None)
    names = [t.name for t in fig.data]
    assert names == ["risk-off (strategy under test)", "risk-off above 0.5", "risk-on below 0",
                     "composite", "c", "composite"]
    assert [t.visible for t in fig.data] == [None, None, None, None, None, False]
    assert fig.data[4].yaxis == "y2"  # components below the composite
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["r1", "r2"]


def test_exposures_choose_one_strategy_at_a_time() -> None:
    w = pd.DataFrame({"x": [1.0, 0.0], "y": [0.0, 1.0]}, index=IDX[:2])
    fig = figures.exposures_figure({"s1": w, "s2": w[["x"]]})
    assert [t.name for t in fig.data] == ["x", "y", "x"]
    assert [t.visible for t in fig.data] == [None, None, False]
    assert fig.data[0].stackgroup == "w0" and fig.data[2].stackgroup == "w1"


def test_the_palette_gives_strategies_safe_colours_benchmarks_greys_and_dashes_beyond() -> None:
    from backtest.report._figbase import GREYS, SAFE_COLOURS, Palette

    labels = [f"s{i}" for i in range(9)] + ["market", "bonds"]
    palette = Palette(labels, benchmarks=["market", "bonds"])
    looks = [palette.line(label) for label in labels]
    assert [look["color"] for look in looks[:7]] == list(SAFE_COLOURS)
    assert looks[7]["color"] == SAFE_COLOURS[0] and looks[7]["dash"] == "dash"  # 8th: dashed
    assert [looks[9]["color"], looks[10]["color"]] == list(GREYS[:2])
    assert len({(look["color"], look["dash"]) for look in looks}) == len(labels)


def test_a_synthetic_run_is_not_drawn_over_historical_regimes() -> None:
    from backtest.report._figbase import RegimeSpan  # noqa: F401 (the protocol the spans fit)

    class Span:
        name, kind, description = "1994 bond rout", "rate", "x"
        start, end = "1994-02-01", "1994-11-30"

    idx = pd.date_range("1990-01-31", periods=120, freq="ME")
    composite = pd.Series(np.linspace(-1, 1, 120), index=idx)
    real = figures.signal_panels_figure([figures.SignalPanel("real", composite)], [Span()])
    fake = figures.signal_panels_figure(
        [figures.SignalPanel("synthetic", composite, synthetic=True)], [Span()])
    assert len(real.layout.shapes) == 1 and len(fake.layout.shapes) == 0


def test_rolling_risk_figure_draws_sortino_above_beta() -> None:
    sortino = pd.DataFrame({"a": [np.nan, 1.0, 2.0], "b": [np.nan, 0.5, 0.4]}, index=IDX[:3])
    beta = pd.DataFrame({"a": [np.nan, 0.9, 1.1], "b": [np.nan, 1.0, 1.0]}, index=IDX[:3])
    fig = figures.rolling_risk_figure(sortino, beta, "36 months", hidden=["b"])
    assert [t.yaxis for t in fig.data] == ["y", "y2", "y", "y2"]
    np.testing.assert_allclose(fig.data[0].y, [1.0, 2.0])  # the window's first NaN not drawn
    np.testing.assert_allclose(fig.data[1].y, [0.9, 1.1])
    assert fig.data[2].visible == "legendonly" and fig.data[3].showlegend is False
    assert "Sortino, 36 months" in fig.layout.yaxis.title.text
    assert "Beta, 36 months" in fig.layout.yaxis2.title.text


def test_annual_vs_benchmark_figure_one_strategy_at_a_time() -> None:
    idx = pd.date_range("2000-01-31", periods=30, freq="ME")
    r = pd.Series(np.linspace(-0.02, 0.03, 30), index=idx)
    b = pd.Series(0.01, index=idx)
    from backtest.metrics import annual_returns_vs_benchmark

    table = annual_returns_vs_benchmark(r, b)
    assert list(table.index) == [2000, 2001, 2002]
    assert table.loc[2001, "benchmark"] == pytest.approx(1.01**12 - 1)
    fig = figures.annual_vs_benchmark_figure({"x": table, "y": table * 2})
    assert len(fig.data) == 4 and fig.data[1].name == "benchmark"
    np.testing.assert_allclose(fig.data[0].y, table["strategy"])
    assert [t.visible for t in fig.data] == [None, None, False, False]  # the menu shows x first
    assert len(fig.layout.updatemenus) == 1


def test_return_quantiles_are_the_period_returns_five_numbers() -> None:
    from backtest.report._analysis import return_quantiles

    idx = pd.bdate_range("2001-01-01", periods=600)
    r = pd.Series(np.random.default_rng(2).normal(0.0003, 0.01, 600), index=idx)
    q = return_quantiles(r, "B")
    assert list(q) == ["bar", "month", "year"]
    assert q["bar"]["min"] == r.min() and q["bar"]["max"] == r.max()
    assert q["bar"]["median"] == pytest.approx(float(np.median(r)), abs=1e-15)
    years = (1 + r).groupby(r.index.year).prod() - 1
    assert q["year"]["mean"] == pytest.approx(years.mean(), rel=1e-12)
    assert list(return_quantiles(r, "M")) == ["month", "year"]  # month-end bars are months
    fig = figures.return_quantiles_figure({"a": q, "b": q}, hidden=["b"])
    assert [t.type for t in fig.data] == ["box", "box"]
    assert list(fig.data[0].x) == ["bar", "month", "year"]
    np.testing.assert_allclose(fig.data[0].q1, [q[p]["q1"] for p in q])
    np.testing.assert_allclose(fig.data[0].upperfence, [q[p]["max"] for p in q])
    assert fig.data[1].visible == "legendonly"
