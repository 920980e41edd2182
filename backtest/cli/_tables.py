"""Rich tables for the terminal (the only printing code besides the commands).

Tables are built from the same comparison as the HTML report (saved-result
documents → :class:`backtest.report.Comparison`), so ``run``, ``compare`` and
``report`` print the same numbers the page shows. They use the terminal's width
(100 columns when the output is not a terminal and ``COLUMNS`` is unset), never
cut a strategy label (a long label is shortened with a numbered legend, then
wrapped) and keep one regime per line.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from backtest.cli._console import CliConsole
from backtest.cli._thesis_tables import timing_cells

if TYPE_CHECKING:
    from backtest.report import Comparison, RunData

__all__ = ["differs_table", "make_console", "metrics_tables", "regime_summary"]

#: Width of the output when it is not a terminal (and COLUMNS is not set).
PIPE_WIDTH = 100

# terminal headers stay narrow; the report and the docs spell the conventions out
_SHORT = {
    "cagr": "CAGR", "annual_volatility": "Vol", "sharpe": "Sharpe", "sortino": "Sortino",
    "max_drawdown": "MaxDD", "calmar": "Calmar", "annual_turnover": "Turn/yr",
    "share_risk_off": "Off", "total_return": "Total", "beta": "Beta", "alpha": "Alpha/yr",
    "information_ratio": "IR", "tracking_error": "TE", "initial_turnover": "Build",
}
_RELATIVE = ("beta", "alpha", "information_ratio", "tracking_error")


def make_console() -> Console:
    """A console at the terminal's width, or :data:`PIPE_WIDTH` columns when piped.

    Markup is off: labels, regime names and series ids come from users and are
    printed as written (``[bold]`` stays literal).
    """
    console = CliConsole()  # no markup; a closed pipe ends the command quietly
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = CliConsole(width=PIPE_WIDTH)
    return console


def _fmt(value: float | None, percent: bool) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.1%}" if percent else f"{value:.2f}"


def _labels(comparison: Comparison, room: int) -> tuple[list[str], list[str]]:
    """Strategy labels that fit ``room`` columns, and the legend lines they need.

    Full labels when they fit; otherwise, with several runs, ``[k] label`` with a
    legend ``[k] = run``; a label still too long is wrapped by the table, never cut.
    """
    full = [e.label for e in comparison.entries]
    if max(map(len, full), default=0) <= room or not comparison.multi:
        return full, []
    short = []
    for e in comparison.entries:
        runs = ",".join(str(i + 1) for i in e.runs)
        short.append(f"[{runs}] {e.data.label}")
    legend = [f"[{i + 1}] = {name}" for i, name in enumerate(comparison.names)]
    return short, legend


def _metric_table(comparison: Comparison, keys: list[str], labels: list[str],
                  title: str, with_benchmark: bool) -> Table:
    from backtest.metrics import Metric

    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  collapse_padding=True)
    table.add_column("Strategy", overflow="fold", min_width=min(24, max(map(len, labels))))
    percent = {str(m): m.is_percent for m in Metric}
    for key in keys:
        table.add_column(_SHORT.get(key, key), justify="right", no_wrap=True)
    if with_benchmark:
        table.add_column("vs", overflow="fold")
    for entry, label in zip(comparison.entries, labels, strict=True):
        cells = [_fmt(entry.data.metrics.get(k), percent.get(k, False)) for k in keys]
        row: list[Text | str] = [Text(label, style="bold" if entry.main else ""), *cells]
        if with_benchmark:
            row.append(entry.benchmark or "none")
        table.add_row(*row)
    return table


def metrics_tables(comparison: Comparison, width: int) -> Group:
    """Returns and risk, then the measures against each run's benchmark.

    Parameters
    ----------
    comparison : Comparison
    width : int
        Columns available (the console's width).
    """
    from backtest.metrics import Metric

    present = {k for e in comparison.entries for k in e.data.metrics}
    absolute = [str(m) for m in Metric if str(m) in present and str(m) not in _RELATIVE]
    relative = [k for k in _RELATIVE if k in present]
    room = width - 9 * len(absolute) - 2
    labels, legend = _labels(comparison, room)
    run = comparison.runs[0].conventions
    same = all(r.conventions.get("periods_per_year") == run.get("periods_per_year")
               for r in comparison.runs)
    title = (
        f"{run['start']} .. {run['end']} · {run['bars']} bars · periods_per_year="
        f"{run['periods_per_year']} · execution lag {run['execution_lag_bars']} bar · fees "
        f"{run['fees_bps']:g}bp + slippage {run['slippage_bps']:g}bp · risk-free = "
        f"{run['cash_asset']}"
        if not comparison.multi else
        f"{len(comparison.runs)} runs · conventions per run in the report"
        + ("" if same else " (their periods_per_year differ)")
    )
    first = _metric_table(comparison, absolute, labels, title, with_benchmark=False)
    first.caption = ("Sharpe/Sortino on returns in excess of the cash asset; Total = compounded "
                     "over the window; Turn/yr one-way after the initial build (Build); "
                     "Off = share of bars whose close decided risk-off.")
    parts: list[Table | Text] = [first]
    if relative and any(e.benchmark for e in comparison.entries):
        second = _metric_table(comparison, relative, labels,
                               "Against the benchmark (excess of cash for beta and alpha)",
                               with_benchmark=True)
        parts.append(second)
    if legend:
        parts.append(Text("  ".join(legend)))
    return Group(*parts)


def differs_table(comparison: Comparison) -> Table | None:
    """Config keys whose values differ between the runs (None with one run or no difference)."""
    if not comparison.differs:
        return None
    table = Table(title="What differs between the runs", title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Config key", overflow="fold")
    for name in comparison.names:
        table.add_column(name, overflow="fold")
    for key, values in comparison.differs:
        table.add_row(key, *values)
    return table


def regime_summary(run: RunData, label: str | None = None, width: int = PIPE_WIDTH) -> Table:
    """Per regime, one line each: the strategy under test, the sleeve spread, the signal's timing.

    The numeric columns keep their full width; a regime name longer than the room
    left is shortened with an ellipsis (the report has the full catalog).
    """
    shown = label or run.main
    rows = run.regimes
    if not rows.empty:
        rows = rows[rows["strategy"] == run.main]
    timing = timing_cells(run)
    lines = []
    for _, r in rows.iterrows():
        hit = timing.get(str(r["regime"]), "–")
        lines.append([
            str(r["regime"]), str(r["kind"]).replace("_", " ").split()[0],
            f"{r['start']:%Y-%m}..{r['end']:%Y-%m}" + ("*" if r["coverage"] == "partial" else ""),
            _fmt(r["return"], True), _fmt(r["max_drawdown"], True),
            _fmt(r["long_minus_short"], True), hit,
        ])
    headers = ["Regime", "Kind", "Dates", "Return", "MaxDD", "L−S", "Risk-off"]
    # on a narrow terminal, drop Kind, then MaxDD, before a regime name gets under 20 columns
    for optional in ("Kind", "MaxDD"):
        needed = [max([len(h)] + [len(line[i]) for line in lines]) for i, h in enumerate(headers)]
        if width - sum(needed[1:]) - 2 * len(headers) >= 20:
            break
        drop = headers.index(optional)
        headers.pop(drop)
        lines = [line[:drop] + line[drop + 1:] for line in lines]
    needed = [max([len(h)] + [len(line[i]) for line in lines]) for i, h in enumerate(headers)]
    table = Table(title=f"Regimes inside the data — {shown} (returns over each regime)",
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, width=min(
                      width, sum(needed) + 2 * len(headers)))
    # the other columns have fixed widths; the regime name gets the rest of the line
    table.add_column("Regime", no_wrap=True, overflow="ellipsis", ratio=1)
    for i, header in enumerate(headers[1:], start=1):
        table.add_column(header, justify="left" if header in ("Kind", "Dates") else "right",
                         no_wrap=True, width=needed[i])
    for line in lines:
        table.add_row(*line)
    table.caption = (
        "L−S: long- minus short-duration sleeve return. Risk-off: days from the regime's start "
        "until the expected state (risk-off; risk-on in an easing) was in force (negative: "
        "already in force at the start), and the share of its bars held risk-off "
        "(backtest thesis shows since when). * = regime partly outside the data."
    )
    return table
