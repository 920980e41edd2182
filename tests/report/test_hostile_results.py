"""`backtest report` on hostile or damaged result files: one line each, never a traceback.

Issue 18 found 15 tracebacks (deep nesting, metrics as strings, periods_per_year
NaN/Inf, every number 1e308, a section that is a string, every return -100%) and a
17-second MemoryError on --baseline /dev/zero. Each case below did one of those.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backtest.cli import app


@pytest.fixture(scope="module")
def document(tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("run") / "r.json"
    assert CliRunner().invoke(app, ["run", "--no-html", "--json", str(path)]).exit_code == 0
    return json.loads(path.read_text())


def _first(doc: dict) -> dict:
    return next(iter(doc["strategies"].values()))


CASES = {
    "metric as a string": lambda d: _first(d)["metrics"].update(sharpe="high"),
    "periods_per_year NaN": lambda d: d["conventions"].update(periods_per_year=float("nan")),
    "periods_per_year Inf": lambda d: d["conventions"].update(periods_per_year=float("inf")),
    "every number 1e308": lambda d: _first(d)["returns"].update(
        values=[1e308] * len(_first(d)["returns"]["values"])),
    "a section that is a string": lambda d: d.update(thesis="nope"),
    "every return -100%": lambda d: _first(d)["returns"].update(
        values=[-1.0] * len(_first(d)["returns"]["values"])),
    "a date out of range": lambda d: _first(d)["returns"]["dates"].__setitem__(0, "9999-12-31"),
    "a date that is not one": lambda d: d["conventions"].update(start="x"),
    "strategies is a list": lambda d: d.update(strategies=[]),
    "weights rows of strings": lambda d: _first(d)["weights"].update(values=[["a"]]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_damaged_result_is_one_line(document, tmp_path, case) -> None:
    doc = copy.deepcopy(document)
    CASES[case](doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    done = CliRunner().invoke(app, ["report", str(path), "-o", str(tmp_path / "x.html")])
    assert done.exception is None or isinstance(done.exception, SystemExit), case
    assert done.exit_code == 1
    lines = done.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.output
    assert not (tmp_path / "x.html").exists()


def test_deep_nesting_is_refused(tmp_path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    done = CliRunner().invoke(app, ["report", str(path), "-o", str(tmp_path / "x.html")])
    assert done.exit_code == 1 and "nested" in done.output


@pytest.mark.parametrize("command", [
    ["tune", "--param", "strategy.enter=0,1", "--quiet", "--baseline", "/dev/zero"],
    ["report", "/dev/zero", "-o", "{tmp}/x.html"],
])
def test_an_endless_file_is_refused_quickly(tmp_path, monkeypatch, command) -> None:
    import backtest._jsonio as jsonio

    monkeypatch.setattr(jsonio, "MAX_BYTES", 2**20)  # the same code path, a smaller limit
    monkeypatch.setattr(jsonio.read_json, "__kwdefaults__", {"max_bytes": 2**20,
                                                            "max_depth": jsonio.MAX_DEPTH})
    started = time.perf_counter()
    done = CliRunner().invoke(app, [a.replace("{tmp}", str(tmp_path)) for a in command])
    assert time.perf_counter() - started < 10
    assert done.exit_code == 1 and "larger than 1 MB" in done.output


def test_the_real_limit_reads_only_that_much(tmp_path) -> None:
    from backtest._jsonio import MAX_BYTES, read_json
    from backtest.errors import ResultFileError

    started = time.perf_counter()
    with pytest.raises(ResultFileError, match="larger than 512 MB"):
        read_json(Path("/dev/zero"), "--baseline")
    assert time.perf_counter() - started < 10 and MAX_BYTES == 512 * 2**20
