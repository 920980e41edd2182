"""build_context (pure), render_html (pure, escaped, self-contained) and write_report."""

from __future__ import annotations

import base64
import gzip
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import plotly.offline
import pytest

from backtest.errors import BacktestError
from backtest.report import (
    _embed,
    build_context,
    compare_runs,
    read_results,
    render_html,
    run_from_document,
    to_json,
    write_json,
    write_report,
)
from backtest.report._format import format_value

EVIL = '<script>alert(1)</script> & "q"'  # same as conftest.EVIL
VERSIONS = {"dcf-regime": "0.1.0", "plotly": "7.1.0", "jinja2": "3.1.6"}
WHEN = "2026-01-02 03:04 UTC"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
# elements that must be closed explicitly in our template (p/li/td/tr/th may not be, in HTML5,
# but the template closes them too, so all of these are checked)
CHECKED = {"html", "head", "body", "header", "section", "footer", "div", "table", "thead",
           "tbody", "tr", "td", "th", "p", "h1", "h2", "h3", "script", "style", "span", "strong",
           "em", "code", "title"}


class Page(HTMLParser):
    """Tag balance, external references and script bodies of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.external: list[str] = []
        self.scripts: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        for key in ("src", "href"):
            value = found.get(key) or ""
            if value.startswith(("http:", "https:", "//")):
                self.external.append(f"<{tag} {key}={value}>")
        if tag == "script":
            self._in_script = True
            self.scripts.append("")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            if tag in CHECKED or (self.stack and self.stack[-1] in CHECKED):
                self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            if tag in self.stack:
                while self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


def parse(page: str) -> Page:
    parser = Page()
    parser.feed(page)
    parser.close()
    return parser


def doc(run: Any, when: str = WHEN) -> dict[str, Any]:
    return to_json(run, versions=VERSIONS, generated_at=when)


def page_of(*runs: Any) -> str:
    return render_html(build_context([doc(r) for r in runs]))


@pytest.fixture
def page(run: Any) -> str:
    return page_of(run)


CHARTS = ("growth", "rolling", "rolling_risk", "annual", "annual_vs_benchmark", "monthly",
          "distribution", "quantiles", "scatter", "signal",
          "exposures", "regimes")


def test_parser_catches_unbalanced_tags() -> None:
    assert parse("<div><table><tr><td>x</td></tr></div>").errors
    assert not parse("<div><table><tr><td>x</td></tr></table></div>").errors


def test_page_is_balanced_html(page: str) -> None:
    parsed = parse(page)
    assert page.startswith("<!DOCTYPE html>")
    assert parsed.errors == []
    assert parsed.stack == []


def test_page_is_self_contained_with_plotly_once_compressed(page: str) -> None:
    parsed = parse(page)
    assert parsed.external == []
    assert not [t for t, a in parsed.tags if t == "link"]
    assert not [t for t, a in parsed.tags if t == "script" and a.get("src")]
    assert "@import" not in page
    assert "http://" not in page and "https://" not in page
    bundles = [a for t, a in parsed.tags if t == "script" and a.get("id") == "plotly-bundle"]
    assert len(bundles) == 1
    index = [a.get("id") for t, a in parsed.tags if t == "script"].index("plotly-bundle")
    packed = parsed.scripts[index]
    # the embedded bundle is plotly.js's cartesian partial bundle when it is of the version
    # plotly.py ships (else the full bundle), exactly, gzipped and base64-encoded
    source = gzip.decompress(base64.b64decode(packed)).decode()
    assert source == _embed.bundle_source(frozenset({"scatter", "bar", "heatmap"}))
    full = plotly.offline.get_plotlyjs()
    assert full[:200].split(" v")[1].split()[0] == source[:200].split(" v")[1].split()[0]
    assert page.count("Plotly.newPlot") == 1  # one loader, not one script per figure
    figure_divs = [a for t, a in parsed.tags if t == "div" and "data-figure" in a]
    assert [a["id"] for a in figure_divs] == [f"fig-{k}" for k in CHARTS]
    specs = [a for t, a in parsed.tags if t == "script" and a.get("type") == "application/json"]
    assert len(specs) == len(CHARTS)
    assert len(page) < 3_500_000


def test_figure_specs_are_json_with_compact_dates(page: str) -> None:
    parsed = parse(page)
    ids = [a.get("id") for t, a in parsed.tags if t == "script"]
    spec = json.loads(parsed.scripts[ids.index("spec-growth")])
    first = spec["data"][0]
    assert set(first["x"]) == {"days"}  # int32 day numbers, turned into dates by the loader
    days = np.frombuffer(base64.b64decode(first["x"]["days"]), dtype="<i4")
    assert str(np.datetime64(int(days[0]), "D")) == "2005-02-28"
    assert spec["layout"]["xaxis"]["type"] == "date"
    assert "title" not in spec["layout"]  # the HTML heading titles the chart


def test_page_shows_the_conventions_and_the_benchmark(page: str, run: Any) -> None:
    parsed = parse(page)
    cells = {a.get("data-key") for t, a in parsed.tags if t == "td"}
    for key in ("engine", "periods_per_year", "execution_lag_bars", "fees_bps", "slippage_bps",
                "cash_asset", "frequency", "risk_free", "benchmark", "benchmark_rule"):
        assert key in cells
    text = " ".join(parsed.text)
    assert "Engine (executes the orders)" in text and "vectorbt (Portfolio.from_orders)" in text
    assert "Periods per year (annualization)" in text
    assert "Execution lag (bars after the decision)" in text
    assert "Benchmark (beta, alpha, information ratio, tracking error)" in text
    assert "10 bps" in text and "5 bps" in text
    assert run.config.config_hash in text
    assert run.dataset.fingerprint in text
    assert "synthetic:long" in text and "decimal return" in text
    for name, version in VERSIONS.items():
        assert name in text and version in text
    assert WHEN in text
    assert "Rolling Sharpe ratio and volatility (36 months)" in text


def test_user_text_is_escaped_everywhere(evil_run: Any) -> None:
    page = render_html(build_context([doc(evil_run, EVIL)]))
    assert EVIL not in page
    assert "<script>alert(1)" not in page
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;q&#34;"
    # title, header, metrics, tables, catalog, sources notes, footer
    assert page.count(escaped) >= 8
    parsed = parse(page)
    assert parsed.errors == []
    # scripts: one spec per chart, the bundle, the chart loader and the table script
    # (its benchmark is not among its strategies: no annual-vs-benchmark chart)
    assert 'data-figure="spec-annual_vs_benchmark"' not in page
    assert len(parsed.scripts) == len(CHARTS) - 1 + 3
    for body in parsed.scripts:
        assert "</script" not in body.lower()
        assert "<script" not in body.lower()
    assert EVIL in " ".join(parsed.text)  # the reader sees the label as written


def test_metric_cells_have_units_signs_and_sort_values(run: Any) -> None:
    ctx = build_context([doc(run)])
    table = ctx["metrics"]
    keys = [c["key"] for c in table["columns"]]
    for key in ("total_return", "beta", "alpha", "information_ratio", "tracking_error"):
        assert key in keys
    row = table["rows"][1]  # the static mix, which is also the benchmark
    cagr = row["cells"][keys.index("cagr")]["text"]
    sharpe = row["cells"][keys.index("sharpe")]["text"]
    max_dd = row["cells"][keys.index("max_drawdown")]
    assert cagr.endswith("%") and len(cagr.split(".")[1]) == 3  # 2 decimals + "%"
    assert len(sharpe.split(".")[1]) == 3
    assert max_dd["negative"] and max_dd["text"].startswith("−")
    assert row["cells"][keys.index("share_risk_off")]["text"] == "—"
    assert row["cells"][keys.index("beta")]["text"] == "1.000"  # itself
    assert row["cells"][keys.index("information_ratio")]["text"] == "—"  # 0 / 0
    assert [r["main"] for r in table["rows"]] == [True, False]
    assert [r["benchmark"] for r in table["rows"]] == ["buy & hold", "buy & hold"]
    page = render_html(ctx)
    assert 'class="sortable metrics"' in page
    value = run.main.stats()["cagr"]
    assert f'data-value="{value}"' in page  # exact number behind the rounded text


def test_full_metrics_table_has_every_full_metric_per_strategy(run: Any) -> None:
    from backtest.metrics import FullMetric

    ctx = build_context([doc(run)])
    full = ctx["full_metrics"]
    assert [r["key"] for r in full["rows"]] == [str(m) for m in FullMetric]
    assert [c["label"] for c in full["columns"]] == list(run.results)
    stats = run.main.stats()
    for row in full["rows"]:
        assert len(row["cells"]) == len(run.results)
        value = stats[row["key"]]
        cell = row["cells"][0]
        assert cell["text"] == "—" if np.isnan(value) else cell["value"] == value
    assert "Full metrics" in render_html(ctx)
    # the headline table stays the 14 headline metrics
    assert len(ctx["metrics"]["columns"]) <= 14


def test_a_document_without_full_metrics_renders_without_the_table(run: Any) -> None:
    from backtest.metrics import FullMetric

    old = doc(run)
    old["schema_version"] = "1.3"
    for entry in old["strategies"].values():
        entry["metrics"] = {k: v for k, v in entry["metrics"].items()
                            if k not in {str(m) for m in FullMetric}}
    ctx = build_context([old])
    assert ctx["full_metrics"]["rows"] == []
    page = render_html(ctx)
    assert "Full metrics" not in page and 'class="sortable metrics"' in page


def test_format_value() -> None:
    assert format_value(0.1234, "percent")["text"] == "12.34%"
    assert format_value(-1.23456, "ratio") == {"text": "−1.235", "value": -1.23456,
                                               "negative": True}
    assert format_value(float("nan"), "ratio")["text"] == "—"
    assert format_value(None, "int")["value"] is None
    assert format_value(-156.0, "int")["text"] == "−156"
    assert format_value(10.0, "bps")["text"] == "10 bps"


def test_regime_section_is_honest(run: Any) -> None:
    ctx = build_context([doc(run)])
    (group,) = ctx["timing"]
    names = [r["name"] for r in group["rows"]]
    table = run.regime_table()
    assert names == list(dict.fromkeys(table["regime"]))
    assert "before the data" not in names
    by_name = {r["name"]: r for r in group["rows"]}
    assert by_name["partial at the end"]["partial"]
    main = table[table["strategy"] == "rotation"].set_index("regime")["return"]
    assert group["summary"]["main_lost"] == int((main < 0).sum())
    every = {r["name"]: r for r in ctx["regimes"]["rows"]}
    for name, value in main.items():
        assert every[name]["strategies"][0]["return"]["negative"] == (value < 0)
    for r in group["rows"]:
        spread = r["spread"]["value"]
        expected = 1 if r["kind"] == "easing" else -1
        assert r["thesis"] == ("held" if spread * expected > 0 else "failed")
    assert not any(r["lead_days"]["negative"] for r in group["rows"])
    assert [c["name"] for c in ctx["catalog"]] == sorted(
        names, key=lambda n: next(r.start for r in run.catalog if r.name == n))
    page = render_html(ctx)
    assert 'class="num neg"' in page
    assert "including those where the idea" in page


def test_switches_list_every_flip_with_its_execution(run: Any) -> None:
    ctx = build_context([doc(run)])
    state = run.main.risk_off
    flips = [d for d, a, b in zip(state.index[1:], state.to_numpy()[1:], state.to_numpy()[:-1],
                                  strict=True) if a != b]
    rows = ctx["switches"]
    assert [r["decision"] for r in rows] == [str(d.date()) for d in flips]
    first = rows[0]
    position = list(state.index).index(flips[0])
    assert first["execution"] == str(state.index[position + 1].date())  # execution lag 1
    assert first["to"].startswith("risk-off") == bool(state[flips[0]])
    assert first["composite"]["value"] == pytest.approx(run.signal["composite"][flips[0]])


def test_drawdowns_and_annual_tables(run: Any) -> None:
    ctx = build_context([doc(run)])
    mine = [r for r in ctx["drawdowns"] if r["strategy"] == "rotation"]
    assert 1 <= len(mine) <= 5 and mine[0]["rank"] == 1
    assert mine[0]["depth"]["value"] == pytest.approx(run.main.stats()["max_drawdown"])
    years = [r["year"] for r in ctx["annual"]["rows"]]
    assert years == list(range(2005, 2011))
    first = ctx["annual"]["rows"][0]["cells"][0]
    assert first["partial"]  # the capital starts on 2005-01-31: January's return is missing
    growth = (1 + run.main.returns[run.main.returns.index.year == 2006]).prod() - 1
    assert ctx["annual"]["rows"][1]["cells"][0]["value"] == pytest.approx(growth)
    assert not ctx["annual"]["rows"][1]["cells"][0]["partial"]


def test_several_runs_label_every_strategy_uniquely(make_run: Any) -> None:
    a, b = make_run(name="demo"), make_run(name="demo", seed=1)
    ctx = build_context([doc(a), doc(b)])
    assert ctx["multi_run"]
    assert ctx["strategies"] == ["demo / rotation", "demo / buy & hold",
                                 "demo (2) / rotation", "demo (2) / buy & hold"]
    assert ctx["run_names"] == ["demo", "demo (2)"]
    page = render_html(ctx)
    assert parse(page).errors == []
    assert page.count('data-figure="') == len(CHARTS)  # one set of charts, not one per run


def test_compare_shows_a_shared_benchmark_once(make_run: Any) -> None:
    a = make_run(name="a", seed=1, bench_seed=9)
    b = make_run(name="b", seed=2, bench_seed=9)
    runs = [run_from_document(doc(r)) for r in (a, b)]
    comparison = compare_runs(runs)
    assert [e.label for e in comparison.entries] == ["a / rotation", "a / buy & hold",
                                                     "b / rotation"]
    shared = comparison.entries[1]
    assert shared.runs == (0, 1)
    assert comparison.labels[1]["buy & hold"] == "a / buy & hold"
    assert comparison.entries[2].benchmark == "a / buy & hold"
    ctx = build_context(runs)
    assert [r["runs"] for r in ctx["metrics"]["rows"]] == ["a", "a, b", "b"]
    assert comparison.warnings() == []


def test_compare_keeps_benchmarks_over_different_windows(make_run: Any) -> None:
    a = make_run(name="a", bench_seed=9)
    b = make_run(name="b", bench_seed=9, bars=60)  # same market, a shorter window
    comparison = compare_runs([run_from_document(doc(r)) for r in (a, b)])
    assert [e.label for e in comparison.entries] == ["a / rotation", "a / buy & hold",
                                                     "b / rotation", "b / buy & hold"]


def test_compare_flags_identical_runs_and_lists_what_differs(make_run: Any) -> None:
    a, b = make_run(name="a"), make_run(name="a")
    comparison = compare_runs([run_from_document(doc(r)) for r in (a, b)])
    assert comparison.warnings() == ["runs a and a (2) have the same effective config and data: "
                                     "their results are identical"]
    c = make_run(name="c")
    comparison = compare_runs([run_from_document(doc(r)) for r in (a, c)])
    assert comparison.differs == (("run.name", ('"a"', '"c"')),)
    ctx = build_context([doc(a), doc(c)])
    assert ctx["differs"] == [{"key": "run.name", "values": ['"a"', '"c"']}]
    same = [r for r in ctx["conventions"] if r["same"]]
    assert len(same) == len(ctx["conventions"])  # identical conventions are shown once


def test_report_from_saved_json_equals_the_report_at_run_time(make_run: Any,
                                                              tmp_path: Path) -> None:
    runs = [make_run(name="a", bench_seed=3), make_run(name="b", seed=4, bench_seed=3)]
    documents = [doc(r) for r in runs]
    at_run_time = render_html(build_context(documents))
    for i, d in enumerate(documents):
        write_json(tmp_path / f"{i}.json", d)
    again = render_html(build_context(read_results([tmp_path / "0.json", tmp_path / "1.json"])))
    assert again == at_run_time


def test_context_is_plain_deterministic_data(run: Any) -> None:
    first = build_context([doc(run)])
    second = build_context([doc(run)])
    assert first == second
    assert render_html(first) == render_html(second)
    json.dumps(first, allow_nan=False)  # plain data only


def test_no_runs_is_an_error() -> None:
    with pytest.raises(BacktestError, match="no runs"):
        build_context([])


def test_display_resolution_is_stated_and_numbers_stay_exact(make_run: Any) -> None:
    long = make_run(bars=3000)
    ctx = build_context([doc(long)], max_points=400)
    assert ctx["display"]["max_points"] == 400
    parsed = parse(render_html(ctx))
    ids = [a.get("id") for t, a in parsed.tags if t == "script"]
    spec = json.loads(parsed.scripts[ids.index("spec-growth")])
    drawn = np.frombuffer(base64.b64decode(spec["data"][0]["x"]["days"]), dtype="<i4")
    assert len(drawn) <= 401 + 1
    assert "drawn from the lowest and highest point of each of 200" in " ".join(parsed.text)
    mine = next(r for r in ctx["drawdowns"] if r["strategy"] == "rotation")
    assert mine["depth"]["value"] == pytest.approx(long.main.stats()["max_drawdown"])


def test_write_report_is_atomic_and_creates_directories(tmp_path: Path, page: str) -> None:
    target = tmp_path / "a" / "b" / "report.html"
    assert write_report(target, page) == target
    assert target.read_text(encoding="utf-8") == page
    write_report(target, "<p>second</p>")
    assert target.read_text(encoding="utf-8") == "<p>second</p>"
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]


def test_write_report_failure_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(BacktestError, match=r"^cannot write report .*report\.html: ") as err:
        write_report(blocker / "report.html", "<p></p>")
    assert "\n" not in str(err.value)
    directory = tmp_path / "dir.html"
    directory.mkdir()
    with pytest.raises(BacktestError, match="cannot write report"):
        write_report(directory, "<p></p>")
    assert list(directory.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.html", "file"]


@pytest.mark.slow
def test_real_run_report(real_run: Any, tmp_path: Path) -> None:
    ctx = build_context([to_json(real_run, generated_at=WHEN)])
    page = render_html(ctx)
    parsed = parse(page)
    assert parsed.errors == [] and parsed.external == []
    text = " ".join(parsed.text)
    for label in real_run.results:
        assert label in text
    for name in real_run.regime_table()["regime"].unique():
        assert name in text
    write_report(tmp_path / "report.html", page)
