"""Timing that tells the truth: the state in force in a regime, since when, when it changed.

The older :func:`~backtest.regimes.signal_timing` reports the first risk-off
*reading* in a window that opens six months before a regime; a spell that had
ended long before the regime began still counted as "leading" it. The rules here
use the state *in force*: the state decided at a close holds over the next bar.

Definitions (bars belong to a regime by the rule in
:mod:`backtest.regimes._attribution`):

* **state at start** — the state decided at the close of the bar before the
  regime's first bar, i.e. the state held during that first bar; unknown when the
  data begin inside the regime;
* **since** — the close at which that state was entered (the last flip at or
  before it; the first bar of the data if it never flipped);
* **first switch** — the first flip of the state at a close after that one (the
  close of the regime's first bar or later) and dated on or before ``end``, and
  to which state;
* **share risk-off** — the share of the regime's bars held risk-off (the state
  at each bar's previous close);
* **expected state** — risk-off in a rate shock, credit stress or liquidity
  drain; risk-on in an easing;
* **lead_days** — calendar days from the regime's start to the moment the
  expected state came into force: ``since - start`` (<= 0, "it led") when it was
  already in force at the start, else ``first switch into it - start`` (>= 0, "it
  lagged"), NaN when it never came ("missed").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from backtest.errors import DataError
from backtest.regimes._attribution import _bars, _check_index, _day, _frame, _inside
from backtest.regimes._catalog import Regime, RegimeKind

__all__ = ["expected_spread_sign", "regime_mask", "regime_masks", "regime_timing"]

_COLUMNS: tuple[str, ...] = (
    "regime", "kind", "start", "end", "bars", "expected_state", "state_at_start",
    "state_since", "since_data_start", "first_switch", "first_switch_to",
    "share_risk_off", "lead_days", "called", "coverage",
)


def expected_spread_sign(kind: RegimeKind | str) -> int:
    """Sign the thesis predicts for long minus short duration in a regime of ``kind``.

    Easing: long duration should outperform (+1). Rate shocks, credit stress and
    liquidity drains: it should underperform (-1).
    """
    return 1 if str(kind) == RegimeKind.EASING.value else -1


def regime_mask(index: pd.DatetimeIndex, regime: Regime) -> np.ndarray:
    """Boolean mask of the bars of ``index`` that belong to ``regime``.

    The rule of :func:`~backtest.regimes.regime_table` (a bar belongs when the
    calendar days it covers overlap the regime; see the module
    :mod:`backtest.regimes._attribution`).
    """
    _check_index(index, "index")
    return np.asarray(_inside(_bars(index), regime), dtype=bool)


def regime_masks(index: pd.DatetimeIndex, catalog: Sequence[Regime]) -> list[np.ndarray]:
    """:func:`regime_mask` of each regime of ``catalog``, in order, the bars computed once."""
    _check_index(index, "index")
    bars = _bars(index)
    return [np.asarray(_inside(bars, regime), dtype=bool) for regime in catalog]


def _word(flag: bool) -> str:
    return "risk-off" if flag else "risk-on"


def _spell_start(flags: np.ndarray, at: int) -> tuple[int, bool]:
    """Position where the spell holding at ``at`` began, and whether that is the data's start."""
    flips = np.flatnonzero(flags[1 : at + 1] != flags[:at]) + 1
    return (int(flips[-1]), False) if flips.size else (0, True)


def regime_timing(risk_off: pd.Series, catalog: Sequence[Regime]) -> pd.DataFrame:
    """Per regime: the state in force at its start and since when, its first switch, its share.

    Parameters
    ----------
    risk_off : pd.Series
        Boolean state decided at each close, on a tz-naive, increasing, unique
        ``DatetimeIndex`` (the trading window).
    catalog : sequence of Regime

    Returns
    -------
    pd.DataFrame
        One row per regime with at least one bar, catalog order; columns ``regime``,
        ``kind``, ``start``, ``end``, ``bars``, ``expected_state``, ``state_at_start``
        (``"risk-off"``/``"risk-on"``, None if unknown), ``state_since``,
        ``since_data_start`` (bool), ``first_switch`` (NaT if none),
        ``first_switch_to``, ``share_risk_off`` (NaN if no bar has a known state),
        ``lead_days`` (NaN = missed), ``called`` (bool) and ``coverage``.

    Raises
    ------
    DataError
        ``risk_off`` is not boolean, has missing values or a bad index.

    Examples
    --------
    Risk-off since the January close, a regime from 1 March:

    >>> idx = pd.date_range("2022-01-31", periods=5, freq="ME", name="date")
    >>> state = pd.Series([True, True, True, False, False], index=idx)
    >>> shock = Regime("test", pd.Timestamp("2022-03-01"), pd.Timestamp("2022-05-31"),
    ...                RegimeKind.RATE_SHOCK, "demo", "none")
    >>> row = regime_timing(state, [shock]).iloc[0]
    >>> row["state_at_start"], str(row["state_since"].date()), float(row["lead_days"])
    ('risk-off', '2022-01-31', -29.0)
    >>> row["first_switch_to"], round(float(row["share_risk_off"]), 3)
    ('risk-on', 0.667)
    """
    _check_index(risk_off.index, "risk_off")
    if not pd.api.types.is_bool_dtype(risk_off.dtype) or bool(risk_off.isna().any()):
        raise DataError("risk_off must be a boolean Series without missing values")
    flags = risk_off.to_numpy(dtype=bool)
    index = pd.DatetimeIndex(risk_off.index)
    days = index.normalize().to_numpy().astype("datetime64[D]")
    bars = _bars(index)
    rows = [_row(regime, flags, index, days, np.asarray(_inside(bars, regime), dtype=bool))
            for regime in catalog]
    frame = _frame([r for r in rows if r is not None], _COLUMNS, ints=("bars",),
                   floats=("share_risk_off", "lead_days"))
    for name in ("state_since", "first_switch"):
        frame[name] = pd.to_datetime(frame[name]).astype("datetime64[us]")
    for name in ("state_at_start", "first_switch_to"):  # str or None, whatever the rows
        frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    frame["since_data_start"] = frame["since_data_start"].astype(bool)
    frame["called"] = frame["called"].astype(bool)
    return frame


def _row(
    regime: Regime, flags: np.ndarray, index: pd.DatetimeIndex, days: np.ndarray,
    inside: np.ndarray,
) -> tuple[object, ...] | None:
    if not inside.any():
        return None
    first = int(np.argmax(inside))
    expected = regime.kind != RegimeKind.EASING
    at_start: bool | None = None
    since, since_data_start = pd.NaT, False
    if first > 0:
        at_start = bool(flags[first - 1])
        begun, since_data_start = _spell_start(flags, first - 1)
        since = index[begun]
    # closes after the one that set the state at the start, up to the regime's end
    within = (np.arange(len(flags)) >= max(first, 1)) & (days <= _day(regime.end))
    flips = np.flatnonzero(within & np.r_[False, flags[1:] != flags[:-1]])
    switch = index[flips[0]] if flips.size else pd.NaT
    switch_to = _word(bool(flags[flips[0]])) if flips.size else None
    held = np.r_[np.nan, flags[:-1].astype(np.float64)][inside]
    share = float(np.nanmean(held)) if np.isfinite(held).any() else np.nan
    lead = np.nan
    if at_start is not None and at_start == expected:
        lead = float((since.normalize() - regime.start).days)
    else:
        into = flips[flags[flips] == expected]
        if into.size:
            lead = float((index[into[0]].normalize() - regime.start).days)
    full = bool(first > 0 and days[-1] >= _day(regime.end))
    return (
        regime.name, regime.kind.value, regime.start, regime.end, int(inside.sum()),
        _word(expected), None if at_start is None else _word(at_start), since,
        since_data_start, switch, switch_to, share, lead, bool(np.isfinite(lead)),
        "full" if full else "partial",
    )
