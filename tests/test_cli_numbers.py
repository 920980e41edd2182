"""The terminal's number format for input values: readable, bounded, monotone, close.

``parse`` reads a formatted text back (the inverse the reader performs in their head);
the properties hold over every finite float, for plain values and for USD balances.
"""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from backtest.cli._numbers import MAX_CHARS, compact, format_value

_SCALE = {"mn": 1e6, "bn": 1e9, "tn": 1e12}
_UNITS = ["", "percent", "millions of USD", "billions of USD"]
_USD = {"millions of USD": 1e6, "billions of USD": 1e9}
finite = st.floats(allow_nan=False, allow_infinity=False)


def parse(text: str) -> float:
    """The number a formatted text stands for (saturated texts: the ceiling)."""
    text = text.removesuffix(" USD")
    if text in ("≥1000 tn", "≤-1000 tn"):
        return math.copysign(1e15, -1.0 if text.startswith("≤") else 1.0)
    match = re.fullmatch(r"(-?[0-9]+(?:\.[0-9]+)?)(?: (mn|bn|tn))?", text)
    assert match is not None, text
    return float(match[1]) * (_SCALE[match[2]] if match[2] else 1.0)


def shown(value: float, units: str) -> float:
    """What the text of ``value`` in ``units`` says, in the units shown (USD for balances)."""
    return parse(format_value(value, units))


@pytest.mark.parametrize(("value", "units", "text"), [
    (6743030.0, "millions of USD", "6.74 tn USD"),      # WALCL, 2026-09-30
    (941926.0, "millions of USD", "941.9 bn USD"),      # WTREGEN, 2025-11-19
    (0.2, "billions of USD", "200.0 mn USD"),          # RRPONTSYD, 2026-08-21
    (1.076, "billions of USD", "1.08 bn USD"),
    (250.3e6, "", "250.3 mn"),
    (4.68, "percent", "4.68"), (1.076, "percent", "1.076"), (-0.64, "percent", "-0.64"),
    (941926.0, "", "941926"),                          # below a million: as before (:g)
    (999999.5, "", "1.00 mn"), (999.96e6, "", "1.00 bn"), (12.345e9, "", "12.3 bn"),
    (1.2e-5, "", "0.000012"), (-1e-9, "", "0"), (0.0, "", "0"), (-0.0, "", "0"),
    (1e15, "", "≥1000 tn"), (-3e300, "", "≤-1000 tn"), (999.99e12, "", "1000.0 tn"),
])
def test_known_values(value: float, units: str, text: str) -> None:
    assert format_value(value, units) == text


def test_non_finite_values_are_words() -> None:
    assert [compact(v) for v in (math.nan, math.inf, -math.inf)] == ["nan", "inf", "-inf"]


@given(finite, st.sampled_from(_UNITS))
@example(1e-5, "")
@example(123456789.0, "")
@example(-0.000123456789, "billions of USD")
def test_never_scientific_and_never_long(value: float, units: str) -> None:
    text = format_value(value, units)
    assert not re.search(r"[0-9][eE]", text), text
    assert "e+" not in text and "e-" not in text
    assert len(text) <= MAX_CHARS, text


@given(finite, finite, st.sampled_from(_UNITS))
def test_monotone(a: float, b: float, units: str) -> None:
    low, high = min(a, b), max(a, b)
    assert shown(low, units) <= shown(high, units), (low, high)


@given(finite, st.sampled_from(_UNITS))
@example(999999.5, "")
@example(0.00009999995, "")
def test_close_to_the_value(value: float, units: str) -> None:
    true = value * _USD.get(units, 1.0)
    if abs(true) >= 1e15:
        assert shown(value, units) == math.copysign(1e15, true)
        return
    assert abs(shown(value, units) - true) <= 0.005 * abs(true) + 5e-7, format_value(value, units)


@given(st.floats(min_value=-1e6, max_value=1e6).filter(lambda v: abs(v) >= 1e-4))
def test_small_values_keep_the_g_format(value: float) -> None:
    plain = f"{value:.6g}"
    if "e" not in plain:
        assert format_value(value, "percent") == plain
