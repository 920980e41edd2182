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

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
import pandas as pd

from backtest.errors import BacktestError, ConfigError, StrategyError

__all__ = [
    "CALENDAR_SCHEDULES",
    "BarView",
    "BatchDecision",
    "Decision",
    "MarketData",
    "Rebalance",
    "SignalDriven",
    "SleeveSet",
    "Strategy",
    "SwitchLevels",
    "check_calendar_schedule",
    "decide",
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
    """A frozen dataclass with ``name`` and ``decide`` (or ``decide_bar``, see :func:`decide`)."""

    name: ClassVar[str]

    def decide(self, market: MarketData) -> Decision:
        """Return target weights decided with information up to each close."""
        ...


class BarView:
    """What a strategy deciding one bar at a time sees at the close of ``date``.

    Everything is cut at ``date``: a ``decide_bar`` cannot look ahead, whatever it
    does. The frames are built when first asked for (a rule that reads only
    :attr:`composite` and the sleeves costs microseconds a bar).

    Attributes
    ----------
    date : pd.Timestamp
        The close being decided.
    position : int
        Its position in the trading window (0 = the first bar).
    periods_per_year : int
    """

    __slots__ = ("_market", "_rows", "date", "periods_per_year", "position")

    def __init__(self, market: MarketData, position: int, rows: _BarRows) -> None:
        self._market, self._rows = market, rows
        self.position = position
        self.date: pd.Timestamp = market.index[position]
        self.periods_per_year = market.periods_per_year

    @property
    def assets(self) -> list[str]:
        """Asset columns."""
        return list(self._market.prices.columns)

    @property
    def prices(self) -> pd.DataFrame:
        """Total-return indices of every asset up to and including ``date`` (with history)."""
        return self._market.prices.iloc[: self._rows.price_end[self.position] + 1]

    @property
    def signal(self) -> pd.DataFrame:
        """Component z-scores and ``composite`` up to and including ``date``."""
        return self._market.signal.iloc[: self._rows.signal_end[self.position]]

    @property
    def composite(self) -> float:
        """The composite at ``date`` (NaN when undefined)."""
        return float(self._rows.composite[self.position])

    def _sleeve(self, name: str) -> pd.Series:
        return pd.Series(self._rows.sleeves[name][self.position], index=self._rows.columns,
                         name=name)

    @property
    def long(self) -> pd.Series:
        """The long sleeve's weights at ``date``, one per asset (NaN while not formed)."""
        return self._sleeve("long")

    @property
    def short(self) -> pd.Series:
        """The short sleeve's weights at ``date`` (NaN while not formed)."""
        return self._sleeve("short")

    @property
    def cash(self) -> pd.Series:
        """1 on the cash asset, 0 elsewhere."""
        return self._sleeve("cash")


@dataclass(frozen=True, eq=False)
class _BarRows:
    """Per-bar positions and rows a :class:`BarView` reads, computed once per decision."""

    columns: pd.Index
    price_end: npt.NDArray[np.int64]
    signal_end: npt.NDArray[np.int64]
    composite: npt.NDArray[np.float64]
    sleeves: dict[str, npt.NDArray[np.float64]]


def _bar_views(market: MarketData) -> Iterator[BarView]:
    """One :class:`BarView` per bar of the window, each cut at its own close."""
    prices, signal = market.prices, market.signal
    nan = np.full((len(market.index), prices.shape[1]), np.nan)
    sleeves = {name: (nan if name in market.sleeves.empty
                      else market.sleeve(name).to_numpy(dtype="float64"))
               for name in ("long", "short", "cash")}
    rows = _BarRows(
        columns=prices.columns,
        price_end=prices.index.get_indexer(market.index),
        signal_end=signal.index.searchsorted(market.index, side="right"),
        composite=signal["composite"].reindex(market.index).to_numpy(dtype="float64"),
        sleeves=sleeves,
    )
    for i in range(len(market.index)):
        yield BarView(market, i, rows)


def _by_bar(strategy: Any, market: MarketData, who: str) -> Decision:
    """Call ``strategy.decide_bar`` on every bar; weights by asset, None = no trade."""
    assets = list(market.prices.columns)
    rows = np.full((len(market.index), len(assets)), np.nan)
    column = {a: j for j, a in enumerate(assets)}
    for view in _bar_views(market):
        try:
            chosen = strategy.decide_bar(view)
        except BacktestError as exc:
            raise StrategyError(f"{who} on the close of {view.date.date()}: {exc}") from exc
        except Exception as exc:  # the user's code: one line naming it and the bar
            raise StrategyError(f"{who} raised {type(exc).__name__} on the close of "
                                f"{view.date.date()}: {exc}") from exc
        if chosen is None:
            continue
        if not isinstance(chosen, Mapping | pd.Series):
            raise StrategyError(f"{who}: decide_bar returned {type(chosen).__name__} on the "
                                f"close of {view.date.date()}; expected a mapping of asset to "
                                "weight, or None for no trade")
        rows[view.position] = 0.0
        for asset, weight in dict(chosen).items():
            if asset not in column:
                raise StrategyError(f"{who}: decide_bar returned a weight for {asset!r} on the "
                                    f"close of {view.date.date()}, which is not an asset; "
                                    f"assets: {', '.join(assets)}")
            try:
                rows[view.position, column[asset]] = float(weight)
            except (TypeError, ValueError):
                raise StrategyError(f"{who}: the weight of {asset!r} on the close of "
                                    f"{view.date.date()} is not a number: {weight!r}") from None
    weights = pd.DataFrame(rows, index=market.index, columns=assets)
    return Decision(weights=weights, risk_off=_risk_off(strategy, market))


def _risk_off(strategy: Any, market: MarketData) -> pd.Series | None:
    """The state of a strategy with ``risk_off_state`` (:class:`SignalDriven`) on the window."""
    if not isinstance(strategy, SignalDriven):
        return None
    state = strategy.risk_off_state(market.signal["composite"])
    return state.reindex(market.index, fill_value=False).astype(bool).rename("risk_off")


def decide(strategy: Any, market: MarketData, who: str | None = None) -> Decision:
    """A strategy's :class:`Decision` on ``market``, through whichever form it implements.

    The contract, in order of preference:

    * ``decide(market) -> Decision``: the whole window at once (every built-in);
    * ``decide_bar(view: BarView) -> Mapping[str, float] | None``: one close at a
      time, from a view cut at that close (weights by asset, the rest in cash;
      ``None`` = no trade). Its state, if it has one, comes from
      ``risk_off_state(composite)`` (:class:`SignalDriven`).

    An exception raised by the strategy's own code is a :class:`StrategyError` naming
    the strategy (``who``) and, for ``decide_bar``, the close it was deciding; a
    ``decide`` that returns something else than a :class:`Decision` on the window is
    one too.
    """
    who = who or f"strategy {type(strategy).__name__}"
    if not callable(getattr(strategy, "decide", None)):
        if callable(getattr(strategy, "decide_bar", None)):
            return _by_bar(strategy, market, who)
        raise StrategyError(f"{who} has neither decide(market) nor decide_bar(view)")
    try:
        decision = strategy.decide(market)
    except BacktestError:
        raise
    except Exception as exc:  # the user's code: one line naming it
        raise StrategyError(f"{who} raised {type(exc).__name__} while deciding "
                            f"{market.index[0].date()}..{market.index[-1].date()}: {exc}"
                            ) from exc
    if not isinstance(decision, Decision) or not isinstance(decision.weights, pd.DataFrame):
        raise StrategyError(f"{who}: decide returned {type(decision).__name__}; expected a "
                            "Decision(weights=DataFrame, risk_off=Series or None)")
    if not decision.weights.index.equals(market.index):
        raise StrategyError(f"{who}: decide's weights must have one row per bar of the window "
                            f"({len(market.index)} rows, market.index), got "
                            f"{len(decision.weights.index)}")
    unknown = [str(c) for c in decision.weights.columns if c not in market.prices.columns]
    if unknown:
        raise StrategyError(f"{who}: decide returned weights for {', '.join(unknown)}, which "
                            f"are not assets; assets: {', '.join(market.prices.columns)}")
    missing = [c for c in market.prices.columns if c not in decision.weights.columns]
    if missing:  # an asset left out of a traded row holds 0
        traded = decision.weights.notna().any(axis=1).to_numpy()
        weights = decision.weights.reindex(columns=market.prices.columns)
        weights.loc[traded, missing] = weights.loc[traded, missing].fillna(0.0)
        decision = Decision(weights=weights, risk_off=decision.risk_off)
    return decision


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
