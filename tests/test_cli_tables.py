"""Terminal tables at any width never drop a label or cut a number (issue 17, item 1).

A compare of two configs with long names (six strategies, benchmarks, the regime
catalog) is printed at 60, 80, 100, 120 and 200 columns: every line fits, nothing
is elided, every word of every strategy label and regime name and every number of
the result documents appears whole.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from backtest.cli import app
from backtest.cli._tables import _fmt, _labels
from backtest.cli.run import _show
from backtest.config import default_config_path
from backtest.metrics import Metric
from backtest.report import RunData, compare_runs, read_results


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[RunData]:
    tmp = tmp_path_factory.mktemp("tables")
    paths = []
    for name, swap in (("short_variant_with_a_rather_long_name", None),
                       ("cash_variant_with_a_rather_long_name",
                        ('risk_off_sleeve = "short"', 'risk_off_sleeve = "cash"'))):
        text = default_config_path().read_text().replace('name = "duration_rotation"',
                                                         f'name = "{name}"')
        if swap:
            text = text.replace(*swap)
        paths.append(tmp / f"{name}.toml")
        paths[-1].write_text(text)
    doc = tmp / "c.json"
    done = CliRunner().invoke(app, ["compare", *map(str, paths), "--no-html", "--json",
                                    str(doc)])
    assert done.exit_code == 0, done.output
    return read_results([doc])


@pytest.mark.parametrize("width", [60, 80, 100, 120, 200])
def test_every_label_regime_and_number_is_shown_whole(runs: list[RunData], width: int) -> None:
    out = io.StringIO()
    _show(Console(width=width, file=out, markup=False), runs, regimes=True)
    text = out.getvalue()
    assert max(map(len, text.splitlines())) <= width
    assert "…" not in text
    tokens = set(text.split())
    comparison = compare_runs(runs)
    labels, legend = _labels(comparison, max(24, width // 4))
    percent = {str(m): m.is_percent for m in Metric}
    for entry, label in zip(comparison.entries, labels, strict=True):
        assert set(label.split()) <= tokens, label
        for key, value in entry.data.metrics.items():
            if key in percent:
                assert _fmt(value, percent[key]) in tokens, (entry.label, key)
    for line in legend:
        assert line in text
    for run in comparison.runs:
        rows = run.regimes[run.regimes["strategy"] == run.main]
        for _, row in rows.iterrows():
            assert set(str(row["regime"]).split()) <= tokens, row["regime"]
            for key in ("return", "max_drawdown", "long_minus_short"):
                assert _fmt(row[key], True) in tokens, (row["regime"], key)


def test_a_compare_of_four_configs_fits_120_lines_and_verbose_lists_every_key(
        shared_data, tmp_path) -> None:
    # issue 17: a 4-config compare printed 457+ lines, most of them "What differs"
    configs = [str(Path("strategies") / f"{name}.toml") for name in
               ("duration_rotation", "synthetic_rotation", "seed_2026", "ff_dcf_duration")]
    base = ["--mirror", str(shared_data), "--data-dir", str(tmp_path / "cache"), "compare",
            *configs, "--no-html", "--quiet", "--json", str(tmp_path / "c.json")]
    runner = CliRunner()
    short = runner.invoke(app, base, env={"COLUMNS": "100"})
    assert short.exit_code == 0, short.output
    assert len(short.stdout.splitlines()) <= 120
    assert "more keys differ: --verbose lists them all" in short.stdout
    assert "[4] = ff_dcf_duration" in short.stdout  # the runs as [k]: their names are long
    assert max(map(len, short.stdout.splitlines())) <= 100
    # --verbose: every key (on a line wide enough that no key wraps)
    full = runner.invoke(app, [*base, "--verbose"], env={"COLUMNS": "250"})
    assert full.exit_code == 0, full.output
    differs = compare_runs(read_results([tmp_path / "c.json"])).differs
    assert len(differs) > 100
    tokens = set(full.stdout.split())
    assert all(key in tokens for key, _ in differs)
