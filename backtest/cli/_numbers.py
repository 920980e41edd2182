"""Input values for the terminal: compact units for large numbers, never scientific notation.

FRED states balances in millions of USD (``WALCL`` 6,743,030 is 6.74 trillion dollars)
and ``RRPONTSYD`` in billions, so a value whose units name a multiple of USD is
converted to dollars first and labelled ``USD``: ``6.74 tn USD``, ``941.9 bn USD``,
``200 mn USD``. Any other value keeps the units of its series (unlabelled, as before):
below a million it is Python's ``g`` format in fixed notation (rates in percent print
as ``4.68``, ``1.076``); from a million up it is ``mn``, ``bn`` or ``tn`` with three or
four significant digits. Pure; tested with hypothesis (``tests/test_numbers.py``).
"""

from __future__ import annotations

import math

__all__ = ["MAX_CHARS", "compact", "format_value"]

#: Units (as providers state them) that are a multiple of US dollars, and the multiple.
_USD = {"USD": 1.0, "thousands of USD": 1e3, "millions of USD": 1e6, "billions of USD": 1e9}
_STEPS = ((1e6, "mn"), (1e9, "bn"), (1e12, "tn"))
#: From this magnitude on the text saturates (``≥1000 tn``): no macro input is that large.
_CEILING = 1e15
#: The longest text :func:`format_value` returns (``-0.000123457 USD``).
MAX_CHARS = 16


def compact(value: float) -> str:
    """``value`` in at most 12 characters, never in scientific notation.

    Parameters
    ----------
    value : float

    Returns
    -------
    str
        ``nan``/``inf``/``-inf`` for non-finite values; ``g``-style fixed notation
        (six significant digits) below 1e6 in magnitude, six decimals below 1e-4;
        else a mantissa with two decimals (below 10) or one, and ``mn``/``bn``/``tn``;
        from 1e15 on, ``≥1000 tn`` (``≤-1000 tn``). The text's value is monotone in
        ``value`` and within 0.5% of it (5e-7 absolute for tiny values).
    """
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    sign, size = ("-" if value < 0 else ""), abs(value)
    if size >= _CEILING:
        return f"{'≤-' if sign else '≥'}1000 tn"
    if size < 1e6:
        text = f"{value:.6g}"
        if "e" not in text:
            return "0" if text == "-0" else text
        if size < 1:  # tiny: fixed, six decimals
            text = f"{value:.6f}".rstrip("0").rstrip(".")
            return "0" if text in ("-0", "") else text
        # it rounds to a million: fall through to "1.00 mn"
    for unit, suffix in _STEPS:
        mantissa = size / unit
        text = f"{mantissa:.2f}"
        if float(text) >= 10:
            text = f"{mantissa:.1f}"
        if float(text) < 1000 or suffix == _STEPS[-1][1]:
            return f"{sign}{text} {suffix}"
    raise AssertionError("unreachable")  # pragma: no cover


def format_value(value: float, units: str = "") -> str:
    """``value`` of a series in ``units``, for a table cell (see the module docstring).

    Parameters
    ----------
    value : float
    units : str
        The series' units as its provider states them (``millions of USD``).

    Returns
    -------
    str
        At most :data:`MAX_CHARS` characters, never in scientific notation.
    """
    scale = _USD.get(units)
    if scale is None:
        return compact(value)
    usd = value * scale
    if math.isinf(usd) and math.isfinite(value):  # beyond float range: saturates anyway
        usd = math.copysign(_CEILING, value)
    return f"{compact(usd)} USD"
