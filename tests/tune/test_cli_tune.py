"""`backtest tune` end to end: outputs, gates and baselines turned into exit codes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backtest.cli import app

PARAMS = ["--param", "strategy.enter=-0.5:0.5:0.5", "--param", "strategy.exit=-0.5,0"]


def invoke(args, env=None):
    return CliRunner().invoke(app, ["tune", *args], env=env)


@pytest.fixture(scope="module")
def passing(tmp_path_factory):
    out = tmp_path_factory.mktemp("tune")
    args = [*PARAMS, "--gate", "trials.failed == 0", "--gate", "pbo <= 1",
            "--json", str(out / "t.json"), "--summary", str(out / "t.md"),
            "--junit", str(out / "t.xml"), "--report", str(out / "t.html")]
    result = invoke(args, env={"GITHUB_STEP_SUMMARY": "", "GITHUB_ACTIONS": ""})
    return result, out


def test_passing_gates_exit_0_and_write_every_output(passing):
    result, out = passing
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "t.json").read_text())
    assert doc["kind"] == "tune" and doc["schema_version"] == "1.0" and doc["exit_code"] == 0
    # 3 enter x 2 exit = 6 trials; exit > enter (0 > -0.5) is invalid: skipped and counted
    assert doc["trials"]["requested"] == 6
    assert doc["trials"]["invalid"] == 1 and doc["trials"]["evaluated"] == 5
    bad = [t for t in doc["trials"]["list"] if t["status"] == "invalid"]
    assert bad[0]["params"] == {"strategy.enter": -0.5, "strategy.exit": 0}
    assert "exit (0" in bad[0]["error"] and "must be <= enter" in bad[0]["error"]
    assert [g["passed"] for g in doc["gates"]] == [True, True]
    assert doc["protocol"]["kind"] == "holdout" and len(doc["folds"]) == 1
    assert doc["benchmark"]["label"] == "market"
    assert 0.0 <= doc["pbo"] <= 1.0 and 0.0 <= doc["dsr"] <= 1.0
    assert set(doc["spa"]) >= {"lower", "consistent", "upper"}
    assert doc["conventions"]["periods_per_year"] == 12
    assert "Out of sample" in doc["verdict"] and "DSR" in doc["verdict"]
    md = (out / "t.md").read_text()
    assert "✅ PASS" in md and "| ✅ | `trials.failed == 0` |" in md and doc["verdict"] in md
    suite = ET.parse(out / "t.xml").getroot()
    assert suite.get("tests") == "2" and suite.get("failures") == "0"
    html = (out / "t.html").read_text()
    assert html.count("data-figure=") >= 4 and "<script src=" not in html
    assert "wrote" in result.output and "Out of sample" in result.output


def test_failing_gate_exits_3_with_one_line_everywhere(tmp_path):
    step = tmp_path / "step.md"
    step.write_text("earlier step\n")
    result = invoke([*PARAMS, "--gate", "oos.sharpe >= 5", "--json", str(tmp_path / "t.json"),
                     "--junit", str(tmp_path / "t.xml")],
                    env={"GITHUB_STEP_SUMMARY": str(step), "GITHUB_ACTIONS": "true"})
    assert result.exit_code == 3, result.output
    doc = json.loads((tmp_path / "t.json").read_text())
    line = doc["failures"][0]
    assert doc["exit_code"] == 3 and line.startswith("gate failed: oos.sharpe >= 5 (")
    assert line in result.output  # stderr (mixed into output by CliRunner)
    assert "::error title=backtest tune::gate failed: oos.sharpe >= 5" in result.output
    summary = step.read_text()
    assert summary.startswith("earlier step\n") and "FAIL" in summary and "❌" in summary
    suite = ET.parse(tmp_path / "t.xml").getroot()
    assert suite.get("failures") == "1"
    assert suite.find(".//failure").get("message") in line


def test_regressed_baseline_exits_3(passing, tmp_path):
    _, out = passing
    doc = json.loads((out / "t.json").read_text())
    doc["oos"]["sharpe"] += 1.0  # the baseline was much better
    base = tmp_path / "base.json"
    base.write_text(json.dumps(doc))
    args = [*PARAMS, "--gate", "oos.sharpe >= -10", "--baseline", str(base),
            "--tolerance", "0.05", "--json", str(tmp_path / "t.json")]
    result = invoke(args)
    assert result.exit_code == 3, result.output
    now = json.loads((tmp_path / "t.json").read_text())
    assert now["baseline"]["config_match"] and now["baseline"]["data_match"]
    assert any(f.startswith("baseline oos.sharpe >= -10: failed: worse than the baseline")
               for f in now["failures"])
    # within the tolerance it passes
    doc["oos"]["sharpe"] -= 1.0 - 0.04
    base.write_text(json.dumps(doc))
    assert invoke(args).exit_code == 0


def test_baseline_from_another_config_is_reported(passing, tmp_path):
    _, out = passing
    doc = json.loads((out / "t.json").read_text())
    doc["config"]["hash"] = "0" * 64
    base = tmp_path / "base.json"
    base.write_text(json.dumps(doc))
    result = invoke([*PARAMS, "--gate", "pbo <= 1", "--baseline", str(base)])
    assert result.exit_code == 0
    assert "the baseline comes from a different config" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["--param", "strategy.entr=1,2"], "tune parameter strategy.entr: .*unknown key entr"),
    (["--param", "strategy.enter=1:0:1"], "empty range"),
    (["--param", "purge=1"], "tune parameter purge: .*expected a dotted path"),
    ([*PARAMS, "--gate", "oos.sharp >= 0"], "unknown name 'oos.sharp'"),
    ([*PARAMS, "--gate", "oos.sharpe >="], "gate"),
    ([*PARAMS, "--baseline", "missing.json"], "--baseline missing.json: file not found"),
    ([*PARAMS, "--executor", "cloud"], "--executor 'cloud'"),
    ([*PARAMS, "--train", "12"], "need --walk-forward"),
    ([*PARAMS, "--purge", "-1"], "tune.purge must be >= 0"),
    ([*PARAMS, "--benchmark", "nope"], "tune.benchmark: 'nope' is not a benchmark"),
    ([], "no parameters to sweep"),
])
def test_user_errors_exit_1_with_one_line(args, message):
    result = invoke(args)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    import re

    assert re.search(message, lines[0]), lines[0]


def test_usage_errors_exit_2():
    assert invoke(["--trials", "x"]).exit_code == 2


def test_walk_forward_folds_and_tune_section_from_toml(tmp_path):
    cfg = Path(__file__).resolve().parents[2] / "strategies" / "duration_rotation.toml"
    text = cfg.read_text() + """
[tune]
objective = "sortino"
gates = ["trials.evaluated >= 4"]
purge = 1
[tune.params]
"strategy.enter" = "-0.5:0.5:0.5"
"signal.components.aaa_12m_change.periods" = [6, 12]
[tune.walk_forward]
train = "240m"
test = "120m"
"""
    path = tmp_path / "with_tune.toml"
    path.write_text(text)
    result = invoke([str(path), "--json", str(tmp_path / "t.json")])
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "t.json").read_text())
    assert doc["protocol"]["kind"] == "walk_forward" and doc["protocol"]["objective"] == "sortino"
    folds = doc["folds"]
    assert len(folds) >= 3 and doc["protocol"]["train_bars"] == 240
    assert all(f["test"]["bars"] == 120 for f in folds[:-1])
    assert doc["protocol"]["out_of_sample"]["start"] == folds[0]["test"]["start"]
    assert doc["trials"]["evaluated"] == 6
    # the CLI wins over the file: --param replaces, --gate replaces
    again = invoke([str(path), "--param", "strategy.enter=0", "--gate", "trials.evaluated == 2",
                    "--json", str(tmp_path / "u.json")])
    assert again.exit_code == 0, again.output
    assert json.loads((tmp_path / "u.json").read_text())["trials"]["requested"] == 2


def test_ctrl_c_exits_130_and_writes_nothing(tmp_path, monkeypatch):
    import backtest.tune._run as tune_run

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(tune_run, "run_sweep", interrupted)
    result = invoke([*PARAMS, "--json", str(tmp_path / "t.json"),
                     "--summary", str(tmp_path / "t.md")])
    assert result.exit_code == 130
    assert "tune interrupted: no output written" in result.output
    assert list(tmp_path.iterdir()) == []


def test_progress_bar_only_on_a_terminal_after_a_few_seconds(monkeypatch):
    import io

    from rich.console import Console

    import backtest.cli.tune as cli_tune

    clock = iter([0.0, 0.0, 0.5, 3.0, 3.5, 4.0, 5.0, 5.0])
    monkeypatch.setattr(cli_tune.time, "monotonic", lambda: next(clock))
    buffer = io.StringIO()
    monkeypatch.setattr("rich.console.Console", lambda **kw: Console(
        file=buffer, force_terminal=True, width=80, **{k: v for k, v in kw.items()
                                                      if k != "stderr"}))
    progress = cli_tune._Progress(quiet=False, n_trials=10)
    progress("running", 1, 10)  # 0.5 s: no bar yet
    assert buffer.getvalue() == ""
    progress("running", 4, 10)  # 3.0 s: the bar starts
    progress.stop()
    assert "tune: running" in buffer.getvalue() and "5/10" in buffer.getvalue()
    quiet = cli_tune._Progress(quiet=True, n_trials=10)  # small and quiet: nothing at all
    quiet("running", 3, 10)
    quiet.stop()


def test_same_json_bytes_whatever_the_executor(passing, tmp_path):
    _, out = passing
    args = [*PARAMS, "--gate", "trials.failed == 0", "--gate", "pbo <= 1"]
    local = invoke([*args, "--json", str(tmp_path / "local.json")])
    pool = invoke([*args, "--executor", "processes", "--workers", "2",
                   "--json", str(tmp_path / "pool.json")])
    assert local.exit_code == pool.exit_code == 0, pool.output

    def body(path):
        doc = json.loads(path.read_text())
        doc.pop("generated_at")
        return json.dumps(doc, sort_keys=True)

    assert body(tmp_path / "local.json") == body(tmp_path / "pool.json")
    assert body(tmp_path / "local.json") == body(out / "t.json")  # and run after run
