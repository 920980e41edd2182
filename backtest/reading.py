"""Today's reading of the signal: every component, the composite, the state, and what is stale.

``backtest signal CONFIG --asof DATE`` asks: on the last bar of the run calendar
at or before ``DATE``, what did each input say, when was it observed and
published, how old was it, what z-score and signed contribution did each
component have, what was the composite, and which state was the strategy under
test in, since when, and how far is the next switch? Only the macro series are
read (no prices), on a calendar that runs to ``DATE``, through the same
publication lags as a run (:func:`backtest.data.dataset.align_macro`), so on any
bar of a run the reading equals the run's composite and state (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

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

__all__ = ["ComponentReading", "InputReading", "SignalReading", "read_signal"]


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


@dataclass(frozen=True)
class SignalReading:
    """The signal of a config on one bar.

    Attributes
    ----------
    asof : pd.Timestamp
        The date asked for.
    bar : pd.Timestamp
        The last bar of the run calendar at or before ``asof``.
    components : tuple of ComponentReading
    composite : float or None
        NaN/None when too few components are present (``min_components``).
    present, needed : int
        Components present, and how many the composite needs.
    strategy, kind : str
        The strategy under test.
    state : bool or None
        Its risk-off state at the bar (None: it has no composite-driven state).
    since : pd.Timestamp or None
        The bar whose close began the current state.
    levels : SwitchLevels or None
    distance : float or None
        How far (composite units) the composite must move for the next switch:
        up to ``enter`` when risk-on, down to ``exit`` when risk-off.
    hold_bars_left : int
        Bars before ``min_hold`` allows a switch (0: it can switch now).
    last_composite : pd.Timestamp or None
        The last bar with a composite (differs from ``bar`` when it is missing).
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
    hold_bars_left: int
    last_composite: pd.Timestamp | None


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
        return InputReading(alias, series_id, None, None, None, str(lag), None, limit, True,
                            f"nothing released by {bar.date()}; first release {first}")
    i = int(released[-1])
    observed, when = fetched.values.index[i], known[i]
    age = int((bar - when).days)
    stale, reason = age > limit, None
    if stale:
        later = ("no later observation in the source" if i == len(known) - 1
                 else f"the next one is published {known[i + 1].date()}")
        reason = (f"last observed {observed.date()}, known {when.date()}: {age} days old, "
                  f"beyond the {limit}-day carry limit; {later}")
    return InputReading(alias, series_id, float(fetched.values.iloc[i]), observed, when,
                        str(lag), age, limit, stale, reason)


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
        out.append(ComponentReading(
            name=spec.name, series=spec.series, transform=spec.transform, sign=spec.sign,
            weight=spec.weight, z=z, contribution=_num(contributions.loc[bar, spec.name]),
            present=is_present, inputs=inputs,
            reason=None if is_present else _absent_reason(spec, inputs, level.dropna()),
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


def _state(
    config: RunConfig, composite: pd.Series, bar: pd.Timestamp
) -> tuple[str, str, bool | None, pd.Timestamp | None, SwitchLevels | None, float | None, int]:
    spec = config.strategy
    strategy = _strategy(config)
    if not isinstance(strategy, SignalDriven):
        return spec.label, spec.kind, None, None, None, None, 0
    state = strategy.risk_off_state(composite).loc[:bar].to_numpy(dtype=bool)
    flips = np.flatnonzero(state[1:] != state[:-1]) + 1
    begun = int(flips[-1]) if flips.size else 0
    since = composite.index[begun]
    levels = strategy.switch_levels()
    value = composite.loc[:bar].ffill().iloc[-1]
    distance = None
    if np.isfinite(value):
        distance = float(value - levels.exit) if state[-1] else float(levels.enter - value)
    held = len(state) - begun
    return (spec.label, spec.kind, bool(state[-1]), since, levels, distance,
            max(0, levels.min_hold - held))


def read_signal(config: RunConfig, *, load: Loader, asof: pd.Timestamp) -> SignalReading:
    """The signal of ``config`` on the last bar at or before ``asof``.

    Parameters
    ----------
    config : RunConfig
    load : Loader
        Serves the macro series (cache, ``--offline``, ``--mirror``).
    asof : pd.Timestamp
        The date to read (the CLI's default is today).

    Returns
    -------
    SignalReading

    Raises
    ------
    DataError
        ``asof`` is before the first macro observation.
    """
    ids = [sid for spec in config.data.macro.values() for sid in spec.expr.names]
    fetched = load_series(ids, load)
    first = min(f.values.index[0] for f in fetched.values())
    asof = pd.Timestamp(asof).normalize()
    calendar = make_calendar(first, asof, config.run.frequency)
    if len(calendar) == 0:
        raise DataError(f"--asof {asof.date()} is before the first macro observation "
                        f"({first.date()}) or the first bar of the calendar")
    macro, _ = align_macro(config.data.macro, fetched, calendar)
    signal = compute_signal(config.signal, macro, config.run.ppy)
    bar = calendar[-1]
    composite = signal["composite"]
    label, kind, state, since, levels, distance, hold = _state(config, composite, bar)
    components = _components(config, signal, fetched, bar, macro)
    defined = composite.loc[:bar].dropna()
    return SignalReading(
        asof=asof, bar=bar, components=components, composite=_num(composite.loc[bar]),
        present=sum(c.present for c in components),
        needed=config.signal.min_components or len(components),
        strategy=label, kind=kind, state=state, since=since, levels=levels,
        distance=distance, hold_bars_left=hold,
        last_composite=defined.index[-1] if len(defined) else None,
    )
