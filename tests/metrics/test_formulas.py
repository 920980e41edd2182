"""backtest.metrics._formulas equals empyrical-reloaded (the reference) to 1e-12."""

from __future__ import annotations

import warnings

import empyrical
import numpy as np
import pandas as pd
import pytest

from backtest.metrics import _formulas as f

PPY = (252, 52, 12)


def _same(ours: object, theirs: object) -> None:
    a = np.asarray(ours, dtype=float)
    b = np.asarray(theirs, dtype=float).reshape(a.shape)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15, equal_nan=True)


def _compare_one(x: np.ndarray, bench: np.ndarray, ppy: int) -> None:
    """Every single-series formula on ``x`` (and ``bench`` as the factor)."""
    _same(f.cagr(x, annualization=ppy), empyrical.cagr(x, annualization=ppy))
    _same(f.annual_volatility(x, annualization=ppy),
          empyrical.annual_volatility(x, annualization=ppy))
    _same(f.sharpe_ratio(x, annualization=ppy),
          empyrical.sharpe_ratio(x, risk_free=0.0, annualization=ppy))
    _same(f.sortino_ratio(x, annualization=ppy),
          empyrical.sortino_ratio(x, required_return=0.0, annualization=ppy))
    _same(f.max_drawdown(x), empyrical.max_drawdown(x))
    _same(f.calmar_ratio(x, annualization=ppy), empyrical.calmar_ratio(x, annualization=ppy))
    _same(f.cum_returns_final(x), empyrical.cum_returns_final(x))
    _same(f.beta(x, bench), empyrical.beta(x, bench, risk_free=0.0))
    _same(f.alpha(x, bench, annualization=ppy),
          empyrical.alpha(x, bench, risk_free=0.0, annualization=ppy))
    _same(f.excess_sharpe(x, bench), empyrical.excess_sharpe(x, bench))
    _same(f.tail_ratio(x), empyrical.tail_ratio(x))
    _same(f.value_at_risk(x, cutoff=0.05), empyrical.value_at_risk(x, cutoff=0.05))
    _same(f.conditional_value_at_risk(x, cutoff=0.05),
          empyrical.conditional_value_at_risk(x, cutoff=0.05))
    _same(f.omega_ratio(x), empyrical.omega_ratio(x, risk_free=0.0, required_return=0.0,
                                                  annualization=1))


def _compare_matrix(x: np.ndarray, bench: np.ndarray, ppy: int) -> None:
    """The column-wise (bars × series) forms the sweep's batch metrics call."""
    for name in ("cagr", "annual_volatility", "sharpe_ratio", "sortino_ratio"):
        _same(getattr(f, name)(x, annualization=ppy),
              getattr(empyrical, name)(x, annualization=ppy))
    _same(f.max_drawdown(x), empyrical.max_drawdown(x))
    _same(f.cum_returns_final(x), empyrical.cum_returns_final(x))
    _same(f.beta(x, bench), empyrical.beta(x, bench, risk_free=0.0))
    _same(f.alpha(x, bench[:, None], annualization=ppy),
          empyrical.alpha(x, bench[:, None], risk_free=0.0, annualization=ppy))
    _same(f.excess_sharpe(x, bench[:, None]), empyrical.excess_sharpe(x, bench[:, None]))


@pytest.mark.parametrize("seed", range(8))
def test_random_series_equal_empyrical(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 3000))
    ppy = PPY[seed % 3]
    scale = float(rng.choice([1e-4, 0.01, 0.05, 0.3]))
    x = rng.standard_t(4, n) * scale + scale / 10  # at scale 0.3, some bars lose over 100%
    bench = 0.6 * x + rng.normal(0.0, scale, n)
    matrix = rng.normal(scale / 20, scale, (n, 5))
    with np.errstate(invalid="ignore"):  # empyrical's CAGR of a negative wealth: NaN, as ours
        _compare_one(x, bench, ppy)
        _compare_one(pd.Series(x), pd.Series(bench), ppy)  # as the metrics call them
        _compare_matrix(matrix, bench, ppy)


@pytest.mark.parametrize("seed", range(3))
def test_series_with_gaps_equal_empyrical(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    x = rng.normal(0.001, 0.02, 500)
    x[rng.random(500) < 0.1] = np.nan
    bench = rng.normal(0.0005, 0.01, 500)
    for name in ("cagr", "annual_volatility", "sharpe_ratio", "sortino_ratio"):
        _same(getattr(f, name)(x, annualization=252),
              getattr(empyrical, name)(x, annualization=252))
    _same(f.max_drawdown(x), empyrical.max_drawdown(x))
    _same(f.cum_returns_final(x), empyrical.cum_returns_final(x))
    _same(f.beta(x, bench), empyrical.beta(x, bench, risk_free=0.0))
    _same(f.alpha(x, bench, annualization=252),
          empyrical.alpha(x, bench, risk_free=0.0, annualization=252))
    _same(f.excess_sharpe(x, bench), empyrical.excess_sharpe(x, bench))
    _same(f.tail_ratio(x), empyrical.tail_ratio(x))
    _same(f.conditional_value_at_risk(x), empyrical.conditional_value_at_risk(x))
    matrix = rng.normal(0.0, 0.01, (300, 4))
    matrix[rng.random((300, 4)) < 0.05] = np.nan
    _compare_matrix(matrix, bench[:300], 252)


@pytest.mark.parametrize("asset", ["SPY.csv", "TLT.csv", "BTC-USD.csv", "ARKK.csv"])
def test_real_series_equal_empyrical(shared_data, asset: str) -> None:
    path = shared_data / "assets" / asset
    if not path.exists():
        pytest.skip(f"{asset} not in the shared data")
    prices = pd.read_csv(path, index_col=0, parse_dates=True).iloc[:, 0]
    returns = prices.pct_change().dropna()
    bench = pd.read_csv(shared_data / "assets" / "BIL.csv", index_col=0,
                        parse_dates=True).iloc[:, 0].pct_change()
    both = pd.concat([returns, bench], axis=1, join="inner").dropna()
    _compare_one(both.iloc[:, 0].to_numpy(), both.iloc[:, 1].to_numpy(), 252)
    _compare_one(both.iloc[:, 0], both.iloc[:, 1], 252)


EDGES = {
    "empty": [],
    "one bar": [0.01],
    "two bars": [0.01, -0.02],
    "constant": [0.001] * 50,
    "zeros": [0.0] * 30,
    "only gains": [0.01, 0.02, 0.005, 0.03],
    "only losses": [-0.01, -0.02, -0.005],
    "total loss": [0.1, -1.0, 0.2],
    "first bar loses": [-0.1, 0.05, 0.05],
    "all nan": [np.nan] * 5,
    "tiny": [1e-12, -1e-12, 2e-12, 0.0],
}


@pytest.mark.parametrize("values", EDGES.values(), ids=EDGES.keys())
def test_edge_cases_equal_empyrical(values: list[float]) -> None:
    x = np.asarray(values, dtype=float)
    bench = np.linspace(-0.01, 0.02, len(x))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # empyrical warns (empty means, ddof); ours is silent
        _compare_one(x, bench, 252)
        if len(x):
            _compare_matrix(np.column_stack([x, x[::-1]]), bench, 252)


def test_only_the_zero_defaults_are_implemented() -> None:
    x = np.array([0.01, -0.02, 0.03])
    with pytest.raises(ValueError, match="risk_free must be 0"):
        f.sharpe_ratio(x, annualization=12, risk_free=0.01)
    with pytest.raises(ValueError, match="required_return must be 0"):
        f.sortino_ratio(x, annualization=12, required_return=0.01)
