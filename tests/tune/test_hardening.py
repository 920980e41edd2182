"""tune's hostile inputs (issue 18, items 7 and 12): each is one line, exit 1 or 2, fast.

Each case raised a traceback, ran out of memory or said the wrong thing before.
"""

from __future__ import annotations

import time

import pytest
from typer.testing import CliRunner

from backtest.cli import app

BASE = ["tune", "--param", "strategy.enter=0,1", "--quiet"]


@pytest.mark.parametrize(("args", "code", "message"), [
    ([*BASE, "--seed", "-1"], None, "seed"),
    ([*BASE, "--set", "tune.seed=-1"], 1, "tune.seed must be an integer from 0 to 2**63 - 1"),
    (["thesis", "--seed", "-1", "--reps", "50"], 2, "--seed"),
    (["thesis", "--set", "thesis.seed=-1", "--reps", "50"], 1, "thesis.seed must be an integer"),
    ([*BASE, "--holdout", "1e-9"], 1, "leaves 1 out-of-sample bar of"),
    ([*BASE, "--holdout", "0.0001"], 1, "at least 3 are needed (raise --holdout)"),
    ([*BASE, "--max-memory", "nanGB"], 1, "expected a size above 0 and up to 1 PiB"),
    ([*BASE, "--max-memory", "infGB"], 1, "expected a size above 0 and up to 1 PiB"),
    ([*BASE, "--tolerance", "inf", "--baseline", "/dev/null"], 1, "--tolerance"),
    ([*BASE, "--tolerance", "1e309", "--baseline", "/dev/null"], 1, "--tolerance"),
    (["tune", "--param", "strategy.enter=" + "1" * 5000, "--quiet"], 1, "not a usable number"),
    (["tune", "--search", "random", "--trials", "1000000000", "--param",
      "strategy.enter=0:1:0.0001", "--param", "strategy.exit=-1:0:0.0001", "--param",
      "strategy.min_hold_periods=1:100:1", "--quiet"], 1, "is more than 1,000,000"),
    (["tune", "--param", "strategy.enter=a:b:c", "--quiet"], 1,
     "every one of the 1 trials is invalid; trial 0 (strategy.enter=a:b:c)"),
    ([*BASE, "--heatmap", "strategy.enter,strategy.nope"], 1,
     "--heatmap strategy.nope: not a swept parameter"),
])
def test_hostile_tune_input_is_one_line(args, code, message) -> None:
    started = time.perf_counter()
    done = CliRunner().invoke(app, args)
    assert time.perf_counter() - started < 10
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    assert done.exit_code in ((1, 2) if code is None else (code,)), done.output
    assert message in done.output
    errors = [line for line in done.output.splitlines() if "Error" in line]
    assert len(errors) == 1, done.output


def test_a_huge_random_space_draws_without_listing_the_grid() -> None:
    from backtest.tune import Space

    space = Space.from_specs({"strategy.enter": "0:1:0.0001", "strategy.exit": "-1:0:0.0001",
                              "strategy.min_hold_periods": "1:100:1"},
                             search="random", trials=50, seed=3)
    assert space.size == 10001 * 10001 * 100
    trials = space.draw()
    assert len({tuple(t.params.values()) for t in trials}) == 50
    assert [t.params for t in space.draw()] == [t.params for t in trials]  # seeded


def test_a_large_search_says_so_at_once_and_estimates_even_when_quiet() -> None:
    # issue 18, item 9: 100k combinations printed nothing for more than 30 s
    done = CliRunner().invoke(app, ["tune", "--param", "strategy.enter=-1:1:0.001",
                                    "--holdout", "0.3", "--quiet"])
    assert done.exit_code == 0, done.output
    lines = done.stderr.splitlines()
    assert lines[0] == ("tune: 2,001 trials to prepare and run; this can take a while "
                        "(progress and an estimate follow)")
    estimates = [line for line in lines if line.endswith("to go")]
    assert {line.split(":")[1].strip() for line in estimates} >= {"parsing", "running"}
