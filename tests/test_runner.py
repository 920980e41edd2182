"""The trading window, and why it is empty when it is (issue 11: never just 'empty date range')."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backtest.config import parse_config
from backtest.data.dataset import Dataset
from backtest.errors import DataError
from backtest.runner import trading_window

IDX = pd.date_range("2000-01-31", periods=24, freq="ME", name="date")


def _config(**run):
    raw = {
        "run": {"name": "t", **run},
        "data": {"cash": "C", "assets": {"A": "csv:a", "B": "csv:b", "C": "csv:c"},
                 "macro": {"Y": "csv:y"}},
        "signal": {"components": [{"name": "y", "series": "Y", "transform": "level"}]},
        "sleeves": {"long": ["A"], "short": ["B"]},
        "strategy": {"kind": "binary_rotation"},
    }
    return parse_config(raw)


def _dataset(a: slice, b: slice) -> Dataset:
    prices = pd.DataFrame(np.nan, index=IDX, columns=["A", "B", "C"])
    prices.iloc[a, 0] = 1.0
    prices.iloc[b, 1] = 1.0
    prices["C"] = 1.0
    return Dataset(prices=prices, macro=pd.DataFrame(index=IDX), cash="C", frequency="M",
                   periods_per_year=12, sources=())


def _window(dataset: Dataset, composite: pd.Series | None = None, **run) -> pd.DatetimeIndex:
    composite = pd.Series(0.0, index=IDX) if composite is None else composite
    return trading_window(dataset, composite, _config(**run))


def test_the_window_is_where_everything_is_available() -> None:
    window = _window(_dataset(slice(2, None), slice(0, 20)))
    assert (window[0], window[-1]) == (IDX[2], IDX[19])


@pytest.mark.parametrize(
    ("a", "b", "composite", "run", "message"),
    [
        (slice(0, 0), slice(None), None, {},
         "no price on the M calendar for A (see the data notes"),
        (slice(0, 10), slice(12, None), None, {},
         "the assets are never all priced at once: B starts 2001-01-31, but A ends 2000-10-31"),
        (slice(None), slice(None), "late", {},
         "the signal is defined 2001-09-30 .. 2001-12-31 but every asset is priced only "
         "2000-01-31 .. 2001-06-30: they do not overlap"),
        (slice(None), slice(None), None, {"start": "2003-01-31"},
         "run.start (2003-01-31) is after the last bar with every input (2001-12-31; "
         "available 2000-01-31 .. 2001-12-31)"),
        (slice(None), slice(None), None, {"end": "1999-12-31"},
         "run.end (1999-12-31) is before the first bar with every input (2000-01-31;"),
        (slice(None), slice(None), None, {"start": "2000-03-01", "end": "2000-04-30"},
         "only 2 bars between run.start and run.end (2000-03-01 .. 2000-04-30) have every "
         "input; at least 3 are needed (available 2000-01-31 .. 2001-12-31)"),
    ],
)
def test_an_empty_window_says_why(a, b, composite, run, message) -> None:
    dataset = _dataset(a, b)
    signal = None
    if composite == "late":
        dataset.prices.iloc[18:, :] = np.nan
        signal = pd.Series(np.nan, index=IDX)
        signal.iloc[20:] = 0.0
    with pytest.raises(DataError) as info:
        _window(dataset, signal, **run)
    assert message in str(info.value)
    assert "empty date range" not in str(info.value)
