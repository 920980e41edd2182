"""The full metrics list against QuantStats (the test-only reference), and against a null.

Every reference value comes from ``quantstats.stats.*`` (QuantStats 0.0.86) called
on the same returns; where QuantStats' ``reports.metrics(mode="full")`` adds its own
windowing (trailing returns), the lines of ``quantstats/reports.py`` it uses are
quoted beside the test. Where our definition differs, a test pins the difference
(and ``docs/reports.md`` "Full metrics" records it).
"""

from __future__ import annotations

import math

import empyrical
import numpy as np
import pandas as pd
import pytest
from dateutil.relativedelta import relativedelta

import backtest
from backtest.metrics import FullMetric, compute_full_metrics
from backtest.metrics import _full as full

qs = pytest.importorskip("quantstats")
stats = qs.stats

TOL = 1e-9


@pytest.fixture(scope="module")
def real() -> tuple[pd.Series, pd.Series, int]:
    """The default config's strategy under test and its benchmark (embedded data, monthly)."""
    run = backtest.run()
    main = run.main
    assert main.benchmark is not None
    return main.returns, main.benchmark, main.periods_per_year


def _daily(seed: int, mean: float, n: int = 2800) -> pd.Series:
    """Synthetic business-day returns (Student t, fat tails) with some exact zeros."""
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2014-01-02", periods=n, name="date")
    values = mean + 0.01 * rng.standard_t(4, n)
    values[rng.random(n) < 0.02] = 0.0
    return pd.Series(values, index=idx, name="synthetic")


@pytest.fixture(scope="module")
def synthetic() -> tuple[pd.Series, pd.Series, int]:
    return _daily(11, 0.0004), _daily(12, 0.0003), 252


@pytest.fixture(params=["real", "synthetic"])
def case(request: pytest.FixtureRequest) -> tuple[pd.Series, pd.Series, int]:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


def _ours(case: tuple[pd.Series, pd.Series, int]) -> pd.Series:
    r, b, ppy = case
    return compute_full_metrics(r, periods_per_year=ppy, benchmark=b)


def test_agrees_with_quantstats_where_the_definitions_agree(case) -> None:
    r, _, ppy = case
    got = _ours(case)
    reference = {  # quantstats.stats.<function>(r, ...) for each key
        FullMetric.TAIL_RATIO: stats.tail_ratio(r),
        FullMetric.OMEGA: stats.omega(r, rf=0.0, required_return=0.0, periods=ppy),
        FullMetric.SKEW: stats.skew(r),
        FullMetric.KURTOSIS: stats.kurtosis(r),
        FullMetric.WIN_RATE_BARS: stats.win_rate(r),
        FullMetric.WIN_RATE_MONTHS: stats.win_rate(r, aggregate="ME"),
        FullMetric.WIN_RATE_YEARS: stats.win_rate(r, aggregate="YE"),
        FullMetric.PAYOFF_RATIO: stats.payoff_ratio(r),
        FullMetric.PROFIT_FACTOR: stats.profit_factor(r),
        FullMetric.KELLY: stats.kelly_criterion(r),
        FullMetric.BEST_BAR: stats.best(r),
        FullMetric.WORST_BAR: stats.worst(r),
        FullMetric.BEST_MONTH: stats.best(r, aggregate="ME"),
        FullMetric.WORST_MONTH: stats.worst(r, aggregate="ME"),
        FullMetric.BEST_YEAR: stats.best(r, aggregate="YE"),
        FullMetric.WORST_YEAR: stats.worst(r, aggregate="YE"),
        FullMetric.MAX_CONSECUTIVE_WINS: stats.consecutive_wins(r),
        FullMetric.MAX_CONSECUTIVE_LOSSES: stats.consecutive_losses(r),
        # historical expected shortfall: the mean of the returns at or below the 5% quantile
        FullMetric.EXPECTED_SHORTFALL: stats.conditional_value_at_risk(r, method="historical"),
    }
    for metric, value in reference.items():
        assert got[str(metric)] == pytest.approx(float(value), rel=TOL, abs=TOL), metric


def test_tails_are_empyricals(case) -> None:
    r, _, _ = case
    got = _ours(case)
    assert got["value_at_risk"] == empyrical.value_at_risk(r, cutoff=0.05)
    assert got["value_at_risk"] == pytest.approx(np.percentile(r, 5), abs=1e-15)
    assert got["expected_shortfall"] == empyrical.conditional_value_at_risk(r, cutoff=0.05)
    assert got["tail_ratio"] == empyrical.tail_ratio(r)
    assert got["expected_shortfall"] < got["value_at_risk"] < 0


def test_var_and_cvar_differ_from_quantstats_parametric_default(case) -> None:
    # QuantStats' value_at_risk is the normal quantile norm.ppf(0.05, mean, std) and its
    # cvar defaults to the normal expected shortfall; ours are historical (empyrical)
    from scipy.stats import norm

    r, _, _ = case
    got = _ours(case)
    parametric = norm.ppf(0.05, r.mean(), r.std())
    assert stats.value_at_risk(r) == pytest.approx(parametric, rel=1e-12)
    assert abs(got["value_at_risk"] - parametric) > 1e-4
    assert abs(got["expected_shortfall"] - stats.cvar(r)) > 1e-4


def test_ulcer_index_divides_by_n_quantstats_by_n_minus_1(case) -> None:
    r, _, _ = case
    got = _ours(case)["ulcer_index"]
    n = len(r)
    assert float(stats.ulcer_index(r)) == pytest.approx(got * math.sqrt(n / (n - 1)), rel=TOL)
    wealth = (1 + r).cumprod()
    dd = wealth / np.maximum(wealth.cummax(), 1.0) - 1
    assert got == pytest.approx(math.sqrt((dd**2).mean()), rel=1e-12)


def test_recovery_factor_compounds_quantstats_sums(case) -> None:
    r, _, _ = case
    got = _ours(case)["recovery_factor"]
    depth = abs(stats.max_drawdown(r))
    assert got == pytest.approx(stats.comp(r) / depth, rel=TOL)
    assert float(stats.recovery_factor(r)) == pytest.approx(abs(r.sum()) / depth, rel=TOL)
    assert abs(got - float(stats.recovery_factor(r))) > 1e-3


def _qs_window(r: pd.Series, since: pd.Timestamp) -> pd.Series:
    return r[r.index >= since]


def test_trailing_returns_against_quantstats_windows(case) -> None:
    # quantstats/reports.py metrics(): today = df.index[-1];
    #   MTD: comp(df[df.index >= datetime(today.year, today.month, 1)])
    #   YTD: comp(df[df.index >= datetime(today.year, 1, 1)])
    #   3M/6M/1Y: comp(df[df.index >= today - relativedelta(months=3 | months=6 | years=1)])
    #   3Y/5Y/10Y (ann.): cagr(df[df.index >= today - relativedelta(months=35 | 59 | 119)])
    r, _, ppy = case
    got = _ours(case)
    today = r.index[-1]
    mtd = _qs_window(r, pd.Timestamp(today.year, today.month, 1))
    ytd = _qs_window(r, pd.Timestamp(today.year, 1, 1))
    assert got["return_mtd"] == pytest.approx(stats.comp(mtd), rel=TOL, abs=TOL)
    assert got["return_ytd"] == pytest.approx(stats.comp(ytd), rel=TOL, abs=TOL)
    for key, offset in (("return_3m", relativedelta(months=3)),
                        ("return_6m", relativedelta(months=6)),
                        ("return_1y", relativedelta(years=1))):
        since = today - offset
        window = _qs_window(r, since)
        if since in r.index:  # QuantStats counts the bar dated on the start close too
            assert got[key] == pytest.approx(stats.comp(window.iloc[1:]), rel=TOL, abs=TOL)
            assert got[key] != pytest.approx(stats.comp(window), rel=1e-6)
        else:
            assert got[key] == pytest.approx(stats.comp(window), rel=TOL, abs=TOL)
    for key, years in (("return_3y_ann", 3), ("return_5y_ann", 5), ("return_10y_ann", 10)):
        ours = r[r.index > today - relativedelta(months=12 * years)]
        assert got[key] == pytest.approx(float(stats.cagr(ours, periods=ppy)), rel=TOL)
        # QuantStats' window: bars dated on or after 35/59/119 months back
        quant = _qs_window(r, today - relativedelta(months=12 * years - 1))
        theirs = float(stats.cagr(quant, periods=ppy))
        if ppy == 12:  # month-end bars: ">= 35 months back" and "> 36 months back" agree
            assert quant.index.equals(ours.index)
            assert got[key] == pytest.approx(theirs, rel=TOL)
        else:  # daily bars: QuantStats' window is about a month (~21 bars) short
            assert len(ours) - len(quant) > 15
            assert got[key] != pytest.approx(theirs, rel=1e-6)


def test_ten_year_return_needs_ten_years() -> None:
    r = _daily(3, 0.0004, n=800)  # about 3.2 years
    got = compute_full_metrics(r, periods_per_year=252)
    assert np.isnan(got["return_5y_ann"]) and np.isnan(got["return_10y_ann"])
    assert np.isfinite(got["return_3y_ann"])
    # QuantStats reports the whole (3-year) sample as the 10Y figure
    assert np.isfinite(float(stats.cagr(r[r.index >= r.index[-1] - relativedelta(months=119)])))


def test_years_beat_benchmark(case) -> None:
    r, b, _ = case
    years = full.annual_returns_vs_benchmark(r, b)
    mine, theirs = qs.utils.aggregate_returns(r, "YE"), qs.utils.aggregate_returns(b, "YE")
    np.testing.assert_allclose(years["strategy"], mine, rtol=1e-12)
    np.testing.assert_allclose(years["benchmark"], theirs, rtol=1e-12)
    expected = float((years["strategy"] > years["benchmark"]).mean())
    assert _ours(case)["years_beat_benchmark"] == expected
    assert 0 < expected < 1
    alone = compute_full_metrics(r, periods_per_year=case[2])
    assert np.isnan(alone["years_beat_benchmark"])


def test_zero_mean_noise_is_a_coin() -> None:
    rng = np.random.default_rng(5)
    idx = pd.bdate_range("2000-01-03", periods=20_000)
    noise = rng.normal(0.0, 0.01, len(idx))
    r = pd.Series(noise - noise.mean(), index=idx)  # the sample mean is exactly 0
    got = compute_full_metrics(r, periods_per_year=252)
    assert got["win_rate_bars"] == pytest.approx(0.5, abs=0.01)
    assert got["win_rate_months"] == pytest.approx(0.5, abs=0.05)
    assert got["omega"] == pytest.approx(1.0, rel=1e-9)  # gains and losses cancel
    assert got["profit_factor"] == pytest.approx(got["omega"], rel=1e-12)  # both are gains/losses
    assert got["payoff_ratio"] == pytest.approx(1.0, abs=0.03)
    assert got["kelly"] == pytest.approx(0.0, abs=0.03)
    assert got["tail_ratio"] == pytest.approx(1.0, abs=0.05)
    assert got["skew"] == pytest.approx(0.0, abs=0.05)
    assert got["kurtosis"] == pytest.approx(0.0, abs=0.1)
    assert got["value_at_risk"] == pytest.approx(-1.645 * 0.01, rel=0.03)


def test_drift_moves_every_odds_measure_the_same_way() -> None:
    flat, up = _daily(21, 0.0), _daily(21, 0.002)  # same shocks, a drift of 0.2% a bar
    a = compute_full_metrics(flat, periods_per_year=252)
    b = compute_full_metrics(up, periods_per_year=252)
    for key in ("win_rate_bars", "omega", "profit_factor", "kelly", "best_bar", "worst_bar"):
        assert b[key] > a[key], key


def test_hand_computed_case() -> None:
    # +10%, 0, -20%, +5%, +10%, -1%: wealth 1.1, 1.1, 0.88, 0.924, 1.0164, 1.006236
    r = pd.Series([0.10, 0.0, -0.20, 0.05, 0.10, -0.01],
                  index=pd.date_range("2000-01-31", periods=6, freq="ME"))
    got = compute_full_metrics(r, periods_per_year=12)
    assert got["win_rate_bars"] == pytest.approx(3 / 5)  # the zero counts neither way
    assert got["payoff_ratio"] == pytest.approx((0.25 / 3) / (0.21 / 2))
    assert got["profit_factor"] == pytest.approx(0.25 / 0.21)
    p, b = 3 / 5, (0.25 / 3) / (0.21 / 2)
    assert got["kelly"] == pytest.approx(p - (1 - p) / b)
    assert got["max_consecutive_wins"] == 2 and got["max_consecutive_losses"] == 1
    dd = np.array([0, 0, 0.88 / 1.1 - 1, 0.924 / 1.1 - 1, 1.0164 / 1.1 - 1, 1.006236 / 1.1 - 1])
    assert got["ulcer_index"] == pytest.approx(math.sqrt(np.mean(dd**2)))
    assert got["recovery_factor"] == pytest.approx(0.006236 / 0.2)
    assert got["best_year"] == got["worst_year"] == pytest.approx(0.006236)
    assert got["return_mtd"] == pytest.approx(-0.01)  # June 2000: one bar
    assert np.isnan(got["return_ytd"])  # the series starts in January: no close before it


def test_no_losing_bar_is_undefined_not_infinite() -> None:
    r = pd.Series([0.01, 0.02, 0.0], index=pd.date_range("2001-01-31", periods=3, freq="ME"))
    got = compute_full_metrics(r, periods_per_year=12)
    assert np.isnan(got["profit_factor"]) and np.isnan(got["payoff_ratio"])
    assert np.isnan(got["recovery_factor"])
    assert stats.profit_factor(r) == float("inf")  # QuantStats: infinite
    assert all(np.isnan(v) or np.isfinite(v) for v in got)


def test_empty_is_all_nan() -> None:
    got = compute_full_metrics(pd.Series([], dtype=float, index=pd.DatetimeIndex([])),
                               periods_per_year=12)
    assert list(got.index) == [str(m) for m in FullMetric] and got.isna().all()
