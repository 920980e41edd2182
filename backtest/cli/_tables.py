"""Rich tables for the terminal (the only printing code besides the commands)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich import box
from rich.table import Table

if TYPE_CHECKING:
    from backtest.runner import RunResult


def _fmt(value: float, percent: bool) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.1%}" if percent else f"{value:.2f}"


# terminal headers stay narrow; the report and README spell the conventions out
_SHORT = {
    "cagr": "CAGR", "annual_volatility": "Vol", "sharpe": "Sharpe", "sortino": "Sortino",
    "max_drawdown": "MaxDD", "calmar": "Calmar", "annual_turnover": "Turn/yr",
    "share_risk_off": "Off",
}


def metrics_table(runs: list[RunResult]) -> Table:
    """One row per strategy (across runs), one column per metric."""
    from backtest.metrics import Metric

    first = runs[0]
    conv = first.conventions()
    table = Table(
        title=(
            f"{conv['start']} .. {conv['end']} · {conv['bars']} bars · "
            f"periods_per_year={conv['periods_per_year']} · execution lag "
            f"{conv['execution_lag_bars']} bar · fees {conv['fees_bps']:g}bp + slippage "
            f"{conv['slippage_bps']:g}bp · risk-free = {conv['cash_asset']}"
        ),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("Strategy", no_wrap=True, max_width=13)
    for m in Metric:
        table.add_column(_SHORT[str(m)], justify="right", no_wrap=True)
    table.caption = (
        "Sharpe/Sortino on returns in excess of the cash asset; Turn/yr one-way; "
        "Off = share of bars the strategy was risk-off."
    )
    for run in runs:
        prefix = f"{run.config.run.name} / " if len(runs) > 1 else ""
        for label, row in run.metrics().iterrows():
            table.add_row(
                f"{prefix}{label}", *(_fmt(row[str(m)], m.is_percent) for m in Metric)
            )
    return table


def regime_summary(run: RunResult) -> Table:
    """Per regime: the strategy under test, the sleeve spread, and the signal's timing."""
    table = Table(
        title=f"Regimes inside the data — {run.main.label} (returns over each regime)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for col, justify in (("Regime", "left"), ("Kind", "left"), ("Dates", "left"),
                         ("Return", "right"), ("MaxDD", "right"),
                         ("L−S", "right"), ("Risk-off", "right")):
        table.add_column(col, justify=justify, no_wrap=col != "Regime")  # type: ignore[arg-type]
    rows = run.regime_table()
    rows = rows[rows["strategy"] == run.main.label]
    timing = run.signal_timing()
    timing = timing.set_index("regime") if len(timing) else timing
    for _, r in rows.iterrows():
        hit = "–"
        if len(timing) and r["regime"] in timing.index:
            t = timing.loc[r["regime"]]
            hit = f"{int(t['lead_days']):+d}d" if bool(t["signal_hit"]) else "missed"
        table.add_row(
            str(r["regime"]), str(r["kind"]).replace("_", " ").split()[0],
            f"{r['start']:%Y-%m}..{r['end']:%Y-%m}" + ("*" if r["coverage"] == "partial" else ""),
            _fmt(r["return"], True), _fmt(r["max_drawdown"], True),
            _fmt(r["long_minus_short"], True), hit,
        )
    table.caption = (
        "L−S: long- minus short-duration sleeve return. Risk-off: days from regime start to "
        "the first risk-off close (negative = before). * = regime partly outside the data."
    )
    return table
