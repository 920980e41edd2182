"""build_context (pure), render_html (pure, escaped, self-contained) and write_report."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import plotly.offline
import pytest

from backtest.errors import BacktestError
from backtest.report import build_context, render_html, write_report
from backtest.report.context import format_value, strategy_labels

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


@pytest.fixture
def page(run: Any) -> str:
    return render_html(build_context([run], generated_at=WHEN, versions=VERSIONS))


def test_parser_catches_unbalanced_tags() -> None:
    assert parse("<div><table><tr><td>x</td></tr></div>").errors
    assert not parse("<div><table><tr><td>x</td></tr></table></div>").errors


def test_page_is_balanced_html(page: str) -> None:
    parsed = parse(page)
    assert page.startswith("<!DOCTYPE html>")
    assert parsed.errors == []
    assert parsed.stack == []


def test_page_is_self_contained(page: str) -> None:
    parsed = parse(page)
    assert parsed.external == []
    assert not [t for t, a in parsed.tags if t == "link"]
    assert not [t for t, a in parsed.tags if t == "script" and a.get("src")]
    # plotly.js itself names https://cdn.plot.ly/ for geo topojson (unused); nothing else may
    rest = page.replace(plotly.offline.get_plotlyjs(), "")
    assert "@import" not in rest
    assert "http://" not in rest and "https://" not in rest
    # plotly.js inline exactly once, before every figure script
    bundles = [i for i, s in enumerate(parsed.scripts) if "Plotly" in s and len(s) > 1_000_000]
    assert bundles == [0]
    figure_divs = [a for t, a in parsed.tags if t == "div" and "plotly-graph-div" in
                   (a.get("class") or "")]
    assert len(figure_divs) == 5  # equity, drawdown, signal, regime bars, weights
    assert len(parsed.scripts) == 1 + len(figure_divs)


def test_page_shows_the_conventions(page: str, run: Any) -> None:
    parsed = parse(page)
    cells = {a.get("data-key") for t, a in parsed.tags if t == "td"}
    for key in ("periods_per_year", "execution_lag_bars", "fees_bps", "slippage_bps", "cash_asset",
                "frequency", "risk_free"):
        assert key in cells
    text = " ".join(parsed.text)
    assert "Periods per year (annualization)" in text
    assert "Execution lag (bars after the decision)" in text
    assert "10 bps" in text and "5 bps" in text
    assert run.config.config_hash in text
    assert run.dataset.fingerprint in text
    assert "synthetic:long" in text and "decimal return" in text
    for name, version in VERSIONS.items():
        assert name in text and version in text
    assert WHEN in text


def test_user_text_is_escaped_everywhere(evil_run: Any) -> None:
    page = render_html(build_context([evil_run], generated_at=EVIL, versions=VERSIONS))
    assert EVIL not in page
    assert "<script>alert(1)" not in page
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;q&#34;"
    # title, header, metrics row, regime tables, catalog, sources notes, footer
    assert page.count(escaped) >= 8
    parsed = parse(page)
    assert parsed.errors == []
    # only plotly's scripts: the bundle and one per figure
    assert len(parsed.scripts) == 6
    for body in parsed.scripts[1:]:
        assert "</script" not in body.lower()
        assert "<script" not in body.lower()
    assert EVIL in " ".join(parsed.text)  # the reader sees the label as written


def test_metric_cells_have_units_and_signs(run: Any) -> None:
    ctx = build_context([run], generated_at=WHEN, versions=VERSIONS)
    table = ctx["metrics"]
    keys = [c["key"] for c in table["columns"]]
    row = table["rows"][1]  # the static mix: no risk-off state
    cagr = row["cells"][keys.index("cagr")]["text"]
    sharpe = row["cells"][keys.index("sharpe")]["text"]
    max_dd = row["cells"][keys.index("max_drawdown")]
    assert cagr.endswith("%") and len(cagr.split(".")[1]) == 3  # 2 decimals + "%"
    assert len(sharpe.split(".")[1]) == 3
    assert max_dd["negative"] and max_dd["text"].startswith("−")
    assert row["cells"][keys.index("share_risk_off")]["text"] == "—"
    assert [r["main"] for r in table["rows"]] == [True, False]


def test_format_value() -> None:
    assert format_value(0.1234, "percent")["text"] == "12.34%"
    assert format_value(-1.23456, "ratio") == {"text": "−1.235", "value": -1.23456,
                                               "negative": True}
    assert format_value(float("nan"), "ratio")["text"] == "—"
    assert format_value(None, "int")["value"] is None
    assert format_value(-156.0, "int")["text"] == "−156"
    assert format_value(10.0, "bps")["text"] == "10 bps"


def test_regime_section_is_honest(run: Any) -> None:
    ctx = build_context([run], generated_at=WHEN, versions=VERSIONS)
    section = ctx["runs"][0]["regimes"]
    names = [r["name"] for r in section["rows"]]
    table = run.regime_table()
    assert names == list(dict.fromkeys(table["regime"]))
    assert "before the data" not in names
    by_name = {r["name"]: r for r in section["rows"]}
    assert by_name["partial at the end"]["partial"]
    main = table[table["strategy"] == "rotation"].set_index("regime")["return"]
    assert section["summary"]["main_lost"] == int((main < 0).sum())
    for name, value in main.items():
        assert by_name[name]["strategies"][0]["return"]["negative"] == (value < 0)
    # thesis: spread < 0 expected for stress, > 0 for easing
    for r in section["rows"]:
        spread = r["spread"]["value"]
        expected = 1 if r["kind"] == "easing" else -1
        assert r["thesis"] == ("held" if spread * expected > 0 else "failed")
    # a negative lead means the signal led: not painted as a loss
    assert not any(r["lead_days"]["negative"] for r in section["rows"])
    page = render_html(ctx)
    assert 'class="num neg"' in page
    assert "including those where the idea" in page


def test_several_runs_label_every_strategy_uniquely(make_run: Any) -> None:
    a, b = make_run(name="demo"), make_run(name="demo", seed=1)
    labels = strategy_labels([a, b])
    assert labels == [
        {"rotation": "demo / rotation", "buy & hold": "demo / buy & hold"},
        {"rotation": "demo (2) / rotation", "buy & hold": "demo (2) / buy & hold"},
    ]
    ctx = build_context([a, b], generated_at=WHEN, versions=VERSIONS)
    assert ctx["multi_run"]
    assert [r["label"] for r in ctx["metrics"]["rows"]] == [
        "demo / rotation", "demo / buy & hold", "demo (2) / rotation", "demo (2) / buy & hold"]
    assert [r["name"] for r in ctx["runs"]] == ["demo", "demo (2)"]
    page = render_html(ctx)
    assert parse(page).errors == []
    assert page.count('class="plotly-graph-div"') == 2 + 3 * 2
    assert "Conventions: demo (2)" in page


def test_one_run_keeps_plain_labels(run: Any) -> None:
    assert strategy_labels([run]) == [{"rotation": "rotation", "buy & hold": "buy & hold"}]


def test_context_is_plain_deterministic_data(run: Any) -> None:
    first = build_context([run], generated_at=WHEN, versions=VERSIONS)
    second = build_context([run], generated_at=WHEN, versions=VERSIONS)
    assert first == second
    assert render_html(first) == render_html(second)
    json.dumps(first, allow_nan=False)  # plain data only


def test_generated_at_accepts_a_datetime(run: Any) -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    ctx = build_context([run], generated_at=when, versions=VERSIONS)
    assert ctx["generated_at"] == "2026-01-02 03:04:05+00:00"


def test_no_runs_is_an_error() -> None:
    with pytest.raises(BacktestError, match="no runs"):
        build_context([], generated_at=WHEN, versions=VERSIONS)


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
    ctx = build_context([real_run], generated_at=WHEN)
    page = render_html(ctx)
    parsed = parse(page)
    assert parsed.errors == [] and parsed.external == []
    text = " ".join(parsed.text)
    for label in real_run.results:
        assert label in text
    for name in real_run.regime_table()["regime"].unique():
        assert name in text
    write_report(tmp_path / "report.html", page)
