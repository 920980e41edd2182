"""Price, duration and convexity of a fixed-coupon bullet bond.

The yield is a nominal annual rate compounded ``freq`` times a year (the
bond-equivalent convention when ``freq=2``); every period is exactly ``1/freq``
years and the bond is valued on a coupon date (no accrued interest).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from backtest.errors import ConfigError

__all__ = ["bond_price", "convexity", "macaulay_duration", "modified_duration"]

FloatArray = npt.NDArray[np.float64]
#: A float for scalar inputs, an array for array inputs.
FloatOrArray = float | FloatArray


def _schedule(
    coupon_rate: npt.ArrayLike,
    ytm: npt.ArrayLike,
    maturity_years: float,
    freq: int,
    face: float,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Return periods ``k`` (last axis), cash flows, discount factors and ``1 + y/freq``."""
    if freq < 1:
        raise ConfigError(f"freq must be a positive number of coupons per year, got {freq}")
    if face <= 0:
        raise ConfigError(f"face must be positive, got {face}")
    n_float = maturity_years * freq
    n = round(n_float)
    if n < 1 or abs(n_float - n) > 1e-9:
        raise ConfigError(
            f"maturity_years × freq must be a positive whole number of periods, got "
            f"{maturity_years} × {freq}; value on a coupon date"
        )
    rate = np.asarray(coupon_rate, dtype=np.float64)[..., np.newaxis]
    growth = 1.0 + np.asarray(ytm, dtype=np.float64)[..., np.newaxis] / freq
    if np.any(growth <= 0.0):
        raise ConfigError(f"ytm must exceed -freq (= {-freq}) so that 1 + ytm/freq > 0")
    k = np.arange(1, n + 1, dtype=np.float64)
    cash = np.broadcast_to(face * rate / freq, np.broadcast_shapes(rate.shape, (n,))).copy()
    cash[..., -1] += face
    discount = growth ** (-k)
    return k, cash, discount, growth[..., 0]


def _out(values: FloatArray) -> FloatOrArray:
    """Unwrap a 0-d result to ``float``."""
    return float(values) if values.ndim == 0 else values


def bond_price(
    coupon_rate: npt.ArrayLike,
    ytm: npt.ArrayLike,
    maturity_years: float,
    freq: int = 2,
    face: float = 100.0,
) -> FloatOrArray:
    r"""Price a bullet bond on a coupon date.

    Parameters
    ----------
    coupon_rate : float or array_like
        Annual coupon rate in decimals (0.05 = 5 %), paid ``freq`` times a year.
    ytm : float or array_like
        Yield to maturity in decimals, nominal annual, compounded ``freq`` times a
        year. Broadcasts against ``coupon_rate``.
    maturity_years : float
        Years to maturity; ``maturity_years * freq`` must be a whole number.
    freq : int, default 2
        Coupons (and compounding periods) per year.
    face : float, default 100.0
        Redemption value.

    Returns
    -------
    float or ndarray
        Price per ``face`` of par.

    Raises
    ------
    ConfigError
        Maturity not on the coupon grid, ``freq < 1``, ``face <= 0`` or
        ``1 + ytm/freq <= 0``.

    Notes
    -----
    .. math:: P = \sum_{k=1}^{n} CF_k (1 + y/f)^{-k}, \quad CF_k = F c / f
              \ (+F \text{ at } k = n)

    References
    ----------
    .. [1] Fabozzi, F. J., *Bond Markets, Analysis, and Strategies*, Pearson,
       chapter "Pricing of Bonds".
    """
    _, cash, discount, _ = _schedule(coupon_rate, ytm, maturity_years, freq, face)
    return _out(np.sum(cash * discount, axis=-1))


def macaulay_duration(
    coupon_rate: npt.ArrayLike,
    ytm: npt.ArrayLike,
    maturity_years: float,
    freq: int = 2,
    face: float = 100.0,
) -> FloatOrArray:
    r"""Compute Macaulay duration in years: the PV-weighted mean time of the cash flows.

    Parameters are those of :func:`bond_price`.

    Returns
    -------
    float or ndarray
        Duration in years.

    Notes
    -----
    .. math:: D_{Mac} = \frac{1}{P} \sum_{k=1}^{n} \frac{k}{f} \, CF_k (1 + y/f)^{-k}

    A zero-coupon bond's Macaulay duration equals its maturity.

    References
    ----------
    .. [1] Macaulay, F. R. (1938), *Some Theoretical Problems Suggested by the
       Movements of Interest Rates, Bond Yields and Stock Prices in the United
       States since 1856*, NBER.
    .. [2] Hull, J. C., *Options, Futures, and Other Derivatives*, ch. 4
       "Interest Rates", section "Duration" (Table 4.6).
    """
    k, cash, discount, _ = _schedule(coupon_rate, ytm, maturity_years, freq, face)
    pv = cash * discount
    return _out(np.sum(k / freq * pv, axis=-1) / np.sum(pv, axis=-1))


def modified_duration(
    coupon_rate: npt.ArrayLike,
    ytm: npt.ArrayLike,
    maturity_years: float,
    freq: int = 2,
    face: float = 100.0,
) -> FloatOrArray:
    r"""Compute modified duration in years, ``-(dP/dy)/P`` for the ``freq``-compounded yield.

    Parameters are those of :func:`bond_price`.

    Returns
    -------
    float or ndarray
        Modified duration in years; a yield change ``Δy`` (decimal) moves the
        price by about ``-D_mod · Δy``.

    Notes
    -----
    .. math:: D_{mod} = \frac{D_{Mac}}{1 + y/f} = -\frac{1}{P}\frac{dP}{dy}

    References
    ----------
    .. [1] Fabozzi, F. J., *Bond Markets, Analysis, and Strategies*, Pearson,
       chapter "Analysis of Bond Price Volatility" (modified duration).
    """
    k, cash, discount, growth = _schedule(coupon_rate, ytm, maturity_years, freq, face)
    pv = cash * discount
    return _out(np.sum(k / freq * pv, axis=-1) / np.sum(pv, axis=-1) / growth)


def convexity(
    coupon_rate: npt.ArrayLike,
    ytm: npt.ArrayLike,
    maturity_years: float,
    freq: int = 2,
    face: float = 100.0,
) -> FloatOrArray:
    r"""Compute convexity in years², ``(d²P/dy²)/P`` for the ``freq``-compounded yield.

    Parameters are those of :func:`bond_price`.

    Returns
    -------
    float or ndarray
        Convexity in years²; ``ΔP/P ≈ -D_mod Δy + ½ C Δy²``.

    Notes
    -----
    .. math:: C = \frac{1}{P (1 + y/f)^2} \sum_{k=1}^{n}
              \frac{k (k + 1)}{f^2} \, CF_k (1 + y/f)^{-k}

    This is Fabozzi's annualised "convexity measure" (the per-period measure
    divided by ``f²``), not Hull's continuous-compounding convexity
    ``Σ t² CF e^{-yt} / P``.

    References
    ----------
    .. [1] Fabozzi, F. J., *Bond Markets, Analysis, and Strategies*, Pearson,
       chapter "Analysis of Bond Price Volatility" (convexity measure).
    """
    k, cash, discount, growth = _schedule(coupon_rate, ytm, maturity_years, freq, face)
    pv = cash * discount
    weighted = np.sum(k * (k + 1.0) / freq**2 * pv, axis=-1)
    return _out(weighted / np.sum(pv, axis=-1) / growth**2)
