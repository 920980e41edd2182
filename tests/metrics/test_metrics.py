from __future__ import annotations

import empyrical
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtest import metrics as m


@pytest.fixture
def series() -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(7)
    idx = pd.date_range("1990-01-31", periods=240, freq="ME")
    return (pd.Series(rng.normal(0.008, 0.045, 240), index=idx),
            pd.Series(rng.uniform(0.001, 0.004, 240), index=idx))


def test_metrics_equal_empyrical_with_the_same_conventions(series) -> None:
    r, rf = series
    ex = r - rf
    assert m.cagr(r, 12) == pytest.approx(empyrical.cagr(r, annualization=12), rel=1e-12)
    assert m.annual_volatility(r, 12) == pytest.approx(
        empyrical.annual_volatility(r, annualization=12), rel=1e-12)
    assert m.sharpe_ratio(r, rf, 12) == pytest.approx(
        empyrical.sharpe_ratio(ex, annualization=12), rel=1e-12)
    assert m.sortino_ratio(r, rf, 12) == pytest.approx(
        empyrical.sortino_ratio(ex, annualization=12), rel=1e-12)
    assert m.max_drawdown(r) == pytest.approx(empyrical.max_drawdown(r), rel=1e-12)
    assert m.calmar_ratio(r, 12) == pytest.approx(empyrical.calmar_ratio(r, annualization=12))


def test_hand_computed_case() -> None:
    # four months: +10%, -20%, +5%, +10%; cash 0 -> wealth 1.1, 0.88, 0.924, 1.0164
    r = pd.Series([0.10, -0.20, 0.05, 0.10],
                  index=pd.date_range("2000-01-31", periods=4, freq="ME"))
    rf = r * 0.0
    assert m.cagr(r, 12) == pytest.approx(1.0164 ** 3 - 1, rel=1e-12)  # 4 months = 1/3 year
    assert m.max_drawdown(r) == pytest.approx(0.88 / 1.1 - 1, rel=1e-12)  # -20%
    mean, sd = r.mean(), r.std(ddof=1)  # 0.0125, 0.138532...
    assert m.sharpe_ratio(r, rf, 12) == pytest.approx(mean / sd * np.sqrt(12), rel=1e-12)
    downside = np.sqrt(np.mean(np.minimum(r, 0) ** 2))  # sqrt(0.04/4) = 0.1
    assert m.sortino_ratio(r, rf, 12) == pytest.approx(mean * 12 / (downside * np.sqrt(12)))
    assert m.annual_turnover(pd.Series([0.5, 0.0, 0.5, 0.0]), 12) == pytest.approx(3.0)
    assert m.share_risk_off(pd.Series([True, False, False, True])) == 0.5
    assert np.isnan(m.share_risk_off(None))


@settings(max_examples=40, deadline=None)
@given(shift=st.floats(-0.01, 0.01), scale=st.floats(0.2, 5.0), seed=st.integers(0, 999))
def test_sharpe_invariant_to_shifting_both_legs_and_to_scaling(shift, scale, seed) -> None:
    # empyrical's metamorphic property: shifting returns and the risk-free rate by
    # the same amount, or scaling excess returns, leaves Sharpe unchanged
    rng = np.random.default_rng(seed)
    r = pd.Series(rng.normal(0.01, 0.05, 60))
    rf = pd.Series(rng.uniform(0.0, 0.003, 60))
    base = m.sharpe_ratio(r, rf, 12)
    assert m.sharpe_ratio(r + shift, rf + shift, 12) == pytest.approx(base, rel=1e-9, abs=1e-12)
    assert m.sharpe_ratio(rf + scale * (r - rf), rf, 12) == pytest.approx(base, rel=1e-9)


def test_compute_metrics_has_every_metric_keyed(series) -> None:
    r, rf = series
    out = m.compute_metrics(r, rf, periods_per_year=12)
    assert list(out.index) == [str(x) for x in m.Metric]
    assert np.isnan(out["annual_turnover"]) and np.isnan(out["share_risk_off"])
    # periods_per_year changes annualized numbers: never inferred from the index
    assert m.compute_metrics(r, rf, periods_per_year=252)["cagr"] != out["cagr"]


def test_build_bar_is_the_first_decision_plus_the_lag() -> None:
    decided = np.array([False, False, True, False, True])
    assert m.build_bar(decided, 0) == 2
    assert m.build_bar(decided, 2) == 4
    assert m.build_bar(decided, 3) is None  # executes after the last bar
    assert m.build_bar(np.zeros(4, dtype=bool), 0) is None


def test_split_turnover_reports_the_build_apart() -> None:
    turnover = pd.Series([0.0, 1.0, 0.0, 0.5, 0.0, 0.5])
    initial, ongoing = m.split_turnover(turnover, 1)
    assert initial == 1.0 and list(ongoing) == [0.0, 0.5, 0.0, 0.5]
    assert m.annual_turnover(ongoing, 12) == pytest.approx(3.0)
    # nothing executed: nothing built, every bar after the first is ongoing
    initial, ongoing = m.split_turnover(turnover, None)
    assert initial == 0.0 and len(ongoing) == 5
    # a build on the last bar leaves no ongoing bars: undefined, not 0
    assert np.isnan(m.annual_turnover(m.split_turnover(turnover, 5)[1], 12))


def test_compute_metrics_splits_the_build_from_the_annual_figure(series) -> None:
    r, rf = series
    turnover = pd.Series(0.0, index=r.index)
    turnover.iloc[0] = 1.0  # lag 0: bought at the first close, held
    out = m.compute_metrics(r, rf, periods_per_year=12, turnover=turnover, build=0)
    assert out["initial_turnover"] == 1.0 and out["annual_turnover"] == 0.0


def test_ratios_over_float_noise_are_undefined_not_large(series) -> None:
    # a 100%-cash strategy: its returns equal the cash asset's up to float noise
    _, rf = series
    noise = pd.Series(np.random.default_rng(3).normal(0, 1e-16, len(rf)), index=rf.index)
    cash_only = rf + noise
    assert np.isnan(m.sharpe_ratio(cash_only, rf, 12))
    assert np.isnan(m.sortino_ratio(cash_only, rf, 12))
    flat = pd.Series(1e-17, index=rf.index)  # never falls: no drawdown to divide by
    flat.iloc[5] = -1e-16
    assert np.isnan(m.calmar_ratio(flat, 12))
    out = m.compute_metrics(cash_only, rf, periods_per_year=12)
    assert out[["sharpe", "sortino"]].isna().all() and out["cagr"] > 0


def test_ratios_just_above_the_noise_are_kept(series) -> None:
    r, rf = series
    tiny = rf + 1e-8 * (r - r.mean()) / r.std()  # excess volatility 1e-8 per bar: real
    assert np.isfinite(m.sharpe_ratio(tiny, rf, 12))
    assert np.isfinite(m.sortino_ratio(tiny, rf, 12))
    assert np.isfinite(m.calmar_ratio(r, 12))


def test_sortino_without_a_down_bar_is_nan_not_infinite(series) -> None:
    _, rf = series
    up = rf + 0.01  # beats cash every bar
    assert np.isnan(m.sortino_ratio(up, rf, 12))
    assert np.isnan(m.sharpe_ratio(up, rf, 12))  # constant excess: no volatility either


@pytest.mark.slow
def test_a_cash_only_strategy_on_real_etf_data_shows_no_ratio(shared_data) -> None:
    import backtest
    from backtest.config import default_config_path
    from backtest.data import make_loader

    config = default_config_path().parent / "etf_rotation.toml"
    run = backtest.run(config, load=make_loader(mirror=shared_data),
                       overrides=["strategy.risk_off_sleeve=cash", "strategy.enter=-100",
                                  "strategy.exit=-100"])
    main = run.metrics().iloc[0]
    assert main["share_risk_off"] == 1.0
    assert np.isnan(main["sharpe"]) and np.isnan(main["sortino"])  # were -0.02 and -0.03
