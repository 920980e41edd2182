"""The report in a real, offline browser (headless Chromium over the DevTools protocol).

Skipped when Chromium is not installed (``apt-get install chromium``), except under
``.ci/run``, which installs it and sets ``BACKTEST_REQUIRE_BROWSER=1`` so that a
missing browser fails instead of silently skipping the checks.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from chromium import CHROMIUM, Browser
from PIL import Image

from backtest.regimes import Regime, RegimeKind
from backtest.report import build_context, render_html, to_json, write_report

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None and not os.environ.get("BACKTEST_REQUIRE_BROWSER"),
                       reason="Chromium is not installed (apt-get install chromium)"),
]

#: Each sets window.__xss if the browser ever runs it.
PAYLOADS = (
    '<img src=x onerror="window.__xss=1">',
    "<script>window.__xss=2</script>",
    '"><svg onload="window.__xss=3">',
    "</script><script>window.__xss=4</script>",
    "<b onmouseover=window.__xss=5>b</b>",
)
DRAWN = """Array.from(document.querySelectorAll("div[data-figure]")).map(function (d) {
  var svg = d.querySelector("svg.main-svg");
  var marks = d.querySelectorAll(".trace path, .trace rect, .point, .hm image, image").length;
  return [d.id, svg !== null && svg.getBoundingClientRect().width > 100, marks];
})"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Any:
    if CHROMIUM is None:
        pytest.fail("BACKTEST_REQUIRE_BROWSER is set but Chromium is not installed")
    with Browser(tmp_path_factory.mktemp("profile"), width=1280, height=900) as b:
        yield b


def _open(browser: Browser, page: Path) -> int:
    browser.events.clear()
    browser.open(page)
    browser.wait_for("document.documentElement.dataset.charts !== undefined", timeout=90)
    return int(browser.evaluate("Number(document.documentElement.dataset.charts)"))


#: growth, rolling, rolling risk, annual, annual vs benchmark, monthly, distribution,
#: quantiles, scatter, signal, exposures, regimes
ALL_CHARTS = 12


def _render(runs: list[Any], path: Path) -> Path:
    docs = [to_json(r, versions={"dcf-regime": "0"}, generated_at="now") for r in runs]
    write_report(path, render_html(build_context(docs)))
    return path


def test_every_chart_is_drawn_without_errors_and_fits_1280px(make_run: Any, browser: Browser,
                                                             tmp_path: Path) -> None:
    runs = [make_run(name="a", bench_seed=5), make_run(name="b", seed=3, bench_seed=5)]
    page = _render(runs, tmp_path / "report.html")
    charts = _open(browser, page)
    assert charts == ALL_CHARTS
    for chart, has_svg, marks in browser.evaluate(DRAWN):
        assert has_svg and marks > 0, chart
    assert browser.errors() == []
    # nothing wider than the viewport: tables scroll inside their own box
    assert browser.evaluate("document.documentElement.scrollWidth") <= browser.evaluate(
        "document.documentElement.clientWidth")
    overflowing = browser.evaluate("""Array.from(document.querySelectorAll("body *")).filter(
        function (e) { return e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
                       && !e.closest(".scroll"); }).map(function (e) { return e.tagName + "." + e.className; })""")
    assert overflowing == []
    # results first: the metrics table starts within the first screen and a half
    assert browser.evaluate("document.querySelector('table.metrics').getBoundingClientRect()"
                            ".top + window.scrollY") <= 1_200
    # the sortable table sorts: click the CAGR header twice -> ascending by value
    browser.evaluate("""(function () { var th = Array.from(document.querySelectorAll("table.metrics th"))
        .find(function (h) { return h.textContent === "CAGR"; }); th.click(); th.click(); })()""")
    col = browser.evaluate("""Array.from(document.querySelectorAll("table.metrics th"))
        .findIndex(function (h) { return h.textContent.indexOf("CAGR") === 0; })""")
    values = browser.evaluate(f"""Array.from(document.querySelectorAll("table.metrics tbody tr"))
        .map(function (r) {{ return Number(r.cells[{col}].dataset.value); }})""")
    assert values == sorted(values)


def test_screenshot_is_not_blank(run: Any, browser: Browser, tmp_path: Path) -> None:
    page = _render([run], tmp_path / "report.html")
    _open(browser, page)
    browser.evaluate('document.getElementById("growth").scrollIntoView()')
    image = np.asarray(Image.open(io.BytesIO(browser.screenshot())).convert("RGB"), dtype=float)
    assert image.shape[1] == 1280
    not_white = (image.min(axis=2) < 235).mean()
    assert not_white > 0.02  # lines, axes and text, not an empty page
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 50  # the strategies' colours


def test_hostile_text_is_never_executed(make_run: Any, browser: Browser, tmp_path: Path) -> None:
    evil = " ".join(PAYLOADS)
    catalog = (
        Regime(evil, pd.Timestamp("2006-01-01"), pd.Timestamp("2006-12-31"),
               RegimeKind.RATE_SHOCK, evil, evil),
        Regime("plain", pd.Timestamp("2008-01-01"), pd.Timestamp("2008-06-30"),
               RegimeKind.EASING, evil, "ref"),
    )
    runs = [make_run((evil, PAYLOADS[1]), name=evil, title=evil, catalog=catalog,
                     source_id=f"csv:{evil}", asset=PAYLOADS[0]),
            make_run(("x", PAYLOADS[3]), name=PAYLOADS[2], seed=1, catalog=catalog)]
    page = _render(runs, tmp_path / "evil.html")
    charts = _open(browser, page)
    assert charts == ALL_CHARTS - 1  # no benchmark among the strategies: no vs-benchmark bars
    # hover every chart so that legends, tooltips and annotations render their text
    browser.evaluate("""Array.from(document.querySelectorAll("div[data-figure]")).forEach(function (d) {
        var r = d.getBoundingClientRect();
        d.dispatchEvent(new MouseEvent("mousemove", {clientX: r.left + r.width / 2,
                                                      clientY: r.top + r.height / 2, bubbles: true}));
    })""")
    assert browser.evaluate("window.__xss === undefined")
    assert browser.errors() == []
    # the reader sees the text as written
    body = browser.evaluate("document.body.innerText")
    assert PAYLOADS[1] in body and PAYLOADS[0] in body
    legend = browser.evaluate("document.getElementById('fig-growth').textContent")
    assert PAYLOADS[1] in legend


def test_hostile_text_from_a_real_run_and_a_user_catalog(browser: Browser,
                                                         tmp_path: Path) -> None:
    """The whole path: a user catalog file, --set labels and names, a data alias."""
    import backtest

    catalog = tmp_path / "evil_catalog.toml"
    catalog.write_text(  # TOML literal strings: the payload has no single quote
        "[[regime]]\n"
        f"name = '{PAYLOADS[0]} 1973'\nstart = '1973-01-01'\nend = '1974-10-31'\n"
        f"kind = 'rate_shock'\ndescription = '{PAYLOADS[0]} description'\n"
        f"reference = '{PAYLOADS[0]} reference'\n"
    )
    result = backtest.run(None, overrides=[
        f"regimes.catalog='{catalog}'",
        f"strategy.label='{PAYLOADS[1]}'",
        f"run.name='{PAYLOADS[2]}'",
    ])
    assert result.catalog[0].name.startswith(PAYLOADS[0])
    page = _render([result], tmp_path / "real.html")
    assert _open(browser, page) == ALL_CHARTS
    browser.evaluate("""Array.from(document.querySelectorAll("div[data-figure]")).forEach(function (d) {
        var r = d.getBoundingClientRect();
        d.dispatchEvent(new MouseEvent("mousemove", {clientX: r.left + r.width / 3,
                                                      clientY: r.top + 60, bubbles: true}));
    })""")
    assert browser.evaluate("window.__xss === undefined")
    assert browser.errors() == []
    browser.evaluate("document.querySelectorAll('details').forEach(function (d) { d.open = true; })")
    body = browser.evaluate("document.body.innerText")  # what a reader sees, all sections open
    assert f"{PAYLOADS[0]} 1973" in body and f"{PAYLOADS[0]} description" in body
    assert PAYLOADS[1] in body and PAYLOADS[2] in body


COLOURS = """(function () {
  var out = {};
  document.querySelectorAll("div[data-figure]").forEach(function (d) {
    if (!d.data) { return; }
    out[d.id] = d.data.filter(function (t) { return t.name && t.showlegend !== false; })
      .map(function (t) {
        var c = (t.line && t.line.color) || (t.marker && t.marker.color);
        return [t.name.split(" (skew")[0], typeof c === "string" ? c : null,
                (t.line && t.line.dash) || null];
      });
  });
  return out;
})()"""


def test_a_four_config_compare_puts_results_first_in_one_colour_each(
        shared_data: Path, browser: Browser, tmp_path: Path) -> None:
    # issue 17: 61,844 px tall, the metrics at 9,948 px, Total/Beta/Alpha/IR off the
    # right edge, two strategies under test both blue, a colour changing between charts
    from typer.testing import CliRunner

    from backtest.cli import app

    repo = Path(__file__).resolve().parents[2]
    configs = [str(repo / "strategies" / f"{n}.toml") for n in
               ("duration_rotation", "synthetic_rotation", "seed_2026", "ff_dcf_duration")]
    page = tmp_path / "compare.html"
    done = CliRunner().invoke(app, ["--mirror", str(shared_data), "--data-dir",
                                    str(tmp_path / "cache"), "compare", *configs, "--report",
                                    str(page), "--quiet"])
    assert done.exit_code == 0, done.output
    _open(browser, page)
    assert browser.errors() == []
    height = browser.evaluate("document.documentElement.scrollHeight")
    top = browser.evaluate("document.querySelector('table.metrics').getBoundingClientRect().top"
                           " + window.scrollY")
    right = browser.evaluate("document.querySelector('table.metrics').getBoundingClientRect()"
                             ".right")
    width = browser.evaluate("document.documentElement.clientWidth")
    assert height <= 25_000 and top <= 1_200 and right <= width, (height, top, right)
    assert browser.evaluate("document.documentElement.scrollWidth") <= width
    first = browser.evaluate("Array.from(document.querySelectorAll('section')).map("
                             "function (s) { return s.id; })")
    assert first[:2] == ["metrics", "growth"] and first[-3:] == ["differs", "conventions",
                                                                 "provenance"]
    # one colour (and dash) per strategy in every chart, and beside its row in the table
    seen: dict[str, set[str]] = {}
    for chart, traces in browser.evaluate(COLOURS).items():
        for name, colour, _ in traces:
            if colour is not None and chart != "fig-signal":
                seen.setdefault(name, set()).add(colour.lower())
    assert len(seen) >= 16
    assert all(len(styles) == 1 for styles in seen.values()), seen
    rows = browser.evaluate("""Array.from(document.querySelectorAll("table.metrics tbody tr"))
        .map(function (r) { var s = r.querySelector(".swatch");
          return [r.cells[0].textContent, getComputedStyle(s).backgroundColor,
                  r.classList.contains("main")]; })""")
    growth = {n: (c.lower(), d) for n, c, d in browser.evaluate(COLOURS)["fig-growth"]}
    assert {label for label, _, _ in rows} == set(growth)
    for label, swatch, _ in rows:  # the table's swatch is the chart's colour
        rgb = tuple(int(growth[label][0][i:i + 2], 16) for i in (1, 3, 5))
        assert swatch == f"rgb({rgb[0]}, {rgb[1]}, {rgb[2]})", label
    mains = [growth[label] for label, _, main in rows if main]
    assert len(mains) == 4 and len(set(mains)) == 4  # four strategies under test, four looks
