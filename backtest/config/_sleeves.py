"""``[sleeves]``: how the long- and short-duration sleeves are formed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from backtest.data.expr import parse_expr
from backtest.errors import ConfigError

__all__ = ["SleeveSpec"]


@dataclass(frozen=True, kw_only=True)
class SleeveSpec:
    """``[sleeves]``: the long- and short-duration sleeves (cash is ``data.cash``).

    Parameters
    ----------
    method : {"explicit", "empirical", "dcf"}
        ``explicit``: the ``long`` and ``short`` lists. ``empirical``: rank the
        ``universe`` by empirical duration (minus the rolling slope of returns on
        changes of ``yield_series``) at each re-rank date, using only estimates
        known at that close (:func:`backtest.duration.rank_sleeves`). ``dcf``: rank
        the assets of ``cash_flow_yields`` by their Gordon-growth duration
        ``(1 + discount_rate) / yield`` as known at each re-rank date
        (:func:`backtest.duration.implied_durations`; a yield <= 0 ranks longest).
    long, short : tuple of str
        Asset aliases (``explicit`` only).
    universe : tuple of str
        Assets ranked (``empirical`` only); empty = every asset except cash.
    yield_series : str or None
        Macro alias (or expression) of a yield in PERCENT; its one-bar changes / 100
        are the regressor. Required by ``empirical``; with ``explicit`` it only
        adds duration estimates (for ``duration_targeting``).
    yield_lag_bars : int
        Bars by which the yield, as known at a close, trails the returns it
        explains (its publication lag on the run calendar: 1 for daily H.15 or
        monthly averages, 0 for same-close data). Returns are paired with the
        yield change known ``yield_lag_bars`` later; nothing after the close is used.
    window, min_periods : int or None
        Rolling regression window and minimum paired bars (``min_periods``
        defaults to ``window``).
    select : {"terciles", "top_k"}
        Sleeve sizes (``empirical`` only): top and bottom thirds, or ``k`` each.
    k : int or None
        Sleeve size for ``top_k``.
    rerank : {"monthly", "weekly", "every_bar"}
        When the ranking is refreshed (``empirical`` and ``dcf``); it is held in between.
    cash_flow_yields : mapping of str to str
        ``dcf`` only: asset alias -> macro alias (or expression) of its cash-flow
        yield in decimals (E/P or CF/P), lagged by the data layer; these assets are
        the universe. With ``yield_series``/``window`` the empirical estimates are
        computed as well and compared with the DCF ranking in the thesis.
    discount_rate : float
        ``dcf`` only: the cost of equity ``r`` (decimal per year) of every asset.
    """

    method: Literal["explicit", "empirical", "dcf"] = "explicit"
    long: tuple[str, ...] = ()
    short: tuple[str, ...] = ()
    universe: tuple[str, ...] = ()
    yield_series: str | None = None
    yield_lag_bars: int = 0
    window: int | None = None
    min_periods: int | None = None
    select: Literal["terciles", "top_k"] = "terciles"
    k: int | None = None
    rerank: Literal["monthly", "weekly", "every_bar"] = "monthly"
    cash_flow_yields: Mapping[str, str] = field(default_factory=dict)
    discount_rate: float = 0.10

    def __post_init__(self) -> None:
        _check_sleeves(self)
        _check_dcf(self)


def _check_sleeves(s: SleeveSpec) -> None:
    """Reject missing or irrelevant ``[sleeves]`` keys with what to write instead."""
    if s.method == "explicit":
        if not s.long or not s.short:
            raise ConfigError("sleeves: method 'explicit' needs long = [...] and short = [...]")
        extra = [k for k, default in _EMPIRICAL_ONLY.items() if getattr(s, k) != default]
        if extra:
            raise ConfigError(f"sleeves: {', '.join(extra)} apply only to method = 'empirical' "
                              f"or 'dcf'")
    else:
        if s.long or s.short:
            raise ConfigError(f"sleeves: long/short lists apply only to method = 'explicit'; "
                              f"method = {s.method!r} ranks the assets")
        if s.method == "empirical" and (s.yield_series is None or s.window is None):
            raise ConfigError("sleeves: method 'empirical' needs yield_series (a macro alias "
                              "of a yield in percent) and window (bars)")
        if s.select == "top_k" and (s.k is None or s.k < 1):
            raise ConfigError("sleeves: select = 'top_k' needs k >= 1")
        if s.select == "terciles" and s.k is not None:
            raise ConfigError("sleeves: k applies only to select = 'top_k'")
    if s.yield_series is None:
        if s.window is not None or s.min_periods is not None or s.yield_lag_bars:
            raise ConfigError("sleeves: window, min_periods and yield_lag_bars need "
                              "yield_series")
        return
    parse_expr(s.yield_series)
    if s.window is None or s.window < 2:
        raise ConfigError("sleeves: yield_series needs window >= 2 (bars)")
    if s.min_periods is not None and not 2 <= s.min_periods <= s.window:
        raise ConfigError(f"sleeves: min_periods must be in [2, window={s.window}]")
    if s.yield_lag_bars < 0:
        raise ConfigError("sleeves: yield_lag_bars must be >= 0")


def _check_dcf(s: SleeveSpec) -> None:
    """``cash_flow_yields`` and ``discount_rate`` belong to ``method = "dcf"`` alone."""
    if s.method != "dcf":
        if s.cash_flow_yields or s.discount_rate != 0.10:
            raise ConfigError("sleeves: cash_flow_yields and discount_rate apply only to "
                              "method = 'dcf'")
        return
    if len(s.cash_flow_yields) < 3:
        raise ConfigError("sleeves: method 'dcf' needs cash_flow_yields = { ASSET = "
                          "\"MACRO_ALIAS\", ... } for at least three assets")
    if s.universe:
        raise ConfigError("sleeves: with method 'dcf' the universe is the assets of "
                          "cash_flow_yields; drop universe")
    for expression in s.cash_flow_yields.values():
        parse_expr(expression)
    if not 0.0 < s.discount_rate < 1.0:
        raise ConfigError(f"sleeves.discount_rate must be a decimal in (0, 1) (0.10 = 10%), "
                          f"got {s.discount_rate}")


#: Keys of ``[sleeves]`` that only the ranked methods read, with their defaults.
_EMPIRICAL_ONLY: Final[dict[str, Any]] = {
    "universe": (), "select": "terciles", "k": None, "rerank": "monthly"
}
