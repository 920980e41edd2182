"""Baseline checks: a gated number that got worse than in a previous run fails."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from backtest.errors import ConfigError
from backtest.stats._gates import GateOutcome, Name

__all__ = ["baseline_check"]


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
        better) or ``current > baseline + tol`` (lower is better), or when the
        current value is NaN; passes, saying so, when the name is absent from the
        baseline or NaN there (nothing to compare).

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
    if math.isnan(before):
        why = "undefined (NaN)" if name in baseline else "absent"
        return GateOutcome(text, True, now, limit, f"passed: {name} is {why} in the baseline")
    worse = now < limit if up else now > limit
    direction = "higher" if up else "lower"
    detail = (
        f"{name} {now:.6g} vs baseline {before:.6g}, tolerance {tol:g}, {direction} is better"
    )
    if worse:
        return GateOutcome(text, False, now, limit, f"failed: worse than the baseline: {detail}")
    return GateOutcome(text, True, now, limit, f"passed: {detail}")
