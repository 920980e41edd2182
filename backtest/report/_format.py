"""Table cells for the report: display text, raw value and sign (pure)."""

from __future__ import annotations

import math
from typing import Any, Literal

import pandas as pd

__all__ = ["MISSING", "CellStyle", "format_date", "format_value", "to_number"]

#: How a number is shown: ``12.34%``, ``0.472``, ``-156``, ``10 bps``.
CellStyle = Literal["percent", "ratio", "int", "bps"]

#: Shown for a missing or non-finite value.
MISSING = "—"


def format_value(value: object, style: CellStyle) -> dict[str, Any]:
    """Format one table cell: display text, sign and raw value.

    Parameters
    ----------
    value : object
        A number, or anything missing (None, NaN, NA).
    style : {"percent", "ratio", "int", "bps"}
        ``percent`` → ``12.34%``; ``ratio`` → 3 decimals; ``int`` → whole number;
        ``bps`` → ``5 bps``.

    Returns
    -------
    dict
        ``text`` (``—`` when missing), ``value`` (float or None) and ``negative``.
    """
    number = to_number(value)
    if number is None:
        return {"text": MISSING, "value": None, "negative": False}
    if style == "percent":
        text = f"{number:.2%}"
    elif style == "int":
        text = f"{number:,.0f}"
    elif style == "bps":
        text = f"{number:g} bps"
    else:
        text = f"{number:.3f}"
    return {"text": text.replace("-", "−"), "value": number, "negative": number < 0}


def to_number(value: object) -> float | None:
    """Return ``value`` as a finite float, or None (missing, non-numeric, NaN, ±inf)."""
    if value is None or isinstance(value, str | bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def format_date(value: object) -> str:
    """Return ``YYYY-MM-DD``, or ``—`` for a missing date."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return MISSING
    return str(pd.Timestamp(value).date())
