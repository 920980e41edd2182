"""A cash asset from Treasury bill yields, point in time (pure).

Two quoting conventions are handled:

``discount``
    The bank-discount rate of a bill (FRED ``TB3MS``, ``DTB3``): a 91-day bill
    with discount rate ``d`` costs ``P = 1 - d * 91/360`` per unit of face
    value and returns ``1/P - 1`` over its 91 days.
``bond_equivalent``
    A constant-maturity yield read off the Treasury par yield curve (FRED
    ``DGS3MO``), quoted on a semiannual bond-equivalent basis: the effective
    annual rate is ``(1 + y/2)**2``.

Either quote is turned into a rate per *calendar day*; the cash asset earns,
over each bar ``(t-1, t]``, the rate known at the close of ``t-1`` (after its
publication lag) compounded over the calendar days of the bar. A weekend is in
Monday's bar, so it earns three days of interest.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

__all__ = [
    "Basis",
    "bill_index",
    "daily_rate",
    "daily_rate_from_bond_equivalent",
    "daily_rate_from_discount",
    "discount_price",
    "splice_rates",
]

Basis = Literal["discount", "bond_equivalent"]

#: Days to maturity of a three-month bill (13 weeks), as in the discount-rate quote.
BILL_DAYS = 91


def discount_price(discount_pct: pd.Series | float, days: int = BILL_DAYS) -> pd.Series | float:
    """Price per unit of face value of a bill quoted at a bank-discount rate.

    Parameters
    ----------
    discount_pct : pd.Series or float
        Discount rate in percent (``5.0`` = 5%).
    days : int
        Days to maturity (91 for a three-month bill).

    Returns
    -------
    pd.Series or float
        ``P = 1 - d * days / 360`` with ``d = discount_pct / 100``.

    Notes
    -----
    The bank-discount rate is quoted on face value and a 360-day year:
    ``d = (F - P) / F * 360 / t`` (Fabozzi 2013, ch. 6 "Treasury bills"; U.S.
    Treasury, "Interest Rate Statistics": the bank discount rate "is based on the
    par value, amount of the discount, and a 360-day year"). Solving for ``P``
    with ``F = 1`` gives the formula above.

    References
    ----------
    .. [1] F. J. Fabozzi, *Bond Markets, Analysis, and Strategies*, 8th ed.,
       Pearson, 2013, ch. 6.
    .. [2] U.S. Department of the Treasury, "Daily Treasury Bill Rates" and
       "Interest Rate Statistics" (description of the bank discount and coupon
       equivalent rates), https://home.treasury.gov/policy-issues/financing-the-government/interest-rate-statistics

    Examples
    --------
    >>> round(discount_price(5.0), 10)
    0.9873611111
    """
    return 1.0 - discount_pct / 100.0 * days / 360.0


def daily_rate_from_discount(discount_pct: pd.Series, days: int = BILL_DAYS) -> pd.Series:
    """Per-calendar-day return of holding a bill bought at a bank-discount rate.

    Parameters
    ----------
    discount_pct : pd.Series
        Discount rates in percent (``TB3MS``: monthly averages of daily rates).
    days : int
        Days to maturity (91).

    Returns
    -------
    pd.Series
        ``(1 / P) ** (1 / days) - 1`` with ``P = 1 - d * days / 360``: the holding-period
        return ``1/P - 1`` over ``days`` calendar days, spread geometrically per day.

    Notes
    -----
    ``d = 5%``: ``P = 0.98736111``, 91-day return ``1/P - 1 = 1.28007%``, per day
    ``1.3975e-4`` (5.23% a year compounded daily over 365 days). The discount rate
    understates the yield because it is quoted on face value and a 360-day year;
    see :func:`discount_price` for the sources.
    """
    price = discount_price(discount_pct, days)
    return pd.Series(np.power(1.0 / np.asarray(price, dtype=float), 1.0 / days) - 1.0,
                     index=discount_pct.index, name=discount_pct.name)


def daily_rate_from_bond_equivalent(yield_pct: pd.Series) -> pd.Series:
    """Per-calendar-day return implied by a bond-equivalent (semiannual) yield.

    Parameters
    ----------
    yield_pct : pd.Series
        Yields in percent (``DGS3MO``: the three-month constant-maturity yield, H.15).

    Returns
    -------
    pd.Series
        ``(1 + y/2) ** (2/365) - 1`` with ``y = yield_pct / 100``.

    Notes
    -----
    Convention: H.15 constant-maturity yields are read off the Treasury par yield
    curve, which is quoted on a semiannual bond-equivalent basis, so ``(1 + y/2)**2``
    is the effective annual rate and a calendar day earns its 365th root. (The
    coupon-equivalent yield of a single short bill is simple interest on a 365-day
    year, ``y * t / 365``; over three months the two differ by about ``y**2/4`` a
    year, 6 bp at 5%.) Fabozzi (2013, ch. 3) for the bond-equivalent convention.
    """
    y = np.asarray(yield_pct, dtype=float) / 100.0
    return pd.Series(np.power(1.0 + y / 2.0, 2.0 / 365.0) - 1.0,
                     index=yield_pct.index, name=yield_pct.name)


def daily_rate(values_pct: pd.Series, basis: Basis) -> pd.Series:
    """Dispatch on ``basis``: :func:`daily_rate_from_discount` or ``..._from_bond_equivalent``."""
    if basis == "discount":
        return daily_rate_from_discount(values_pct)
    return daily_rate_from_bond_equivalent(values_pct)


def splice_rates(later: pd.Series, earlier: pd.Series, switch: pd.Timestamp) -> pd.Series:
    """Use ``earlier`` before ``switch`` and ``later`` from ``switch`` on (same index).

    The switch is the first date ``later`` is known; a gap in ``later`` afterwards
    stays a gap (it is not filled from ``earlier``).
    """
    out = later.copy()
    before = later.index < switch
    out[before] = earlier[before]
    return out


def bill_index(rate_known: pd.Series) -> pd.Series:
    """Total-return index of cash earning a per-day rate known one bar in advance.

    Parameters
    ----------
    rate_known : pd.Series
        Per-calendar-day rate as known at the close of each date of the run calendar
        (publication lag already applied); NaN where unknown.

    Returns
    -------
    pd.Series
        Same index. 1.0 at the first date the rate is known; from there the bar
        ``(t-1, t]`` grows by ``(1 + r[t-1]) ** days(t-1, t)``. NaN before that date,
        and from the first bar whose opening rate is unknown onwards (the cash asset
        ends rather than silently earning nothing).

    Examples
    --------
    >>> idx = pd.DatetimeIndex(["2024-01-05", "2024-01-08", "2024-01-09"])  # Fri, Mon, Tue
    >>> bill_index(pd.Series([0.0001, 0.0002, 0.0002], index=idx)).round(8).tolist()
    [1.0, 1.00030003, 1.00050009]
    """
    known = rate_known.notna().to_numpy()
    out = pd.Series(np.nan, index=rate_known.index, name=rate_known.name)
    if not known.any():
        return out
    start = int(np.argmax(known))
    days = np.diff(rate_known.index.as_unit("ns").asi8) / 86_400e9
    opening = rate_known.to_numpy(dtype=float)[start:-1]
    growth = np.power(1.0 + opening, days[start:])
    broken = np.flatnonzero(np.isnan(growth))
    stop = int(broken[0]) if broken.size else len(growth)
    level = np.cumprod(np.r_[1.0, growth[:stop]])
    out.iloc[start : start + len(level)] = level
    return out
