"""Malformed inputs through the real CLI: every one ends in success or one clean error line.

A few hundred hypothesis cases in CI over every kind the generators in
``tests/fuzz/cases.py`` make (configs, ``--set`` values, files, caches, catalogs, dates,
tune, init, report and thesis options, output paths); ``bench/fuzz.py`` runs >= 10,000
and prints the counts per outcome. A case that raises anything but a one-line error,
prints an error that is not one clean line, runs past 30 s or changes a file outside
its output directory and cache fails here with the case's command and outcome.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz.cases import GENERATORS, run_case

EXAMPLES = {"config": 60, "set": 60, "csv": 50, "mirror": 30, "cache": 40, "catalog": 30,
            "signal": 40, "tune": 40, "init": 20, "report": 40, "thesis": 25, "output": 40}


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_malformed_input_ends_cleanly(kind: str) -> None:
    @settings(max_examples=EXAMPLES[kind], deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(rng=st.randoms(use_true_random=False))
    def check(rng) -> None:
        case = GENERATORS[kind](rng)
        with tempfile.TemporaryDirectory() as tmp:
            result = run_case(case, Path(tmp))
        assert result.outcome in ("success", "clean_error"), (
            f"{kind}: {result.outcome} after {result.seconds:.1f} s: {result.detail}")

    check()


def test_the_judge_tells_clean_errors_from_the_rest() -> None:
    from fuzz.cases import judge

    assert judge(0, "", None) == ("success", "")
    assert judge(0, "Warning: stale\n", None) == ("success", "")
    # exit 4: `signal` read no current state (documented), any other command: a bug
    assert judge(4, "", None, command="signal") == ("success", "")
    assert judge(4, "Error: bad\n", None, command="signal")[0] == "unclean_error"
    assert judge(4, "", None, command="run")[0] == "unclean_error"
    assert judge(3, "", None, command="signal")[0] == "unclean_error"
    assert judge(1, "Warning: x\nError: bad value\n", None) == ("clean_error", "Error: bad value")
    assert judge(2, "Usage: backtest ...\nError: No such option\n", None)[0] == "clean_error"
    assert judge(1, "Error: one\nError: two\n", None)[0] == "unclean_error"
    assert judge(1, "Error: one\nsecond line\n", None)[0] == "unclean_error"
    assert judge(1, "", ValueError("boom"))[0] == "traceback"
    assert judge(0, "Traceback (most recent call last):\n", None)[0] == "unclean_error"


def test_the_damage_check_sees_a_link_replaced_and_an_input_rewritten(tmp_path) -> None:
    from fuzz.cases import damaged, snapshot

    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "real.txt").write_text("target")
    (tmp_path / "link").symlink_to(tmp_path / "out" / "real.txt")
    (tmp_path / "c.toml").write_text("[run]\n")
    before = snapshot(tmp_path)
    (tmp_path / "out" / "real.txt").write_text("written through the link: allowed")
    (tmp_path / "out" / "new.json").write_text("{}")
    assert damaged(before, snapshot(tmp_path)) == ""
    (tmp_path / "link").unlink()
    (tmp_path / "link").write_text("the link replaced by a file")
    assert damaged(before, snapshot(tmp_path)).startswith("link: link -> file")
    (tmp_path / "link").unlink()
    (tmp_path / "link").symlink_to(tmp_path / "out" / "real.txt")
    (tmp_path / "c.toml").write_text("[run]\nname = 'x'\n")
    assert damaged(before, snapshot(tmp_path)).startswith("c.toml: file -> file")
