"""``backtest signal``: the reading equals the run's composite and state; no look-ahead.

On the shared real data through mirror mode: the reading at a bar of a run's window
is the run's composite and the strategy under test's state there, for a daily and a
monthly config, and on a weekend or mid-month date it is the previous bar's. After the
mirror's data end (2026-10) every component of ``seed_2026`` is stale: the state is
unknown and the command exits 4; ``--asof latest`` reads the last bar at which every
component is known. Malformed ``--asof`` values are one-line errors.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
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
    assert payload["schema"] == "signal-reading 1.1" and payload["bar"] == "2026-07-31"
    assert payload["status"] == "known" and payload["state"] is True
    assert len(payload["components"]) == 6
    # enough components: the state is known, the absent one is listed with its date
    assert ("Absent (the composite is rescaled over the others): net_liquidity_3m_change "
            "since 2025-12-08") in result.output
    # balances in compact units, never 6.73819e+06
    assert "fred:WALCL 6.74 tn USD obs 2026-07-29" in result.output
    assert "e+06" not in result.output


SEED = str(REPO / "strategies" / "seed_2026.toml")
#: Each component of seed_2026 and the first bar it is absent after the mirror's data end:
#: its input's last release + the 10-day (daily) or 16-day (weekly H.4.1) carry limit.
STALE_SINCE = {
    "nominal_10y_3m_change": "2026-10-12",   # DGS10 known 2026-10-01
    "real_10y_3m_change": "2026-08-03",      # DFII10 known 2026-07-23
    "hy_oas_3m_change": "2026-10-12",        # BAMLH0A0HYM2 known 2026-10-01
    "baa_spread_level": "2026-10-19",        # BAA10Y known 2026-10-08
    "net_liquidity_3m_change": "2025-12-08",  # WTREGEN known 2025-11-20
    "rrp_dry_powder": "2026-09-04",          # RRPONTSYD known 2026-08-24
}


@pytest.mark.parametrize("asof", ["2026-12-07", None])  # None: today, later still
def test_cli_signal_every_component_stale_is_unknown_exit_4(
    shared_data: Path, tmp_path: Path, asof: str | None
) -> None:
    out = tmp_path / "reading.json"
    result = runner.invoke(app, ["--mirror", str(shared_data), "signal", SEED, "--json", str(out),
                                 *(["--asof", asof] if asof else [])], env={"COLUMNS": "220"})
    assert result.exit_code == 4, result.output
    assert isinstance(result.exception, SystemExit)  # no traceback
    assert result.stderr == ""
    day = asof or f"{datetime.now(UTC).date():%Y-%m-%d}"
    text = " ".join(result.stdout.split())
    assert (f"Liquidity-drain rotation (binary_rotation): state UNKNOWN on {day}: 0 of 6 "
            "components known, the composite needs 5 (exit code 4).") in text
    assert ("Stale or missing: " + ", ".join(f"{n} since {d}" for n, d in STALE_SINCE.items())
            ) in text
    assert ("Last known (past, not current): RISK-OFF on 2026-07-31, composite +2.53, "
            "in force since the close of 2026-07-24.") in text
    for claim in ("RISK-OFF since", "Next switch", "must fall by", "the state is carried"):
        assert claim not in text, claim
    assert f"wrote {out}" in text
    payload = json.loads(out.read_text())
    assert payload["status"] == "unknown" and payload["bar"] == day
    assert payload["state"] is None and payload["since"] is None and payload["distance"] is None
    assert payload["unknown_reason"] == (f"0 of 6 components known on {day}; "
                                         "the composite needs 5")
    assert payload["last_known"] == {"bar": "2026-07-31", "composite": pytest.approx(2.53, abs=5e-3),
                                     "state": True, "since": "2026-07-24"}
    assert {c["name"]: c["absent_since"] for c in payload["components"]} == STALE_SINCE


def test_cli_signal_on_a_fully_known_bar_exits_0_with_the_runs_state(
    shared_data: Path, tmp_path: Path
) -> None:
    run = _run("seed_2026", shared_data)
    names = list(run.signal.columns.drop("composite"))
    known = run.signal.index[run.signal[names].notna().all(axis=1).to_numpy()]
    risk_off = run.main.risk_off.loc[known.intersection(run.main.risk_off.index)]
    # the last fully known risk-off bar and the last risk-on one: both states compared
    for bar in (risk_off.index[risk_off.to_numpy()][-1], risk_off.index[~risk_off.to_numpy()][-1]):
        out = tmp_path / f"{bar:%Y%m%d}.json"
        result = runner.invoke(app, ["--mirror", str(shared_data), "signal", SEED, "--asof",
                                     f"{bar:%Y-%m-%d}", "--json", str(out)])
        assert result.exit_code == 0, result.output
        payload = json.loads(out.read_text())
        assert payload["status"] == "known" and payload["present"] == 6
        assert payload["state"] == bool(run.main.risk_off.loc[bar])
        assert payload["composite"] == pytest.approx(run.signal.loc[bar, "composite"], rel=1e-12)


def test_cli_signal_latest_reads_the_last_fully_known_bar(shared_data: Path) -> None:
    run = _run("seed_2026", shared_data)
    names = list(run.signal.columns.drop("composite"))
    every = run.signal[names].notna().all(axis=1)
    expected = every.index[every.to_numpy()][-1]
    assert expected < run.window[-1]  # the run goes on without net liquidity
    result = runner.invoke(app, ["--mirror", str(shared_data), "signal", SEED, "--asof",
                                 "latest"], env={"COLUMNS": "220"})
    assert result.exit_code == 0, result.output
    today = datetime.now(UTC).date()
    assert result.stdout.splitlines()[0].rstrip() == (
        f"Signal on {expected:%Y-%m-%d} (asked for latest: the last bar up to {today:%Y-%m-%d} "
        "at which all 6 components are known)")
    assert "RISK-OFF since" in result.stdout or "risk-on since" in result.stdout
    # it is the last one: on the next bar a component is absent
    after = read_signal(run.config, load=make_loader(mirror=shared_data),
                        asof=run.window[run.window.get_loc(expected) + 1])
    assert after.present < 6


def test_cli_signal_latest_without_such_a_bar_is_one_line(shared_data: Path) -> None:
    result = runner.invoke(app, ["--mirror", str(shared_data), "signal", SEED, "--asof", "latest",
                                 "--set", "signal.components.0.min_periods=1000000"])
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: latest: no bar up to ")
    assert "nominal_10y_3m_change never, real_10y_3m_change 2026-07-31" in line


_FORMS = "use YYYY-MM-DD from 1678-01-01 to 2261-12-31 (e.g. 2026-07-31), or 'latest'"


@pytest.mark.parametrize(("asof", "message"), [
    ("yesterday-ish", f"--asof: 'yesterday-ish' is not a date; {_FORMS}"),
    ("9999-12-31", f"--asof: 9999-12-31 is out of range; {_FORMS}"),
    ("0001-01-01", f"--asof: 0001-01-01 is out of range; {_FORMS}"),
    ("1677-09-21", f"--asof: 1677-09-21 is out of range; {_FORMS}"),
    ("2262-04-11", f"--asof: 2262-04-11 is out of range; {_FORMS}"),
    ("-2000-01-01", f"--asof: '-2000-01-01' is not a date; {_FORMS}"),
    ("", f"--asof: '' is not a date; {_FORMS}"),
    ("NaT", f"--asof: 'NaT' is not a date; {_FORMS}"),
    ("2020-01-01T00:00+05:00", f"--asof: '2020-01-01T00:00+05:00' is not a date; {_FORMS}"),
    ("01/02/2000", f"--asof: '01/02/2000' is not a date; {_FORMS}"),
    ("2000", f"--asof: '2000' is not a date; {_FORMS}"),
    ("\u0662\u0660\u0662\u0660-\u0660\u0661-\u0660\u0661",  # Arabic-Indic 2020-01-01
     f"--asof: '\u0662\u0660\u0662\u0660-\u0660\u0661-\u0660\u0661' is not a date; {_FORMS}"),
    ("2020-02-30", f"--asof: '2020-02-30' is not a date (day is out of range for month); {_FORMS}"),
    ("Latest", f"--asof: 'Latest' is not a date; {_FORMS}"),
    ("1678-01-01", "--asof 1678-01-01 is before the first macro observation (1962-01-02) or "
                   "the first bar of the calendar"),
])
def test_cli_signal_bad_date_is_one_line(shared_data: Path, asof: str, message: str) -> None:
    started = time.perf_counter()
    result = runner.invoke(app, ["--mirror", str(shared_data), "signal", SEED, "--asof", asof])
    assert time.perf_counter() - started < 10
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [f"Error: {message}"]


@pytest.mark.parametrize("config", ["seed_2026", "ff_duration", "etf_rotation"])
def test_cli_signal_at_the_end_of_the_range_is_a_reading(shared_data: Path, config: str) -> None:
    # the last accepted date: a reading (every component stale), in time, on any calendar
    started = time.perf_counter()
    result = runner.invoke(app, ["--mirror", str(shared_data), "signal",
                                 str(REPO / "strategies" / f"{config}.toml"), "--asof",
                                 "2261-12-31"])
    assert time.perf_counter() - started < 10
    assert result.exit_code == 4, result.output
    assert "state UNKNOWN on 2261-12-" in " ".join(result.stdout.split())


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
