"""Today's reading of the signal: every component, the composite, the state, and what is stale.

``backtest signal CONFIG --asof DATE`` asks: on the last bar of the run calendar
at or before ``DATE``, what did each input say, when was it observed and
published, how old was it, what z-score and signed contribution did each
component have, what was the composite, and which state was the strategy under
test in, since when, and how far is the next switch? Only the macro series are
read (no prices), on a calendar that runs to ``DATE``, through the same
publication lags as a run (:func:`backtest.data.dataset.align_macro`), so on any
bar of a run the reading equals the run's composite and state (tested).

The state is *known* when the composite is defined at the bar: enough components
are present (``[signal] min_components``; every component when it is unset). Absent
ones are listed with the bar since which they are absent, and the composite is
rescaled over the present ones exactly as a run does. Otherwise the state is
*unknown*: the reading claims no current state, no "since" and no distance to a
switch, says why (how many components are known, how many are needed), and gives
the state on the last bar at which it was known, labelled as past
(:class:`PastState`). ``latest=True`` reads the last bar at or before ``asof`` at
which *every* component is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from backtest._fields import build_dataclass
from backtest.config import RunConfig
from backtest.data.align import release_dates
from backtest.data.base import FetchedSeries
from backtest.data.dataset import (
    Loader,
    align_macro,
    load_series,
    macro_lag,
    make_calendar,
    max_age_days,
)
from backtest.data.expr import parse_expr
from backtest.errors import DataError
from backtest.signals import ComponentSpec, component_contributions, compute_signal
from backtest.strategy import SignalDriven, SwitchLevels

__all__ = ["ComponentReading", "InputReading", "PastState", "SignalReading", "Status",
           "read_signal"]

#: Whether the state at the reading's bar is known (the composite is defined there).
Status = Literal["known", "unknown"]


@dataclass(frozen=True)
class InputReading:
    """One raw series behind a component, as known at the reading's bar.

    Attributes
    ----------
    alias, id : str
        The macro alias and the series id (one term of its expression).
    value : float or None
        The last observation released by the bar (as published, e.g. percent).
    observed, known : pd.Timestamp or None
        Its observation date, and the first date at whose close it was known
        (observation date + publication lag).
    lag : str
        The publication lag applied.
    age_days : int or None
        Calendar days from ``known`` to the bar; a value older than
        ``max_age_days`` is missing, not carried.
    max_age_days : int
    stale : bool
        Missing at the bar: nothing released yet, or the last release too old.
    reason : str or None
        Why it is missing (e.g. the series ends).
    units : str
        The series' units as its provider states them (``percent``, ``millions of USD``).
    """

    alias: str
    id: str
    value: float | None
    observed: pd.Timestamp | None
    known: pd.Timestamp | None
    lag: str
    age_days: int | None
    max_age_days: int
    stale: bool
    reason: str | None
    units: str


@dataclass(frozen=True)
class ComponentReading:
    """One component of the composite at the reading's bar.

    Attributes
    ----------
    name, series, transform : str
    sign : int
    weight : float
    z : float or None
        Its z-score (after winsorizing).
    contribution : float or None
        ``weight x sign x z``, rescaled as the composite is (``min_components``).
    present : bool
        Whether it counted in the composite.
    inputs : tuple of InputReading
    reason : str or None
        Why it is absent.
    last_present : pd.Timestamp or None
        The last bar at or before the reading's at which it counted (None: never).
    absent_since : pd.Timestamp or None
        When absent and it counted before: the first bar of its current absence.
    """

    name: str
    series: str
    transform: str
    sign: int
    weight: float
    z: float | None
    contribution: float | None
    present: bool
    inputs: tuple[InputReading, ...]
    reason: str | None
    last_present: pd.Timestamp | None
    absent_since: pd.Timestamp | None


@dataclass(frozen=True)
class PastState:
    """The state on the last bar at which it was known: history, not the present.

    Attributes
    ----------
    bar : pd.Timestamp
        The last bar at or before the reading's at which the composite was defined.
    composite : float
        The composite there.
    state : bool or None
        The strategy's risk-off state there (None: no composite-driven state).
    since : pd.Timestamp or None
        The bar whose close began that state.
    """

    bar: pd.Timestamp
    composite: float
    state: bool | None
    since: pd.Timestamp | None


@dataclass(frozen=True)
class SignalReading:
    """The signal of a config on one bar.

    Attributes
    ----------
    asof : pd.Timestamp
        The date asked for.
    bar : pd.Timestamp
        The last bar of the run calendar at or before ``asof``; with ``latest``, the
        last one at which every component is known.
    components : tuple of ComponentReading
    composite : float or None
        NaN/None when too few components are present (``min_components``).
    present, needed : int
        Components present, and how many the composite needs.
    strategy, kind : str
        The strategy under test.
    state : bool or None
        Its risk-off state at the bar; None when it has no composite-driven state or
        when the state is unknown (``status``).
    since : pd.Timestamp or None
        The bar whose close began the current state (None when unknown).
    levels : SwitchLevels or None
    distance : float or None
        How far (composite units) the composite must move for the next switch:
        up to ``enter`` when risk-on, down to ``exit`` when risk-off (None when unknown).
    hold_bars_left : int or None
        Bars before ``min_hold`` allows a switch (0: it can switch now; None when unknown).
    last_composite : pd.Timestamp or None
        The last bar with a composite (differs from ``bar`` when it is missing).
    status : {"known", "unknown"}
        ``unknown`` when the composite is undefined at the bar: fewer components
        present than it needs (stale beyond their carry limits, not yet released, or
        still without the z-score's minimum history).
    latest : bool
        The bar was asked for as the last one at which every component is known.
    unknown_reason : str or None
        Why the state is unknown.
    last_known : PastState or None
        When unknown: the state on the last bar at which it was known (None: never).
    """

    asof: pd.Timestamp
    bar: pd.Timestamp
    components: tuple[ComponentReading, ...]
    composite: float | None
    present: int
    needed: int
    strategy: str
    kind: str
    state: bool | None
    since: pd.Timestamp | None
    levels: SwitchLevels | None
    distance: float | None
    hold_bars_left: int | None
    last_composite: pd.Timestamp | None
    status: Status
    latest: bool
    unknown_reason: str | None
    last_known: PastState | None


def _num(value: object) -> float | None:
    number = float(value)  # type: ignore[arg-type]
    return number if np.isfinite(number) else None


def _input(
    config: RunConfig, alias: str, series_id: str, fetched: FetchedSeries, bar: pd.Timestamp
) -> InputReading:
    lag = macro_lag(config.data.macro[alias], series_id, fetched)
    limit = max_age_days(fetched)
    known = release_dates(fetched.values.index, lag)
    released = np.flatnonzero(known <= bar)
    if not released.size:
        first = known[0].date()
        return InputReading(alias=alias, id=series_id, value=None, observed=None, known=None,
                            lag=str(lag), age_days=None, max_age_days=limit, stale=True,
                            reason=f"nothing released by {bar.date()}; first release {first}",
                            units=fetched.units)
    i = int(released[-1])
    observed, when = fetched.values.index[i], known[i]
    age = int((bar - when).days)
    stale, reason = age > limit, None
    if stale:
        later = ("no later observation in the source" if i == len(known) - 1
                 else f"the next one is published {known[i + 1].date()}")
        reason = (f"last observed {observed.date()}, known {when.date()}: {age} days old, "
                  f"beyond the {limit}-day carry limit; {later}")
    return InputReading(alias=alias, id=series_id, value=float(fetched.values.iloc[i]),
                        observed=observed, known=when, lag=str(lag), age_days=age,
                        max_age_days=limit, stale=stale, reason=reason, units=fetched.units)


def _absent_reason(spec: ComponentSpec, inputs: tuple[InputReading, ...],
                   history: pd.Series) -> str:
    stale = [i for i in inputs if i.stale]
    if stale:
        return "; ".join(f"{i.id}: {i.reason}" for i in stale)
    known = int(history.notna().sum())
    if known < spec.min_periods:
        return (f"the z-score needs {spec.min_periods} bars of {spec.transform} history, "
                f"has {known}")
    return f"the {spec.transform} or its z-score is undefined at this bar (no variance or a gap)"


def _presence(present: pd.Series) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The last bar a component counted, and the first bar of its current absence."""
    flags = present.to_numpy(dtype=bool)
    counted = np.flatnonzero(flags)
    if not counted.size:
        return None, None
    last = int(counted[-1])
    absent = present.index[last + 1] if last + 1 < len(flags) else None
    return present.index[last], absent


def _components(
    config: RunConfig, signal: pd.DataFrame, fetched: dict[str, FetchedSeries],
    bar: pd.Timestamp, macro: pd.DataFrame,
) -> tuple[ComponentReading, ...]:
    contributions, present = component_contributions(config.signal, signal)
    out = []
    for spec in config.signal.components:
        inputs = tuple(
            _input(config, alias, sid, fetched[sid], bar)
            for alias in parse_expr(spec.series).names
            for sid in config.data.macro[alias].expr.names
        )
        z = _num(signal.loc[bar, spec.name])
        level = parse_expr(spec.series).evaluate(lambda a: macro[a]).loc[:bar]
        is_present = bool(present.loc[bar, spec.name])
        last_present, absent_since = _presence(present[spec.name].loc[:bar])
        out.append(ComponentReading(
            name=spec.name, series=spec.series, transform=spec.transform, sign=spec.sign,
            weight=spec.weight, z=z, contribution=_num(contributions.loc[bar, spec.name]),
            present=is_present, inputs=inputs,
            reason=None if is_present else _absent_reason(spec, inputs, level.dropna()),
            last_present=last_present, absent_since=absent_since,
        ))
    return tuple(out)


def _strategy(config: RunConfig) -> object:
    """The strategy under test, built as :func:`backtest.runner.load_strategy` does.

    Not imported from the runner, which imports the engine (vectorbt): a reading needs
    neither prices nor the engine.
    """
    from backtest.strategies import resolve_kind

    spec = config.strategy
    cls = resolve_kind(spec.kind, base_dir=config.base_dir, where="strategy")
    return build_dataclass(cls, spec.params, "strategy")


@dataclass(frozen=True)
class _Now:
    """What a reading says about the state: current when known, else the past one."""

    state: bool | None = None
    since: pd.Timestamp | None = None
    distance: float | None = None
    hold_bars_left: int | None = None
    last_known: PastState | None = None


def _since(state: pd.Series) -> tuple[pd.Timestamp, int]:
    """The bar whose close began the state in force on the last bar, and bars held."""
    values = state.to_numpy(dtype=bool)
    flips = np.flatnonzero(values[1:] != values[:-1]) + 1
    begun = int(flips[-1]) if flips.size else 0
    return state.index[begun], len(values) - begun


def _now(
    composite: pd.Series, states: pd.Series | None, levels: SwitchLevels | None,
    bar: pd.Timestamp,
) -> _Now:
    """The state at ``bar`` if the composite is defined there, else the last known one."""
    defined = composite.loc[:bar].dropna()
    if not len(defined):
        return _Now()
    last = defined.index[-1]
    if last != bar:  # unknown at the bar: only the past can be told
        if states is None:
            return _Now(last_known=PastState(last, float(defined.iloc[-1]), None, None))
        since, _ = _since(states.loc[:last])
        return _Now(last_known=PastState(last, float(defined.iloc[-1]),
                                         bool(states.loc[last]), since))
    if states is None or levels is None:
        return _Now(hold_bars_left=0)
    state = bool(states.loc[bar])
    since, held = _since(states.loc[:bar])
    value = float(defined.iloc[-1])
    distance = value - levels.exit if state else levels.enter - value
    return _Now(state=state, since=since, distance=float(distance),
                hold_bars_left=max(0, levels.min_hold - held))


def _last_fully_known(config: RunConfig, signal: pd.DataFrame, asof: pd.Timestamp) -> pd.Timestamp:
    """The last bar at which every component's z-score is defined."""
    names = [c.name for c in config.signal.components]
    every = signal[names].notna().all(axis=1).to_numpy()
    if every.any():
        return signal.index[np.flatnonzero(every)[-1]]
    last = {n: signal[n].last_valid_index() for n in names}
    detail = ", ".join(f"{n} {'never' if d is None else f'{d:%Y-%m-%d}'}" for n, d in last.items())
    raise DataError(f"latest: no bar up to {asof.date()} has all {len(names)} components known "
                    f"at once (each one's last known bar: {detail}); read a date instead")


def read_signal(
    config: RunConfig, *, load: Loader, asof: pd.Timestamp, latest: bool = False
) -> SignalReading:
    """The signal of ``config`` on the last bar at or before ``asof``.

    Parameters
    ----------
    config : RunConfig
    load : Loader
        Serves the macro series (cache, ``--offline``, ``--mirror``).
    asof : pd.Timestamp
        The date to read, tz-naive (the CLI's default is today).
    latest : bool
        Read the last bar at or before ``asof`` at which *every* component is known
        (present: released, within its carry limit, with its z-score's history).

    Returns
    -------
    SignalReading
        ``status`` says whether the state at the bar is known; when it is not, the
        current-state fields are None and ``last_known`` holds the past one.

    Raises
    ------
    DataError
        ``asof`` is not a tz-naive date or is before the first macro observation;
        with ``latest``, no bar has every component known.
    """
    stamp = pd.Timestamp(asof)
    if pd.isna(stamp) or stamp.tzinfo is not None:
        raise DataError(f"asof must be a tz-naive date, got {asof!r}")
    asof = stamp.normalize()
    ids = [sid for spec in config.data.macro.values() for sid in spec.expr.names]
    fetched = load_series(ids, load)
    first = min(f.values.index[0] for f in fetched.values())
    calendar = make_calendar(first, asof, config.run.frequency)
    if len(calendar) == 0:
        raise DataError(f"--asof {asof.date()} is before the first macro observation "
                        f"({first.date()}) or the first bar of the calendar")
    macro, _ = align_macro(config.data.macro, fetched, calendar)
    signal = compute_signal(config.signal, macro, config.run.ppy)
    # everything at a bar depends only on data up to it, so cutting after it is exact
    bar = _last_fully_known(config, signal, asof) if latest else calendar[-1]
    macro, signal = macro.loc[:bar], signal.loc[:bar]
    strategy = _strategy(config)
    states, levels = None, None
    if isinstance(strategy, SignalDriven):
        states, levels = strategy.risk_off_state(signal["composite"]), strategy.switch_levels()
    now = _now(signal["composite"], states, levels, bar)
    components = _components(config, signal, fetched, bar, macro)
    present = sum(c.present for c in components)
    needed = config.signal.min_components or len(components)
    composite = _num(signal["composite"].loc[bar])
    defined = signal["composite"].dropna()
    return SignalReading(
        asof=asof, bar=bar, components=components, composite=composite, present=present,
        needed=needed, strategy=config.strategy.label, kind=config.strategy.kind,
        state=now.state, since=now.since, levels=levels, distance=now.distance,
        hold_bars_left=now.hold_bars_left,
        last_composite=defined.index[-1] if len(defined) else None,
        status="known" if composite is not None else "unknown", latest=latest,
        unknown_reason=None if composite is not None else (
            f"{present} of {len(components)} components known on {bar.date()}; "
            f"the composite needs {needed}"),
        last_known=now.last_known,
    )
