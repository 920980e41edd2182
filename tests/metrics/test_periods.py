"""Calendar returns, rolling measures, drawdown episodes, distribution shape."""

from __future__ import annotations

import math

import empyrical
import numpy as np
import pandas as pd
import pytest

from backtest import metrics as m


@pytest.fixture
def daily() -> pd.Series:
    rng = np.random.default_rng(3)
    idx = pd.bdate_range("2015-03-02", periods=900)
    return pd.Series(rng.normal(0.0004, 0.01, 900), index=idx)


def test_calendar_returns_equal_empyrical_aggregate(daily: pd.Series) -> None:
    yearly = m.calendar_returns(daily, "year")
    ref = empyrical.aggregate_returns(daily, "yearly")
    np.testing.assert_allclose(yearly.to_numpy(), ref.to_numpy(), rtol=1e-12)
    assert list(yearly.index) == [2015, 2016, 2017, 2018]
    monthly = m.calendar_returns(daily, "month")
    np.testing.assert_allclose(monthly.to_numpy(),
                               empyrical.aggregate_returns(daily, "monthly").to_numpy(), rtol=1e-12)
    assert monthly.index[0] == (2015, 3)


def test_calendar_returns_hand_case() -> None:
    idx = pd.to_datetime(["2020-12-30", "2020-12-31", "2021-01-04"])
    r = pd.Series([0.1, -0.1, 0.05], index=idx)
    out = m.calendar_returns(r, "year")
    assert out[2020] == pytest.approx(1.1 * 0.9 - 1)
    assert out[2021] == pytest.approx(0.05)


def test_rolling_measures_equal_empyrical(daily: pd.Series) -> None:
    cash = pd.Series(0.0001, index=daily.index)
    vol = m.rolling_volatility(daily, 63, 252)
    ref = empyrical.roll_annual_volatility(daily, 63, annualization=252)
    np.testing.assert_allclose(vol.dropna().to_numpy(), ref.to_numpy(), rtol=1e-10)
    assert vol.iloc[:62].isna().all() and vol.notna().sum() == len(daily) - 62
    sharpe = m.rolling_sharpe(daily, cash, 63, 252)
    ref = empyrical.roll_sharpe_ratio(daily - cash, 63, annualization=252)
    np.testing.assert_allclose(sharpe.dropna().to_numpy(), ref.to_numpy(), rtol=1e-9)
    # the last window equals the whole-series metric on those bars
    assert sharpe.iloc[-1] == pytest.approx(m.sharpe_ratio(daily.iloc[-63:], cash, 252))


def test_rolling_sortino_and_beta_equal_empyrical(daily: pd.Series) -> None:
    rng = np.random.default_rng(4)
    cash = pd.Series(rng.uniform(0.0, 0.0002, len(daily)), index=daily.index)
    bench = 0.7 * daily + pd.Series(rng.normal(0.0002, 0.006, len(daily)), index=daily.index)
    sortino = m.rolling_sortino(daily, cash, 63, 252)
    ref = empyrical.roll_sortino_ratio(daily - cash, 63, annualization=252)
    np.testing.assert_allclose(sortino.dropna().to_numpy(), ref.to_numpy(), rtol=1e-9)
    assert sortino.iloc[:62].isna().all() and sortino.notna().sum() == len(daily) - 62
    assert sortino.iloc[-1] == pytest.approx(m.sortino_ratio(daily.iloc[-63:], cash, 252))
    beta = m.rolling_beta(daily, bench, cash, 63)
    ref = empyrical.roll_beta(daily - cash, bench - cash, 63)
    np.testing.assert_allclose(beta.dropna().to_numpy(), ref.to_numpy(), rtol=1e-9)
    assert beta.iloc[:62].isna().all()
    assert beta.iloc[-1] == pytest.approx(m.beta(daily.iloc[-63:], bench.iloc[-63:], cash))
    assert 0.5 < beta.median() < 1.5  # the planted 0.7 loading, diluted by the noise's share


def test_rolling_sortino_and_beta_are_nan_where_undefined() -> None:
    idx = pd.date_range("2000-01-31", periods=6, freq="ME")
    up = pd.Series([0.01, 0.02, 0.01, 0.03, 0.02, 0.01], index=idx)
    zero = up * 0
    assert m.rolling_sortino(up, zero, 3, 12).isna().all()  # no bar below cash
    assert m.rolling_beta(up, pd.Series(0.01, index=idx), zero, 3).isna().all()


def test_rolling_sharpe_is_nan_where_returns_do_not_vary() -> None:
    idx = pd.date_range("2000-01-31", periods=6, freq="ME")
    flat = pd.Series(0.01, index=idx)
    assert m.rolling_sharpe(flat, flat * 0, 3, 12).isna().all()


def test_drawdown_periods_hand_case() -> None:
    idx = pd.date_range("2000-01-31", periods=8, freq="ME")
    # wealth: 1.1, 0.99, 1.089, 1.2, 0.96, 0.864, 0.95, 1.05 (start 1.0 at 1999-12-31)
    r = pd.Series([0.1, -0.1, 0.1, 0.1019283746556474, -0.2, -0.1, 0.0995370370370370,
                   0.105263157894737], index=idx)
    table = m.drawdown_periods(r, start=pd.Timestamp("1999-12-31"))
    assert len(table) == 2
    deepest = table.iloc[0]
    assert deepest["peak"] == idx[3] and deepest["trough"] == idx[5]
    assert deepest["depth"] == pytest.approx(0.864 / 1.2 - 1)
    assert pd.isna(deepest["recovery"]) and not deepest["recovered"]
    assert deepest["bars"] == 4  # peak at bar 4 (1-based from start 0) to the last bar 8
    second = table.iloc[1]
    assert second["peak"] == idx[0] and second["trough"] == idx[1]
    assert second["recovery"] == idx[3] and second["recovered"]
    assert second["depth"] == pytest.approx(-0.1)
    assert second["bars"] == 3


def test_drawdown_from_the_start_counts_the_starting_value_as_peak() -> None:
    idx = pd.date_range("2000-01-31", periods=3, freq="ME")
    r = pd.Series([-0.5, 0.5, 0.5], index=idx)
    table = m.drawdown_periods(r, start=pd.Timestamp("1999-12-31"))
    assert table.iloc[0]["peak"] == pd.Timestamp("1999-12-31")
    assert table.iloc[0]["recovery"] == idx[2]  # 0.5 * 1.5 * 1.5 = 1.125 >= 1
    assert table.iloc[0]["depth"] == pytest.approx(-0.5)
    assert m.drawdown_periods(r.iloc[:0]).empty


def test_worst_drawdown_equals_max_drawdown(daily: pd.Series) -> None:
    table = m.drawdown_periods(daily, start=daily.index[0] - pd.offsets.BDay(1), top=3)
    assert table.iloc[0]["depth"] == pytest.approx(m.max_drawdown(daily), rel=1e-12)
    assert list(table["depth"]) == sorted(table["depth"])


def test_distribution_stats() -> None:
    r = pd.Series([0.01, -0.02, 0.03, 0.0, 0.05])
    stats = m.distribution_stats(r)
    assert stats["skew"] == pytest.approx(float(r.skew()))
    assert stats["kurtosis"] == pytest.approx(float(r.kurt()))
    assert stats["positive"] == pytest.approx(0.6)
    assert stats["best"] == 0.05 and stats["worst"] == -0.02
    assert math.isnan(m.distribution_stats(r.iloc[:0])["skew"])
