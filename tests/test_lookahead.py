"""No look-ahead, end to end: data after t changes nothing at or before t.

The run goes through the whole pipeline (Dataset with publication lags, signal,
sleeves, every strategy, the engine) on the real embedded data, served by a
loader that either truncates every raw series at t or rewrites everything after t.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import backtest
from backtest.config import load_config
from backtest.data.base import FetchedSeries, SeriesRequest
from backtest.data.embedded import EmbeddedProvider

CONFIG = load_config()
PROVIDER = EmbeddedProvider()


def _loader(cut: pd.Timestamp, mode: str):
    def load(request: SeriesRequest) -> FetchedSeries:
        got = PROVIDER.fetch(request)
        values = got.values.copy()
        after = values.index > cut
        if mode == "truncate":
            values = values[~after]
        else:  # rewrite the future: big, noisy changes
            rng = np.random.default_rng(int(cut.value % 2**32))
            values[after] = values[after] * rng.uniform(0.2, 3.0, after.sum()) + 0.05
        return replace(got, values=values)

    return load


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(months=st.integers(80, 790), mode=st.sampled_from(["truncate", "rewrite"]))
def test_data_after_t_changes_nothing_up_to_t(months: int, mode: str) -> None:
    full = backtest.run(CONFIG)
    cut = full.window[months]
    cutrun = backtest.run(CONFIG, load=_loader(cut, mode))
    upto = full.window[full.window <= cut]
    pd.testing.assert_frame_equal(full.signal.loc[upto], cutrun.signal.loc[upto])
    for label, res in full.results.items():
        other = cutrun.results[label]
        pd.testing.assert_frame_equal(res.targets.loc[upto], other.targets.loc[upto])
        pd.testing.assert_frame_equal(res.weights.loc[upto], other.weights.loc[upto])
        r = res.returns.loc[: cut]
        pd.testing.assert_series_equal(r, other.returns.loc[r.index], rtol=1e-13)
    if mode == "truncate":
        assert cutrun.window[-1] == cut  # the truncated run really stops at t
    else:
        assert not full.signal.loc[full.window > cut].equals(cutrun.signal.loc[full.window > cut])


def test_macro_value_is_invisible_before_its_release() -> None:
    # Moody's monthly averages are dated on the 1st and known only after the month
    # ends: the January 1980 average is visible from the February month-end bar
    # (released 1 Feb), never at the January month-end close.
    run = backtest.run(CONFIG)
    aaa = PROVIDER.fetch(SeriesRequest.parse("embedded:moody/AAA")).values
    macro = run.dataset.macro["AAA"]
    assert macro.loc["1980-01-31"] == aaa.loc["1979-12-01"]
    assert macro.loc["1980-02-29"] == aaa.loc["1980-01-01"]
