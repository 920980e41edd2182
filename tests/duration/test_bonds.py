"""Bond price, duration and convexity against textbook values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backtest.duration import bond_price, convexity, macaulay_duration, modified_duration
from backtest.errors import ConfigError

# Hull, J. C., "Options, Futures, and Other Derivatives", ch. 4 "Interest Rates",
# Table 4.6: a 3-year bond, 10% coupon paid semi-annually, yield 12% per annum with
# CONTINUOUS compounding. Stated: price 94.213, duration 2.653 years (3 decimals).
# Our yield is compounded freq times a year, so we pass the semi-annual equivalent
# of 12% continuous, 2·(e^0.06 − 1) = 12.3673%; discount factors are then identical.
HULL_YTM = 2.0 * math.expm1(0.06)
HULL_PRICE = 94.213
HULL_DURATION = 2.653

# Fabozzi, F. J., "Bond Markets, Analysis, and Strategies", chapter on bond price
# volatility (chapter number varies by edition): a 9% 20-year bond, semi-annual
# coupons, priced to yield 6%. Stated: price 134.6722, modified duration 10.66,
# convexity measure (annualised, = per-period measure / 4) 164.106.
FABOZZI_PRICE = 134.6722
FABOZZI_MODIFIED = 10.66
FABOZZI_CONVEXITY = 164.106


def test_hull_table_4_6_price_and_duration() -> None:
    # Tolerance: Hull prints 3 decimals, so half a unit in the last place.
    assert bond_price(0.10, HULL_YTM, 3, freq=2) == pytest.approx(HULL_PRICE, abs=5e-4)
    assert macaulay_duration(0.10, HULL_YTM, 3, freq=2) == pytest.approx(HULL_DURATION, abs=5e-4)


def test_fabozzi_nine_percent_twenty_year() -> None:
    # Tolerance: half a unit in the last printed decimal of each stated value.
    assert bond_price(0.09, 0.06, 20, freq=2) == pytest.approx(FABOZZI_PRICE, abs=5e-5)
    assert modified_duration(0.09, 0.06, 20, freq=2) == pytest.approx(FABOZZI_MODIFIED, abs=5e-3)
    assert convexity(0.09, 0.06, 20, freq=2) == pytest.approx(FABOZZI_CONVEXITY, abs=5e-4)


def test_annual_par_bond_by_hand() -> None:
    # 3-year 10% annual coupon at a 10% yield (the standard CFA-curriculum case).
    # By hand: PVs 10/1.1 = 9.0909, 10/1.21 = 8.2645, 110/1.331 = 82.6446 (sum 100);
    # D = (1·9.0909 + 2·8.2645 + 3·82.6446)/100 = 273.5537/100 = 2.735537.
    assert bond_price(0.10, 0.10, 3, freq=1) == pytest.approx(100.0, rel=1e-12)
    assert macaulay_duration(0.10, 0.10, 3, freq=1) == pytest.approx(2.735537, abs=1e-6)
    assert modified_duration(0.10, 0.10, 3, freq=1) == pytest.approx(2.735537 / 1.1, abs=1e-6)


@pytest.mark.parametrize(("maturity", "freq", "ytm"), [(1, 1, 0.05), (10, 2, 0.03), (30, 4, 0.08)])
def test_zero_coupon_closed_forms(maturity: int, freq: int, ytm: float) -> None:
    # Zero coupon: Macaulay duration = maturity; convexity = n(n+1)/(f²(1+y/f)²), n = T·f.
    n = maturity * freq
    assert macaulay_duration(0.0, ytm, maturity, freq=freq) == pytest.approx(maturity, rel=1e-12)
    expected_convexity = n * (n + 1) / (freq**2 * (1 + ytm / freq) ** 2)
    assert convexity(0.0, ytm, maturity, freq=freq) == pytest.approx(expected_convexity, rel=1e-12)


@given(
    coupon=st.floats(0.0, 0.15),
    ytm=st.floats(0.001, 0.20),
    maturity=st.integers(1, 40),
    freq=st.sampled_from([1, 2, 4, 12]),
)
def test_derivatives_match_finite_differences(
    coupon: float, ytm: float, maturity: int, freq: int
) -> None:
    h = 1e-5
    p0 = bond_price(coupon, ytm, maturity, freq=freq)
    up = bond_price(coupon, ytm + h, maturity, freq=freq)
    down = bond_price(coupon, ytm - h, maturity, freq=freq)
    assert -(up - down) / (2 * h) / p0 == pytest.approx(
        modified_duration(coupon, ytm, maturity, freq=freq), rel=1e-6
    )
    assert (up - 2 * p0 + down) / h**2 / p0 == pytest.approx(
        convexity(coupon, ytm, maturity, freq=freq), rel=1e-3
    )


@given(
    coupon=st.floats(0.005, 0.15),
    ytm=st.floats(0.0, 0.20),
    bump=st.floats(0.001, 0.05),
    maturity=st.integers(2, 40),
)
def test_duration_falls_as_yield_rises(
    coupon: float, ytm: float, bump: float, maturity: int
) -> None:
    # A coupon bond's later flows lose weight faster as the yield rises.
    assert macaulay_duration(coupon, ytm + bump, maturity) < macaulay_duration(
        coupon, ytm, maturity
    )


def test_vectorised_over_yields_matches_scalars() -> None:
    ytms = np.array([0.01, 0.05, 0.10])
    got = macaulay_duration(0.05, ytms, 10)
    assert isinstance(got, np.ndarray)
    np.testing.assert_allclose(got, [macaulay_duration(0.05, y, 10) for y in ytms], rtol=1e-14)


def test_scalar_inputs_give_float() -> None:
    assert isinstance(bond_price(0.05, 0.05, 10), float)


@pytest.mark.parametrize(
    ("maturity", "freq", "face", "ytm"),
    [
        (2.3, 2, 100.0, 0.05),
        (0, 2, 100.0, 0.05),
        (5, 0, 100.0, 0.05),
        (5, 2, 0.0, 0.05),
        (5, 2, 100.0, -2.5),
    ],
)
def test_bad_inputs_raise(maturity: float, freq: int, face: float, ytm: float) -> None:
    with pytest.raises(ConfigError):
        bond_price(0.05, ytm, maturity, freq=freq, face=face)
