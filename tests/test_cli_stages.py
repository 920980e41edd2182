"""Progress while run, compare, thesis and report work (issue 17 item 4).

A transient stage line on a terminal after a second, nothing on a pipe or with
--quiet, and the stages in the order the commands reach them.
"""

from __future__ import annotations

import io
import time

from rich.console import Console
from typer.testing import CliRunner

from backtest.cli import app
from backtest.cli._stages import Stages


def _terminal() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=True, width=80), buffer


def test_a_terminal_shows_each_stage_after_the_delay() -> None:
    console, buffer = _terminal()
    with Stages("run", quiet=False, total=3, console=console, after_s=0.0) as stage:
        time.sleep(0.3)
        stage("data")
        time.sleep(0.3)
        stage("backtests")
        time.sleep(0.3)
    shown = buffer.getvalue()
    assert "run: data (1 of 3)" in shown and "run: backtests (2 of 3)" in shown


def test_a_quick_command_a_pipe_and_quiet_show_nothing() -> None:
    console, buffer = _terminal()
    with Stages("run", quiet=False, console=console, after_s=5.0) as stage:
        stage("data")  # ends before the line would appear
    with Stages("run", quiet=True, console=console, after_s=0.0) as stage:
        stage("data")
        time.sleep(0.2)
    piped = io.StringIO()
    with Stages("run", quiet=False, console=Console(file=piped), after_s=0.0) as stage:
        stage("data")
        time.sleep(0.2)
    assert buffer.getvalue() == "" and piped.getvalue() == ""


def test_the_commands_report_their_stages_in_order(monkeypatch, tmp_path) -> None:
    import backtest.cli._stages as stages

    seen: list[str] = []
    original = stages.Stages.__call__

    def record(self, stage: str) -> None:
        seen.append(f"{self.command}: {stage}")
        original(self, stage)

    monkeypatch.setattr(stages.Stages, "__call__", record)
    runner = CliRunner()
    done = runner.invoke(app, ["run", "--quiet", "--out", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert seen == ["run: data", "run: signal and sleeves", "run: backtests", "run: analysis",
                    "run: report", "run: JSON"]
    seen.clear()
    done = runner.invoke(app, ["report", str(tmp_path / "duration_rotation.json"), "-o",
                               str(tmp_path / "again.html"), "--quiet"])
    assert done.exit_code == 0, done.output
    assert seen == ["report: reading", "report: page"]
    assert done.stderr == ""  # nothing on a pipe
