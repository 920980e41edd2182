"""Baseline checks: a gated number that got worse than in a previous run fails."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from backtest.errors import ConfigError
from backtest.stats._gates import GateOutcome, Name

__all__ = ["Tolerance", "Tolerances", "baseline_check", "parse_tolerances"]


@dataclass(frozen=True)
class Tolerance:
    """How much worse than the baseline a number may get: absolute, or relative to it.

    ``0.05`` allows 0.05 in the number's own units (Sharpe points; a probability's
    points); ``10%`` allows 10 % of the baseline's magnitude (0.1 × |baseline|).
    """

    value: float
    relative: bool = False

    def allowed(self, baseline: float) -> float:
        """The absolute worsening allowed from ``baseline``."""
        return self.value * abs(baseline) if self.relative else self.value

    def __str__(self) -> str:
        return f"{self.value * 100:g}%" if self.relative else f"{self.value:g}"


@dataclass(frozen=True)
class Tolerances:
    """A default tolerance and per-number ones (by gated quantity or gate text)."""

    default: Tolerance = Tolerance(0.05)
    per_name: Mapping[str, Tolerance] = field(default_factory=dict)

    def of(self, *names: str) -> Tolerance:
        """The tolerance of the first of ``names`` that has its own, else the default."""
        return next((self.per_name[n] for n in names if n in self.per_name), self.default)

    def to_json(self) -> dict[str, str]:
        """``{"default": "0.05", "<name>": "10%", ...}``."""
        return {"default": str(self.default), **{k: str(v) for k, v in self.per_name.items()}}


def _tolerance(text: str, where: str) -> Tolerance:
    raw = text.strip()
    relative = raw.endswith("%")
    try:
        value = float(raw[:-1] if relative else raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0) or (raw.lower().startswith(("nan", "inf"))):
        raise ConfigError(f"--tolerance {where!r}: expected a number >= 0 (0.05) or a "
                          "percentage of the baseline (10%)")
    return Tolerance(value / 100 if relative else value, relative)


def parse_tolerances(texts: Iterable[str], default: float = 0.05) -> Tolerances:
    """``--tolerance`` values: ``0.05``, ``10%``, ``oos.sharpe=0.05``, ``pbo=20%``.

    A bare value sets the default of every gated number; ``NAME=VALUE`` sets one
    number's (``NAME`` the gated quantity, e.g. ``oos.sharpe``, or the gate's text).

    Raises
    ------
    ConfigError
        A value that is not a number >= 0 or a percentage, or two defaults.
    """
    base: Tolerance | None = None
    per: dict[str, Tolerance] = {}
    for text in texts:
        name, eq, value = text.rpartition("=")
        if eq and name.strip() and not name.rstrip().endswith(("<", ">", "!", "=")):
            per[name.strip()] = _tolerance(value, text)
        else:
            if base is not None:
                raise ConfigError(f"--tolerance {text!r}: a default tolerance was given twice "
                                  "(name one number as NAME=VALUE)")
            base = _tolerance(text, text)
    return Tolerances(base or Tolerance(default), per)


def baseline_check(
    current: Mapping[str, float],
    baseline: Mapping[str, float],
    names: Iterable[str],
    tolerance: float | Mapping[str, float],
    higher_is_better: Mapping[str, bool],
) -> list[GateOutcome]:
    """Compare gated numbers with a previous run: worse by more than ``tolerance`` fails.

    Parameters
    ----------
    current, baseline : Mapping[str, float]
        Metric path → value, this run and the baseline run.
    names : iterable of str
        Paths to compare (typically the names read by the gates).
    tolerance : float or Mapping[str, float]
        Allowed worsening, ABSOLUTE and in each metric's own units (0.05 on a
        Sharpe ratio is 0.05 of Sharpe; on a PBO, 5 percentage points); one for all
        or one per name.
    higher_is_better : Mapping[str, bool]
        Direction of each name.

    Returns
    -------
    list of GateOutcome
        One per name, in order: fails when ``current < baseline - tol`` (higher is
        better) or ``current > baseline + tol`` (lower is better), when the current
        value is NaN, and when the baseline lacks the number or has NaN there (a
        baseline that cannot vouch for a number never passes it).

    Raises
    ------
    ConfigError
        A name missing from ``current`` or ``higher_is_better``, or a negative
        tolerance.
    """
    outcomes = []
    for name in names:
        for label, mapping in (("current results", current), ("directions", higher_is_better)):
            if name not in mapping:
                raise ConfigError(
                    f"baseline check: {name!r} is not in the {label}; valid names: "
                    f"{', '.join(sorted(mapping))}"
                )
        tol = float(tolerance[name] if isinstance(tolerance, Mapping) else tolerance)
        if not tol >= 0:
            raise ConfigError(f"baseline tolerance must be >= 0, got {tol}")
        outcomes.append(_compare_to_baseline(name, current, baseline, tol, higher_is_better[name]))
    return outcomes


def _compare_to_baseline(
    name: str, current: Mapping[str, float], baseline: Mapping[str, float], tol: float, up: bool
) -> GateOutcome:
    text = f"{name} vs baseline"
    now = Name(name).evaluate(current)
    before = Name(name).evaluate(baseline) if name in baseline else math.nan
    limit = before - tol if up else before + tol
    if math.isnan(now):
        return GateOutcome(text, False, now, limit, f"failed: {name} is undefined (NaN) now")
    if math.isnan(before):  # a baseline that cannot vouch for a number never passes it
        why = "undefined (NaN or not a number)" if name in baseline else "absent"
        return GateOutcome(text, False, now, limit,
                           f"failed: {name} is {why} in the baseline: nothing to compare with "
                           "(make a new baseline)")
    worse = now < limit if up else now > limit
    direction = "higher" if up else "lower"
    detail = (
        f"{name} {now:.6g} vs baseline {before:.6g}, tolerance {tol:g}, {direction} is better"
    )
    if worse:
        return GateOutcome(text, False, now, limit, f"failed: worse than the baseline: {detail}")
    return GateOutcome(text, True, now, limit, f"passed: {detail}")
