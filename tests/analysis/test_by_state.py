"""The headline metrics per regime and per decided state (backtest.analysis.metrics_by_state).

Points equal compute_metrics on the subset's bars; the intervals contain them and
repeat with the seed; bar t's state is the one decided at t-1 (changing anything at or
after t leaves the bars before t alone); on the synthetic market without a planted
link the risk-off and risk-on Sharpe ratios are not told apart.
"""

from __future__ import annotations

import dataclasses
import json
import math
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import backtest
from backtest.analysis import STATE_METRICS, BootstrapSettings, MetricsByState, metrics_by_state
from backtest.config import parse_config
from backtest.evaluate import analyze
from backtest.metrics import compute_metrics
from backtest.regimes import Regime, RegimeKind, regime_mask
from backtest.report import build_context, render_html, to_json

PPY = 12
SETTINGS = BootstrapSettings(reps=300, seed=5, confidence=0.90, min_bars=12)
CONFIG_PATH = Path(__file__).resolve().parents[2] / "strategies" / "synthetic_rotation.toml"


def _market(n: int = 240, seed: int = 1) -> tuple[dict[str, pd.Series], pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2000-01-31", periods=n + 1, freq="ME", name="date")
    bars = dates[1:]
    returns = {
        "strategy": pd.Series(rng.normal(0.008, 0.04, n), index=bars),
        "bench": pd.Series(rng.normal(0.006, 0.03, n), index=bars),
    }
    cash = pd.Series(rng.uniform(0.0, 0.003, n), index=bars)
    # a persistent state on the whole window (the first bar included), decided at each close
    state = pd.Series((np.cumsum(rng.normal(size=n + 1)) > 0), index=dates)
    return returns, cash, state


CATALOG = (
    Regime("long shock", pd.Timestamp("2003-03-01"), pd.Timestamp("2006-06-30"),
           RegimeKind.RATE_SHOCK, "test", "none"),
    Regime("<script>alert(1)</script>", pd.Timestamp("2010-02-01"), pd.Timestamp("2010-07-15"),
           RegimeKind.CREDIT_STRESS, "test", "none"),
)


def _compute(returns: dict[str, pd.Series], cash: pd.Series, state: pd.Series | None,
             settings: BootstrapSettings = SETTINGS) -> MetricsByState:
    return metrics_by_state(returns, cash, CATALOG, state=state, state_of="strategy",
                            periods_per_year=PPY, settings=settings)


def _row(result: MetricsByState, strategy: str, subset: str) -> dict[str, tuple[float, ...]]:
    (row,) = [r for r in result.rows if r.strategy == strategy and r.subset == subset]
    return {k: (iv.estimate, iv.low, iv.high) for k, iv in row.values.items()}


def test_points_equal_compute_metrics_on_the_subset() -> None:
    returns, cash, state = _market()
    result = _compute(returns, cash, state)
    before = state.shift(1).reindex(cash.index).astype(bool)
    index = pd.DatetimeIndex(cash.index)
    subsets = {"risk-off": before.to_numpy(), "risk-on": ~before.to_numpy(),
               **{r.name: regime_mask(index, r) for r in CATALOG}}
    assert {(r.strategy, r.subset) for r in result.rows} == {
        (s, k) for s in returns for k in subsets}
    for row in result.rows:
        mask = subsets[row.subset]
        expected = compute_metrics(returns[row.strategy][mask], cash[mask], periods_per_year=PPY)
        assert row.bars == int(mask.sum()) > 0
        for key, iv in row.values.items():
            assert iv.estimate == pytest.approx(expected[key], rel=1e-12, abs=1e-15), key
    # the long regime (40 bars) has intervals; the short one (6 bars) only its values
    assert [r.has_interval for r in result.rows if r.strategy == "strategy"] == [
        True, True, True, False]
    short = next(r for r in result.rows if r.bars < SETTINGS.min_bars)
    assert all(math.isnan(iv.low) and iv.reps == 0 for iv in short.values.values())


def test_intervals_contain_the_point_and_repeat_with_the_seed() -> None:
    returns, cash, state = _market()
    first, again = _compute(returns, cash, state), _compute(returns, cash, state)
    other = _compute(returns, cash, state, BootstrapSettings(
        reps=300, seed=6, confidence=0.90, min_bars=12))
    assert [r.values for r in first.rows] == [r.values for r in again.rows]
    assert [r.values for r in first.rows] != [r.values for r in other.rows]
    checked = 0
    for row in first.rows:
        for key, iv in row.values.items():
            if iv.reps == 0:
                continue
            assert iv.confidence == 0.90 and iv.reps > 250 and iv.block_length is not None
            assert iv.low <= iv.estimate <= iv.high, (row.subset, key, iv)
            checked += 1
    assert checked == 3 * 2 * len(STATE_METRICS)


def test_a_bars_state_is_the_one_decided_at_the_previous_close() -> None:
    returns, cash, state = _market()
    t = cash.index[120]
    full = _compute(returns, cash, state)
    # the state at t and after it, and the returns after t, rewritten
    state2 = state.copy()
    state2.loc[t:] = ~state2.loc[t:]
    returns2 = {k: v.where(v.index <= t, -v) for k, v in returns.items()}
    cut = {k: v.loc[:t] for k, v in returns.items()}
    cut2 = {k: v.loc[:t] for k, v in returns2.items()}
    a, b = _compute(cut, cash.loc[:t], state), _compute(cut2, cash.loc[:t], state2)
    for subset in ("risk-off", "risk-on", "long shock"):
        assert _row(a, "strategy", subset) == _row(b, "strategy", subset), subset
    # a regime over before t is the same whatever happens after t
    assert _row(full, "bench", "long shock") == _row(a, "bench", "long shock")
    # and the pairing is not contemporaneous: the state at t itself moves bar t + 1
    shifted = state.copy()
    shifted.loc[t] = not shifted.loc[t]
    nxt = {k: v.iloc[:122] for k, v in returns.items()}  # up to bar t + 1
    assert _row(_compute(nxt, cash.iloc[:122], state), "strategy", "risk-off") != _row(
        _compute(nxt, cash.iloc[:122], shifted), "strategy", "risk-off")


def test_without_a_state_only_the_regimes() -> None:
    returns, cash, _ = _market()
    result = _compute(returns, cash, None)
    assert result.state_of is None
    assert {r.subset for r in result.rows} == {r.name for r in CATALOG}


def test_bars_with_an_unknown_state_or_return_are_left_out() -> None:
    returns, cash, state = _market()
    state = state.astype(object)
    state.iloc[:30] = None  # the state is not known before the signal's warm-up
    returns = {**returns, "bench": returns["bench"].where(returns["bench"].index.year > 2001)}
    result = _compute(returns, cash, state)
    bars = {(r.strategy, r.subset): r.bars for r in result.rows}
    assert bars[("strategy", "risk-off")] + bars[("strategy", "risk-on")] == 240 - 30
    known = state.shift(1).reindex(cash.index).notna() & (cash.index.year > 2001)
    assert bars[("bench", "risk-off")] + bars[("bench", "risk-on")] == int(known.sum())


def _synthetic(seed: int) -> backtest.RunResult:
    text = CONFIG_PATH.read_text(encoding="utf-8").replace("seed=7", f"seed={seed},link=0.0")
    raw = tomllib.loads(text)
    raw["benchmarks"] = {}
    return backtest.run(parse_config(raw))


@pytest.mark.slow
def test_no_state_effect_on_noise() -> None:
    # link = 0: the signal knows nothing, so the Sharpe ratio after risk-off closes and
    # after risk-on closes should not differ: their 90% intervals overlap on most seeds
    overlap = []
    for seed in range(8):
        result = _synthetic(seed).metrics_by_regime(reps=200, seed=seed)
        off = next(r for r in result.rows if r.subset == "risk-off").values["sharpe"]
        on = next(r for r in result.rows if r.subset == "risk-on").values["sharpe"]
        overlap.append(off.low <= on.high and on.low <= off.high)
    assert sum(overlap) >= 6, overlap


@pytest.mark.slow
def test_the_planted_link_separates_the_states() -> None:
    # the power check of the null above: with the link (seed 7) the states differ
    text = CONFIG_PATH.read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    raw["benchmarks"] = {}
    result = backtest.run(parse_config(raw)).metrics_by_regime(reps=200)
    off = next(r for r in result.rows if r.subset == "risk-off").values["cagr"]
    on = next(r for r in result.rows if r.subset == "risk-on").values["cagr"]
    assert off.high < on.low, (off, on)


HOSTILE = "<script>alert('regime')</script>"


def _hostile_run() -> backtest.RunResult:
    run = _synthetic(3)
    catalog = (*run.catalog, Regime(HOSTILE, pd.Timestamp("1990-01-01"),
                                    pd.Timestamp("1993-12-31"), RegimeKind.CREDIT_STRESS,
                                    "test", "none"))
    return dataclasses.replace(run, catalog=catalog)


def test_json_round_trip_and_the_rendered_table() -> None:
    run = _hostile_run()
    analysis = analyze(run, reps=100, seed=3)
    assert analysis.by_state is not None
    payload = to_json(run, versions={"dcf-regime": "0.1.0"}, analysis=analysis)
    back = json.loads(json.dumps(payload, allow_nan=False))
    block = back["metrics_by_state"]
    assert block["settings"]["reps"] == 100 and block["state_of"] == run.main.label
    assert block["metrics"] == [str(m) for m in STATE_METRICS]
    assert len(block["rows"]) == len(analysis.by_state.rows)
    for row, original in zip(block["rows"], analysis.by_state.rows, strict=True):
        assert (row["strategy"], row["subset"], row["bars"]) == (
            original.strategy, original.subset, original.bars)
        for key, iv in original.values.items():
            got = row["values"][key]["estimate"]
            assert (got is None if math.isnan(iv.estimate)
                    else got == pytest.approx(iv.estimate, rel=1e-12)), (key, got, iv)
            assert (row["values"][key]["low"] is None) == math.isnan(iv.low)
    html = render_html(build_context([back]))
    assert "Every metric by signal state and regime" in html
    assert HOSTILE not in html and "&lt;script&gt;alert(" in html
    table = html[html.index('class="sortable by-state"'):]
    table = table[:table.index("</table>")]
    off = next(r for r in analysis.by_state.rows if r.subset == "risk-off")
    sharpe = off.values["sharpe"]
    assert f"{sharpe.estimate:.3f} [{sharpe.low:.3f}, {sharpe.high:.3f}]".replace(
        "-", "−") in table
    assert "(no CI)" in table  # the synthetic catalog has regimes shorter than 12 bars
    # a document written before the key existed renders without the table
    del back["metrics_by_state"]
    assert "Every metric by signal state and regime" not in render_html(build_context([back]))


def test_a_comparison_wraps_each_runs_table() -> None:
    run = _hostile_run()
    payload = to_json(run, versions={"dcf-regime": "0.1.0"}, analysis=analyze(run, reps=50))
    other = json.loads(json.dumps(payload, allow_nan=False))
    other["run"] = {**other["run"], "name": "second"}
    html = render_html(build_context([payload, other]))
    assert html.count("Every metric by signal state and regime:") == 2
    start = html.index("Every metric by signal state and regime:")
    assert html.rfind('<details class="run" open><summary>', 0, start) > html.rfind(
        "</details>", 0, start)
