"""The per-regime section of the report context (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from backtest.figures import kind_colour
from backtest.report._format import MISSING, format_date, format_value, to_number

__all__ = ["expected_spread_sign", "kind_text", "regime_section"]


def expected_spread_sign(kind: str) -> int:
    """Sign the thesis predicts for long-minus-short duration in a regime of ``kind``.

    Easing/relief regimes: long duration should outperform (+1). Every other kind
    (rate shock, credit stress, liquidity drain): it should underperform (−1).
    """
    lowered = kind.lower()
    return 1 if ("easing" in lowered or "relief" in lowered) else -1


def _shown_regimes(table: pd.DataFrame) -> list[str]:
    """Regimes with at least one bar in the window (the only rows the table holds)."""
    return [] if table.empty else list(dict.fromkeys(table["regime"]))


def kind_text(kind: object) -> str:
    """Return a regime kind for display: ``rate_shock`` → ``rate shock``."""
    return str(kind).replace("_", " ")


def _timing_row(timing: pd.DataFrame, name: str) -> dict[str, Any]:
    if timing.empty or "regime" not in timing.columns or name not in set(timing["regime"]):
        return {
            "hit": MISSING,
            "first_risk_off": MISSING,
            "lead_days": format_value(None, "int"),
            "share_risk_off": format_value(None, "percent"),
        }
    row = timing[timing["regime"] == name].iloc[0]
    hit = row.get("signal_hit")
    return {
        "hit": MISSING if hit is None or pd.isna(hit) else ("yes" if bool(hit) else "no"),
        "first_risk_off": format_date(row.get("first_risk_off")),
        # a negative lead is the signal leading: not a loss, so not shown in red
        "lead_days": {**format_value(row.get("lead_days"), "int"), "negative": False},
        "share_risk_off": format_value(row.get("share_risk_off"), "percent"),
    }


def _regime_row(
    rows: pd.DataFrame, names: Mapping[str, str], timing: pd.DataFrame
) -> dict[str, Any]:
    first = rows.iloc[0]
    by_strategy = rows.set_index("strategy")
    spread = to_number(first.get("long_minus_short"))
    expected = expected_spread_sign(str(first["kind"]))
    thesis = MISSING if spread is None else ("held" if spread * expected > 0 else "failed")
    partial = (by_strategy.get("coverage", pd.Series(dtype=object)) == "partial").any()
    return {
        "name": str(first["regime"]),
        "kind": kind_text(first["kind"]),
        "colour": kind_colour(str(first["kind"])),
        "start": format_date(first["start"]),
        "end": format_date(first["end"]),
        "coverage": "partial" if partial else "full",
        "partial": bool(partial),
        "spread": format_value(spread, "percent"),
        "expected": "long duration outperforms" if expected > 0 else "long duration underperforms",
        "thesis": thesis,
        **_timing_row(timing, str(first["regime"])),
        "strategies": [
            {
                "return": format_value(by_strategy["return"].get(label), "percent"),
                "max_drawdown": format_value(by_strategy["max_drawdown"].get(label), "percent"),
            }
            for label in names
        ],
    }


def regime_section(
    table: pd.DataFrame, timing: pd.DataFrame, names: Mapping[str, str]
) -> dict[str, Any]:
    """Rows and an honest summary of one run's regimes.

    Parameters
    ----------
    table : pd.DataFrame
        :meth:`RunResult.regime_table` (long format, one row per regime × strategy).
    timing : pd.DataFrame
        :meth:`RunResult.signal_timing` (one row per regime; empty without a signal).
    names : mapping of str to str
        Strategy label → display label, strategy under test first.

    Returns
    -------
    dict
        ``strategies`` (display labels), ``rows`` (one per regime, catalog order),
        ``names`` (regime names) and ``summary`` (counts of regimes, losses of the
        strategy under test, thesis held/failed, signal hits).
    """
    shown = _shown_regimes(table)
    rows = [_regime_row(table[table["regime"] == name], names, timing) for name in shown]
    main = next(iter(names))
    main_returns = [r["strategies"][0]["return"]["value"] for r in rows]
    return {
        "strategies": list(names.values()),
        "rows": rows,
        "names": shown,
        "summary": {
            "regimes": len(rows),
            "main": names[main],
            "main_lost": sum(1 for v in main_returns if v is not None and v < 0),
            "thesis_failed": sum(1 for r in rows if r["thesis"] == "failed"),
            "thesis_held": sum(1 for r in rows if r["thesis"] == "held"),
            "signal_hits": (None if timing.empty else sum(1 for r in rows if r["hit"] == "yes")),
        },
    }
