"""Per-regime results: what strategies returned, and when a signal turned risk-off.

Conventions
-----------
Which bars belong to a regime. A bar dated ``d`` holds the return earned
since the previous bar's date ``p``: it covers the calendar days
``p + 1 .. d`` (the interval ``(p, d]``). The first bar of a series has no
previous date; it is given the series' median spacing, rounded up to whole
days (one day for a single bar). A regime covers the days ``start .. end``,
both inclusive. A bar belongs to a regime when

    ``p + 1 <= end``  and  (``d > start``  or  (``d == start`` and the bar spans
    at most two weekdays)),

that is, when the days it covers overlap the regime, except that a bar of
more than two weekdays whose only regime day is its closing day, the
regime's first day, is left out: a monthly bar dated 31 Jan earned almost
all of its return before a regime starting 31 Jan, so that regime begins
with the February bar. On daily data the bar dated on the start day is that
day's return and belongs to the regime (the two-weekday allowance keeps it
after a one-day holiday; a bar dated Monday spans one weekday). So a regime
ending mid-month keeps the month holding its end (a crash on 19 Oct is in
the October bar dated 31 Oct), and a regime shorter than a bar keeps the bar
that holds it (a one-day regime on the closing day of a longer bar gets no
bar). The price is that a bar straddling a boundary is counted whole:
a regime from 20 Mar includes all of the March bar, and two adjacent regimes
may share a bar. With daily bars the rule is the plain ``start <= d <= end``,
except that a bar after a weekend or holiday also counts when the regime
ends on one of the days it covers. Dates are compared as calendar days (the
time of day is ignored).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from backtest.errors import ConfigError, DataError
from backtest.regimes._catalog import Regime

__all__ = ["regime_table", "signal_timing"]

_TABLE_COLUMNS: tuple[str, ...] = (
    "regime",
    "kind",
    "start",
    "end",
    "strategy",
    "bars",
    "return",
    "max_drawdown",
    "long_minus_short",
    "coverage",
)
_TIMING_COLUMNS: tuple[str, ...] = (
    "regime",
    "kind",
    "start",
    "end",
    "signal_hit",
    "first_risk_off",
    "lead_days",
    "share_risk_off",
    "bars",
    "coverage",
)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
DayArray = npt.NDArray[np.datetime64]

#: A bar dated on a regime's start day belongs to the regime only if it spans at most
#: this many weekdays (a daily bar, also across a one-day holiday).
_MAX_START_BAR_WEEKDAYS = 2


class _Bars(NamedTuple):
    """The calendar days each bar covers: ``opens[i] .. closes[i]``, ``datetime64[D]``."""

    opens: DayArray
    closes: DayArray
    short: BoolArray  # spans at most _MAX_START_BAR_WEEKDAYS weekdays


def regime_table(
    returns: pd.DataFrame,
    catalog: Sequence[Regime],
    *,
    long_returns: pd.Series | None = None,
    short_returns: pd.Series | None = None,
) -> pd.DataFrame:
    r"""Compound each strategy's returns inside each regime.

    Parameters
    ----------
    returns : pd.DataFrame
        DataFrame of shape (n_dates, n_strategies): simple periodic returns
        (decimals) on a tz-naive, increasing, unique ``DatetimeIndex`` named
        ``date``. Each row is the return over the bar *ending* on that date.
        NaN means "no data for this strategy on this bar" and is skipped.
    catalog : sequence of Regime
        E.g. the output of :func:`load_catalog`.
    long_returns, short_returns : pd.Series, optional
        Simple returns of the long-duration and short-duration sleeves on a
        ``DatetimeIndex`` (normally the index of ``returns``). Pass both or
        neither.

    Returns
    -------
    pd.DataFrame
        Long format, one row per (regime, strategy) with at least one bar,
        in catalog order then column order; shape (n_rows, 10) with columns:

        ``regime`` (str), ``kind`` (str, a :class:`RegimeKind` value),
        ``start``, ``end`` (the regime's dates), ``strategy`` (str, the
        column label), ``bars`` (int, non-NaN bars that belong to the
        regime, see the module's conventions),
        ``return`` (compounded return over those bars), ``max_drawdown``
        (worst fall of the wealth path inside the regime, a decimal <= 0),
        ``long_minus_short`` (compounded long sleeve minus compounded short
        sleeve inside the regime, the same on every row of a regime; NaN if
        the sleeves were not given or have no common bar there) and
        ``coverage`` (``"full"`` or ``"partial"``).

    Raises
    ------
    DataError
        ``returns`` or a sleeve is not numeric, or its index is not a
        tz-naive, increasing, unique ``DatetimeIndex``; duplicate columns.
    TypeError
        Only one of ``long_returns`` and ``short_returns`` is given.

    Notes
    -----
    A bar dated ``d`` covers the days after the previous bar's date up to
    ``d``; it belongs to a regime when those days overlap ``[start, end]``,
    except that a bar longer than two weekdays that closes on ``start`` is
    left out (the module docstring gives the exact rule). So on monthly data
    a regime ending 19 Oct includes the October bar dated 31 Oct, a regime
    within one month includes that month's bar, and a regime starting on a
    bar date, e.g. 31 Jan, starts with the next bar. Bars straddling a
    boundary are counted whole, so with coarse bars the numbers span
    somewhat more than the regime. A regime that no bar overlaps is left out.

    Over the ``n`` bars :math:`r_1, \dots, r_n` inside a regime, with wealth
    :math:`W_0 = 1` before the first bar and :math:`W_k = \prod_{i \le k}(1 + r_i)`:

    .. math::

        \text{return} = W_n - 1, \qquad
        \text{max\_drawdown} = \min_{0 \le k \le n}
        \left(\frac{W_k}{\max_{j \le k} W_j} - 1\right).

    ``long_minus_short`` compounds each sleeve over the bars inside the
    regime where both sleeves have a value, then subtracts.

    ``coverage`` is ``"full"`` when the strategy's non-NaN bars cover every
    day of the regime: the first one covers ``start`` or an earlier day and
    the last one is dated on or after ``end``; otherwise the data cover only
    part of the regime and the numbers are for that part.

    Examples
    --------
    A regime ending mid-March includes the March bar dated 31 Mar:

    >>> from backtest.regimes import Regime, RegimeKind
    >>> idx = pd.DatetimeIndex(["2022-01-31", "2022-02-28", "2022-03-31"], name="date")
    >>> rets = pd.DataFrame({"growth": [-0.10, 0.05, -0.02]}, index=idx)
    >>> shock = Regime("test", pd.Timestamp("2022-02-01"), pd.Timestamp("2022-03-15"),
    ...                RegimeKind.RATE_SHOCK, "demo", "none")
    >>> row = regime_table(rets, [shock]).iloc[0]
    >>> int(row["bars"]), round(float(row["return"]), 6), round(float(row["max_drawdown"]), 6)
    (2, 0.029, -0.02)
    >>> row["coverage"]
    'full'
    """
    _check_frame(returns, "returns")
    if (long_returns is None) != (short_returns is None):
        raise TypeError("pass both long_returns and short_returns, or neither")
    values = _as_float(returns, "returns")
    bars = _bars(returns.index)
    sleeves: tuple[_Bars, FloatArray, FloatArray, BoolArray] | None = None
    if long_returns is not None and short_returns is not None:
        sleeves = _aligned_sleeves(long_returns, short_returns)
    valid = ~np.isnan(values)

    rows: list[tuple[object, ...]] = []
    for regime in catalog:
        inside = _inside(bars, regime)
        if not inside.any():
            continue
        spread = _sleeve_spread(sleeves, regime)
        for j, label in enumerate(returns.columns):
            window = values[inside & valid[:, j], j]
            if window.size == 0:
                continue
            positions = np.flatnonzero(valid[:, j])
            full = bool(
                bars.opens[positions[0]] <= _day(regime.start)
                and bars.closes[positions[-1]] >= _day(regime.end)
            )
            rows.append(
                (
                    regime.name,
                    regime.kind.value,
                    regime.start,
                    regime.end,
                    str(label),
                    int(window.size),
                    float(np.prod(1.0 + window) - 1.0),
                    _max_drawdown(window),
                    spread,
                    "full" if full else "partial",
                )
            )
    floats = ("return", "max_drawdown", "long_minus_short")
    return _frame(rows, _TABLE_COLUMNS, ints=("bars",), floats=floats)


def signal_timing(
    risk_off: pd.Series, catalog: Sequence[Regime], *, lead_window_days: int = 183
) -> pd.DataFrame:
    """Say whether, and when, a signal turned risk-off around each regime.

    Parameters
    ----------
    risk_off : pd.Series
        Boolean Series of shape (n_dates,) on a tz-naive, increasing, unique
        ``DatetimeIndex`` named ``date``: True where the signal, as known at
        that bar's close, says risk-off.
    catalog : sequence of Regime
        E.g. the output of :func:`load_catalog`.
    lead_window_days : int, default 183
        How many calendar days before a regime's start a risk-off reading
        still counts as calling that regime (183 is about six months).

    Returns
    -------
    pd.DataFrame
        One row per regime with at least one bar of ``risk_off`` that belongs
        to it (as in :func:`regime_table`), in catalog order; shape
        (n_rows, 10) with columns:

        ``regime``, ``kind``, ``start``, ``end`` (as in
        :func:`regime_table`); ``signal_hit`` (bool: risk-off on any bar in
        ``[start - lead_window_days, end]``); ``first_risk_off`` (the date of
        the first such bar, NaT if none); ``lead_days`` (float: calendar
        days from ``start`` to ``first_risk_off``, NaN if none);
        ``share_risk_off`` (fraction of the bars belonging to the regime
        that were risk-off); ``bars`` (int, bars belonging to the regime) and
        ``coverage`` (``"full"`` when the series spans the whole window
        ``[start - lead_window_days, end]``, else ``"partial"``).

    Raises
    ------
    ConfigError
        ``lead_window_days`` is negative.
    DataError
        ``risk_off`` is not boolean, holds missing values, or its index is
        not a tz-naive, increasing, unique ``DatetimeIndex``.

    Notes
    -----
    Sign convention: ``lead_days < 0`` means the signal turned risk-off
    *before* the regime started (it led), ``0`` on the start day, ``> 0``
    after the start (it lagged). ``lead_days`` is never below
    ``-lead_window_days``: a signal that was already risk-off before the
    window opened is reported at the window's first bar, so a signal stuck
    in risk-off "leads" every regime. Read ``lead_days`` together with
    ``share_risk_off`` and with how often the signal is risk-off outside
    regimes. Dates are compared as calendar days. A ``"partial"`` miss may
    be a miss only because the series starts too late.

    Two rules, on purpose. ``bars`` and ``share_risk_off`` use the bars
    belonging to the regime (see the module's conventions: on monthly data
    a regime ending 19 Oct includes the bar dated 31 Oct). ``signal_hit``,
    ``first_risk_off`` and ``lead_days`` use bar *dates* in
    ``[start - lead_window_days, end]``, because a reading is known only at
    its bar's close: a risk-off reading dated 31 Oct came after a regime
    ending 19 Oct and does not call it, although it counts in
    ``share_risk_off``.

    Examples
    --------
    >>> from backtest.regimes import Regime, RegimeKind
    >>> idx = pd.date_range("2022-01-31", periods=4, freq="ME", name="date")
    >>> signal = pd.Series([False, True, True, False], index=idx)
    >>> shock = Regime("test", pd.Timestamp("2022-03-01"), pd.Timestamp("2022-04-30"),
    ...                RegimeKind.RATE_SHOCK, "demo", "none")
    >>> row = signal_timing(signal, [shock], lead_window_days=31).iloc[0]
    >>> bool(row["signal_hit"]), float(row["lead_days"]), float(row["share_risk_off"])
    (True, -1.0, 0.5)
    """
    if lead_window_days < 0:
        raise ConfigError(f"lead_window_days must be >= 0, got {lead_window_days}")
    _check_index(risk_off.index, "risk_off")
    if not pd.api.types.is_bool_dtype(risk_off.dtype):
        raise DataError(f"risk_off must be a boolean Series, got dtype {risk_off.dtype}")
    if bool(risk_off.isna().any()):
        raise DataError("risk_off holds missing values; decide risk-on or risk-off for each bar")
    flags = risk_off.to_numpy(dtype=bool)
    days = risk_off.index.normalize()
    bars = _bars(risk_off.index)
    lead = pd.Timedelta(days=lead_window_days)

    rows: list[tuple[object, ...]] = []
    for regime in catalog:
        inside = _inside(bars, regime)
        if not inside.any():
            continue
        opens = regime.start - lead
        hits = np.asarray((days >= opens) & (days <= regime.end)) & flags
        first_risk_off, lead_days = pd.NaT, np.nan
        if hits.any():
            position = int(np.argmax(hits))
            first_risk_off = risk_off.index[position]
            lead_days = float((days[position] - regime.start).days)
        full = len(days) > 0 and days[0] <= opens and days[-1] >= regime.end
        rows.append(
            (
                regime.name,
                regime.kind.value,
                regime.start,
                regime.end,
                bool(hits.any()),
                first_risk_off,
                lead_days,
                float(flags[inside].mean()),
                int(inside.sum()),
                "full" if full else "partial",
            )
        )
    frame = _frame(rows, _TIMING_COLUMNS, ints=("bars",), floats=("lead_days", "share_risk_off"))
    frame["signal_hit"] = frame["signal_hit"].astype(bool)
    return frame


def _max_drawdown(window: FloatArray) -> float:
    """Worst fall from a running peak of the wealth path ``[1, W_1, ..., W_n]``."""
    wealth = np.concatenate(([1.0], np.cumprod(1.0 + window)))
    peaks = np.maximum.accumulate(wealth)
    return float(np.min(wealth / peaks - 1.0))


def _day(date: pd.Timestamp) -> np.datetime64:
    """The calendar day of ``date`` as ``datetime64[D]``."""
    return np.datetime64(date.date(), "D")


def _bars(index: pd.DatetimeIndex) -> _Bars:
    """The calendar days each bar of ``index`` covers (see the module's conventions).

    Bar ``i`` covers ``closes[i - 1] + 1 .. closes[i]``; the first bar is
    given the median spacing of the series rounded up to whole days (one day
    if there is a single bar). Bars sharing a calendar day (intraday data)
    cover just that day.
    """
    closes = index.normalize().to_numpy().astype("datetime64[D]")
    if closes.size == 0:
        return _Bars(closes, closes, np.zeros(0, dtype=np.bool_))
    steps = np.diff(closes).astype(np.int64)
    spacing = max(1, math.ceil(float(np.median(steps)))) if steps.size else 1
    previous = np.concatenate((closes[:1] - np.timedelta64(spacing, "D"), closes[:-1]))
    one_day = np.timedelta64(1, "D")
    opens = np.minimum(previous + one_day, closes)
    weekdays = np.busday_count(opens, closes + one_day)
    return _Bars(opens, closes, np.asarray(weekdays <= _MAX_START_BAR_WEEKDAYS))


def _inside(bars: _Bars, regime: Regime) -> BoolArray:
    """Which bars belong to ``regime`` (see the module's conventions)."""
    start, end = _day(regime.start), _day(regime.end)
    after_start = (bars.closes > start) | ((bars.closes == start) & bars.short)
    return np.asarray((bars.opens <= end) & after_start)


def _aligned_sleeves(
    long_returns: pd.Series, short_returns: pd.Series
) -> tuple[_Bars, FloatArray, FloatArray, BoolArray]:
    """Check both sleeves, align them on their common dates, mark where both have a value.

    The bars are those of the common dates, so a bar after a NaN keeps its
    own interval rather than absorbing the missing bar's.
    """
    for series, what in ((long_returns, "long_returns"), (short_returns, "short_returns")):
        _check_index(series.index, what)
    both = pd.concat(
        [
            pd.Series(_as_float(long_returns, "long_returns"), index=long_returns.index),
            pd.Series(_as_float(short_returns, "short_returns"), index=short_returns.index),
        ],
        axis=1,
        join="inner",
    )
    long_values = both.iloc[:, 0].to_numpy(dtype=float)
    short_values = both.iloc[:, 1].to_numpy(dtype=float)
    valid = ~(np.isnan(long_values) | np.isnan(short_values))
    return _bars(pd.DatetimeIndex(both.index)), long_values, short_values, valid


def _sleeve_spread(
    sleeves: tuple[_Bars, FloatArray, FloatArray, BoolArray] | None, regime: Regime
) -> float:
    """Compounded long sleeve minus compounded short sleeve over the regime's bars."""
    if sleeves is None:
        return float("nan")
    bars, long_values, short_values, valid = sleeves
    inside = _inside(bars, regime) & valid
    if not inside.any():
        return float("nan")
    return float(np.prod(1.0 + long_values[inside]) - np.prod(1.0 + short_values[inside]))


def _check_frame(returns: pd.DataFrame, what: str) -> None:
    """Check the shape of a returns frame."""
    if not isinstance(returns, pd.DataFrame):
        raise DataError(f"{what} must be a DataFrame, got {type(returns).__name__}")
    _check_index(returns.index, what)
    if not returns.columns.is_unique:
        raise DataError(f"{what} has duplicate column labels; name each strategy once")


def _check_index(index: pd.Index, what: str) -> None:
    """Require a tz-naive, increasing, unique DatetimeIndex."""
    if not isinstance(index, pd.DatetimeIndex):
        raise DataError(f"{what} must have a DatetimeIndex, got {type(index).__name__}")
    if index.tz is not None:
        raise DataError(f"{what} has a tz-aware index ({index.tz}); convert it to tz-naive dates")
    if not index.is_monotonic_increasing or not index.is_unique:
        raise DataError(f"{what} index must be increasing with no duplicate dates")


def _as_float(data: pd.DataFrame | pd.Series, what: str) -> FloatArray:
    """Return the values as a float array, or raise if they are not numeric."""
    try:
        values: FloatArray = data.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{what} must hold numbers: {exc}") from exc
    return values


def _frame(
    rows: list[tuple[object, ...]],
    columns: tuple[str, ...],
    *,
    ints: tuple[str, ...],
    floats: tuple[str, ...],
) -> pd.DataFrame:
    """Build the output frame with stable dtypes, also when it is empty.

    Dates are ``datetime64[us]`` (pandas' default unit for parsed dates),
    whatever the unit of the inputs.
    """
    frame = pd.DataFrame.from_records(rows, columns=list(columns))
    for name in ("start", "end", "first_risk_off"):
        if name in frame:
            frame[name] = pd.to_datetime(frame[name]).astype("datetime64[us]")
    for name in ints:
        frame[name] = frame[name].astype("int64")
    for name in floats:
        frame[name] = frame[name].astype("float64")
    return frame
