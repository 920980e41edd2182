"""DCF-implied durations of many assets: Gordon (1 + r) / y, zero yields longest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backtest.duration import gordon_duration, implied_durations, rank_sleeves
from backtest.errors import ConfigError

IDX = pd.date_range("2000-06-30", periods=3, freq="ME", name="date")


def test_gordon_form_from_the_yield() -> None:
    yields = pd.DataFrame({"A": [0.05, 0.10, np.nan], "B": [0.0, -0.02, 0.2]}, index=IDX)
    d = implied_durations(yields, discount_rate=0.10)
    # Gordon with the growth the price implies, g = r - y: (1 + r) / y
    assert d.loc[IDX[0], "A"] == pytest.approx(1.10 / 0.05)  # 22 years
    assert d.loc[IDX[1], "A"] == pytest.approx(gordon_duration(0.10, 0.0))  # y = r: g = 0
    assert np.isnan(d.loc[IDX[2], "A"])
    assert np.isinf(d.loc[IDX[0], "B"]) and np.isinf(d.loc[IDX[1], "B"])  # no finite duration
    assert d.loc[IDX[2], "B"] == pytest.approx(5.5)


@given(y=st.lists(st.floats(0.001, 0.5), min_size=3, max_size=8, unique=True),
       r=st.floats(0.01, 0.3))
def test_duration_falls_as_the_yield_rises_and_r_only_scales(y: list[float], r: float) -> None:
    frame = pd.DataFrame([y], columns=[f"a{i}" for i in range(len(y))])
    d = implied_durations(frame, discount_rate=r).iloc[0]
    order = np.argsort(y)
    assert (np.diff(d.to_numpy()[order]) <= 0).all()
    np.testing.assert_allclose(d, [gordon_duration(r, r - v) for v in y], rtol=1e-9)
    other = implied_durations(frame, discount_rate=0.5 * r).iloc[0]
    np.testing.assert_allclose(d / other, (1 + r) / (1 + 0.5 * r))


def test_zero_yield_assets_rank_longest() -> None:
    yields = pd.DataFrame([[-0.05, 0.01, 0.05, 0.1, 0.2, 0.3]],
                          columns=["LE0", "Lo", "B", "C", "D", "Hi"])
    sleeves = rank_sleeves(implied_durations(yields, discount_rate=0.1), method="terciles")
    assert sleeves.long.iloc[0].to_dict() == {"LE0": 0.5, "Lo": 0.5, "B": 0.0, "C": 0.0,
                                              "D": 0.0, "Hi": 0.0}
    assert sleeves.short.iloc[0][["D", "Hi"]].tolist() == [0.5, 0.5]


@pytest.mark.parametrize("r", [0.0, -0.1, 1.0, 8.0])
def test_discount_rate_must_be_a_decimal(r: float) -> None:
    with pytest.raises(ConfigError, match="decimal"):
        implied_durations(pd.DataFrame({"A": [0.1]}), discount_rate=r)
