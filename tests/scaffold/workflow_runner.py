"""Run the scaffold's GitHub workflow on this machine, step by step, as a runner would.

Every ``run:`` step is executed in order with bash (``bash -eo pipefail``, GitHub's
default shell) and the runner's environment (``GITHUB_ACTIONS=true``,
``GITHUB_STEP_SUMMARY``, ``GITHUB_OUTPUT``, ``GITHUB_PATH``, ``GITHUB_WORKSPACE``,
``GITHUB_REPOSITORY``...); each ``uses:`` step is replaced by its local equivalent:

=============================  ==============================================
action                         local equivalent
=============================  ==============================================
actions/checkout               the repository is already the workspace
actions/setup-python           ``python`` on PATH is this interpreter's base Python
actions/cache                  a directory that survives between runs (a "hit"
                               when it exists), or nothing (cold)
mikepenz/action-junit-report   the JUnit file is parsed; its test cases recorded
actions/upload-artifact        the files are copied to ``artifacts/<name>/``
=============================  ==============================================

``gh`` (the GitHub CLI the workflow calls for the baseline and the pull-request
comment) is a stub that serves the artifacts of earlier runs and keeps the comments
in a JSON file. Dependencies come from the project's environment (no network): its
site-packages, without dcf-regime itself, are on ``PYTHONPATH``, so the lock installs
as "already satisfied" and the wheel under test is the only dcf-regime there is.

Used by ``tests/scaffold/test_workflow.py`` and ``bench/bench_scaffold.py``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

#: The ``if:`` conditions of the template, by text -> how to decide them here. A new
#: condition in the template fails loudly until it is added.
_CONDITIONS = {
    "always() && github.event_name == 'pull_request' && "
    "github.event.pull_request.head.repo.full_name == github.repository":
        lambda ev, failed: ev == "pull_request",
    "always() && (github.event_name == 'push' || "
    "github.event.pull_request.head.repo.full_name == github.repository)":
        lambda ev, failed: True,
    "always()": lambda ev, failed: True,
    "success() && github.event_name == 'push'": lambda ev, failed: not failed and ev == "push",
}
_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@dataclass
class StepRecord:
    """One step as it ran."""

    name: str
    kind: str  # "run" | "uses" | "skipped"
    exit_code: int
    seconds: float
    output: str = ""


@dataclass
class RunRecord:
    """One workflow run: its steps, outputs and what the job summary holds."""

    event: str
    steps: list[StepRecord] = field(default_factory=list)
    summary: str = ""
    junit_cases: list[tuple[str, bool]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(s.exit_code != 0 for s in self.steps if s.kind != "skipped")

    def step(self, name: str) -> StepRecord:
        return next(s for s in self.steps if s.name == name)


def project_site_packages(root: Path) -> Path:
    """A directory of links to this environment's packages, without dcf-regime itself."""
    site = Path(sysconfig.get_paths()["purelib"])
    root.mkdir(parents=True, exist_ok=True)
    for entry in site.iterdir():
        name = entry.name.lower()
        if (name.startswith(("dcf_regime", "__editable__", "backtest")) or
                name.endswith(".pth") or name == "__pycache__"):
            continue
        link = root / entry.name
        if not link.exists():
            link.symlink_to(entry)
    return root


def _gh_stub(bin_dir: Path, state: Path) -> None:
    """A ``gh`` that serves earlier runs' artifacts and keeps pull-request comments."""
    script = bin_dir / "gh"
    script.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import json, shutil, sys
        from pathlib import Path
        state = Path({str(state)!r})
        runs = json.loads((state / "runs.json").read_text()) if (state / "runs.json").exists() else []
        comments = json.loads((state / "comments.json").read_text()) if (state / "comments.json").exists() else []
        args = sys.argv[1:]
        log = state / "calls.log"
        with log.open("a") as f:
            f.write(json.dumps(args) + "\\n")
        if args[:2] == ["run", "list"]:
            ok = [r for r in runs if r["branch"] == "main" and r["success"]]
            print(ok[-1]["id"] if ok else "")
        elif args[:2] == ["run", "download"]:
            run_id, name = args[2], args[args.index("--name") + 1]
            dest = Path(args[args.index("--dir") + 1])
            src = state / "artifacts" / run_id / name
            if not src.is_dir():
                print(f"no artifact {{name}} in run {{run_id}}", file=sys.stderr)
                sys.exit(1)
            shutil.copytree(src, dest, dirs_exist_ok=True)
        elif args[0] == "api":
            method = args[args.index("--method") + 1] if "--method" in args else "GET"
            if method == "GET":
                marker = args[args.index("--jq") + 1].split('startswith(\\"')[1].split('\\")')[0]
                for c in comments:
                    if c["body"].startswith(marker):
                        print(c["id"])
            else:
                body = Path(next(a for a in args if a.startswith("body=@"))[6:]).read_text()
                if method == "PATCH":
                    cid = int(args[args.index("--method") + 2].rsplit("/", 1)[1])
                    next(c for c in comments if c["id"] == cid)["body"] = body
                else:
                    comments.append({{"id": 1000 + len(comments), "body": body}})
                (state / "comments.json").write_text(json.dumps(comments))
        else:
            print("gh stub: unexpected call", args, file=sys.stderr)
            sys.exit(2)
        """))
    script.chmod(0o755)


class Runner:
    """Runs the workflow of ``repo`` as successive runs (push to main, pull requests)."""

    def __init__(self, repo: Path, work: Path, *, config: str,
                 deps: Path | None, cache: bool = True) -> None:
        self.repo, self.work, self.config = repo, work, config
        self.workflow = yaml.safe_load((repo / ".github" / "workflows" / "tune.yml").read_text())
        self.state = work / "gh"
        self.state.mkdir(parents=True, exist_ok=True)
        self.bin = work / "bin"
        self.bin.mkdir(exist_ok=True)
        base = Path(getattr(sys, "_base_executable", sys.executable))
        for name in ("python", "python3"):
            link = self.bin / name
            if not link.exists():
                link.symlink_to(base)
        _gh_stub(self.bin, self.state)
        self.deps = deps  # None: the install step downloads from the package index
        self.cache = cache  # keep .venv and .cache between runs (actions/cache hits)
        self.run_id = 100

    # -- expressions ------------------------------------------------------------------

    def _value(self, expr: str, ctx: dict[str, Any]) -> str:
        if expr in ctx:
            return str(ctx[expr])
        match = re.fullmatch(r"steps\.(\w+)\.outputs\.([\w-]+)", expr)
        if match:
            return ctx["steps"].get(match[1], {}).get(match[2], "")
        match = re.fullmatch(r"env\.(\w+)", expr)
        if match:
            return ctx["env"][match[1]]
        if expr.startswith("hashFiles("):
            return "hash"
        if expr == "github.event.pull_request.number || github.ref":
            return str(ctx.get("github.event.pull_request.number") or ctx["github.ref"])
        raise KeyError(f"the runner does not know the expression {expr!r}")

    def _sub(self, text: str, ctx: dict[str, Any]) -> str:
        return _EXPR.sub(lambda m: self._value(m[1], ctx), str(text))

    # -- one run ----------------------------------------------------------------------

    def run(self, event: str) -> RunRecord:
        """One run of the job for ``event`` ("push" to main or "pull_request")."""
        self.run_id += 1
        ws = self.work / "workspace"  # one path, as on a runner: a restored venv still works
        shutil.rmtree(ws, ignore_errors=True)
        shutil.copytree(self.repo, ws, symlinks=True)
        if self.cache:
            for kept in (".venv", ".cache"):
                src = self.work / "cache" / kept
                if src.exists():
                    shutil.copytree(src, ws / kept, symlinks=True)
        files = {name: self.work / f"{name}-{self.run_id}" for name in
                 ("summary", "output", "path", "env")}
        for path in files.values():
            path.write_text("")
        job = self.workflow["jobs"]["tune"]
        ctx: dict[str, Any] = {
            "matrix.config": self.config, "github.workspace": str(ws), "github.token": "stub",
            "github.ref": "refs/heads/main" if event == "push" else "refs/pull/7/merge",
            "github.event.pull_request.number": 7 if event == "pull_request" else "",
            "github.run_id": self.run_id, "runner.os": "Linux", "steps": {}, "env": {},
        }
        env = {
            "HOME": str(self.work), "LANG": "C.UTF-8", "TERM": "dumb",
            "PATH": f"{self.bin}:/usr/bin:/bin",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(ws), "GITHUB_EVENT_NAME": event,
            "GITHUB_REPOSITORY": "team/strategies", "GITHUB_RUN_ID": str(self.run_id),
            "GITHUB_STEP_SUMMARY": str(files["summary"]), "GITHUB_OUTPUT": str(files["output"]),
            "GITHUB_PATH": str(files["path"]), "GITHUB_ENV": str(files["env"]),
            "RUNNER_OS": "Linux", "RUNNER_TEMP": str(self.work / "tmp"),
        }
        if self.deps is not None:  # the project's environment, no network
            env |= {"PYTHONPATH": str(self.deps), "PIP_NO_INDEX": "1"}
        else:  # a real cold install: the package index, through pip's own cache
            env |= {k: v for k, v in os.environ.items()
                    if k.startswith(("PIP_", "SSL_", "REQUESTS_", "CURL_")) and k != "PIP_NO_INDEX"}
        for scope in (self.workflow.get("env", {}), job.get("env", {})):
            for key, value in scope.items():
                env[key] = ctx["env"][key] = self._sub(value, ctx)
        record = RunRecord(event)
        for spec in job["steps"]:
            name = spec.get("name") or spec.get("uses", "").split("@")[0]
            condition = spec.get("if", "success()")
            decide = _CONDITIONS.get(condition) if condition != "success()" else (
                lambda ev, failed: not failed)
            if decide is None:
                raise KeyError(f"the runner does not know the condition {condition!r}")
            if not decide(event, record.failed):
                record.steps.append(StepRecord(name, "skipped", 0, 0.0))
                continue
            started = time.perf_counter()
            if "run" in spec:
                code, out = self._run_step(spec, env, ctx, ws, files)
                kind = "run"
            else:
                code, out = self._uses_step(spec, ctx, ws, record)
                kind = "uses"
            record.steps.append(StepRecord(name, kind, code, time.perf_counter() - started, out))
        record.summary = files["summary"].read_text()
        if self.cache:
            for kept in (".venv", ".cache"):
                if (ws / kept).exists():
                    dest = self.work / "cache" / kept
                    shutil.rmtree(dest, ignore_errors=True)
                    shutil.copytree(ws / kept, dest, symlinks=True)
        runs = (json.loads((self.state / "runs.json").read_text())
                if (self.state / "runs.json").exists() else [])
        runs.append({"id": str(self.run_id), "branch": "main" if event == "push" else "pr",
                     "success": not record.failed})
        (self.state / "runs.json").write_text(json.dumps(runs))
        return record

    def _run_step(self, spec: dict[str, Any], env: dict[str, str], ctx: dict[str, Any],
                  ws: Path, files: dict[str, Path]) -> tuple[int, str]:
        step_env = dict(env)
        for key, value in (spec.get("env") or {}).items():
            step_env[key] = self._sub(value, ctx)
        extra = [line for line in files["path"].read_text().splitlines() if line.strip()]
        step_env["PATH"] = ":".join([*reversed(extra), env["PATH"]])
        script = self.work / f"step-{self.run_id}.sh"
        script.write_text(self._sub(spec["run"], ctx))
        before = files["output"].read_text()
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                              cwd=ws, env=step_env, capture_output=True, text=True, timeout=900)
        if spec.get("id"):
            new = files["output"].read_text()[len(before):]
            outputs = dict(line.split("=", 1) for line in new.splitlines() if "=" in line)
            ctx["steps"][spec["id"]] = outputs
        return done.returncode, done.stdout + done.stderr

    def _uses_step(self, spec: dict[str, Any], ctx: dict[str, Any], ws: Path,
                   record: RunRecord) -> tuple[int, str]:
        action = spec["uses"].split("@")[0]
        args = {k: self._sub(v, ctx) for k, v in (spec.get("with") or {}).items()}
        if action == "actions/checkout":
            if str(args.get("persist-credentials")).lower() != "false":
                return 1, "checkout must not persist the token (persist-credentials: false)"
            return 0, ""
        if action == "actions/setup-python":
            ctx["steps"][spec.get("id", "python")] = {
                "python-version": ".".join(map(str, sys.version_info[:3]))}
            return 0, ""
        if action == "actions/cache":
            hit = all((ws / p.strip()).exists() for p in args["path"].splitlines() if p.strip())
            if spec.get("id"):
                ctx["steps"][spec["id"]] = {"cache-hit": "true" if hit else "false"}
            return 0, f"cache {'hit' if hit else 'miss'}: {args['key']}"
        if action == "mikepenz/action-junit-report":
            path = ws / args["report_paths"]
            root = ET.parse(path).getroot()
            record.junit_cases = [(c.get("name", ""), c.find("failure") is None)
                                  for c in root.iter("testcase")]
            return 0, f"{len(record.junit_cases)} test cases"
        if action == "actions/upload-artifact":
            dest = self.state / "artifacts" / str(self.run_id) / args["name"]
            dest.mkdir(parents=True, exist_ok=True)
            for line in str(args["path"]).splitlines():
                src = ws / line.strip()
                if src.is_dir():
                    shutil.copytree(src, dest, dirs_exist_ok=True)
                elif src.exists():
                    shutil.copy2(src, dest / src.name)
            return 0, f"uploaded {args['name']}"
        raise KeyError(f"the runner has no local equivalent of {action}")

    def comments(self) -> list[dict[str, Any]]:
        """The pull request's comments as the ``gh`` stub keeps them."""
        path = self.state / "comments.json"
        return json.loads(path.read_text()) if path.exists() else []

    def calls(self) -> list[list[str]]:
        """Every ``gh`` call, in order."""
        path = self.state / "calls.log"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def build_wheel(source: Path, dest: Path) -> Path:
    """Build dcf-regime's wheel from a copy of ``source``, without the network.

    The dev environment holds the build backend (setuptools, wheel); the copy keeps
    the checkout free of ``build/`` and ``*.egg-info``.
    """
    tree = dest / "src"
    shutil.copytree(source, tree, symlinks=True, ignore=shutil.ignore_patterns(
        ".venv", ".git", "reports", "cache", "build", "*.egg-info", "__pycache__", "node_modules"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--no-index", "-w", str(dest), str(tree)],
                   check=True, capture_output=True, text=True,
                   env={**os.environ, "PIP_NO_INDEX": "1"})
    (wheel,) = dest.glob("dcf_regime-*.whl")
    return wheel
