"""No look-ahead, end to end: data after t changes nothing at or before t.

The run goes through the whole pipeline (Dataset with publication lags, signal,
sleeves, every strategy, the engine) on the real embedded data, served by a
loader that either truncates every raw series at t or rewrites everything after t.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lookahead import assert_same_up_to, future_loader

import backtest
from backtest.config import load_config
from backtest.data.base import SeriesRequest
from backtest.data.embedded import EmbeddedProvider

CONFIG = load_config()
PROVIDER = EmbeddedProvider()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(months=st.integers(80, 790), mode=st.sampled_from(["truncate", "rewrite"]))
def test_data_after_t_changes_nothing_up_to_t(months: int, mode: str) -> None:
    full = backtest.run(CONFIG)
    cut = full.window[months]
    cutrun = backtest.run(CONFIG, load=future_loader(PROVIDER.fetch, cut, mode))
    assert_same_up_to(full, cutrun, cut, mode)


def test_macro_value_is_invisible_before_its_release() -> None:
    # Moody's monthly averages are dated on the 1st and known only after the month
    # ends: the January 1980 average is visible from the February month-end bar
    # (released 1 Feb), never at the January month-end close.
    run = backtest.run(CONFIG)
    aaa = PROVIDER.fetch(SeriesRequest.parse("embedded:moody/AAA")).values
    macro = run.dataset.macro["AAA"]
    assert macro.loc["1980-01-31"] == aaa.loc["1979-12-01"]
    assert macro.loc["1980-02-29"] == aaa.loc["1980-01-01"]
