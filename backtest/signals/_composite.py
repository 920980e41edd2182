"""Cost-of-capital composite: standardized components, weighted and summed (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from backtest.data.expr import parse_expr
from backtest.errors import ConfigError, DataError

__all__ = ["ComponentSpec", "SignalSpec", "compute_signal", "standardize", "transform"]

Transform = Literal["level", "change", "pct_change", "yoy"]
Standardize = Literal["expanding", "rolling", "none"]


@dataclass(frozen=True, kw_only=True)
class ComponentSpec:
    """One component of the composite.

    Parameters
    ----------
    name : str
        Label shown in reports.
    series : str
        A macro alias of the run or a linear expression of aliases (``"BAA - AAA"``).
    transform : {"level", "change", "pct_change", "yoy"}
        ``change`` is ``x_t - x_{t-periods}`` in the series' units; ``pct_change`` is
        ``x_t / x_{t-periods} - 1``; ``yoy`` is ``pct_change`` over one year
        (``periods_per_year`` bars).
    periods : int
        Bars of the run calendar for ``change`` and ``pct_change``.
    standardize : {"expanding", "rolling", "none"}
        z-score using only data up to and including each bar.
    window : int or None
        Bars of the rolling window (``standardize = "rolling"`` only).
    min_periods : int
        Bars of transformed history needed before a z-score is emitted.
    winsorize : float or None
        Clip the z-score to ``[-winsorize, winsorize]``.
    sign : {1, -1}
        ``+1`` when a higher value means a higher cost of capital.
    weight : float
        Weight in the composite.
    """

    name: str
    series: str
    transform: Transform = "change"
    periods: int = 12
    standardize: Standardize = "expanding"
    window: int | None = None
    min_periods: int = 60
    winsorize: float | None = None
    sign: Literal[1, -1] = 1
    weight: float = 1.0

    def __post_init__(self) -> None:
        where = f"signal component {self.name!r}"
        if self.periods < 1:
            raise ConfigError(f"{where}: periods must be >= 1, got {self.periods}")
        if self.min_periods < 2:
            raise ConfigError(f"{where}: min_periods must be >= 2, got {self.min_periods}")
        if self.standardize == "rolling" and (self.window is None or self.window < 2):
            raise ConfigError(f"{where}: standardize='rolling' needs window >= 2")
        if self.standardize != "rolling" and self.window is not None:
            raise ConfigError(f"{where}: window is only used with standardize='rolling'")
        if self.winsorize is not None and self.winsorize <= 0:
            raise ConfigError(f"{where}: winsorize must be > 0, got {self.winsorize}")
        parse_expr(self.series)  # fail early on a malformed expression


@dataclass(frozen=True, kw_only=True)
class SignalSpec:
    """A composite: the weighted sum of standardized components.

    Higher values mean a rising cost of capital ("risk-off" for long duration).

    Parameters
    ----------
    components : tuple of ComponentSpec
    min_components : int or None
        ``None`` (default): the composite needs every component. An integer k: the
        composite is defined once at least k components are, as the weighted sum
        of the defined ones rescaled by ``sum(|w|) / sum(|w| of defined ones)``,
        so series that start later (GS10 in 1953, DFII10 in 2003) join when they
        exist without changing the composite's scale.
    """

    components: tuple[ComponentSpec, ...]
    min_components: int | None = None

    def __post_init__(self) -> None:
        if not self.components:
            raise ConfigError("signal: at least one component is required")
        n = len(self.components)
        if self.min_components is not None and not 1 <= self.min_components <= n:
            raise ConfigError(f"signal: min_components must be between 1 and {n}")
        if all(c.weight == 0 for c in self.components):
            raise ConfigError("signal: every component has weight 0, so the composite would be "
                              "0 on every bar; give at least one a weight")
        names = [c.name for c in self.components]
        if len(set(names)) != len(names):
            raise ConfigError(f"signal: component names must be unique, got {names}")

    @property
    def series_names(self) -> tuple[str, ...]:
        """Macro aliases the components read."""
        names = (n for c in self.components for n in parse_expr(c.series).names)
        return tuple(dict.fromkeys(names))


def transform(x: pd.Series, kind: Transform, periods: int, periods_per_year: int) -> pd.Series:
    """Apply a component transform; NaN where the history is too short."""
    if kind == "level":
        return x.copy()
    if kind == "change":
        return x - x.shift(periods)
    lag = periods_per_year if kind == "yoy" else periods
    return x / x.shift(lag) - 1.0


def standardize(
    x: pd.Series, kind: Standardize, *, window: int | None, min_periods: int
) -> pd.Series:
    """z-score of ``x`` against its own past: ``(x_t - mean_t) / std_t``.

    ``mean_t`` and ``std_t`` (sample, ddof=1) use observations up to and including
    ``t`` only, over an expanding or a rolling window, so the value at ``t`` never
    depends on data after ``t``. A zero standard deviation gives NaN.
    """
    if kind == "none":
        return x.copy()
    roll = (
        x.expanding(min_periods=min_periods)
        if kind == "expanding"
        else x.rolling(int(window or 0), min_periods=min_periods)
    )
    std = roll.std()
    z = (x - roll.mean()) / std.where(std > 0)
    return z


def compute_signal(spec: SignalSpec, macro: pd.DataFrame, periods_per_year: int) -> pd.DataFrame:
    """Compute every component's z-score and the composite.

    Parameters
    ----------
    spec : SignalSpec
    macro : pd.DataFrame
        Point-in-time macro panel of shape (n_dates, n_series), columns = aliases.
    periods_per_year : int
        Bars per year of the calendar (for ``yoy``).

    Returns
    -------
    pd.DataFrame
        Shape (n_dates, n_components + 1): one z-score column per component and
        ``composite`` = sum of ``weight * sign * z``; NaN until every component is
        defined.
    """
    def lookup(alias: str) -> pd.Series:
        if alias not in macro.columns:
            raise DataError(
                f"signal: unknown macro series {alias!r}; the run defines "
                f"{', '.join(macro.columns) or 'none'} under [data.macro]"
            )
        return macro[alias]

    out = {}
    for c in spec.components:
        raw = parse_expr(c.series).evaluate(lookup)
        z = standardize(
            transform(raw, c.transform, c.periods, periods_per_year),
            c.standardize,
            window=c.window,
            min_periods=c.min_periods,
        )
        if c.winsorize is not None:
            z = z.clip(-c.winsorize, c.winsorize)
        out[c.name] = z
    frame = pd.DataFrame(out, index=macro.index)
    weights = np.array([c.weight * c.sign for c in spec.components])
    z = frame.to_numpy()
    if spec.min_components is None:
        composite = z @ weights  # NaN propagates: every component is needed
    else:
        defined = ~np.isnan(z)
        present = defined @ np.abs(weights)
        scale = np.abs(weights).sum() / np.where(present > 0, present, 1.0)
        total = (np.nan_to_num(z) @ weights) * scale
        composite = np.where(defined.sum(axis=1) >= spec.min_components, total, np.nan)
    frame["composite"] = composite
    return frame
