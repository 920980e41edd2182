"""``backtest signal``: today's reading of the composite, its components and the state."""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.console import Group
from rich.table import Table

from backtest.cli._options import SetOption
from backtest.errors import ConfigError

if TYPE_CHECKING:
    from backtest.reading import InputReading, SignalReading

__all__ = ["reading_json", "reading_report", "register"]

#: Identifies the document ``backtest signal --json`` writes.
READING_SCHEMA = "signal-reading 1.0"


def _z(value: float | None) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:+.2f}"


def _input_text(i: InputReading) -> str:
    if i.value is None or i.observed is None or i.known is None:
        return f"{i.id}: none"
    text = (f"{i.id} {i.value:g} obs {i.observed:%Y-%m-%d}, known {i.known:%Y-%m-%d} "
            f"({i.age_days}d)")
    return text + (" STALE" if i.stale else "")


def _state_lines(r: SignalReading) -> list[str]:
    if r.state is None:
        return [f"{r.strategy} ({r.kind}) has no state driven by the composite."]
    word = "RISK-OFF" if r.state else "risk-on"
    since = "" if r.since is None else f" since the close of {r.since:%Y-%m-%d}"
    lines = [f"{r.strategy} ({r.kind}): {word}{since}."]
    if r.levels is not None:
        lv = r.levels
        lines.append(f"Thresholds: risk-off above {lv.enter:+.2f}, back to risk-on below "
                     f"{lv.exit:+.2f}; each state held at least {lv.min_hold} bar(s).")
        if r.distance is not None:
            if r.state:
                move = f"fall by {r.distance:.2f} to below {lv.exit:+.2f}"
            else:
                move = f"rise by {r.distance:.2f} to above {lv.enter:+.2f}"
            lines.append(f"Next switch: the composite must {move}"
                         + (f" (not before {r.hold_bars_left} more bars)"
                            if r.hold_bars_left else "") + ".")
    return lines


def reading_report(r: SignalReading) -> Group:
    """The reading as Rich renderables: components, composite, state."""
    table = Table(
        title=f"Signal on {r.bar:%Y-%m-%d} (asked for {r.asof:%Y-%m-%d})",
        title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
    )
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
            else f"; last defined on {r.last_composite:%Y-%m-%d}, the state is carried"
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
        typer.Option("--asof", help="Read the signal as of this date (default: today)."),
    ] = None,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Also write the reading as JSON here.")
    ] = None,
    overrides: SetOption = None,
) -> None:
    """Today's reading: each component's last value, when it became known, z and contribution.

    Also the composite, the strategy's state and since when, its thresholds and the
    distance to the next switch, and every missing or stale input with the reason.
    Works offline from the cache (--offline) or from a local archive (--mirror DIR).

    Example:

        backtest --mirror ../shared/data signal strategies/seed_2026.toml --asof 2026-07-31
    """
    import pandas as pd

    from backtest.cli.run import _loader
    from backtest.config import load_config
    from backtest.reading import read_signal

    when = datetime.now(UTC).date() if asof is None else asof
    try:
        stamp = pd.Timestamp(when)
    except ValueError:
        raise ConfigError(f"--asof: {asof!r} is not a date (use YYYY-MM-DD)") from None
    cfg = load_config(config, overrides or ())
    reading = read_signal(cfg, load=_loader(ctx), asof=stamp)
    from backtest.cli._tables import make_console

    console = make_console()  # no markup in user text; a closed pipe exits 0
    console.print(reading_report(reading))
    if json_file is not None:
        from backtest.report.json import write_json

        write_json(json_file, reading_json(reading))
        console.print(f"wrote {json_file}")


def register(app: typer.Typer) -> None:
    """Add the command to the main app."""
    app.command()(signal)
