"""Results in Jupyter: ``_repr_html_`` fragments and ``report()`` views (no kernel needed)."""

from __future__ import annotations

import html
import sys
from typing import Any

import pytest

from backtest.api import CompareResult
from backtest.report import _notebook
from backtest.report._notebook import BUNDLE_MARKER, ReportView, reset_plotlyjs, tune_fragment

BUNDLE = f'{BUNDLE_MARKER}="1"'
EVIL = '<script>alert(1)</script> & "q"'  # same as conftest.EVIL


@pytest.fixture(autouse=True)
def fresh_session() -> None:
    reset_plotlyjs()  # each test starts as a new kernel would


def _no_raw_evil(page: str) -> None:
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_run_fragment_escapes_labels_names_and_titles(evil_run) -> None:
    page = evil_run._repr_html_()
    _no_raw_evil(page)
    assert '<table class="metrics">' in page
    assert page.count("<h4>") == 1 and html.escape(EVIL) in page


def test_run_fragment_shows_every_convention_and_the_data(run) -> None:
    page = run._repr_html_()
    for text in ("periods_per_year=12", "execution lag 1 bar after the decision",
                 "fees 10 bps + slippage 5 bps of traded value",
                 "risk-free = per-bar return of the cash asset CASH", "frequency M",
                 "72 bars", "benchmark buy &amp; hold", "<b>Data</b>", "synthetic:long"):
        assert text in page, text
    for metric in ("CAGR", "Sharpe", "Max DD"):
        assert metric in page


def test_plotlyjs_is_embedded_in_the_first_fragment_only(run, make_run) -> None:
    first, second = run._repr_html_(), make_run(seed=3)._repr_html_()
    assert first.count(BUNDLE) == 1 and second.count(BUNDLE) == 0
    assert "dcfRegimePlotly" in second  # the later charts wait for the first's bundle
    assert len(second) < len(first) / 10
    reset_plotlyjs()  # e.g. after clearing the first output
    assert run._repr_html_().count(BUNDLE) == 1


def test_every_fragment_has_its_own_chart(run) -> None:
    a, b = run._repr_html_(), run._repr_html_()
    ids = [p.split('class="chart" id="')[1].split('"')[0] for p in (a, b)]
    assert ids[0] != ids[1]
    assert f'id="{ids[1]}-spec"' in b


def test_a_comparison_shows_both_runs_conventions_and_metrics(make_run) -> None:
    one, two = make_run(name="alpha", seed=1), make_run(name=EVIL, seed=2)
    comparison = CompareResult([one, two])
    page = comparison._repr_html_()
    _no_raw_evil(page)
    assert "Comparison of 2 runs" in page
    assert page.count("<b>Conventions</b>") == 2 and "alpha: " in page
    metrics = comparison.metrics()
    assert "sharpe" in metrics.columns
    assert any(label.startswith("alpha / ") for label in metrics.index)


def test_compare_refuses_nothing_with_one_line() -> None:
    from backtest.errors import ConfigError

    with pytest.raises(ConfigError, match="compare needs at least one"):
        CompareResult([])


def _tune_doc(evil: str) -> dict[str, Any]:
    conv = {"frequency": "M", "periods_per_year": 12, "execution_lag_bars": 1,
            "fees_bps": 10.0, "slippage_bps": 5.0, "cash_asset": "RF", "start": "2000-01-31",
            "end": "2009-12-31", "bars": 120}
    dates = ["2005-01-31", "2005-02-28", "2005-03-31"]
    metrics = {"sharpe": 0.5, "sortino": 0.7, "cagr": 0.05, "max_drawdown": -0.2, "calmar": 0.25}
    return {
        "config": {"source": evil}, "conventions": conv,
        "data": {"sources": [{"alias": "RF", "id": evil}]},
        "protocol": {"kind": "holdout", "objective": "sharpe",
                     "in_sample": {"bars": 84, "start": "2000-01-31", "end": "2006-12-31"},
                     "out_of_sample": {"bars": 36, "start": "2007-01-31", "end": "2009-12-31"}},
        "oos": metrics, "is": {**metrics, "trial": 1},
        "benchmark": {"label": evil, "oos": metrics},
        "series": {"oos": {"dates": dates, "values": [0.01, None, 0.02]},
                   "benchmark_oos": {"dates": dates, "values": [0.0, 0.01, -0.01]}},
        "selected": {"trial": 1, "params": {evil: 0.5}},
        "gates": [{"message": f"{evil} >= 0: passed"}], "verdict": f"verdict {evil}",
    }


def test_a_tune_fragment_escapes_and_shows_conventions() -> None:
    page = tune_fragment(_tune_doc(EVIL))
    _no_raw_evil(page)
    assert "periods_per_year=12" in page and "cash asset RF" in page
    assert "out of sample (stitched: the verdict)" in page and "50.00%" not in page
    assert "5.00%" in page and "−20.00%" in page
    assert page.count(BUNDLE) == 1


def test_the_report_view_is_an_escaped_iframe_and_saves(tmp_path) -> None:
    view = ReportView("<!doctype html><html><body><script>x()</script>\"'&</body></html>")
    shown = view._repr_html_()
    assert shown.startswith('<iframe srcdoc="') and shown.count("<") == 2
    assert "&lt;script&gt;x()&lt;/script&gt;&quot;&#x27;&amp;" in shown
    saved = view.save(tmp_path / "r" / "page.html")
    assert saved.read_text() == view.html
    assert "MB page" in repr(view)


def test_nothing_needs_ipython(monkeypatch, real_run) -> None:
    monkeypatch.setitem(sys.modules, "IPython", None)  # `import IPython` now fails
    assert 'class="dcf-regime"' in real_run._repr_html_()
    page = real_run.report()
    assert isinstance(page, ReportView) and "<html" in page.html
    assert _notebook.__name__ not in page.html


@pytest.mark.slow
def test_two_fragments_draw_in_a_browser_with_requirejs_present(tmp_path, run, make_run) -> None:
    import os

    from chromium import CHROMIUM, Browser

    if CHROMIUM is None:
        if os.environ.get("BACKTEST_REQUIRE_BROWSER"):
            pytest.fail("BACKTEST_REQUIRE_BROWSER is set but Chromium is not installed")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    # a classic notebook has require.js: plotly.js must still land on window.Plotly
    amd = "<script>window.define = function () {}; window.define.amd = {};</script>"
    page = tmp_path / "notebook.html"
    page.write_text("<!doctype html><html><head><meta charset='utf-8'></head><body>" + amd
                    + run._repr_html_() + make_run(seed=3)._repr_html_() + "</body></html>")
    with Browser(tmp_path / "profile") as browser:
        browser.open(page)
        browser.wait_for('document.querySelectorAll(".dcf-regime svg.main-svg").length >= 2',
                         timeout=90)
        assert browser.evaluate('document.querySelectorAll(".dcf-regime .js-plotly-plot").length') == 2


@pytest.mark.slow
def test_the_report_iframe_draws_its_charts_in_a_browser(tmp_path, real_run) -> None:
    from chromium import CHROMIUM, Browser

    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    page = tmp_path / "report.html"
    page.write_text("<!doctype html><html><body>" + real_run.report()._repr_html_()
                    + "</body></html>")
    with Browser(tmp_path / "profile") as browser:
        browser.open(page)
        charts = ('Number((document.querySelector("iframe").contentDocument || {})'
                  '.documentElement?.dataset.charts || 0)')
        browser.wait_for(charts + " > 0", timeout=90)
        assert browser.evaluate(charts) >= 5
