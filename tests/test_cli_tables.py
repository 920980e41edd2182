"""Terminal tables at any width never drop a label or cut a number (issue 17, item 1).

A compare of two configs with long names (six strategies, benchmarks, the regime
catalog) is printed at 60, 80, 100, 120 and 200 columns: every line fits, nothing
is elided, every word of every strategy label and regime name and every number of
the result documents appears whole.
"""

from __future__ import annotations

import io

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
