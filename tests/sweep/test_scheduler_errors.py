"""Reaching a Dask scheduler fails as one line, within the stated timeout (issue 18, item 8).

Before: a 214-line Dask traceback for a bad address, 60 s for a refused port, a hang
past 100 s against a listener that is not Dask, a MemoryError against an HTTP 400.
"""

from __future__ import annotations

import http.server
import socket
import threading
import time

import pytest
from typer.testing import CliRunner

from backtest.cli import app

TUNE = ["tune", "--param", "strategy.enter=0,1", "--holdout", "0.3", "--quiet",
        "--executor", "dask"]


def _one_line(done) -> str:
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    assert done.exit_code == 1, done.output
    lines = done.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.output
    return lines[0]


@pytest.mark.parametrize(("address", "message"), [
    ("garbage", "expected a Dask scheduler address such as tcp://host:8786"),
    ("http://127.0.0.1:8000", "expected a Dask scheduler address"),
    ("tcp://127.0.0.1:99999", "the port must be a number from 1 to 65535"),
    ("tcp://:8786", "no host"),
])
def test_a_bad_address_is_refused_before_connecting(address, message) -> None:
    started = time.perf_counter()
    line = _one_line(CliRunner().invoke(app, [*TUNE, "--scheduler", address]))
    assert message in line and time.perf_counter() - started < 10


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_refused_port_answers_within_the_connect_timeout() -> None:
    started = time.perf_counter()
    line = _one_line(CliRunner().invoke(app, [*TUNE, "--scheduler",
                                              f"tcp://127.0.0.1:{_free_port()}",
                                              "--connect-timeout", "2"]))
    assert "could not reach the Dask scheduler at tcp://127.0.0.1:" in line
    assert time.perf_counter() - started < 15


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def test_a_listener_that_is_not_dask_cannot_hang_the_command() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        started = time.perf_counter()
        line = _one_line(CliRunner().invoke(app, [
            *TUNE, "--scheduler", f"tcp://127.0.0.1:{server.server_address[1]}",
            "--connect-timeout", "2"]))
        assert time.perf_counter() - started < 20
        assert "tcp://127.0.0.1:" in line and ("did not answer" in line or "could not" in line)
    finally:
        server.shutdown()
