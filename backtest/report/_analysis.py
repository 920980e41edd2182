"""The report's derived tables: annual returns, drawdowns, switches, distribution (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from backtest.metrics import calendar_returns, distribution_stats, drawdown_periods
from backtest.report._compare import Comparison, Entry
from backtest.report._format import MISSING, format_date, format_value, to_number

__all__ = [
    "annual_table",
    "distribution_inputs",
    "drawdown_rows",
    "return_quantiles",
    "rolling_months",
    "switch_rows",
    "thresholds",
]

_PERIODS = {"M": "month", "W": "week", "B": "business day", "D": "calendar day"}
_TOP_DRAWDOWNS = 5


def rolling_months(comparison: Comparison) -> int:
    """Rolling window of the report, in months: 36 if any run is monthly, else 12.

    Three years of monthly bars (36 points) is the shortest window whose Sharpe
    ratio is not mostly noise; daily and weekly runs have 252 and 52 points a year.
    """
    return 36 if min(run.periods_per_year for run in comparison.runs) <= 12 else 12


def window_bars(months: int, periods_per_year: int) -> int:
    """Bars in ``months`` at ``periods_per_year`` (at least 2)."""
    return max(2, round(months * periods_per_year / 12))


def annual_table(entries: Sequence[Entry], runs_end: Mapping[int, pd.Timestamp],
                 runs_start: Mapping[int, pd.Timestamp]) -> dict[str, Any]:
    """Calendar-year returns, years down and strategies across; partial years flagged.

    A year is partial for a strategy when its capital starts inside that year or
    its last bar is before December 24 of that year.
    """
    columns = {e.label: calendar_returns(e.data.returns, "year") for e in entries}
    frame = pd.DataFrame(columns).sort_index()
    rows = []
    for year, values in frame.iterrows():
        partial = [
            (runs_start[e.run].year >= int(year))
            or (runs_end[e.run].year == int(year) and runs_end[e.run] < pd.Timestamp(
                year=int(year), month=12, day=24))
            for e in entries
        ]
        rows.append({
            "year": int(year),
            "cells": [{**format_value(values[e.label], "percent"),
                       "partial": p and to_number(values[e.label]) is not None}
                      for e, p in zip(entries, partial, strict=True)],
        })
    return {"frame": frame, "rows": rows}


def drawdown_rows(
    entries: Sequence[Entry], starts: Mapping[int, pd.Timestamp]
) -> list[dict[str, Any]]:
    """The five deepest drawdowns of every strategy (peak, trough, recovery, depth, length)."""
    rows = []
    for entry in entries:
        table = drawdown_periods(entry.data.returns, start=starts[entry.run], top=_TOP_DRAWDOWNS)
        for rank, r in enumerate(table.itertuples(index=False), start=1):
            end = r.recovery if r.recovered else entry.data.returns.dropna().index[-1]
            days = (pd.Timestamp(end) - pd.Timestamp(r.peak)).days
            rows.append({
                "strategy": entry.label, "rank": rank, "peak": format_date(r.peak),
                "trough": format_date(r.trough),
                "recovery": format_date(r.recovery) if r.recovered else "not recovered",
                "recovered": bool(r.recovered), "depth": format_value(r.depth, "percent"),
                "bars": format_value(r.bars, "int"), "days": format_value(days, "int"),
            })
    return rows


def thresholds(kind: str, params: Mapping[str, Any]) -> tuple[tuple[str, float], ...]:
    """The composite levels of a signal-driven strategy's rule (strategy defaults filled)."""
    def level(key: str, default: float) -> float:
        value = to_number(params.get(key))
        return default if value is None else value

    if kind == "binary_rotation":
        enter = level("enter", 0.0)
        exit_ = level("exit", enter)
        pairs = [("risk-off above", enter)]
        return tuple(pairs + ([("risk-on below", exit_)] if exit_ != enter else []))
    if kind == "graded_tilt":
        return (("all risk-on at or below", level("low", -1.0)),
                ("all risk-off at or above", level("high", 1.0)))
    if kind == "duration_targeting":
        return (("longest duration at or below", level("signal_low", -1.0)),
                ("shortest duration at or above", level("signal_high", 1.0)))
    return ()


def _sleeves(kind: str, params: Mapping[str, Any]) -> tuple[str, str]:
    if kind == "duration_targeting":
        return "longer duration", "shorter duration"
    on = str(params.get("sleeve", "long"))
    off = str(params.get("risk_off_sleeve", "cash" if kind == "trend_rule" else "short"))
    return f"{on} sleeve", f"{off} sleeve"


def _holdings(weights: pd.DataFrame, when: pd.Timestamp | None) -> str:
    if when is None or when not in weights.index:
        return MISSING
    row = weights.loc[when].dropna()
    row = row[row > 0.0005].sort_values(ascending=False)
    return ", ".join(f"{asset} {w:.0%}" for asset, w in row.head(4).items()) or "cash"


def switch_rows(comparison: Comparison) -> list[dict[str, Any]]:
    """Every flip of the risk-off state of each strategy under test.

    Decision date: the close at which the state flipped; execution date: the close
    ``execution_lag`` bars later, when the trade was made (``after the window``
    when that bar is past the end); composite: its value at the decision close;
    holdings: the executed weights after that close's trades.
    """
    rows = []
    for entry in comparison.mains:
        run, state = comparison.runs[entry.run], entry.data.risk_off
        if state is None or len(state) < 2:
            continue
        lag = int(run.conventions.get("execution_lag_bars", 1))
        flags = state.astype("boolean").fillna(False).astype(bool)
        flips = [i for i in range(1, len(flags)) if flags.iloc[i] != flags.iloc[i - 1]]
        on, off = _sleeves(entry.data.kind, entry.data.params)
        composite = run.signal["composite"] if "composite" in run.signal else pd.Series()
        for i in flips:
            decided = flags.index[i]
            executed = flags.index[i + lag] if i + lag < len(flags) else None
            to_off = bool(flags.iloc[i])
            rows.append({
                "strategy": entry.label, "decision": format_date(decided),
                "execution": format_date(executed) if executed is not None else "after the window",
                "from": f"risk-on ({on})" if to_off else f"risk-off ({off})",
                "to": f"risk-off ({off})" if to_off else f"risk-on ({on})",
                "risk_off": to_off,
                "composite": format_value(composite.get(decided), "ratio"),
                "holdings": _holdings(entry.data.weights, executed),
            })
    return rows


def distribution_inputs(comparison: Comparison) -> tuple[dict[str, pd.Series], str]:
    """Returns whose distribution is drawn, and what one return covers.

    Bar returns when every run has the same calendar; otherwise each strategy's
    compounded calendar-month returns, so that the shapes are comparable.
    """
    frequencies = {str(run.conventions.get("frequency")) for run in comparison.runs}
    if len(frequencies) == 1:
        period = _PERIODS.get(frequencies.pop(), "bar")
        return {e.label: e.data.returns.dropna() for e in comparison.entries}, period
    monthly = {}
    for e in comparison.entries:
        series = calendar_returns(e.data.returns, "month")
        monthly[e.label] = pd.Series(series.to_numpy(), name=e.label)
    return monthly, "month (compounded; the runs' calendars differ)"


def distribution_rows(
    returns: Mapping[str, pd.Series],
) -> tuple[dict[str, dict[str, float]], list[dict[str, Any]]]:
    """Shape statistics per strategy, raw and as table rows."""
    stats = {label: distribution_stats(series) for label, series in returns.items()}
    rows = [
        {"label": label, "cells": [
            format_value(s["mean"], "percent"), format_value(s["std"], "percent"),
            format_value(s["skew"], "ratio"), format_value(s["kurtosis"], "ratio"),
            format_value(s["best"], "percent"), format_value(s["worst"], "percent"),
            format_value(s["positive"], "percent"),
        ]}
        for label, s in stats.items()
    ]
    return stats, rows


def return_quantiles(returns: pd.Series, frequency: str) -> dict[str, dict[str, float]]:
    """Five-number summary and mean of the returns per bar, calendar month and year.

    Parameters
    ----------
    returns : pd.Series
        A strategy's net returns per bar.
    frequency : str
        The run's calendar (``conventions.frequency``): on a month-end run the bars
        are the months, so ``"bar"`` is left out.

    Returns
    -------
    dict
        Period name (``"bar"``, ``"month"``, ``"year"``; months and years compounded,
        partial first and last ones included) → ``min``, ``q1``, ``median``, ``q3``,
        ``max`` (linear-interpolated quantiles) and ``mean``.
    """
    clean = returns.dropna().astype("float64")
    periods = {} if frequency == "M" else {"bar": clean}
    periods |= {"month": calendar_returns(clean, "month"), "year": calendar_returns(clean, "year")}
    out = {}
    for name, series in periods.items():
        if series.empty:
            continue
        q = series.quantile([0.0, 0.25, 0.5, 0.75, 1.0]).to_numpy()
        out[name] = {"min": float(q[0]), "q1": float(q[1]), "median": float(q[2]),
                     "q3": float(q[3]), "max": float(q[4]), "mean": float(series.mean())}
    return out
