r"""DCF-implied equity duration: Gordon growth and a finite-horizon DCF.

Rates are decimals per year (0.08 = 8 %); durations are Macaulay durations in
years, i.e. the present-value-weighted mean time to the cash flows.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from backtest.errors import ConfigError

__all__ = ["FadeMethod", "dcf_duration", "gordon_duration"]

FloatArray = npt.NDArray[np.float64]
#: How growth moves from ``growth`` to ``steady_growth`` over the explicit horizon.
FadeMethod = Literal["linear", "none"]
_FADES: tuple[str, ...] = ("linear", "none")


def _series_index(*inputs: object) -> pd.Index | None:
    """Return the index shared by the Series among ``inputs``, or None if there are none."""
    indexes = [item.index for item in inputs if isinstance(item, pd.Series)]
    if any(not index.equals(indexes[0]) for index in indexes[1:]):
        raise ConfigError("Series inputs must share one index; align them first")
    return indexes[0] if indexes else None


def _like(values: FloatArray, index: pd.Index | None) -> float | FloatArray | pd.Series:
    """Return ``values`` as a float (0-d), a Series on ``index`` or an array."""
    if index is not None:
        return pd.Series(np.broadcast_to(values, (len(index),)), index=index, dtype="float64")
    return float(values) if values.ndim == 0 else values


def _check_rates(discount_rate: FloatArray, growth: FloatArray, growth_name: str) -> None:
    if np.any(np.isnan(discount_rate)) or np.any(np.isnan(growth)):
        raise ConfigError(f"discount_rate and {growth_name} must not be NaN")
    if np.any(discount_rate <= -1.0):
        raise ConfigError("discount_rate must exceed -1 (it is a decimal rate, 0.08 = 8 %)")
    if np.any(discount_rate <= growth):
        raise ConfigError(
            f"discount_rate must exceed {growth_name} everywhere for a perpetuity to have "
            f"a finite value and duration (decimals: 0.08 = 8 %)"
        )


def gordon_duration(
    discount_rate: float | npt.ArrayLike | pd.Series, growth: float | npt.ArrayLike | pd.Series
) -> float | FloatArray | pd.Series:
    r"""Macaulay duration of a growing perpetuity (the Gordon growth model).

    Parameters
    ----------
    discount_rate : float, array_like or pd.Series
        Cost of capital ``r`` in decimals per year.
    growth : float, array_like or pd.Series
        Perpetual growth ``g`` of the cash flow in decimals per year; broadcasts
        against ``discount_rate``.

    Returns
    -------
    float, ndarray or pd.Series
        Duration in years (a Series, on the input's index, if an input is one).

    Raises
    ------
    ConfigError
        If ``r <= g`` anywhere (the perpetuity has no finite value) or ``r <= -1``.

    Notes
    -----
    With the first cash flow one year ahead and ``P = CF_1 / (r - g)``,

    .. math:: D = \frac{1}{P}\sum_{t=1}^{\infty} t \frac{CF_1 (1+g)^{t-1}}{(1+r)^t}
              = \frac{1 + r}{r - g}

    which is also ``-(dP/dr)(1 + r)/P``. With ``g = 0`` it is the level
    perpetuity's ``(1 + r)/r``.

    References
    ----------
    .. [1] Gordon, M. J. (1959), "Dividends, Earnings, and Stock Prices",
       *Review of Economics and Statistics* 41(2), 99–105.
    .. [2] Dechow, P. M., Sloan, R. G. and Soliman, M. T. (2004), "Implied
       Equity Duration: A New Measure of Equity Risk", *Review of Accounting
       Studies* 9, 197–228 (the level-perpetuity duration ``(1 + r)/r``).
    """
    index = _series_index(discount_rate, growth)
    r = np.asarray(discount_rate, dtype=np.float64)
    g = np.asarray(growth, dtype=np.float64)
    _check_rates(r, g, "growth")
    return _like((1.0 + r) / (r - g), index)


def _growth_path(
    growth: FloatArray, steady_growth: FloatArray, horizon_years: int, fade: FadeMethod
) -> list[FloatArray]:
    """Growth ``g_t`` from year ``t-1`` to ``t`` for ``t = 2..T`` (index 0 is ``t = 2``)."""
    if fade == "none":
        return [growth for _ in range(2, horizon_years + 1)]
    return [
        growth + (steady_growth - growth) * (t - 1) / horizon_years
        for t in range(2, horizon_years + 1)
    ]


def dcf_duration(
    cash_flow_yield: float | npt.ArrayLike | pd.Series,
    growth: float | npt.ArrayLike | pd.Series,
    discount_rate: float | npt.ArrayLike | pd.Series,
    *,
    horizon_years: int = 10,
    steady_growth: float | npt.ArrayLike = 0.0,
    fade: FadeMethod = "linear",
) -> float | FloatArray | pd.Series:
    r"""Implied equity duration from a finite-horizon DCF (Dechow, Sloan & Soliman 2004).

    Parameters
    ----------
    cash_flow_yield : float, array_like or pd.Series
        Next year's cash flow to equity holders over today's price, ``CF_1 / P``,
        in decimals (free-cash-flow or dividend-plus-buyback yield). May be
        negative (a cash-burning firm).
    growth : float, array_like or pd.Series
        Cash-flow growth from year 1 to year 2, decimals per year.
    discount_rate : float, array_like or pd.Series
        Cost of equity ``r``, decimals per year.
    horizon_years : int, default 10
        Explicit forecast horizon ``T`` in years (DSS use 10).
    steady_growth : float or array_like, default 0.0
        Growth ``g_∞`` that the fade ends at and the terminal perpetuity grows at.
        The default 0.0 is DSS's level perpetuity.
    fade : {"linear", "none"}, default "linear"
        ``"linear"``: ``g_t = g + (g_∞ - g)(t - 1)/T`` for ``t = 2..T+1``, so
        year ``T+1`` (the first terminal year) grows at ``g_∞``. ``"none"``:
        ``g_t = g`` for ``t = 2..T``, then ``g_∞``.

    Returns
    -------
    float, ndarray or pd.Series
        Duration in years (a Series, on the input's index, if an input is one).

    Raises
    ------
    ConfigError
        ``horizon_years < 1``, an unknown ``fade``, ``r <= g_∞`` or ``r <= -1``.

    Notes
    -----
    The price is observed, so normalise ``P = 1``. Explicit cash flows are
    ``CF_1 = y`` (the cash-flow yield) and ``CF_t = CF_{t-1}(1 + g_t)`` for
    ``t = 2..T``. Whatever part of the price the explicit flows do not explain
    is the terminal value, ``TV = P - Σ_{t≤T} CF_t/(1+r)^t``, a perpetuity that
    starts in year ``T+1`` and grows at ``g_∞``; its own Macaulay duration is
    ``T + (1 + r)/(r - g_∞)``. Hence

    .. math:: D = \sum_{t=1}^{T} t\,\frac{CF_t}{(1+r)^t}
              + \Big(T + \frac{1+r}{r - g_\infty}\Big)
                \Big(1 - \sum_{t=1}^{T}\frac{CF_t}{(1+r)^t}\Big)

    which is DSS's duration formula when ``g_∞ = 0``. Two consequences: (i) duration
    falls strictly as the cash-flow yield rises, because each explicit flow sits
    nearer than the terminal value it displaces; (ii) when the price is
    Gordon-consistent (``y = r - g`` and ``g = g_∞`` with no fade) the terminal
    value equals the growing perpetuity exactly and ``D`` equals
    :func:`gordon_duration` for every ``T``. If the explicit flows are worth more
    than the price, ``TV < 0`` and ``D`` can fall below ``T``; check inputs.

    The price is held fixed, so a higher ``r`` has two effects: every flow's
    weight tilts toward the near term (shorter), but the explicit flows explain
    less of the price, so the far terminal value gets more weight (longer). The
    first wins while the terminal value carries most of the price (the typical
    equity case; at DSS-like inputs, ``TV/P ≳ 0.6`` suffices); when explicit
    flows carry most of it, ``D`` can rise with ``r``. Gordon, where the price
    moves with ``r``, always shortens.

    References
    ----------
    .. [1] Dechow, P. M., Sloan, R. G. and Soliman, M. T. (2004), "Implied
       Equity Duration: A New Measure of Equity Risk", *Review of Accounting
       Studies* 9, 197–228.
    """
    if horizon_years < 1:
        raise ConfigError(f"horizon_years must be >= 1, got {horizon_years}")
    if fade not in _FADES:
        raise ConfigError(f"unknown fade {fade!r}; valid: {', '.join(_FADES)}")
    index = _series_index(cash_flow_yield, growth, discount_rate)
    y = np.asarray(cash_flow_yield, dtype=np.float64)
    g = np.asarray(growth, dtype=np.float64)
    r = np.asarray(discount_rate, dtype=np.float64)
    g_inf = np.asarray(steady_growth, dtype=np.float64)
    _check_rates(r, g_inf, "steady_growth")
    cash = y * np.ones_like(r * g)
    present = cash / (1.0 + r)
    weighted = present.copy()
    for t, g_t in enumerate(_growth_path(g, g_inf, horizon_years, fade), start=2):
        cash = cash * (1.0 + g_t)
        pv_t = cash / (1.0 + r) ** t
        present = present + pv_t
        weighted = weighted + t * pv_t
    terminal_duration = horizon_years + (1.0 + r) / (r - g_inf)
    duration = weighted + terminal_duration * (1.0 - present)
    return _like(np.asarray(duration, dtype=np.float64), index)
