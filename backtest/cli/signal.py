"""``backtest signal``: today's reading of the composite, its components and the state.

Exit codes: 0 the state at the reading's bar is known; 4 it is unknown (too few
components known there: stale beyond their carry limits, not yet released, or without
their z-score's history), the reading still printed and its JSON still written, even
when the reader of the output goes away; 1 a one-line error; 2 usage.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.console import Group
from rich.table import Table

from backtest.cli._numbers import format_value
from backtest.cli._options import SetOption
from backtest.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

    from backtest.reading import InputReading, SignalReading

__all__ = ["EXIT_UNKNOWN", "parse_asof", "reading_json", "reading_report", "register"]

#: Identifies the document ``backtest signal --json`` writes (1.1 adds ``status``,
#: ``latest``, ``unknown_reason``, ``last_known``, each component's ``last_present``
#: and ``absent_since``, each input's ``units``; an unknown state nulls ``state``,
#: ``since``, ``distance`` and ``hold_bars_left``).
READING_SCHEMA = "signal-reading 1.1"
#: The exit code of a reading whose state is unknown (a scheduled job notices).
EXIT_UNKNOWN = 4
#: ``--asof`` dates the calendar can hold (pandas' nanosecond timestamps end 2262-04-11,
#: and a month-end calendar needs the next period end).
ASOF_RANGE = (dt.date(1678, 1, 1), dt.date(2261, 12, 31))
_ACCEPTED = (f"use YYYY-MM-DD from {ASOF_RANGE[0]} to {ASOF_RANGE[1]} "
             "(e.g. 2026-07-31), or 'latest'")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII)


def parse_asof(text: str) -> dt.date | None:
    """The date ``--asof`` names; None for ``latest``.

    Only ISO ``YYYY-MM-DD`` (ASCII digits) within :data:`ASOF_RANGE`, and ``latest``:
    ``2000`` or ``01/02/2000`` would be guessed at, and a time or a zone has no
    meaning on a calendar of closes.

    Raises
    ------
    ConfigError
        Anything else, in one line that names the accepted forms.
    """
    if text == "latest":
        return None
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        raise ConfigError(f"--asof: {text!r} is not a date; {_ACCEPTED}")
    try:
        date = dt.date(*(int(g) for g in match.groups()))
    except ValueError as exc:
        raise ConfigError(f"--asof: {text!r} is not a date ({exc}); {_ACCEPTED}") from None
    if not ASOF_RANGE[0] <= date <= ASOF_RANGE[1]:
        raise ConfigError(f"--asof: {text} is out of range; {_ACCEPTED}")
    return date


def _z(value: float | None) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:+.2f}"


def _input_text(i: InputReading) -> str:
    if i.value is None or i.observed is None or i.known is None:
        return f"{i.id}: none"
    text = (f"{i.id} {format_value(i.value, i.units)} obs {i.observed:%Y-%m-%d}, "
            f"known {i.known:%Y-%m-%d} ({i.age_days}d)")
    return text + (" STALE" if i.stale else "")


def _day(when: pd.Timestamp) -> str:
    return f"{when:%Y-%m-%d}"


def _word(state: bool) -> str:
    return "RISK-OFF" if state else "risk-on"


def _absent_line(r: SignalReading) -> list[str]:
    absent = [c for c in r.components if not c.present]
    if not absent:
        return []
    parts = [f"{c.name} since {_day(c.absent_since)}" if c.absent_since is not None
             else f"{c.name} (never yet)" for c in absent]
    head = ("Stale or missing" if r.status == "unknown"
            else "Absent (the composite is rescaled over the others)")
    return [f"{head}: " + ", ".join(parts) + " (reasons in the table)."]


def _thresholds(r: SignalReading) -> list[str]:
    if r.levels is None:
        return []
    lv = r.levels
    return [f"Thresholds: risk-off above {lv.enter:+.2f}, back to risk-on below "
            f"{lv.exit:+.2f}; each state held at least {lv.min_hold} bar(s)."]


def _unknown_lines(r: SignalReading) -> list[str]:
    lines = [f"{r.strategy} ({r.kind}): state UNKNOWN on {_day(r.bar)}: {r.present} of "
             f"{len(r.components)} components known, the composite needs {r.needed} "
             f"(exit code {EXIT_UNKNOWN}).", *_absent_line(r)]
    past = r.last_known
    if past is None:
        lines.append(f"Never known up to {_day(r.bar)}: the composite was never defined.")
    elif past.state is None:
        lines.append(f"Last known (past, not current): composite {past.composite:+.2f} on "
                     f"{_day(past.bar)}.")
    else:
        begun = "" if past.since is None else f", in force since the close of {_day(past.since)}"
        lines.append(f"Last known (past, not current): {_word(past.state)} on "
                     f"{_day(past.bar)}, composite {past.composite:+.2f}{begun}.")
    return lines + _thresholds(r)


def _state_lines(r: SignalReading) -> list[str]:
    if r.status == "unknown":
        return _unknown_lines(r)
    if r.state is None:
        return [f"{r.strategy} ({r.kind}) has no state driven by the composite.",
                *_absent_line(r)]
    since = "" if r.since is None else f" since the close of {_day(r.since)}"
    lines = [f"{r.strategy} ({r.kind}): {_word(r.state)}{since}.", *_thresholds(r)]
    if r.levels is not None and r.distance is not None:
        lv = r.levels
        if r.state:
            move = f"fall by {r.distance:.2f} to below {lv.exit:+.2f}"
        else:
            move = f"rise by {r.distance:.2f} to above {lv.enter:+.2f}"
        lines.append(f"Next switch: the composite must {move}"
                     + (f" (not before {r.hold_bars_left} more bars)"
                        if r.hold_bars_left else "") + ".")
    return lines + _absent_line(r)


def _title(r: SignalReading) -> str:
    if r.latest:
        return (f"Signal on {_day(r.bar)} (asked for latest: the last bar up to "
                f"{_day(r.asof)} at which all {len(r.components)} components are known)")
    return f"Signal on {_day(r.bar)} (asked for {_day(r.asof)})"


def reading_report(r: SignalReading) -> Group:
    """The reading as Rich renderables: components, composite, state."""
    table = Table(title=_title(r), title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for name, justify in (("Component", "left"), ("z", "right"), ("Contribution", "right"),
                          ("Inputs: last value, observed, known (age)", "left"),
                          ("Missing because", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for c in r.components:
        table.add_row(
            f"{c.name} ({'+' if c.sign > 0 else '−'}{c.weight:g})", _z(c.z),
            _z(c.contribution) if c.present else "absent",
            "\n".join(_input_text(i) for i in c.inputs), c.reason or "",
        )
    composite = _z(r.composite)
    table.caption = (
        f"Composite {composite} from {r.present} of {len(r.components)} components "
        f"(needs {r.needed})" + (
            "" if r.composite is not None or r.last_composite is None
            else f"; last defined on {_day(r.last_composite)}"
        ) + ". Contribution = weight × sign × z, rescaled as the composite is; positive "
        "pushes toward risk-off."
    )
    state = Table(box=None, show_header=False, pad_edge=False)
    state.add_column("")
    for line in _state_lines(r):
        state.add_row(line)
    return Group(table, state)


def reading_json(r: SignalReading) -> dict[str, Any]:
    """The reading as strict-JSON-ready data (``schema`` = :data:`READING_SCHEMA`)."""
    from backtest.report.json import to_plain

    out: dict[str, Any] = {"schema": READING_SCHEMA}
    out |= to_plain(dataclasses.asdict(r))
    return out


def signal(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Argument(help="Run config (default: strategies/duration_rotation.toml)."),
    ] = None,
    asof: Annotated[
        str | None,
        typer.Option("--asof", help=(
            f"The date to read, YYYY-MM-DD ({ASOF_RANGE[0]} to {ASOF_RANGE[1]}; default: "
            "today), or 'latest': the last bar up to today at which every component is "
            "known.")),
    ] = None,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Also write the reading as JSON here.")
    ] = None,
    overrides: SetOption = None,
) -> None:
    """Today's reading: each component's last value, when it became known, z and contribution.

    Also the composite, the strategy's state and since when, its thresholds and the
    distance to the next switch, and every missing or stale input with the reason.
    When too few components are known at the bar (stale beyond their carry limits, or
    not yet released) the state is UNKNOWN: the reading says why and gives the last
    known state as past, not current. Works offline from the cache (--offline) or
    from a local archive (--mirror DIR).

    Exit codes: 0 the state is known; 4 the state is unknown (the reading is still
    printed and --json still written); 1 an error (one line); 2 usage.

    Example:

        backtest --mirror ../shared/data signal strategies/seed_2026.toml --asof latest
    """
    import pandas as pd

    from backtest.cli.run import _loader
    from backtest.config import load_config
    from backtest.reading import read_signal

    today = dt.datetime.now(dt.UTC).date()
    day = today if asof is None else parse_asof(asof)  # None: latest
    cfg = load_config(config, overrides or ())
    reading = read_signal(cfg, load=_loader(ctx), asof=pd.Timestamp(day or today),
                          latest=day is None)
    if json_file is not None:  # first: a reader that goes away does not stop it
        from backtest.report.json import write_json

        write_json(json_file, reading_json(reading))
    _print(reading, json_file)
    if reading.status == "unknown":
        raise typer.Exit(EXIT_UNKNOWN)


def _print(reading: SignalReading, json_file: Path | None) -> None:
    """Print the reading; an unknown state keeps its exit code when the pipe closes."""
    import sys

    from backtest.cli._tables import make_console

    console = make_console()  # no markup in user text
    try:
        console.print(reading_report(reading))
        if json_file is not None:
            console.print(f"wrote {json_file}")
        sys.stdout.flush()
    except BrokenPipeError:
        if reading.status == "known":
            raise  # the CLI boundary ends the command quietly with exit 0
        from backtest.cli import discard_output

        discard_output()


def register(app: typer.Typer) -> None:
    """Add the command to the main app."""
    app.command()(signal)
