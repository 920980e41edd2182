"""A team's repository from `backtest init`, its CI workflow run end to end on this machine.

As a user would: the wheel is built, `backtest init` runs from a fresh environment in
a temporary directory outside the checkout, and every step of the scaffold's
workflow runs in order (tests/scaffold/workflow_runner.py): a push to main (no
baseline yet: it passes and keeps one), then two pull-request runs (the baseline
comes from main, the comment is posted, then updated in place).
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from scaffold.workflow_runner import Runner, build_wheel, project_site_packages

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    work = tmp_path_factory.mktemp("scaffold")
    assert not work.resolve().is_relative_to(REPO)  # outside the checkout
    wheel = build_wheel(REPO, work / "dist")
    deps = project_site_packages(work / "deps")
    # `backtest init` from the wheel, in an environment of its own
    base = Path(getattr(sys, "_base_executable", sys.executable))
    subprocess.run([str(base), "-m", "venv", str(work / "tool")], check=True)
    env = {"PYTHONPATH": str(deps), "PIP_NO_INDEX": "1", "PATH": "/usr/bin:/bin",
           "HOME": str(work)}
    subprocess.run([str(work / "tool/bin/python"), "-m", "pip", "install", "--quiet",
                    "--no-deps", str(wheel)], check=True, env=env)
    repo = work / "team"
    init = subprocess.run([str(work / "tool/bin/backtest"), "init", str(repo), "--source",
                           str(wheel)], capture_output=True, text=True, env=env, cwd=work)
    assert init.returncode == 0, init.stderr
    runner = Runner(repo, work / "ci", config="strategies/tune.toml", deps=deps)
    push = runner.run("push")
    first_pr = runner.run("pull_request")
    second_pr = runner.run("pull_request")
    return init, repo, runner, push, first_pr, second_pr


def _ok(record) -> None:
    failed = [(s.name, s.exit_code, s.output[-800:]) for s in record.steps
              if s.kind != "skipped" and s.exit_code]
    assert not failed, failed


def test_init_writes_the_repository_from_the_installed_wheel(runs) -> None:
    init, repo, *_ = runs
    for rel in ("strategies/tune.toml", "strategies/my_rules.py", ".github/workflows/tune.yml",
                "requirements/dcf-regime.lock", "README.md", ".gitignore"):
        assert (repo / rel).is_file(), rel
        assert f"wrote {repo / rel}" in init.stdout
    assert (repo / "requirements/dcf-regime.lock").read_bytes() == (
        REPO / "requirements/runtime.lock").read_bytes()


def test_the_first_push_to_main_is_green_and_keeps_a_baseline(runs) -> None:
    *_, runner, push, _, _ = runs
    _ok(push)
    tune = push.step("Tune")
    assert "gate passed: placebo.p <= 0.05" in tune.output
    assert "no baseline on main yet" in push.step("Baseline from main's latest successful run").output
    assert push.step("Comment on the pull request (one comment per config, updated in place)"
                     ).kind == "skipped"
    assert push.step("Keep the baseline (main only)").kind == "uses"
    baseline = runner.state / "artifacts" / "101" / "tune-baseline-strategies_tune.toml"
    assert json.loads((baseline / "tune.json").read_text())["exit_code"] == 0


def test_the_summary_is_written_and_the_gates_are_a_check(runs) -> None:
    *_, push, _, _ = runs
    assert "## backtest tune" in push.summary and "✅ PASS" in push.summary
    assert "| ✅ | `placebo.p <= 0.05` |" in push.summary
    assert push.junit_cases and all(ok for _, ok in push.junit_cases)
    assert {name for name, _ in push.junit_cases} == {"gate: trials.failed == 0",
                                                      "gate: placebo.p <= 0.05"}


def test_a_pull_request_is_judged_against_mains_baseline(runs) -> None:
    *_, first_pr, _ = runs
    _ok(first_pr)
    assert "baseline: run 101 on main" in first_pr.step(
        "Baseline from main's latest successful run").output
    tune = first_pr.step("Tune").output
    assert "baseline" in tune.lower()
    assert "**Baseline**" in first_pr.summary
    assert any(name.startswith("baseline: ") for name, _ in first_pr.junit_cases)


def test_the_pull_request_gets_one_comment_updated_in_place(runs) -> None:
    *_, runner, _, _, second_pr = runs
    _ok(second_pr)
    comments = runner.comments()
    assert len(comments) == 1
    body = comments[0]["body"]
    assert body.startswith("<!-- dcf-regime tune: strategies/tune.toml -->")
    assert "## backtest tune" in body and "✅ PASS" in body
    methods = [c[c.index("--method") + 1] for c in runner.calls() if "--method" in c]
    assert methods == ["POST", "PATCH"]


def test_a_warm_run_reuses_the_environment(runs) -> None:
    *_, push, first_pr, _ = runs
    for record in (push, first_pr):
        assert record.step("Restore the environment (and numba's compiled kernels)").kind == "uses"
    assert "cache miss" in push.step("Restore the environment (and numba's compiled kernels)").output
    assert "cache hit" in first_pr.step(
        "Restore the environment (and numba's compiled kernels)").output


def test_the_junit_file_is_well_formed(runs) -> None:
    *_, runner, _, _, _ = runs
    path = runner.state / "artifacts" / "101" / "tune-results-strategies_tune.toml" / "junit.xml"
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites" and root.get("failures") == "0"
