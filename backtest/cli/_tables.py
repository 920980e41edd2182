"""Rich tables for the terminal (the only printing code besides the commands).

Tables are built from the same comparison as the HTML report (saved-result
documents → :class:`backtest.report.Comparison`), so ``run``, ``compare`` and
``report`` print the same numbers the page shows. They use the terminal's width
(100 columns when the output is not a terminal and ``COLUMNS`` is unset) and never
cut a label or a number: a long strategy label is shortened with a numbered
legend, then wrapped; a regime name wraps; when the columns do not fit, a table
splits into column groups, each repeating the label column (:func:`_column_groups`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from backtest.cli._console import CliConsole
from backtest.cli._thesis_tables import conventions_line, timing_cells

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
                  title: str | None, with_benchmark: bool, label_width: int) -> Table:
    from backtest.metrics import Metric

    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  collapse_padding=True)
    table.add_column("Strategy", overflow="fold", min_width=min(12, label_width),
                     max_width=label_width)
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


def _column_groups(width: int, build: Callable[[list[int], int], Table], n: int,
                   labels: list[str], least: int) -> list[Table]:
    """Tables of the label column and consecutive columns ``0..n-1``, each within ``width``.

    ``build(columns, label_width)`` makes the table of those columns. As few groups as
    the natural widths allow (at least one column each), balanced in size, so no column
    is ever squeezed: numbers keep every digit. The label column starts at ``least``
    columns (or the longest label) and takes whatever room its group leaves, wrapping
    what still does not fit.
    """
    longest = max(map(len, labels), default=1)
    narrow = max(1, min(longest, least))

    def fits(columns: list[int]) -> bool:
        return _natural_width(build(columns, narrow)) <= width

    groups: list[list[int]] = []
    for column in range(n):
        if groups and fits([*groups[-1], column]):
            groups[-1].append(column)
        else:
            groups.append([column])
    if len(groups) > 1:  # the same number of groups, evenly sized, when they fit
        size = -(-n // len(groups))
        even = [list(range(i, min(i + size, n))) for i in range(0, n, size)]
        if len(even) == len(groups) and all(map(fits, even)):
            groups = even
    tables = []
    for group in groups or [[]]:
        slack = width - _natural_width(build(group, narrow))
        tables.append(build(group, max(narrow, min(longest, narrow + slack))))
    return tables


def _natural_width(table: Table) -> int:
    from rich.measure import Measurement

    console = Console(width=100_000)
    return Measurement.get(console, console.options, table).maximum


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
    labels, legend = _labels(comparison, max(24, width // 4))
    run = comparison.runs[0].conventions
    same = all(r.conventions.get("periods_per_year") == run.get("periods_per_year")
               for r in comparison.runs)
    title = (
        conventions_line(run)
        if not comparison.multi else
        f"{len(comparison.runs)} runs · conventions per run in the report"
        + ("" if same else " (their periods_per_year differ)")
    )
    least = max(24, width // 4)

    def returns_and_risk(columns: list[int], label_width: int) -> Table:
        return _metric_table(comparison, [absolute[i] for i in columns], labels, None,
                             with_benchmark=False, label_width=label_width)

    tables = _column_groups(width, returns_and_risk, len(absolute), labels, least)
    tables[0].title = title
    tables[-1].caption = ("Sharpe/Sortino on returns in excess of the cash asset; Total = "
                         "compounded over the window; Turn/yr one-way after the initial build "
                         "(Build); Off = share of bars whose close decided risk-off.")
    if relative and any(e.benchmark for e in comparison.entries):

        def against(columns: list[int], label_width: int) -> Table:
            return _metric_table(comparison, [relative[i] for i in columns], labels, None,
                                 with_benchmark=columns[-1:] == [len(relative) - 1],
                                 label_width=label_width)

        second = _column_groups(width, against, len(relative), labels, least)
        second[0].title = "Against the benchmark (excess of cash for beta and alpha)"
        tables += second
    parts: list[Table | Text] = list(tables)
    if legend:
        parts.append(Text("\n".join(legend)))  # one run per line: a name never splits
    return Group(*parts)


#: Rows of "What differs" a compare prints without --verbose.
DIFFERS_SHOWN = 8


def differs_table(comparison: Comparison, width: int = PIPE_WIDTH,
                  limit: int | None = DIFFERS_SHOWN) -> Group | None:
    """Config keys whose values differ between the runs (None with one run or no difference).

    Columns are the runs, headed by their names when every column fits, else by
    ``[k]`` with a legend; at most ``limit`` keys (None: all), then how many more.
    """
    if not comparison.differs:
        return None
    names = list(comparison.names)
    rows = comparison.differs if limit is None else comparison.differs[:limit]
    key_width = max(len(k) for k, _ in comparison.differs)  # the same width with --verbose
    numbered = key_width + sum(len(n) + 3 for n in names) > width
    table = Table(title="What differs between the runs", title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False)
    # keys and values wrap within their columns (a key longer than a third of the line too)
    table.add_column("Config key", overflow="fold", min_width=min(key_width, width // 3))
    for i, name in enumerate(names):
        header = f"[{i + 1}]" if numbered else name
        table.add_column(header, overflow="fold", min_width=len(header))
    for key, values in rows:
        table.add_row(key, *values)
    hidden = len(comparison.differs) - len(rows)
    if hidden:
        table.caption = (f"… and {hidden} more key{'s' * (hidden > 1)} differ: --verbose "
                         "lists them all; the report shows them too.")
    parts: list[Table | Text] = [table]
    if numbered:
        parts.append(Text("\n".join(f"[{i + 1}] = {n}" for i, n in enumerate(names))))
    return Group(*parts)


def regime_summary(run: RunData, label: str | None = None, width: int = PIPE_WIDTH) -> Group:
    """Per regime, one row each: the strategy under test, the sleeve spread, the signal's timing.

    The numeric columns keep their full width; a long regime name wraps within its
    column; on a narrow terminal the columns split into groups (each repeating the
    regime name).
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
    def regimes(columns: list[int], name_width: int) -> Table:
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title_justify="left")
        table.add_column("Regime", overflow="fold", min_width=min(12, name_width),
                         max_width=name_width)
        for i in columns:
            header = headers[i + 1]
            table.add_column(header, no_wrap=True,
                             justify="left" if header in ("Kind", "Dates") else "right")
        for line in lines:
            table.add_row(line[0], *[line[i + 1] for i in columns])
        return table

    groups = _column_groups(width, regimes, len(headers) - 1, [line[0] for line in lines],
                            least=20)
    groups[0].title = f"Regimes inside the data — {shown} (returns over each regime)"
    table = groups[-1]
    table.caption = (
        "L−S: long- minus short-duration sleeve return. Risk-off: days from the regime's start "
        "until the expected state (risk-off; risk-on in an easing) was in force (negative: "
        "already in force at the start), and the share of its bars held risk-off "
        "(backtest thesis shows since when). * = regime partly outside the data."
    )
    return Group(*groups)
