"""The tune summary is GitHub-flavoured Markdown that renders as meant, with names escaped.

Rendered with markdown-it-py (CommonMark plus GFM tables, raw HTML allowed as GitHub
allows it) and the HTML structure asserted: every table is a table (not pipe text in
a paragraph), gates and baseline checks are rows, and a name a user wrote (a
benchmark label, a file name) never becomes markup. JUnit and annotations likewise.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from backtest.cli import app
from backtest.tune._outputs import github_annotations, to_junit, to_markdown

REPO = Path(__file__).resolve().parents[2]
EVIL = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("render")
    text = (REPO / "strategies" / "duration_rotation.toml").read_text()
    text = text.replace('[benchmarks.market]\nkind = "buy_and_hold"',
                        f'[benchmarks.market]\nlabel = "{EVIL}"\nkind = "buy_and_hold"')
    config = tmp / "<b>cfg.toml"  # a file name with markup in it
    config.write_text(text)
    args = ["tune", str(config), "--param", "strategy.enter=-0.5:0.5:0.5", "--holdout", "0.3",
            "--quiet", "--gate", "oos.sharpe >= -10", "--gate", "pbo <= 1.0"]
    first = CliRunner().invoke(app, [*args, "--json", str(tmp / "a.json")])
    assert first.exit_code == 0, first.output
    second = CliRunner().invoke(app, [*args, "--json", str(tmp / "b.json"), "--baseline",
                                      str(tmp / "a.json"), "--tolerance", "10%",
                                      "--tolerance", "pbo=0.02"])
    assert second.exit_code == 0, second.output
    return [json.loads((tmp / name).read_text()) for name in ("a.json", "b.json")]


def _html(markdown: str) -> str:
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)


def test_every_table_renders_as_a_table(docs) -> None:
    plain, with_baseline = docs
    for doc, tables in ((plain, 4), (with_baseline, 5)):
        html = _html(to_markdown(doc))
        assert html.count("<table>") == tables
        paragraphs = re.findall(r"<p>(.*?)</p>", html, flags=re.S)
        assert not [p for p in paragraphs if "|---" in p or p.lstrip().startswith("|")]


def test_gates_and_baseline_checks_are_rows(docs) -> None:
    _, doc = docs
    html = _html(to_markdown(doc))
    tables = re.findall(r"<table>(.*?)</table>", html, flags=re.S)
    gates = re.findall(r"<tr>", tables[0].split("<tbody>")[1])
    assert len(gates) == 2 and "oos.sharpe &gt;= -10" in tables[0]
    base = tables[1]
    assert "Limit" in base and len(re.findall(r"<tr>", base.split("<tbody>")[1])) == 2
    assert "baseline" in to_markdown(doc).lower()
    tolerances = {c["quantity"]: c["tolerance"] for c in doc["baseline"]["checks"]}
    assert tolerances == {"oos.sharpe": "10%", "pbo": "0.02"}
    assert doc["baseline"]["tolerance"] == {"default": "10%", "pbo": "0.02"}


def test_names_never_become_markup(docs) -> None:
    _, doc = docs
    markdown = to_markdown(doc)
    html = _html(markdown)
    assert "<img" not in html and "<b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # shown, as text
    junit = to_junit(doc)
    root = ET.fromstring(junit)
    for case in root.iter("testcase"):  # no "<" that opens a tag ("pbo <= 1" opens nothing)
        for text in (case.get("classname", ""), case.get("name", "")):
            assert not re.search(r"<[A-Za-z/!?]", text), text
    failing = dict(doc, failures=[f"gate {EVIL} failed"])
    (line,) = github_annotations(failing)
    assert "<img" not in line and "&lt;img" in line


def test_a_relative_tolerance_is_a_share_of_the_baseline(docs) -> None:
    _, doc = docs
    check = next(c for c in doc["baseline"]["checks"] if c["quantity"] == "oos.sharpe")
    before = docs[0]["oos"]["sharpe"]
    assert check["limit"] == pytest.approx(before - 0.1 * abs(before))
