"""The documentation, tested: every example runs, every command is documented, the site builds.

sqlite-utils' ``tests/test_docs.py`` pattern (STYLE.md), extended to the examples
themselves:

* every line of a ``bash`` or ``console`` block (``$ `` lines) in ``docs/*.md`` and
  ``README.md`` that starts with ``backtest`` runs in-process through Typer's
  ``CliRunner``, page by page, in a temporary working directory holding a copy of the
  repository's ``strategies/``, with ``../shared/data`` pointed at the shared data. It
  must exit 0, or the code its trailing comment states (``# exit 3``). A ``cd DIR`` line
  moves the page's working directory; a block with ``title="PATH"`` is written to PATH
  first (``--8<-- "FILE"`` snippets expanded, as MkDocs does); other ``python`` blocks
  are executed. Anything else — and a ``backtest`` command that needs the network — must
  be in :data:`ALLOWED`, with the reason it cannot run here, and every allowed command
  must still appear in the docs;
* every command of the CLI appears in ``docs/cli.md`` with an example;
* ``mkdocs build --strict`` succeeds, one page per nav entry, nothing from another host;
* the README is a front page: the two commands, a link to every page, at most 150 lines.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer.main
import yaml
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from backtest.cli import app, hoist_global_options

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = [*sorted(DOCS.glob("*.md")), ROOT / "README.md"]
SHELL = {"bash", "console", "shell", "sh"}

#: Commands in the docs that do not run here, each with the reason.
ALLOWED = {
    "make run": "`backtest run` after installing .venv: the pages' `backtest run` examples "
                "run here, and .ci/run runs `make run` itself after the suite",
    "make test": "runs this very suite: it would recurse",
    "make lint": "ruff and mypy --strict over the whole package (about a minute); .ci/run "
                 "runs it beside the suite",
    "make bench": "the benchmarks take many minutes and measure time; they never run in tests",
    "make docs": "test_the_site_builds_strict runs the same `mkdocs build --strict`",
    "make workflow": "rewrites the checked-in .github/workflows/tune.yml; "
                     "tests/scaffold/test_lint.py checks that file equals its rendering",
    "make lock": "re-resolves the lock files against the package index (network)",
    "pip install dcf-regime": "installs from the package index (network) into an environment",
    'git init -b main && git add . && git commit -m "Tune our strategy in CI"':
        "creates a git repository and commits (needs a git identity); nothing to test of ours",
    "git remote add origin git@github.com:ORG/my-strategies.git && git push -u origin main":
        "pushes to GitHub (network, credentials)",
    'cd my-strategies && git init -b main && git add . && git commit -m "Tune our strategy in '
    'CI" && gh repo create my-strategies --private --source . --push':
        "creates a GitHub repository and pushes to it (network, credentials)",
    "dask scheduler --port 8786": "starts a scheduler that runs until stopped",
    "dask worker tcp://SCHEDULER_HOST:8786 --nworkers 2 --nthreads 1 --memory-limit 4GB":
        "a worker that connects to a scheduler on another machine and runs until stopped",
    "DASK_CONFIG=dask-config dask worker tcp://SCHEDULER_HOST:8786 --nworkers 2 --nthreads 1":
        "the same worker with the allocator settings: tests/sweep/test_dask_cli_cluster.py "
        "starts this topology on loopback with the page's config file",
    "backtest data fetch fred:DGS10 fred:BAA10Y yahoo:QQQ":
        "downloads from FRED and Yahoo; the suite never touches the network (the --mirror "
        "form of the same command runs, docs/cli.md)",
}

#: Environment variables a user's shell may hold that would change what the examples do.
_ISOLATE = ("BACKTEST_DATA", "FRED_API_KEY", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY")
_SNIPPET = re.compile(r'^--8<--\s+"([^"]+)"\s*$')
_EXIT = re.compile(r"#\s*exit\s+(\d+)\b")


@dataclass(frozen=True)
class Step:
    """One thing a page asks the reader to do, in order."""

    kind: str        # "backtest", "cd", "other", "file" or "python"
    text: str        # the command (comment stripped, whitespace collapsed) or the code
    where: str       # page:line, for messages
    expect: int = 0  # the exit code a trailing "# exit N" states
    path: str = ""   # where a "file" block goes


def _comment(line: str) -> tuple[str, str]:
    """``line`` split at its shell comment: a ``#`` outside quotes after a blank."""
    quote = ""
    for i, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i:]
    return line.rstrip(), ""


def _commands(lang: str, content: str) -> list[tuple[int, str]]:
    """(offset, command) of every command in a shell block, continuation lines joined."""
    out: list[tuple[int, str]] = []
    lines = content.splitlines()
    i = 0
    while i < len(lines):
        line, start = lines[i], i
        i += 1
        if lang == "console":
            if not line.startswith("$ "):
                continue
            line = line[2:]
        while line.rstrip().endswith("\\") and i < len(lines):
            line = line.rstrip()[:-1] + " " + lines[i].strip()
            i += 1
        if line.strip() and not line.lstrip().startswith("#"):
            out.append((start, line.strip()))
    return out


def _expand(content: str) -> str:
    return "".join(
        (ROOT / m[1]).read_text(encoding="utf-8") if (m := _SNIPPET.match(line.strip()))
        else line for line in content.splitlines(keepends=True))


def steps(page: Path) -> list[Step]:
    """What ``page`` asks the reader to run or write, in the order it asks."""
    out: list[Step] = []
    rel = page.relative_to(ROOT).as_posix()
    for token in MarkdownIt("commonmark").parse(page.read_text(encoding="utf-8")):
        if token.type != "fence" or token.map is None:
            continue
        first = token.map[0] + 2  # the 1-based line after the opening fence
        lang = (token.info.split() or [""])[0]
        title = re.search(r'title="([^"]+)"', token.info)
        if title:
            out.append(Step("file", _expand(token.content), f"{rel}:{first}", path=title[1]))
        elif lang == "python":
            out.append(Step("python", _expand(token.content), f"{rel}:{first}"))
        elif lang in SHELL:
            for offset, line in _commands(lang, token.content):
                code, comment = _comment(line)
                text = " ".join(code.split())
                found = _EXIT.search(comment)
                word = text.split(" ", 1)[0]
                kind = ("other" if text in ALLOWED else "backtest" if word == "backtest" else
                        "cd" if word == "cd" and len(shlex.split(text)) == 2 else "other")
                out.append(Step(kind, text, f"{rel}:{first + offset}",
                                expect=int(found[1]) if found else 0))
    return out


ALL_STEPS = {page.relative_to(ROOT).as_posix(): steps(page) for page in PAGES}


def test_every_other_command_is_allowed_with_a_reason_and_still_in_the_docs() -> None:
    others = {s.text: s.where for page in ALL_STEPS.values() for s in page if s.kind == "other"}
    unknown = {text: where for text, where in others.items() if text not in ALLOWED}
    assert not unknown, f"commands that neither run nor are allowed (with a reason): {unknown}"
    stale = sorted(set(ALLOWED) - set(others))
    assert not stale, f"allowed commands no longer in the docs: {stale}"
    assert all(reason.strip() for reason in ALLOWED.values())


# where modules are ours; paths as imported, symlinks not followed (strategies/my_rules.py
# links into backtest/scaffold/, but imported from strategies/ it is a plugin)
_OURS = tuple(Path(p).absolute() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix,
                                            ROOT / "backtest", ROOT / "tests"))


def _plugins() -> dict[str, object]:
    """Modules imported from anywhere but the environment and this package: plugins.

    A page's ``kind = "my_rules:CalmTilt"`` imports ``my_rules`` from its own directory,
    which the loader refuses while a module of that name (another test's, another
    page's) is imported from elsewhere.
    """
    found = {}
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and not any(Path(file).absolute().is_relative_to(p) for p in _OURS):
            found[name] = module
    return found


@contextlib.contextmanager
def _fresh_plugins():
    """Run with no plugin module imported; leave ``sys.modules`` and ``sys.path`` as found."""
    saved_modules, saved_path = _plugins(), list(sys.path)
    for name in saved_modules:
        del sys.modules[name]
    try:
        yield
    finally:
        for name in _plugins():
            del sys.modules[name]
        sys.modules.update(saved_modules)  # type: ignore[arg-type]
        sys.path[:] = saved_path


RUNNABLE = [page for page, todo in ALL_STEPS.items()
            if any(s.kind in ("backtest", "python") for s in todo)]


@pytest.mark.parametrize("page", RUNNABLE)
def test_every_command_example_runs(page: str, tmp_path: Path, monkeypatch,
                                    request: pytest.FixtureRequest) -> None:
    todo = ALL_STEPS[page]
    shared = None
    if any("../shared/data" in s.text for s in todo):
        shared = str(request.getfixturevalue("shared_data"))
    work = tmp_path.resolve()
    shutil.copytree(ROOT / "strategies", work / "strategies")  # symlinks copied as files
    for name in _ISOLATE:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "100")
    runner = CliRunner()
    cwd = work
    for step in todo:
        with _fresh_plugins():  # each step imports the plugins beside its own config
            if step.kind == "file":
                target = cwd / step.path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(step.text, encoding="utf-8")
            elif step.kind == "cd":
                cwd = (cwd / shlex.split(step.text)[1]).resolve()
                assert cwd.is_dir(), f"{step.where}: {step.text}: no such directory"
            elif step.kind == "python":
                monkeypatch.chdir(cwd)
                exec(compile(step.text, step.where, "exec"), {"__name__": "__main__"})
            elif step.kind == "backtest":
                args = shlex.split(step.text)[1:]
                if shared is not None:
                    args = [a.replace("../shared/data", shared) for a in args]
                monkeypatch.chdir(cwd)
                result = runner.invoke(app, args)
                if result.exception is not None and not isinstance(result.exception, SystemExit):
                    raise AssertionError(f"{step.where}: {step.text} raised") from result.exception
                assert result.exit_code == step.expect, (
                    f"{step.where}: `{step.text}` exited {result.exit_code}, the docs say "
                    f"{step.expect}:\n{result.output[-3000:]}")


# -- every command of the CLI, documented with an example ------------------------------

_GLOBAL_FLAGS = {"--debug", "--offline"}
_GLOBAL_VALUES = {"--data-dir", "--csv-dir", "--mirror"}


def _command_paths() -> list[tuple[str, ...]]:
    group = typer.main.get_command(app)
    paths: list[tuple[str, ...]] = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        if subcommands:
            paths += [(name, sub) for sub in subcommands]
        else:
            paths.append((name,))
    return paths


def _invoked(text: str) -> list[str]:
    """The command words of an example, after the global options (wherever written)."""
    group = typer.main.get_command(app)
    args = hoist_global_options(shlex.split(text)[1:], set(group.commands))  # type: ignore[attr-defined]
    i = 0
    while i < len(args) and args[i].startswith("--"):
        i += 2 if args[i] in _GLOBAL_VALUES else 1
    return args[i:]


def test_the_cli_has_commands() -> None:
    assert {("run",), ("tune",), ("init",), ("data", "fetch")} <= set(_command_paths())


@pytest.mark.parametrize("path", _command_paths(), ids=" ".join)
def test_every_command_appears_in_the_cli_page_with_an_example(path: tuple[str, ...]) -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert f"`backtest {' '.join(path)}" in text, f"docs/cli.md does not describe {path}"
    examples = [s.text for s in ALL_STEPS["docs/cli.md"] if s.kind == "backtest"
                and "--help" not in s.text
                and tuple(_invoked(s.text)[: len(path)]) == path]
    assert examples, f"docs/cli.md has no example of `backtest {' '.join(path)}`"


# -- the site ---------------------------------------------------------------------------

def _nav_pages(nav: list[object]) -> list[str]:
    pages: list[str] = []
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        pages += _nav_pages(value) if isinstance(value, list) else [str(value)]
    return pages


def test_the_site_builds_strict(tmp_path: Path) -> None:
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                           str(site)], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr[-5000:]
    assert "WARNING" not in done.stderr, done.stderr[-5000:]
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["theme"]["font"] is False  # no web fonts: nothing from Google at view time
    nav = _nav_pages(config["nav"])
    assert sorted(nav) == sorted(p.name for p in DOCS.glob("*.md")), "every page in the nav"
    for page in nav:
        html = site / ("index.html" if page == "index.md" else f"{page[:-3]}/index.html")
        assert html.is_file(), f"no HTML page for {page}"
    for html in site.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text, html
        for tag in re.findall(r"<(?:script|img|iframe|link)\b[^>]*>", text):
            url = re.search(r"""(?:src|href)=["']([^"']+)""", tag)
            assert not (url and re.match(r"(?:https?:)?//", url[1])), (
                f"{html.relative_to(site)} loads from another host: {tag}")


# -- the README, a front page -------------------------------------------------------------

def test_the_readme_is_a_front_page() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    commands = [s.text for s in ALL_STEPS["README.md"]]
    assert "make run" in commands and "make test" in commands
    for page in sorted(DOCS.glob("*.md")):
        assert f"(docs/{page.name})" in text, f"the README does not link docs/{page.name}"
    for link in re.findall(r"\]\((docs/[^)#]+)", text):
        assert (ROOT / link).is_file(), link


def test_the_api_page_shows_numpydoc_rest_markup_as_markdown() -> None:
    # docs/_ext/rst_markup.py, the griffe extension mkdocs.yml loads for the API page
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        from rst_markup import to_markdown
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    text = ("See :func:`backtest.stats.tied` and :class:`~backtest.strategy.Decision`,\n"
            "with :math:`\\gamma`.\n\n    .. math::\n        a = b\n        + c\n\n"
            "    after\n\n.. [1] A paper.\n")
    assert to_markdown(text).splitlines() == [
        "See `backtest.stats.tied` and `Decision`,", "with `\\gamma`.", "",
        "    ```text", "    a = b", "    + c", "    ```", "", "    after", "",
        "[1] A paper."]
