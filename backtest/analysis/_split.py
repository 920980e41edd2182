"""Hindsight: the evidence before and after the date the idea was formed (``[run] idea_date``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from backtest.analysis._sharpe import SharpeComparison, sharpe_differences
from backtest.analysis._spread import BootstrapSettings, StateSpread, state_spread
from backtest.errors import DataError

__all__ = ["HINDSIGHT_SHARE", "IdeaSplit", "SplitPart", "idea_split"]

#: More than this share of the bars up to the idea date: the verdict warns of hindsight.
HINDSIGHT_SHARE = 0.5


@dataclass(frozen=True)
class SplitPart:
    """The evidence on one side of the idea date.

    Attributes
    ----------
    label : str
        ``"before"`` (bars up to and including the idea date: in view when the idea
        was formed) or ``"after"`` (out of sample for the idea).
    bars : int
    start, end : pd.Timestamp or None
        First and last bar (None without bars).
    state : StateSpread or None
        The spread after risk-off minus after risk-on closes on these bars alone.
    sharpe : list of SharpeComparison
        The strategy against each alternative on these bars alone.
    missing : str or None
        Why ``state`` (or ``sharpe``) is missing: too few bars, a state that never
        changed on this side.
    """

    label: str
    bars: int
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    state: StateSpread | None
    sharpe: list[SharpeComparison]
    missing: str | None = None


@dataclass(frozen=True)
class IdeaSplit:
    """The thesis's headline statistics before and after the idea was formed.

    Attributes
    ----------
    idea_date : pd.Timestamp
    before, after : SplitPart
    share_before : float
        Share of the window's bars dated up to the idea date.
    """

    idea_date: pd.Timestamp
    before: SplitPart
    after: SplitPart
    share_before: float

    @property
    def hindsight(self) -> bool:
        """Most of the evidence (more than :data:`HINDSIGHT_SHARE`) precedes the idea."""
        return self.share_before > HINDSIGHT_SHARE


def _part(
    label: str, mask: np.ndarray, spread: pd.Series, risk_off: pd.Series,
    strategy: pd.Series, alternatives: Mapping[str, pd.Series], cash: pd.Series,
    ppy: int, settings: BootstrapSettings,
) -> SplitPart:
    index = spread.index[mask]
    n = int(mask.sum())
    start, end = (index[0], index[-1]) if n else (None, None)
    if n == 0:
        return SplitPart(label, 0, None, None, None, [], "no bars")
    if n < settings.min_bars:
        return SplitPart(label, n, start, end, None, [],
                         f"{n} bar{'s' if n != 1 else ''}, fewer than {settings.min_bars}")
    missing, state = None, None
    try:
        state = state_spread(spread[mask], risk_off[mask], periods_per_year=ppy,
                             settings=settings, label=f"state {label} the idea")
    except DataError as exc:
        missing = f"the spread by state cannot be compared: {exc}"
    sharpe: list[SharpeComparison] = []
    if alternatives:
        try:
            sharpe = sharpe_differences(
                strategy.reindex(index), {k: v.reindex(index) for k, v in alternatives.items()},
                cash, periods_per_year=ppy, settings=settings,
            )
        except DataError as exc:
            missing = missing or f"the Sharpe ratios cannot be compared: {exc}"
    return SplitPart(label, n, start, end, state, sharpe, missing)


def idea_split(
    spread: pd.Series, risk_off: pd.Series, *, idea_date: pd.Timestamp,
    strategy: pd.Series, alternatives: Mapping[str, pd.Series], cash: pd.Series,
    periods_per_year: int, settings: BootstrapSettings,
) -> IdeaSplit:
    """The spread by state and the Sharpe comparisons on each side of ``idea_date``.

    Parameters
    ----------
    spread, risk_off : pd.Series
        As in :func:`~backtest.analysis.state_spread` (the state known at the
        previous close), on the thesis's bars.
    idea_date : pd.Timestamp
        Bars dated up to and including it are "before" (the idea's author could
        have seen their closes), the rest "after".
    strategy, alternatives, cash
        As in :func:`~backtest.analysis.sharpe_differences` (named strategy returns).
    periods_per_year : int
    settings : BootstrapSettings
        ``min_bars``: a side with fewer bars gets no statistics (said so).

    Returns
    -------
    IdeaSplit
        Each side's statistics use that side's bars only (their own bootstrap
        streams), so the "after" numbers are exactly what a run starting the day
        after the idea would have reported on the same bars.
    """
    before = np.asarray(spread.index <= idea_date)
    n = len(spread)
    parts = [_part(label, mask, spread, risk_off, strategy, alternatives, cash,
                   periods_per_year, settings)
             for label, mask in (("before", before), ("after", ~before))]
    return IdeaSplit(idea_date, parts[0], parts[1], float(before.sum()) / n if n else 0.0)
