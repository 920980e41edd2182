"""Spearman agreement of two duration measures, date by date."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backtest.analysis import rank_agreement
from backtest.errors import DataError

IDX = pd.date_range("2000-01-31", periods=4, freq="ME", name="date")
COLS = ["a", "b", "c", "d"]


def test_same_and_reversed_rankings() -> None:
    base = pd.DataFrame(np.tile([1.0, 2.0, 3.0, 4.0], (4, 1)), index=IDX, columns=COLS)
    same = rank_agreement(base, base * 10, names=("x", "y"))
    assert same.mean == pytest.approx(1.0) and same.share_positive == 1.0 and same.assets == 4
    flipped = rank_agreement(base, -base, names=("x", "y"))
    assert flipped.mean == pytest.approx(-1.0) and flipped.last == pytest.approx(-1.0)


def test_infinite_dcf_durations_rank_longest_and_gaps_are_skipped() -> None:
    dcf = pd.DataFrame([[np.inf, 30.0, 10.0, 5.0]] * 4, index=IDX, columns=COLS)
    emp = pd.DataFrame([[20.0, 15.0, 4.0, 1.0]] * 4, index=IDX, columns=COLS)
    emp.iloc[0, 1:] = np.nan  # only one asset with both on the first date: skipped
    out = rank_agreement(dcf, emp, names=("DCF", "empirical"))
    assert list(out.rho.index) == list(IDX[1:]) and out.mean == pytest.approx(1.0)
    partial = rank_agreement(dcf, emp, names=("DCF", "empirical"), dates=IDX[:1])
    assert partial.rho.empty and np.isnan(partial.mean)


def test_frames_must_match() -> None:
    with pytest.raises(DataError):
        rank_agreement(pd.DataFrame({"a": [1.0]}), pd.DataFrame({"b": [1.0]}), names=("x", "y"))
