"""Outputs never replace what stands at their path (issue 18: /dev/full became a file).

A regular file is replaced atomically; a symlink's target is written and the link
stays; a device, a FIFO and ``-`` are written to as streams; a directory is an error.
Checked through the real writer and a real command (tune --summary, report -o).
"""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path

import pytest

from backtest.errors import BacktestError
from backtest.report._io import write_text_atomic


def test_a_regular_file_is_replaced_whole(tmp_path) -> None:
    path = tmp_path / "out.md"
    path.write_text("old")
    write_text_atomic(path, "new", "summary")
    assert path.read_text() == "new"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path) -> None:
    real = tmp_path / "real.md"
    real.write_text("old")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    write_text_atomic(link, "new", "summary")
    assert link.is_symlink() and real.read_text() == "new"
    dangling = tmp_path / "dangling.md"
    dangling.symlink_to(tmp_path / "sub" / "made.md")
    write_text_atomic(dangling, "x", "summary")
    assert dangling.is_symlink() and (tmp_path / "sub" / "made.md").read_text() == "x"


def test_a_fifo_is_streamed_to(tmp_path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    write_text_atomic(fifo, "through the pipe", "summary")
    reader.join(timeout=10)
    assert got == ["through the pipe"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still a FIFO, not a file


def test_a_fifo_without_a_reader_is_an_error_not_a_hang(tmp_path, monkeypatch) -> None:
    from backtest.report import _io

    monkeypatch.setattr(_io, "FIFO_WAIT_S", 0.3)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(BacktestError, match="no process opened the named pipe for reading"):
        write_text_atomic(fifo, "nobody listens", "summary")
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_late_reader_of_a_fifo_gets_all_of_a_large_text(tmp_path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    text = "0123456789" * 100_000  # 1 MB, far more than a pipe's 64 KiB buffer
    got: list[str] = []

    def read_later() -> None:
        time.sleep(0.5)  # the writer is waiting for a reader by now
        got.append(fifo.read_text())

    reader = threading.Thread(target=read_later)
    reader.start()
    write_text_atomic(fifo, text, "summary")
    reader.join(timeout=10)
    assert got == [text]


def test_a_device_stays_a_device(tmp_path) -> None:
    write_text_atomic("/dev/null", "gone", "summary")
    assert stat.S_ISCHR(Path("/dev/null").stat().st_mode)
    with pytest.raises(BacktestError, match="cannot write summary /dev/full: No space left"):
        write_text_atomic("/dev/full", "x" * 100_000, "summary")
    assert stat.S_ISCHR(Path("/dev/full").stat().st_mode)


def test_a_directory_is_an_error(tmp_path) -> None:
    with pytest.raises(BacktestError, match="it is a directory"):
        write_text_atomic(tmp_path, "x", "report")


def test_dash_is_standard_output(capsys) -> None:
    write_text_atomic("-", "to stdout", "summary")
    assert capsys.readouterr().out == "to stdout"


def test_a_command_writes_through_a_symlink(tmp_path) -> None:
    from typer.testing import CliRunner

    from backtest.cli import app

    real = tmp_path / "real.html"
    link = tmp_path / "page.html"
    link.symlink_to(real)
    done = CliRunner().invoke(app, ["tune", "--param", "strategy.enter=0,0.5", "--holdout",
                                    "0.3", "--quiet", "--report", str(link), "--summary",
                                    "/dev/null", "--junit", "/dev/null"])
    assert done.exit_code == 0, done.output
    assert link.is_symlink() and "<html" in real.read_text()
    assert stat.S_ISCHR(Path("/dev/null").stat().st_mode)
