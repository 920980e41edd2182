"""The three real configs, run end to end on the shared files through mirror mode.

Each run prints a one-line-per-strategy metrics table (``pytest -s`` shows it) and is
checked for its window, its strategies, finite metrics, fully invested weights, a
defined signal, per-regime rows, provenance, and facts from the data's SOURCES.md.
Offline and without the mirror, each config fails with one line naming the fetch.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import backtest
from backtest.cli import app
from backtest.data import make_loader

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()

EXPECTED = {
    # first bar, last bar, the strategies
    "etf_rotation": ("2016-12-22", "2026-07-31",
                     ["ETF duration rotation", "spy", "long_duration", "short_duration",
                      "sixty_forty"]),
    "seed_2026": ("2016-12-22", "2026-07-31",
                  ["Liquidity-drain rotation", "spy", "long_duration", "short_duration",
                   "sixty_forty"]),
    # the first bar is the base month of the D-P portfolios' first return (1927-07)
    "ff_duration": ("1927-06-30", "2026-01-31",
                    ["FF duration rotation", "market", "long_duration", "short_duration",
                     "sixty_forty"]),
}
FINITE = ("cagr", "annual_volatility", "sharpe", "sortino", "max_drawdown", "calmar",
          "annual_turnover")


_RUNS: dict[str, backtest.RunResult] = {}


def run_config(name: str, mirror: Path) -> backtest.RunResult:
    if name not in _RUNS:
        _RUNS[name] = backtest.run(REPO / "strategies" / f"{name}.toml",
                                   load=make_loader(mirror=mirror))
    return _RUNS[name]


def table(result) -> str:
    """One line per strategy (what the test prints)."""
    lines = [f"{result.config.run.name}: {result.window[0].date()} .. {result.window[-1].date()}"]
    for label, row in result.metrics().iterrows():
        lines.append(f"  {label:<26} CAGR {row.cagr:7.2%}  vol {row.annual_volatility:6.2%}  "
                     f"Sharpe {row.sharpe:5.2f}  maxDD {row.max_drawdown:7.2%}  "
                     f"turnover {row.annual_turnover:6.2f}")
    return "\n".join(lines)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(EXPECTED))
def test_real_config_runs_on_the_shared_files(name: str, shared_data: Path) -> None:
    result = run_config(name, shared_data)
    first, last, labels = EXPECTED[name]
    printed = table(result)
    print(printed)
    assert len(printed.splitlines()) == 1 + len(labels)
    # window
    assert result.window[0] == pd.Timestamp(first)
    assert result.window[-1] == pd.Timestamp(last)
    assert result.conventions()["periods_per_year"] == (12 if name == "ff_duration" else 252)
    # strategies and metrics
    assert list(result.results) == labels
    metrics = result.metrics()
    assert np.isfinite(metrics[list(FINITE)].to_numpy(dtype=float)).all(), metrics
    assert 0 < metrics.loc[labels[0], "share_risk_off"] < 1  # the signal did switch
    for r in result.results.values():
        total = r.weights.sum(axis=1)
        np.testing.assert_allclose(total.to_numpy(), 1.0, atol=1e-9)  # cash holds the rest
        assert (r.weights.to_numpy() >= -1e-12).all()
        assert r.returns.notna().all()
    # the signal is defined on every bar of the window
    assert result.signal.index.equals(result.window)
    assert result.signal["composite"].notna().all()
    # every regime inside the window has a row for every strategy
    inside = [g for g in result.catalog
              if pd.Timestamp(g.start) >= result.window[0] and pd.Timestamp(g.end) <= result.window[-1]]
    assert inside
    rows = result.regime_table()
    for regime in inside:
        got = set(rows.loc[rows["regime"] == regime.name, "strategy"])
        assert got == set(labels), regime.name
    # provenance: live ids, served by the mirror
    for source in result.dataset.sources:
        assert source.id.split(":")[0] in ("fred", "yahoo", "french"), source.id
        assert source.notes.startswith(f"mirror: {shared_data}"), source.notes


def _year(prices: pd.Series, year: str) -> float:
    ends = prices.dropna()
    before = ends[: f"{int(year) - 1}-12-31"].iloc[-1]
    return float(ends[:f"{year}-12-31"].iloc[-1] / before - 1)


@pytest.mark.slow
def test_etf_panel_reproduces_published_facts(shared_data: Path) -> None:
    prices = run_config("etf_rotation", shared_data).dataset.prices
    assert _year(prices["ARKK"], "2022") == pytest.approx(-0.670, abs=0.002)  # SOURCES.md
    assert _year(prices["TLT"], "2022") == pytest.approx(-0.312, abs=0.002)
    assert _year(prices["SPY"], "2022") == pytest.approx(-0.182, abs=0.002)
    assert _year(prices["SPY"], "2008") == pytest.approx(-0.368, abs=0.002)
    assert prices["ARKK"]["2021"].idxmax() == pd.Timestamp("2021-02-12")
    # BIL (the cash asset) never lost more than a few basis points in a year
    assert min(_year(prices["BIL"], str(y)) for y in range(2008, 2026)) > -0.002


@pytest.mark.slow
def test_seed_panel_and_the_stale_liquidity_leg(shared_data: Path) -> None:
    result = run_config("seed_2026", shared_data)
    prices = result.dataset.prices
    assert prices["BTC"]["2021"].max() == pytest.approx(67566.83, abs=1)  # 2021-11-08 close
    assert prices["BTC"]["2021"].idxmax() == pd.Timestamp("2021-11-08")
    # net liquidity (millions of USD): WALCL - WTREGEN - RRPONTSYD*1000, as known that day;
    # 2022-12-29 (Thu): WALCL and WTREGEN of Wed 12-28, RRP of Wed 12-28 (published 12-29)
    net = result.dataset.macro["NET_LIQ"]
    assert net["2022-12-29"] == pytest.approx(8_551_169 - 427_926 - 2_293.003 * 1000, abs=1e-6)
    # WTREGEN ends 2025-11-19: the component goes NaN, min_components keeps the signal
    component = result.signal["net_liquidity_3m_change"]
    assert component["2025-11-20":"2025-12-05"].notna().all()
    assert component["2025-12-08":].isna().all()
    assert result.signal["composite"]["2025-12-08":].notna().all()


@pytest.mark.slow
def test_seed_thesis_concentration_and_hindsight(shared_data: Path) -> None:
    from backtest.evaluate import without_asset

    result = run_config("seed_2026", shared_data)
    thesis = backtest.evaluate_thesis(result, reps=200)
    c = thesis.concentration
    # at this commit MU made +1,775% of the +2,970% compounded return (60%); without it
    # (its weight in cash) the CAGR falls from 41.1% to 29.2% a year, the Sharpe 1.17 -> 0.98
    assert c is not None and c.asset in ("MU", "BTC")
    assert c.asset == "MU" and c.share == pytest.approx(0.60, abs=0.01) and c.concentrated
    assert c.cagr_without < c.cagr and c.sharpe_without < c.sharpe
    assert c.cagr == pytest.approx(result.main.stats()["cagr"], rel=1e-12)
    without = without_asset(result, "MU")
    assert (without.weights["MU"].abs() < 1e-12).all()  # never held
    assert c.cagr_without == pytest.approx(
        float(np.prod(1 + without.returns)) ** (252 / len(without.returns)) - 1, rel=1e-9)
    # idea_date = 2026-02-01: 95% of the bars precede it, the verdict says so first
    idea = thesis.idea
    assert idea is not None and idea.hindsight
    assert idea.before.bars + idea.after.bars == thesis.state.bars_off + thesis.state.bars_on
    assert idea.after.start is not None and idea.after.start > pd.Timestamp("2026-02-01")
    assert any(v.startswith("Hindsight: 2375 of 2505 bars (95%)") for v in thesis.verdict)
    classes = [v.split(":")[0] for v in thesis.verdict if v.startswith("Counter-evidence")]
    assert classes == ["Counter-evidence, equities (ARKK, IGV, MU, COWZ and 2 more)",
                       "Counter-evidence, crypto (BTC)"]


@pytest.mark.slow
def test_ff_panel_reproduces_published_facts(shared_data: Path) -> None:
    result = run_config("ff_duration", shared_data)
    prices = result.dataset.prices
    rets = prices.pct_change()
    assert rets.loc["1987-10-31", "MKT"] - rets.loc["1987-10-31", "RF"] == pytest.approx(-0.2319)
    assert _year(prices["DP_LE0"], "2022") == pytest.approx(-0.373, abs=0.002)
    assert _year(prices["DP_LE0"], "1999") == pytest.approx(0.676, abs=0.002)
    # GS10 (from 1953) joins the composite when it has five years of 12-month changes
    gs10 = result.signal["gs10_12m_change"]
    assert gs10[:"1958-12-31"].isna().all() and gs10["1960":].notna().all()


@pytest.mark.parametrize("name", list(EXPECTED))
def test_live_sources_offline_fail_with_one_line_naming_the_fetch(name: str, tmp_path) -> None:
    config = REPO / "strategies" / f"{name}.toml"
    result = runner.invoke(app, ["--offline", "--data-dir", str(tmp_path), "run", str(config),
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ") and "series are not in the cache at" in lines[0]
    command = lines[0].partition("run: ")[2]
    assert command.startswith("backtest data fetch ")
    cfg = backtest.load_config(config)
    ids = {i for s in cfg.data.assets.values() for i in s.series_ids}
    ids |= {i for s in cfg.data.macro.values() for i in s.expr.names}
    assert set(command.split()[3:]) == ids
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_fetch_from_the_mirror_then_run_offline_gives_the_same_result(shared_data, tmp_path) -> None:
    config = REPO / "strategies" / "ff_duration.toml"
    cache = str(tmp_path / "cache")
    failed = runner.invoke(app, ["--offline", "--data-dir", cache, "run", str(config)])
    fetch = failed.output.strip().partition("run: ")[2].split()
    assert fetch[:3] == ["backtest", "data", "fetch"]
    copied = runner.invoke(app, ["--mirror", str(shared_data), "--data-dir", cache, *fetch[1:]])
    assert copied.exit_code == 0, copied.output
    offline = backtest.run(config, load=make_loader(offline=True, data_dir=cache))
    direct = run_config("ff_duration", shared_data)
    pd.testing.assert_frame_equal(offline.metrics(), direct.metrics())
    assert offline.dataset.fingerprint == direct.dataset.fingerprint
    assert math.isclose(offline.main.returns.sum(), direct.main.returns.sum())
