"""Shared pieces of the end-to-end no-look-ahead tests.

``future_loader`` serves every raw series either truncated at t or with everything
after t rewritten; ``assert_same_up_to`` checks that two runs agree on every signal,
sleeve, target, executed weight, return and risk-off state at or before t.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from backtest.data.base import FetchedSeries, SeriesRequest
from backtest.runner import RunResult

Fetch = Callable[[SeriesRequest], FetchedSeries]


def future_loader(fetch: Fetch, cut: pd.Timestamp, mode: str) -> Fetch:
    """``fetch`` with every series truncated at ``cut`` or rewritten after it."""

    def load(request: SeriesRequest) -> FetchedSeries:
        got = fetch(request)
        values = got.values.copy()
        after = values.index > cut
        if mode == "truncate":
            values = values[~after]
        else:  # rewrite the future: big, noisy changes
            rng = np.random.default_rng(int(cut.value % 2**32))
            values[after] = values[after] * rng.uniform(0.2, 3.0, after.sum()) + 0.05
        return replace(got, values=values)

    return load


def assert_same_up_to(full: RunResult, other: RunResult, cut: pd.Timestamp, mode: str) -> None:
    """Everything at or before ``cut`` is identical; the test could see a change after."""
    upto = full.window[full.window <= cut]
    pd.testing.assert_frame_equal(full.signal.loc[upto], other.signal.loc[upto])
    pd.testing.assert_frame_equal(full.sleeve_returns.loc[upto], other.sleeve_returns.loc[upto])
    for label, res in full.results.items():
        got = other.results[label]
        pd.testing.assert_frame_equal(res.targets.loc[upto], got.targets.loc[upto])
        pd.testing.assert_frame_equal(res.weights.loc[upto], got.weights.loc[upto])
        r = res.returns.loc[:cut]
        pd.testing.assert_series_equal(r, got.returns.loc[r.index], rtol=1e-13)
        if res.risk_off is not None:
            assert got.risk_off is not None
            pd.testing.assert_series_equal(res.risk_off.loc[:cut], got.risk_off.loc[:cut])
    if mode == "truncate":
        assert other.window[-1] == cut  # the truncated run really stops at t
    else:
        later = full.window[full.window > cut]
        assert not full.signal.loc[later].equals(other.signal.loc[later])
