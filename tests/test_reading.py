"""``backtest signal``: the reading equals the run's composite and state; no look-ahead.

On the shared real data through mirror mode: the reading at a bar of a run's window
is the run's composite and the strategy under test's state there, for a daily and a
monthly config, and on a weekend or mid-month date it is the previous bar's.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lookahead import future_loader
from typer.testing import CliRunner

import backtest
from backtest.cli import app
from backtest.config import load_config
from backtest.data import make_loader
from backtest.data.mirror import MirrorProvider
from backtest.reading import read_signal

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()
pytestmark = pytest.mark.slow

_RUNS: dict[str, backtest.RunResult] = {}


def _run(name: str, mirror: Path) -> backtest.RunResult:
    if name not in _RUNS:
        _RUNS[name] = backtest.run(REPO / "strategies" / f"{name}.toml",
                                   load=make_loader(mirror=mirror))
    return _RUNS[name]


@pytest.mark.parametrize(("name", "positions"), [
    ("seed_2026", (600, 1500, 2300, -1)),
    ("ff_duration", (120, 600, 1000, -1)),
])
def test_reading_equals_the_run(name: str, positions: tuple[int, ...],
                                shared_data: Path) -> None:
    run = _run(name, shared_data)
    load = make_loader(mirror=shared_data)
    for pos in positions:
        bar = run.window[pos]
        reading = read_signal(run.config, load=load, asof=bar)
        assert reading.bar == bar
        composite = run.signal.loc[bar, "composite"]
        assert reading.composite == pytest.approx(composite, rel=1e-12, abs=1e-12)
        assert reading.state == bool(run.main.risk_off.loc[bar])
        z = {c.name: c.z for c in reading.components}
        for column in run.signal.columns.drop("composite"):
            expected = run.signal.loc[bar, column]
            assert (z[column] is None) == bool(np.isnan(expected))
        contributions = sum(c.contribution or 0.0 for c in reading.components)
        assert contributions == pytest.approx(composite, rel=1e-12, abs=1e-12)
        # the state began at the last flip of the run's state at or before the bar
        state = run.main.risk_off.loc[:bar]
        flips = state.index[1:][state.to_numpy()[1:] != state.to_numpy()[:-1]]
        if len(flips):
            assert reading.since == flips[-1]


def test_a_date_between_bars_reads_the_previous_bar(shared_data: Path) -> None:
    run = _run("ff_duration", shared_data)
    load = make_loader(mirror=shared_data)
    reading = read_signal(run.config, load=load, asof=pd.Timestamp("2008-10-15"))
    assert reading.bar == pd.Timestamp("2008-09-30")
    assert reading.composite == pytest.approx(run.signal.loc["2008-09-30", "composite"])
    weekend = read_signal(_run("seed_2026", shared_data).config, load=load,
                          asof=pd.Timestamp("2024-08-03"))  # a Saturday
    assert weekend.bar == pd.Timestamp("2024-08-02")


def test_stale_and_missing_inputs_are_named(shared_data: Path) -> None:
    config = load_config(REPO / "strategies" / "seed_2026.toml")
    reading = read_signal(config, load=make_loader(mirror=shared_data),
                          asof=pd.Timestamp("2026-07-31"))
    liquidity = next(c for c in reading.components if c.name == "net_liquidity_3m_change")
    assert not liquidity.present and liquidity.contribution is None
    assert "fred:WTREGEN: last observed 2025-11-19, known 2025-11-20" in (liquidity.reason or "")
    assert "16-day carry limit; no later observation in the source" in (liquidity.reason or "")
    wtregen = next(i for i in liquidity.inputs if i.id == "fred:WTREGEN")
    assert wtregen.stale and wtregen.lag == "next_THU" and wtregen.age_days == 253
    dgs10 = next(c for c in reading.components if c.name == "nominal_10y_3m_change")
    (i,) = dgs10.inputs
    assert i.observed == pd.Timestamp("2026-07-30") and i.known == pd.Timestamp("2026-07-31")
    assert reading.present == 5 and reading.needed == 5 and reading.composite is not None
    assert reading.levels is not None and reading.levels.enter == 0.5


def test_reading_uses_nothing_after_its_date(shared_data: Path) -> None:
    config = load_config(REPO / "strategies" / "seed_2026.toml")
    fetch = MirrorProvider(shared_data).fetch
    cut = pd.Timestamp("2022-06-15")
    full = read_signal(config, load=fetch, asof=cut)
    for mode in ("truncate", "rewrite"):
        other = read_signal(config, load=future_loader(fetch, cut, mode), asof=cut)
        assert other == full


def test_cli_signal_prints_and_writes_json(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "reading.json"
    result = runner.invoke(app, ["--mirror", str(shared_data), "signal",
                                 str(REPO / "strategies" / "seed_2026.toml"),
                                 "--asof", "2026-07-31", "--json", str(out)],
                           env={"COLUMNS": "220"})
    assert result.exit_code == 0, result.output
    for text in ("Signal on 2026-07-31", "nominal_10y_3m_change", "STALE", "RISK-OFF since",
                 "Next switch: the composite must fall by"):
        assert text in result.output, text
    payload = json.loads(out.read_text())
    assert payload["schema"] == "signal-reading 1.0" and payload["bar"] == "2026-07-31"
    assert len(payload["components"]) == 6


def test_cli_signal_bad_date_is_one_line() -> None:
    result = runner.invoke(app, ["signal", "--asof", "yesterday-ish"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: --asof: 'yesterday-ish' is not a date (use YYYY-MM-DD)"]


def test_cli_signal_offline_names_the_fetch(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--offline", "--data-dir", str(tmp_path), "signal",
                                 str(REPO / "strategies" / "etf_rotation.toml")])
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert "backtest data fetch fred:DGS10" in line


def test_cli_signal_from_the_cache(shared_data: Path, tmp_path: Path) -> None:
    # fill a cache from the mirror, then read offline from it alone
    config = REPO / "strategies" / "etf_rotation.toml"
    ids = [s.id for s in load_config(config).data.macro.values()]
    fetched = runner.invoke(app, ["--mirror", str(shared_data), "--data-dir", str(tmp_path),
                                  "data", "fetch", *ids])
    assert fetched.exit_code == 0, fetched.output
    result = runner.invoke(app, ["--offline", "--data-dir", str(tmp_path), "signal", str(config),
                                 "--asof", "2024-03-28"], env={"COLUMNS": "220"})
    assert result.exit_code == 0, result.output
    assert "Signal on 2024-03-28" in result.output
