"""Config values that raised tracebacks (issue 18, item 11): each is one line now."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from backtest.cli import app

REPO = Path(__file__).resolve().parents[1]
DEFAULT = str(REPO / "strategies" / "duration_rotation.toml")
SYNTHETIC = str(REPO / "strategies" / "synthetic_rotation.toml")


@pytest.mark.parametrize(("config", "override", "message"), [
    (DEFAULT, 'run.name="a\\u0000b"', "run.name 'a\\x00b': it names the output files"),
    (DEFAULT, 'run.name="../escape"', "run.name '../escape': it names the output files"),
    (DEFAULT, 'run.name=""', "run.name '': it names the output files"),
    (DEFAULT, 'data.macro.AAA={id="embedded:moody/AAA",lag="100000D"}',
     "publication lag '100000D': at most 3660 days"),
    (DEFAULT, 'data.macro.Y="csv:assets/L1/0"', "'csv:assets/L1/0' divides by 0"),
    (DEFAULT, 'data.macro.AAA="embedded:moody/AAA * 0"', "it must be a finite number other"),
    (SYNTHETIC, "signal.components.0.horizon_months=inf",
     "signal.components[0].horizon_months: expected a number of months above 0 and up to"),
    (SYNTHETIC, "signal.components.0.min_history_months=nan", "min_history_months: expected"),
    (SYNTHETIC, "signal.components.0.window_months=1e9", "window_months: expected"),
])
def test_a_value_that_raised_is_one_line(tmp_path, config, override, message) -> None:
    done = CliRunner().invoke(app, ["run", config, "--no-html", "--out", str(tmp_path),
                                    "--set", override])
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    assert done.exit_code == 1
    lines = done.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.output


def test_months_to_bars_refuses_what_is_not_a_horizon() -> None:
    from backtest.errors import ConfigError
    from backtest.signals import months_to_bars

    assert months_to_bars(12, 252) == 252
    for bad in (float("inf"), float("nan"), -1.0, 1e9):
        with pytest.raises(ConfigError, match="months: expected a number from 0 to 1200"):
            months_to_bars(bad, 12)
