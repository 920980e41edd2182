"""kill -9 during ``backtest data fetch`` (a few kills; bench/bench_kill.py runs 50+)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from killing import campaign

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL and flock")]


def test_kill_9_never_leaves_a_corrupt_or_mixed_cache(tmp_path: Path) -> None:
    totals = campaign(tmp_path, kills=3, seed=11)
    assert totals["killed"] == 3
    assert totals["rounds"] == 3 + totals["finished_before_the_kill"]
    assert totals["corrupt_reads"] == 0
    assert totals["missing"] == 0  # the old entry survives a kill
    assert totals["mixed_values"] == 0 and totals["record_data_mismatch"] == 0
    assert totals["list_failures"] == 0
    assert totals["temp_files_after_list"] == 0 and totals["orphans_after_list"] == 0
