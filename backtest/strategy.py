"""The strategy contract: market data in, target weights decided at each close out.

A strategy is a frozen dataclass whose fields are its parameters (STYLE Part 2).
It returns a :class:`Decision` — target weights decided with information up to
the close of each row's date — and never shifts data: the engine applies the
execution lag, the data layer the publication lags.

Why ``decide`` returns a ``Decision`` and not a bare DataFrame: the share of time
a strategy is risk-off and its risk-off dates (used for regime timing) are facts
about the strategy, and returning them beside the weights keeps them typed,
instead of recomputing them elsewhere or passing them through a shared dict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
import pandas as pd

from backtest.errors import ConfigError

__all__ = [
    "CALENDAR_SCHEDULES",
    "BatchDecision",
    "Decision",
    "MarketData",
    "Rebalance",
    "SignalDriven",
    "SleeveSet",
    "Strategy",
    "SwitchLevels",
    "check_calendar_schedule",
    "rebalance_mask",
    "state_flips",
    "trade_mask",
]

#: When a strategy trades: every bar, the first bar of each week or month, never after
#: the first bar, or only when its risk-off state flips (``on_change``).
Rebalance = Literal["every_bar", "weekly", "monthly", "never", "on_change"]
#: Schedules that need no risk-off state (benchmarks accept only these).
CALENDAR_SCHEDULES: tuple[str, ...] = ("every_bar", "weekly", "monthly", "never")


@dataclass(frozen=True)
class SleeveSet:
    """Duration sleeves as weight frames of shape (n_dates, n_assets).

    ``long`` and ``short`` rows sum to 1 over their members (equal weights), or are
    all-NaN where the sleeve is not yet known; ``cash`` is the cash asset's column.
    The frames cover the whole calendar up to the end of the trading window (so
    look-backs such as the trend rule's moving average have history); each row
    uses only information up to its date.

    Attributes
    ----------
    long, short : pd.DataFrame
    cash : str
    durations : pd.DataFrame or None
        Per-asset duration estimates in years known at each date (same shape;
        NaN where there is none, e.g. the cash asset), when the config asks for
        them: empirical (``[sleeves] yield_series``) or, with ``method = "dcf"``,
        DCF-implied (``+inf`` for an asset with a cash-flow yield <= 0); None otherwise.
    empirical : pd.DataFrame or None
        With ``method = "dcf"`` and ``yield_series``: the empirical estimates beside
        the DCF ones (compared in the thesis); None otherwise.
        them (``[sleeves] yield_series``); None otherwise.
    empty : frozenset of str
        Sleeves configured with no assets (``short = []``): their frames are all
        zeros, and :meth:`get` refuses them, so no strategy holds one unawares.
    """

    long: pd.DataFrame
    short: pd.DataFrame
    cash: str
    durations: pd.DataFrame | None = None
    empirical: pd.DataFrame | None = None
    empty: frozenset[str] = frozenset()

    def cash_weights(self) -> pd.DataFrame:
        """100% in the cash asset on every date."""
        frame = pd.DataFrame(0.0, index=self.long.index, columns=self.long.columns)
        frame[self.cash] = 1.0
        return frame

    def get(self, name: str) -> pd.DataFrame:
        """``long``, ``short`` or ``cash`` weights by name."""
        if name == "cash":
            return self.cash_weights()
        if name in self.empty:
            raise ConfigError(
                f"the {name} sleeve is empty ([sleeves] {name} = []): hold another sleeve "
                "or cash, or name its assets"
            )
        if name in ("long", "short"):
            frame: pd.DataFrame = getattr(self, name)
            return frame
        raise ConfigError(f"unknown sleeve {name!r}; valid: long, short, cash")


@dataclass(frozen=True)
class MarketData:
    """What a strategy may look at.

    Attributes
    ----------
    index : pd.DatetimeIndex
        The trading window; the strategy returns one row per date in it.
    prices : pd.DataFrame
        Total-return indices on the full calendar (history before ``index`` is
        available for look-backs).
    signal : pd.DataFrame
        Component z-scores and ``composite`` on the full calendar.
    sleeves : SleeveSet
        Sleeve weights on the calendar of ``prices`` (use :meth:`sleeve` for the
        window).
    periods_per_year : int
    """

    index: pd.DatetimeIndex
    prices: pd.DataFrame
    signal: pd.DataFrame
    sleeves: SleeveSet
    periods_per_year: int

    @property
    def assets(self) -> list[str]:
        """Asset columns."""
        return list(self.prices.columns)

    def sleeve(self, name: str) -> pd.DataFrame:
        """Weights of sleeve ``name`` (long, short, cash) on ``index``, columns = assets."""
        return self.sleeves.get(name).reindex(index=self.index, columns=self.prices.columns)


@dataclass(frozen=True)
class Decision:
    """Target weights and, for signal-driven strategies, the risk-off state.

    Attributes
    ----------
    weights : pd.DataFrame
        Shape (n_dates, n_assets) on ``MarketData.index``. A row of weights is a
        rebalance to those targets at that close (before the execution lag); an
        all-NaN row means "no trade". Weights are >= 0 and sum to <= 1; the
        engine puts the rest in the cash asset.
    risk_off : pd.Series or None
        Boolean state per date (True = risk-off), or None for benchmarks.
    """

    weights: pd.DataFrame
    risk_off: pd.Series | None = None


@dataclass(frozen=True, eq=False)
class BatchDecision:
    r"""The decisions of several strategies on one market, in compact form.

    Every signal-driven strategy of the package mixes two weight frames (sleeves)
    with per-bar coefficients and trades on a mask. Trial ``i`` decides at row ``d``

    .. math:: w_{i,d} = a_{i,d}\,P_{i}[d] + b_{i,d}\,Q_{i}[d]
              \quad\text{where } \mathrm{trade}_{i,d},

    with ``P_i = frames[first[i]]`` and ``Q_i = frames[second[i]]``; elsewhere (and
    where the mix is all NaN) it does not trade. A zero coefficient drops its term
    (``a = 0`` gives exactly ``b·Q``), so a 0/1 pair selects a sleeve bit for bit.
    :meth:`weights` materializes one trial's ``Decision.weights``; the sweep
    kernel reads the compact form directly.

    Attributes
    ----------
    frames : ndarray, shape (n_frames, n_bars, n_assets)
        Candidate weight frames on ``MarketData.index`` (columns = assets).
    first, second : ndarray of int64, shape (n_trials,)
    a, b : ndarray of float64, shape (n_trials, n_bars)
    trade : ndarray of bool, shape (n_trials, n_bars)
    risk_off : ndarray of bool, shape (n_trials, n_bars), or None
        The risk-off state, for strategies that have one.
    """

    frames: npt.NDArray[np.float64]
    first: npt.NDArray[np.int64]
    second: npt.NDArray[np.int64]
    a: npt.NDArray[np.float64]
    b: npt.NDArray[np.float64]
    trade: npt.NDArray[np.bool_]
    risk_off: npt.NDArray[np.bool_] | None = None

    def __len__(self) -> int:
        return int(self.a.shape[0])

    def targets(self, i: int) -> npt.NDArray[np.float64]:
        """Trial ``i``'s mix on every row, traded or not: shape (n_bars, n_assets)."""
        p, q = self.frames[self.first[i]], self.frames[self.second[i]]
        a, b = self.a[i][:, None], self.b[i][:, None]
        with np.errstate(invalid="ignore"):
            out: npt.NDArray[np.float64] = np.where(
                a == 0.0, b * q, np.where(b == 0.0, a * p, a * p + b * q)
            )
        return out

    def weights(self, i: int) -> npt.NDArray[np.float64]:
        """Trial ``i``'s ``Decision.weights`` values: the mix on traded rows, NaN elsewhere."""
        out = self.targets(i)
        out[~self.trade[i]] = np.nan
        return out

    def decision(self, i: int, market: MarketData) -> Decision:
        """Trial ``i`` as the :class:`Decision` its strategy's ``decide`` returns."""
        weights = pd.DataFrame(self.weights(i), index=market.index, columns=market.prices.columns)
        risk_off = None
        if self.risk_off is not None:
            risk_off = pd.Series(self.risk_off[i], index=market.index, name="risk_off")
        return Decision(weights=weights, risk_off=risk_off)


class Strategy(Protocol):
    """A frozen dataclass with ``name`` and ``decide``."""

    name: ClassVar[str]

    def decide(self, market: MarketData) -> Decision:
        """Return target weights decided with information up to each close."""
        ...


@dataclass(frozen=True)
class SwitchLevels:
    """Composite levels at which a signal-driven strategy's risk-off state flips.

    Attributes
    ----------
    enter : float
        From risk-on, risk-off once the composite is above this level.
    exit : float
        From risk-off, risk-on once the composite is below it (``exit <= enter``;
        equal when the rule has no hysteresis).
    min_hold : int
        Bars a state is kept at least.
    """

    enter: float
    exit: float
    min_hold: int = 1


@runtime_checkable
class SignalDriven(Protocol):
    """A strategy whose risk-off state is a function of the composite alone.

    ``risk_off_state`` is what ``decide`` uses, so ``backtest signal`` can read the
    state of any date without prices or sleeves.
    """

    def risk_off_state(self, composite: pd.Series) -> pd.Series:
        """Boolean state at each date of ``composite`` (the whole calendar)."""
        ...

    def switch_levels(self) -> SwitchLevels:
        """Where the state flips."""
        ...


# A strategy class may also offer ``decide_batch(cls, strategies, market) ->
# BatchDecision`` (a classmethod): the decisions of many parameter sets at once,
# row ``i`` equal to ``strategies[i].decide(market)``. Sweeps use it when present and
# call ``decide`` per strategy otherwise.


def rebalance_mask(
    index: pd.DatetimeIndex, schedule: Rebalance, risk_off: pd.Series | None = None
) -> npt.NDArray[np.bool_]:
    """Boolean mask of the bars on which a strategy trades.

    Parameters
    ----------
    index : pd.DatetimeIndex
        Bars of the trading window.
    schedule : {"every_bar", "weekly", "monthly", "never", "on_change"}
        ``weekly``/``monthly``: the FIRST bar of each calendar week or month, a
        rule that needs only the dates up to the bar (the last bar of a month is
        only known to be the last once the next bar exists, so it would look
        ahead at the end of the data). ``never``: the first bar only.
        ``on_change``: the first bar and every bar where ``risk_off`` flips.
    risk_off : pd.Series or None
        Boolean risk-off state on ``index``; required by ``on_change``.

    Returns
    -------
    ndarray of bool
        One flag per bar; the first bar is always True.

    Raises
    ------
    ConfigError
        ``on_change`` without a risk-off state.
    """
    n = len(index)
    if schedule == "every_bar":
        mask = np.ones(n, dtype=bool)
    elif schedule in ("never", "on_change"):
        mask = np.zeros(n, dtype=bool)
        if schedule == "on_change":
            if risk_off is None:
                raise ConfigError("rebalance = 'on_change' needs a strategy with a risk-off state")
            mask |= state_flips(risk_off)
    else:
        period = index.to_period("W" if schedule == "weekly" else "M")
        mask = np.r_[True, np.asarray(period[1:] != period[:-1])] if n else np.zeros(0, bool)
    if n:
        mask[0] = True
    return mask


def state_flips(risk_off: pd.Series) -> npt.NDArray[np.bool_]:
    """True where the boolean state differs from the previous bar (the first bar: False)."""
    flags = risk_off.to_numpy(dtype=bool)
    return np.r_[False, flags[1:] != flags[:-1]] if len(flags) else np.zeros(0, dtype=bool)


def trade_mask(
    index: pd.DatetimeIndex, schedule: Rebalance, risk_off: pd.Series
) -> npt.NDArray[np.bool_]:
    """Bars on which a signal-driven strategy trades: its schedule, plus every state flip.

    A flip of the risk-off state always trades, whatever the schedule; between
    flips, ``every_bar``/``weekly``/``monthly`` restore the targets on schedule,
    ``never`` and ``on_change`` leave the holdings to drift.
    """
    return rebalance_mask(index, schedule, risk_off) | state_flips(risk_off)


def check_calendar_schedule(schedule: str, who: str) -> None:
    """Reject ``on_change`` for a strategy without a risk-off state (a benchmark)."""
    if schedule not in CALENDAR_SCHEDULES:
        raise ConfigError(
            f"{who}: rebalance {schedule!r} needs a risk-off state, which {who} does not "
            f"have; valid: {', '.join(CALENDAR_SCHEDULES)}"
        )
