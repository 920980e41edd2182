"""`backtest report` on tune results: one renders the tune report, several their gates over time."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backtest.cli import app

ARGS = ["tune", "--param", "strategy.enter=-0.5:0.5:0.5", "--holdout", "0.3", "--quiet",
        "--gate", "oos.sharpe >= 0", "--gate", "pbo <= 0.9"]


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> list[Path]:
    tmp = tmp_path_factory.mktemp("tunes")
    paths = []
    for i, fees in enumerate((10, 40, 80)):  # three "commits": costs rising
        path = tmp / f"tune-{i}.json"
        out = CliRunner().invoke(app, [*ARGS, "--set", f"costs.fees_bps={fees}",
                                       "--json", str(path)])
        assert out.exit_code in (0, 3), out.output
        paths.append(path)
    return paths


def test_one_tune_result_renders_the_tune_report(results, tmp_path) -> None:
    page = tmp_path / "one.html"
    done = CliRunner().invoke(app, ["report", str(results[0]), "-o", str(page)])
    assert done.exit_code == 0, done.output
    html = page.read_text()
    assert "Tune:" in html and "Statistics of the search" in html
    assert html.count("data-figure=") >= 4


def test_several_tune_results_draw_each_gate_over_time(results, tmp_path) -> None:
    page = tmp_path / "history.html"
    done = CliRunner().invoke(app, ["report", *map(str, results), "-o", str(page)])
    assert done.exit_code == 0, done.output
    html = page.read_text()
    assert "Tune results over time: 3 results" in html
    assert html.count('data-figure="spec-gate-') == 2  # one chart per gate
    values = [json.loads(p.read_text())["gates"][0]["lhs"] for p in results]
    assert values[0] > values[2]  # costs rose: the Sharpe fell, and the page shows each
    for v in values:
        assert f"{v:.4g}" in html
    assert "different configs or data" in html  # the costs differ: the hashes differ


def test_tune_and_run_results_are_not_mixed(results, tmp_path) -> None:
    run = tmp_path / "run.json"
    assert CliRunner().invoke(app, ["run", "--no-html", "--json", str(run)]).exit_code == 0
    done = CliRunner().invoke(app, ["report", str(results[0]), str(run), "-o",
                                    str(tmp_path / "x.html")])
    assert done.exit_code == 1
    assert "either tune results or run/compare results, not both" in done.output


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.update(schema_version="9.9"), "tune schema 9.9 cannot be reported"),
    (lambda d: d.pop("gates"), "not a complete tune result (missing gates)"),
])
def test_a_bad_tune_result_is_one_line(results, tmp_path, change, message) -> None:
    doc = json.loads(results[0].read_text())
    change(doc)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    done = CliRunner().invoke(app, ["report", str(bad), "-o", str(tmp_path / "x.html")])
    assert done.exit_code == 1 and re.search(re.escape(message), done.output)
