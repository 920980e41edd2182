"""Built-in signal components (presets) and the TOML form of a component.

A preset is a named, documented :class:`~backtest.signals.ComponentSpec` template:
the macro alias(es) it reads, the transform, the sign, and horizons in MONTHS that
are turned into bars of the run calendar with ``periods_per_year``
(``bars = round(months * periods_per_year / 12)``, at least 1). So the same preset
means "12-month change" on a monthly (12 bars), weekly (52) or business-daily
(252) calendar.

In a config::

    [[signal.components]]
    preset = "real_yield_momentum"       # reads the macro alias DFII10
    horizon_months = 6                   # optional overrides ...
    weight = 0.5                         # ... of any component key

Any :class:`ComponentSpec` key overrides the preset (``periods`` and
``min_periods`` in bars), and three keys in months are accepted on every component
(preset or not): ``horizon_months`` (→ ``periods``), ``min_history_months``
(→ ``min_periods``) and ``window_months`` (→ ``window``). Giving both forms of one
quantity is an error. The component's ``name`` defaults to the preset's name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from backtest._fields import build_dataclass
from backtest.errors import ConfigError, UnknownKeyError
from backtest.signals._composite import ComponentSpec, Transform

__all__ = [
    "PRESETS",
    "Preset",
    "component_from_table",
    "months_to_bars",
    "suggested_id",
]


@dataclass(frozen=True, kw_only=True)
class Preset:
    """A built-in component template.

    Parameters
    ----------
    name : str
        Registry key (``preset = "..."`` in TOML) and default component name.
    series : str
        Macro alias, or a linear expression of aliases, the component reads.
    transform : {"level", "change", "pct_change", "yoy"}
    horizon_months : int or None
        Horizon of ``change``/``pct_change`` in months; ``None`` for ``level``.
    sign : {1, -1}
        ``+1`` when a higher value means a higher cost of capital.
    description : str
        One line for the documentation's table and error messages.
    min_history_months : int, default 60
        Months of transformed history before the expanding z-score is emitted.
    winsorize : float, default 3.0
        Clip of the z-score, so one component's outlier (2008 spreads, 2020 balance
        sheet) cannot dominate the composite.
    """

    name: str
    series: str
    transform: Transform
    horizon_months: int | None
    sign: Literal[1, -1]
    description: str
    min_history_months: int = 60
    winsorize: float = 3.0


#: Macro alias → a series id that serves it (what to add under ``[data.macro]``).
MACRO_IDS: Final[dict[str, str]] = {
    "DGS10": "fred:DGS10",
    "GS10": "fred:GS10",
    "AAA": "embedded:moody/AAA",
    "BAA": "embedded:moody/BAA",
    "DFII10": "fred:DFII10",
    "T10Y2Y": "fred:T10Y2Y",
    "DGS2": "fred:DGS2",
    "BAA10Y": "fred:BAA10Y",
    "BAMLH0A0HYM2": "fred:BAMLH0A0HYM2",
    "EBP": "csv:macro/EBP#ebp",
    "NFCI": "fred:NFCI",
    "WALCL": "fred:WALCL",
    "WTREGEN": "fred:WTREGEN",
    "RRPONTSYD": "fred:RRPONTSYD",
}

_NET_LIQUIDITY = "WALCL - WTREGEN - RRPONTSYD*1000"


def _momentum(name: str, series: str, what: str, sign: Literal[1, -1] = 1) -> Preset:
    return Preset(
        name=name, series=series, transform="change", horizon_months=12, sign=sign,
        description=f"12-month change of {what}",
    )


def _level(name: str, series: str, what: str, sign: Literal[1, -1] = 1) -> Preset:
    return Preset(
        name=name, series=series, transform="level", horizon_months=None, sign=sign,
        description=f"level of {what}",
    )


#: Every built-in preset by name.
PRESETS: Final[dict[str, Preset]] = {
    p.name: p
    for p in (
        _momentum("nominal_yield_momentum", "DGS10", "the 10-year Treasury yield (daily H.15)"),
        _momentum("nominal_yield_momentum_gs10", "GS10", "the 10-year Treasury yield "
                  "(monthly average)"),
        _momentum("nominal_yield_momentum_aaa", "AAA", "Moody's seasoned Aaa yield"),
        _momentum("real_yield_momentum", "DFII10", "the 10-year TIPS (real) yield"),
        _momentum("curve", "T10Y2Y", "the 10y−2y Treasury curve (steepening = risk-off)"),
        _momentum("curve_dgs", "DGS10 - DGS2", "DGS10 − DGS2 (steepening = risk-off)"),
        _level("credit_level", "BAA - AAA", "the Baa−Aaa credit spread"),
        _momentum("credit_momentum", "BAA - AAA", "the Baa−Aaa credit spread"),
        _level("baa10y_level", "BAA10Y", "the Baa − 10-year Treasury spread"),
        _momentum("baa10y_momentum", "BAA10Y", "the Baa − 10-year Treasury spread"),
        _level("hy_oas_level", "BAMLH0A0HYM2", "the ICE BofA US high-yield OAS"),
        _momentum("hy_oas_momentum", "BAMLH0A0HYM2", "the ICE BofA US high-yield OAS"),
        _level("ebp_level", "EBP", "the excess bond premium (Gilchrist–Zakrajšek)"),
        _momentum("ebp_momentum", "EBP", "the excess bond premium (Gilchrist–Zakrajšek)"),
        _level("financial_conditions", "NFCI", "the Chicago Fed NFCI (> 0: tighter)"),
        Preset(
            name="liquidity", series=_NET_LIQUIDITY, transform="pct_change",
            horizon_months=12, sign=-1,
            description="12-month % change of net liquidity, Fed assets − TGA − reverse "
            "repo (draining = risk-off)",
        ),
        _level("rrp_dry_powder", "RRPONTSYD", "the overnight reverse-repo balance "
               "(less dry powder = risk-off)", sign=-1),
    )
}

_MONTH_KEYS: Final = {
    "horizon_months": "periods",
    "min_history_months": "min_periods",
    "window_months": "window",
}


#: The longest horizon a signal or strategy may state in months.
_MAX_MONTHS = 1200


def months_to_bars(months: float, periods_per_year: int) -> int:
    """Bars of a calendar with ``periods_per_year`` in ``months`` (rounded, at least 1).

    Examples
    --------
    >>> months_to_bars(12, 252), months_to_bars(10, 12), months_to_bars(3, 52)
    (252, 10, 13)
    """
    if isinstance(months, bool) or not isinstance(months, int | float) or not (
            math.isfinite(months) and 0 <= months <= _MAX_MONTHS):
        raise ConfigError(f"a horizon of {months!r} months: expected a number from 0 to "
                          f"{_MAX_MONTHS} (a century)")
    return max(1, round(months * periods_per_year / 12))


def suggested_id(alias: str) -> str | None:
    """A series id that serves a preset's macro alias, or None if it is not one of theirs."""
    return MACRO_IDS.get(alias)


def _preset_defaults(name: object, where: str, periods_per_year: int) -> dict[str, Any]:
    if not isinstance(name, str) or name not in PRESETS:
        raise ConfigError(
            f"{where}: unknown preset {name!r}; valid presets: {', '.join(PRESETS)}"
        )
    p = PRESETS[name]
    out: dict[str, Any] = {
        "name": p.name,
        "series": p.series,
        "transform": p.transform,
        "standardize": "expanding",
        "min_periods": months_to_bars(p.min_history_months, periods_per_year),
        "winsorize": p.winsorize,
        "sign": p.sign,
    }
    if p.horizon_months is not None:
        out["periods"] = months_to_bars(p.horizon_months, periods_per_year)
    return out


def component_from_table(
    table: Mapping[str, Any], *, periods_per_year: int, where: str
) -> ComponentSpec:
    """Build a :class:`ComponentSpec` from one ``[[signal.components]]`` table.

    Parameters
    ----------
    table : mapping
        ComponentSpec keys, optionally ``preset`` (defaults to override) and the
        month-denominated keys ``horizon_months``, ``min_history_months``,
        ``window_months``.
    periods_per_year : int
        Bars per year of the run calendar (converts months to bars).
    where : str
        Prefix of error messages (``signal.components[0]``).

    Returns
    -------
    ComponentSpec

    Raises
    ------
    ConfigError
        Unknown preset (listing the valid ones), unknown key, a quantity given in
        both bars and months, or an invalid value.
    """
    values = dict(table)
    out: dict[str, Any] = {}
    if "preset" in values:
        out = _preset_defaults(values.pop("preset"), where, periods_per_year)
    for key, target in _MONTH_KEYS.items():
        if key not in values:
            continue
        if target in values:
            raise ConfigError(f"{where}: give {key} (months) or {target} (bars), not both")
        months = values.pop(key)
        if (isinstance(months, bool) or not isinstance(months, int | float)
                or not math.isfinite(months) or not 0 < months <= _MAX_MONTHS):
            raise ConfigError(f"{where}.{key}: expected a number of months above 0 and up to "
                              f"{_MAX_MONTHS} (a century), got {months!r}")
        out[target] = months_to_bars(months, periods_per_year)
    out.update(values)
    try:
        return build_dataclass(ComponentSpec, out, where)
    except UnknownKeyError as exc:
        raise UnknownKeyError(f"{exc}, preset, {', '.join(_MONTH_KEYS)}") from None
