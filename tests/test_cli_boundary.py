"""The CLI boundary: warnings, errors and closed pipes, in real subprocesses with timeouts.

These run the real ``backtest`` app in a child process so that a regression that
hangs (issue 11: a warning re-recorded while being shown grew to 18.9 GB) fails
the test after a timeout instead of stalling the suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

TIMEOUT_S = 120


def run_app(tmp_path: Path, body: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``backtest.cli.app`` with an extra ``probe`` command whose body is ``body``."""
    script = tmp_path / "probe_cli.py"
    script.write_text(
        "import warnings\n"
        "import typer\n"
        "from backtest.cli import app\n"
        "from backtest.errors import ConfigError, StaleDataWarning\n\n"
        "@app.command('probe')\n"
        "def probe() -> None:\n" + textwrap.indent(textwrap.dedent(body), "    ") + "\n\n"
        "app()\n"
    )
    return subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True,
        timeout=TIMEOUT_S, cwd=tmp_path, check=False,
    )


def test_a_user_warning_is_shown_once_and_the_command_ends(tmp_path: Path) -> None:
    done = run_app(tmp_path, """
        for _ in range(3):
            warnings.warn("something odd", UserWarning, stacklevel=1)
        print("done")
    """, "probe")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "done"
    assert done.stderr.count("something odd") == 1
    assert done.stderr.startswith("Warning: something odd (UserWarning from probe_cli.py:")


def test_a_dependency_warning_is_shown_once(tmp_path: Path) -> None:
    # numpy itself warns here (RuntimeWarning: Mean of empty slice)
    done = run_app(tmp_path, """
        import numpy as np
        for _ in range(5):
            np.mean(np.array([]))
    """, "probe")
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line]
    assert [line.split(" (")[0] for line in lines] == [
        "Warning: Mean of empty slice", "Warning: invalid value encountered in scalar divide"
    ], done.stderr
    assert all("RuntimeWarning from " in line for line in lines)


def test_a_pandas_warning_then_an_error_keeps_exit_code_1(tmp_path: Path) -> None:
    done = run_app(tmp_path, """
        import pandas as pd
        pd.to_datetime(["01/02/2020", "13/02/2020"], format="mixed", dayfirst=False)
        raise ConfigError("bad\\nconfig")
    """, "probe")
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "Error: bad config"
    assert "Traceback" not in done.stderr


def test_our_warnings_are_one_line_each_once(tmp_path: Path) -> None:
    done = run_app(tmp_path, """
        warnings.warn("fred:DGS10: offline; using the cached copy", StaleDataWarning)
        warnings.warn("fred:DGS10: offline; using the cached copy", StaleDataWarning)
        warnings.warn("fred:DGS2: offline;\\nusing the cached copy", StaleDataWarning)
    """, "probe")
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "Warning: fred:DGS10: offline; using the cached copy",
        "Warning: fred:DGS2: offline; using the cached copy",
    ]


def test_debug_shows_the_warning_origin(tmp_path: Path) -> None:
    done = run_app(tmp_path, """
        warnings.warn("something odd", UserWarning, stacklevel=1)
    """, "--debug", "probe")
    assert done.returncode == 0
    assert "probe_cli.py:" in done.stderr and "UserWarning: something odd" in done.stderr


@pytest.mark.slow
def test_a_warning_during_a_real_offline_failure_ends(tmp_path: Path) -> None:
    """The issue's reproduction: offline, empty cache, a config with yahoo ids."""
    from backtest.config import default_config_path

    config = default_config_path().parent / "seed_2026.toml"
    done = subprocess.run(
        [sys.executable, "-m", "backtest", "--offline", "--data-dir", str(tmp_path / "cache"),
         "regimes", str(config)],
        capture_output=True, text=True, timeout=TIMEOUT_S, cwd=tmp_path, check=False,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("Error: ")
    assert "backtest data fetch" in done.stderr


def _closed_pipe_run(args: list[str], cwd: Path, *, read_first_line: bool) -> tuple[int, str]:
    """Run ``backtest ARGS`` with stdout into a pipe whose reader goes away.

    ``read_first_line``: like ``| head -1`` (read one line, then close); otherwise the
    reader is gone before the first write.
    """
    import os

    read_fd, write_fd = os.pipe()
    if not read_first_line:
        os.close(read_fd)
    proc = subprocess.Popen([sys.executable, "-m", "backtest", *args], stdout=write_fd,
                            stderr=subprocess.PIPE, cwd=cwd, text=True)
    os.close(write_fd)
    if read_first_line:
        with os.fdopen(read_fd, "rb") as reader:
            reader.readline()
    try:
        _, err = proc.communicate(timeout=TIMEOUT_S)
    finally:
        proc.kill()
    return proc.returncode, err


@pytest.mark.parametrize(
    "args",
    [["--help"], ["--version"], ["regimes"], ["data", "list"], ["data", "--help"],
     ["run", "--out", "reports"], ["signal", "--asof", "2010-06-30"],
     ["thesis", "--reps", "50"]],
)
@pytest.mark.parametrize("read_first_line", [False, True])
def test_a_closed_pipe_exits_0_quietly(tmp_path: Path, args: list[str],
                                       read_first_line: bool) -> None:
    code, err = _closed_pipe_run(["--data-dir", str(tmp_path / "cache"), *args], tmp_path,
                                 read_first_line=read_first_line)
    assert code == 0, err
    assert err == ""


@pytest.mark.parametrize("read_first_line", [False, True])
def test_a_closed_pipe_keeps_the_unknown_state_exit_4(tmp_path: Path,
                                                      read_first_line: bool) -> None:
    # the embedded data end in 2018: today every component is stale, the state unknown
    out = tmp_path / "reading.json"
    code, err = _closed_pipe_run(["--data-dir", str(tmp_path / "cache"), "signal",
                                  "--json", str(out)], tmp_path, read_first_line=read_first_line)
    assert code == 4, err
    assert err == ""
    assert json.loads(out.read_text())["status"] == "unknown"  # written before printing


def test_a_closed_pipe_after_an_error_keeps_exit_1(tmp_path: Path) -> None:
    code, err = _closed_pipe_run(["run", "missing.toml"], tmp_path, read_first_line=False)
    assert code == 1
    assert err.strip() == "Error: config file not found: missing.toml"


def test_user_text_is_never_read_as_rich_markup(tmp_path: Path) -> None:
    """Regime names and descriptions from a user catalog may hold ``[/bold]`` (issue 11)."""
    from typer.testing import CliRunner

    from backtest.cli import app

    catalog = tmp_path / "evil.toml"
    catalog.write_text(
        '[[regime]]\nname = "x [/bold] [red]y"\nstart = "2000-01-03"\nend = "2000-06-30"\n'
        'kind = "rate_shock"\ndescription = "closing [/] tag :smile: [link=x]z"\n'
        'reference = "[/i]"\n'
    )
    result = CliRunner().invoke(app, ["regimes", "--catalog", str(catalog)],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for text in ("x [/bold] [red]y", "closing [/] tag :smile: [link=x]z", "[/i]"):
        assert text in result.output


@pytest.mark.slow
@pytest.mark.parametrize("command", [["regimes"], ["thesis", "--reps", "50"], ["run", "--no-html"]])
def test_markup_in_a_user_catalog_is_printed_literally(tmp_path: Path, command) -> None:
    from typer.testing import CliRunner

    from backtest.cli import app
    from backtest.config import default_config_path

    (tmp_path / "evil.toml").write_text(
        '[[regime]]\nname = "[bold]1994 [/bold] rout"\nstart = "1994-02-04"\n'
        'end = "1994-11-07"\nkind = "rate_shock"\ndescription = "x [/] y"\nreference = "z"\n'
    )
    config = tmp_path / "c.toml"
    config.write_text(default_config_path().read_text()
                      + '\n[regimes]\ncatalog = "evil.toml"\n')
    args = [command[0], str(config), *command[1:]]
    if command[0] == "run":
        args += ["--out", str(tmp_path / "out")]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "[bold]1994" in result.output  # literal (a long name may be shortened with …)


@pytest.mark.parametrize(("args", "expected"), [
    (["run", "--mirror", "D", "c.toml"], ["--mirror", "D", "run", "c.toml"]),
    (["run", "c.toml", "--offline", "--debug"], ["--offline", "--debug", "run", "c.toml"]),
    (["data", "list", "--data-dir=X"], ["--data-dir=X", "data", "list"]),
    (["--data-dir", "run", "run", "c.toml"], ["--data-dir", "run", "run", "c.toml"]),
    (["tune", "--", "--offline"], ["tune", "--", "--offline"]),
    (["--mirror", "D", "run"], ["--mirror", "D", "run"]),
])
def test_global_options_after_the_command_are_moved_before_it(args, expected) -> None:
    from backtest.cli import hoist_global_options

    assert hoist_global_options(args, {"run", "data", "tune"}) == expected


def test_a_global_option_after_the_command_works(tmp_path) -> None:
    from typer.testing import CliRunner

    from backtest.cli import app

    after = CliRunner().invoke(app, ["data", "list", "--data-dir", str(tmp_path)])
    before = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "data", "list"])
    assert after.exit_code == before.exit_code == 0
    assert after.output == before.output and str(tmp_path) in after.output
