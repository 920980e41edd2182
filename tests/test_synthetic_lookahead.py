"""No look-ahead end to end on the synthetic example: data after t changes nothing up to t.

``backtest.run`` on ``strategies/synthetic_rotation.toml`` (signal presets, empirical
sleeves ranked by duration, and every strategy kind) with a loader that truncates
every raw series at t or rewrites everything after t. Monthly, and business-daily
(where the weekly/monthly schedules and the re-rank dates are not every bar).
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lookahead import assert_same_up_to, future_loader

import backtest
from backtest.config import RunConfig, parse_config
from backtest.data.synthetic import SyntheticProvider
from backtest.strategies import REGISTRY

EXAMPLE = Path(__file__).resolve().parents[1] / "strategies" / "synthetic_rotation.toml"
PROVIDER = SyntheticProvider()


@cache
def _config(daily: bool) -> RunConfig:
    text = EXAMPLE.read_text(encoding="utf-8")
    if daily:
        text = text.replace("seed=7", "seed=7,periods=1400,ppy=252")
    raw = tomllib.loads(text)
    if daily:
        raw["run"].update(frequency="B", periods_per_year=252)
        raw["sleeves"].update(window=252, min_periods=126, rerank="weekly")
        raw["benchmarks"]["long_duration"]["rebalance"] = "weekly"
    return parse_config(raw)


@cache
def _full(daily: bool) -> backtest.RunResult:
    return backtest.run(_config(daily), load=PROVIDER.fetch)


def test_the_example_runs_every_strategy_kind() -> None:
    kinds = {s.kind for s in _config(False).strategies}
    assert kinds == set(REGISTRY)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    where=st.floats(0.02, 0.97),
    mode=st.sampled_from(["truncate", "rewrite"]),
    daily=st.booleans(),
)
def test_data_after_t_changes_nothing_up_to_t(where: float, mode: str, daily: bool) -> None:
    full = _full(daily)
    cut = full.window[int(where * (len(full.window) - 1))]
    other = backtest.run(_config(daily), load=future_loader(PROVIDER.fetch, cut, mode))
    assert_same_up_to(full, other, cut, mode)
