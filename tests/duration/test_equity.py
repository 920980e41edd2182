"""Gordon and finite-horizon DCF (Dechow, Sloan & Soliman 2004) equity duration."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from backtest.duration import dcf_duration, gordon_duration
from backtest.errors import ConfigError


def test_gordon_by_hand() -> None:
    # (1 + r)/(r − g): r = 8%, g = 5% → 1.08/0.03 = 36; level perpetuity r = 10% → 11.
    assert gordon_duration(0.08, 0.05) == pytest.approx(36.0, rel=1e-12)
    assert gordon_duration(0.10, 0.0) == pytest.approx(11.0, rel=1e-12)


def test_gordon_equals_numerical_price_sensitivity() -> None:
    # Independent check: D = −(dP/dr)(1 + r)/P with P = 1/(r − g), by central differences.
    r, g, h = 0.09, 0.04, 1e-6
    price = lambda rate: 1.0 / (rate - g)  # noqa: E731
    numeric = -(price(r + h) - price(r - h)) / (2 * h) * (1 + r) / price(r)
    assert gordon_duration(r, g) == pytest.approx(numeric, rel=1e-7)


@pytest.mark.parametrize(("r", "g"), [(0.05, 0.05), (0.04, 0.06)])
def test_gordon_rejects_r_not_above_g(r: float, g: float) -> None:
    with pytest.raises(ConfigError, match="must exceed growth"):
        gordon_duration(r, g)


def test_dcf_two_period_by_hand() -> None:
    # T = 2, y = 5%, g = 10% fading linearly to g∞ = 2%, r = 8%.
    # g_2 = 0.10 + (0.02 − 0.10)·1/2 = 0.06; CF_1 = 0.05, CF_2 = 0.05·1.06 = 0.053.
    # PV_1 = 0.05/1.08 = 0.0462963; PV_2 = 0.053/1.1664 = 0.0454390; TV = 1 − 0.0917353.
    # Terminal duration = 2 + 1.08/(0.08 − 0.02) = 20.
    # D = 1·0.0462963 + 2·0.0454390 + 20·0.9082647 = 18.3024691.
    expected = 0.05 / 1.08 + 2 * 0.053 / 1.08**2 + 20 * (1 - 0.05 / 1.08 - 0.053 / 1.08**2)
    assert expected == pytest.approx(18.3024691, abs=1e-7)
    got = dcf_duration(0.05, 0.10, 0.08, horizon_years=2, steady_growth=0.02)
    assert got == pytest.approx(expected, rel=1e-12)


def test_dcf_is_dss_with_level_terminal_by_default() -> None:
    # DSS: D = Σ t·CF_t/(1+r)^t / P + (T + (1+r)/r)(P − Σ CF_t/(1+r)^t)/P; T = 1 here.
    r, y = 0.12, 0.04
    expected = y / (1 + r) + (1 + (1 + r) / r) * (1 - y / (1 + r))
    assert dcf_duration(y, 0.3, r, horizon_years=1) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("horizon", [1, 2, 10, 50, 200])
def test_dcf_gordon_consistent_price_equals_gordon(horizon: int) -> None:
    # Constant growth g = g∞ and y = r − g: the residual terminal value is exactly the
    # growing perpetuity beyond T, so D equals Gordon at every horizon.
    r, g = 0.09, 0.04
    got = dcf_duration(r - g, g, r, horizon_years=horizon, steady_growth=g)
    assert got == pytest.approx(gordon_duration(r, g), rel=1e-10)


def test_dcf_converges_to_gordon_as_terminal_weight_vanishes() -> None:
    # Same prices but a LEVEL terminal perpetuity (DSS) for a stream growing at g:
    # wrong terminal term, whose weight ((1+g)/(1+r))^T vanishes as T grows.
    r, g = 0.09, 0.04
    gaps = [
        abs(dcf_duration(r - g, g, r, horizon_years=t, fade="none") - gordon_duration(r, g))
        for t in (10, 50, 200, 800)
    ]
    assert gaps[0] > 1.0  # the level terminal really is wrong at a short horizon
    assert all(later < earlier for earlier, later in itertools.pairwise(gaps))
    assert gaps[-1] < 1e-6


rates = st.floats(0.05, 0.15)


@given(y=st.floats(-0.05, 0.15), dy=st.floats(1e-4, 0.05), g=st.floats(-0.1, 0.3), r=rates)
def test_dcf_lower_cash_flow_yield_is_longer(y: float, dy: float, g: float, r: float) -> None:
    assert dcf_duration(y, g, r, steady_growth=0.02) > dcf_duration(
        y + dy, g, r, steady_growth=0.02
    )


def _terminal_share(y: float, g: float, r: float, g_inf: float, horizon: int) -> float:
    """Independent re-computation of TV/P = 1 − Σ PV(explicit flows)."""
    cash, explicit = y, y / (1 + r)
    for t in range(2, horizon + 1):
        cash *= 1 + g + (g_inf - g) * (t - 1) / horizon
        explicit += cash / (1 + r) ** t
    return 1.0 - explicit


@given(y=st.floats(0.0, 0.15), g=st.floats(-0.1, 0.3), r=rates, dr=st.floats(1e-3, 0.03))
def test_dcf_higher_discount_rate_is_shorter_when_terminal_dominates(
    y: float, g: float, r: float, dr: float
) -> None:
    # With the price fixed this holds while the terminal value carries most of the
    # price (see the Notes of dcf_duration); 0.6 covers long-duration equity.
    assume(min(_terminal_share(y, g, rate, 0.02, 10) for rate in (r, r + dr)) >= 0.6)
    assert dcf_duration(y, g, r + dr, steady_growth=0.02) < dcf_duration(
        y, g, r, steady_growth=0.02
    )


def test_dcf_can_lengthen_with_rate_when_explicit_flows_dominate() -> None:
    # Documented limitation, pinned so a change of model is noticed: y = 12%, g = 15%.
    assert _terminal_share(0.12, 0.15, 0.08, 0.02, 10) < 0.0
    assert dcf_duration(0.12, 0.15, 0.09, steady_growth=0.02) > dcf_duration(
        0.12, 0.15, 0.08, steady_growth=0.02
    )


def test_dcf_vectorised_and_series_preserve_index() -> None:
    idx = pd.Index(["A", "B", "C"], name="asset")
    y = pd.Series([0.01, 0.03, 0.08], index=idx)
    got = dcf_duration(y, 0.05, 0.09)
    assert isinstance(got, pd.Series)
    assert got.index.equals(idx)
    assert got.is_monotonic_decreasing
    expected = [dcf_duration(float(v), 0.05, 0.09) for v in y]
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-14)


def test_dcf_rejects_misaligned_series() -> None:
    a = pd.Series([0.02, 0.03], index=["A", "B"])
    b = pd.Series([0.05, 0.05], index=["B", "A"])
    with pytest.raises(ConfigError, match="share one index"):
        dcf_duration(a, b, 0.09)


@pytest.mark.parametrize(
    "kwargs",
    [{"horizon_years": 0}, {"fade": "exponential"}, {"steady_growth": 0.09}],
)
def test_dcf_bad_inputs_raise(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        dcf_duration(0.03, 0.05, 0.09, **kwargs)  # type: ignore[arg-type]
