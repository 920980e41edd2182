"""``backtest thesis`` through the CLI: the verdict, the tables, the JSON, the errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backtest.cli import app

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


@pytest.fixture(scope="module")
def thesis_run(tmp_path_factory) -> tuple[object, Path]:
    out = tmp_path_factory.mktemp("thesis") / "thesis.json"
    result = runner.invoke(app, ["thesis", "--reps", "100", "--seed", "3", "--json", str(out)],
                           env={"COLUMNS": "220"})
    return result, out


@pytest.mark.parametrize("command", ["thesis", "signal"])
def test_help_has_an_example(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0 and "Example:" in result.output
    assert command in runner.invoke(app, ["--help"]).output


@pytest.mark.slow
def test_thesis_prints_the_verdict_and_the_tables(thesis_run) -> None:
    result, _ = thesis_run
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Verdict — Duration rotation" in out and "100 resamples, seed 3" in out
    assert "evidence at 5%" in out.lower()
    for text in ("Spread (long − short) by the state", "Prediction and mechanism",
                 "duration gap, years", "Sharpe − always short", "Sharpe − market (MKT)",
                 "By decade", "1990s", "By regime", "1979-81 Volcker shock",
                 "Top contributors", "Maloney & Moskowitz (2021", "Concentration:"):
        assert text in out, text
    # the conventions end the report, the engine named (the kernel, not vectorbt)
    flat = " ".join(out.split())
    assert ("periods_per_year=12 · execution lag 1 bar · fees 10bp + slippage 5bp · "
            "risk-free = RF · engine: dcf-regime kernel (numba; tested equal to vectorbt "
            "to 1e-10)") in flat


@pytest.mark.slow
def test_thesis_writes_the_json_result(thesis_run) -> None:
    result, path = thesis_run
    assert result.exit_code == 0, result.output
    payload = json.loads(path.read_text())
    assert payload["schema_version"] == "1.6"
    assert payload["conventions"]["engine"] == "kernel"  # named: not vectorbt's run
    assert payload["thesis"]["settings"] == {"reps": 100, "seed": 3, "confidence": 0.95,
                                             "min_bars": 12}
    assert payload["thesis"]["verdict"][0].split(":")[0] in result.output


def test_too_few_resamples_is_a_one_line_error() -> None:
    result = runner.invoke(app, ["thesis", "--reps", "10"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: --reps must be between 50 (percentile intervals need resamples) and 20,000, "
        "got 10"]
    huge = runner.invoke(app, ["thesis", "--reps", "1000000000"])  # would allocate for hours
    assert huge.exit_code == 1 and "between 50" in huge.output


@pytest.mark.slow
def test_a_strategy_without_a_state_is_a_one_line_error(tmp_path: Path) -> None:
    text = (REPO / "strategies" / "duration_rotation.toml").read_text()
    start = text.index("[strategy]")
    end = text.index("[benchmarks.market]")
    config = tmp_path / "hold.toml"
    config.write_text(text[:start] + '[strategy]\nkind = "buy_and_hold"\nasset = "MKT"\n\n'
                      + text[end:])
    result = runner.invoke(app, ["thesis", str(config), "--reps", "50"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "has no risk-off state" in lines[0]


@pytest.mark.slow
def test_a_state_that_never_changes_skips_the_thesis_but_not_the_run(tmp_path: Path) -> None:
    out = tmp_path / "never.json"
    result = runner.invoke(app, ["run", "--set", "strategy.enter=50", "--json", str(out),
                                 "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    assert payload["thesis"] is None
    assert "never changes" in payload["thesis_skipped"]
    assert payload["attribution"]["strategies"]  # the rest of the analysis is there
    thesis = runner.invoke(app, ["thesis", "--set", "strategy.enter=50", "--reps", "50"])
    assert thesis.exit_code == 1
    assert thesis.output.strip().splitlines() == [
        "Error: thesis of 'Duration rotation': the state never changes over the sample: "
        "nothing to compare"]
