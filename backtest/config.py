"""Run configuration: one TOML file parsed, in one place, into frozen dataclasses.

Precedence: ``--set section.key=value`` > TOML > dataclass default. Unknown keys
are rejected with the list of valid ones. See the README's config reference.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import pandas as pd

from backtest._fields import build_dataclass
from backtest._typing import PERIODS_PER_YEAR
from backtest.data.align import PublicationLag
from backtest.data.base import SeriesRequest
from backtest.data.expr import LinearExpr, parse_expr
from backtest.errors import ConfigError
from backtest.signals import SignalSpec, component_from_table, suggested_id

__all__ = [
    "AssetSpec",
    "CostModel",
    "DataConfig",
    "MacroSpec",
    "RunConfig",
    "RunSection",
    "SleeveSpec",
    "StrategySpec",
    "apply_overrides",
    "default_catalog_path",
    "default_config_path",
    "load_config",
    "parse_config",
]

SECTIONS = ("run", "costs", "data", "signal", "sleeves", "strategy", "benchmarks", "regimes")


@dataclass(frozen=True, kw_only=True)
class RunSection:
    """``[run]``: calendar, window and execution conventions."""

    name: str
    title: str = ""
    frequency: Literal["B", "D", "W", "M"] = "M"
    periods_per_year: int | None = None
    start: str | None = None
    end: str | None = None
    execution_lag: int = 1
    initial_capital: float = 1.0

    def __post_init__(self) -> None:
        if self.execution_lag < 0:
            raise ConfigError(f"run.execution_lag must be >= 0, got {self.execution_lag}")
        if self.initial_capital <= 0:
            raise ConfigError("run.initial_capital must be > 0")
        if self.periods_per_year is not None and self.periods_per_year < 1:
            raise ConfigError("run.periods_per_year must be >= 1")
        for key in ("start", "end"):
            value = getattr(self, key)
            if value is not None:
                try:
                    pd.Timestamp(value)
                except ValueError:
                    raise ConfigError(f"run.{key}: {value!r} is not a date") from None

    @property
    def ppy(self) -> int:
        """Periods per year: explicit, or the convention of the frequency (252/365/52/12)."""
        return self.periods_per_year or PERIODS_PER_YEAR[self.frequency]


@dataclass(frozen=True, kw_only=True)
class CostModel:
    """``[costs]``: proportional costs in basis points of traded value.

    ``fees_bps`` is charged on the value of every trade; ``slippage_bps`` moves the
    fill price against the trade (buys fill higher, sells lower). Trades in the
    cash asset are free.
    """

    fees_bps: float = 0.0
    slippage_bps: float = 0.0

    def __post_init__(self) -> None:
        if self.fees_bps < 0 or self.slippage_bps < 0:
            raise ConfigError("costs: fees_bps and slippage_bps must be >= 0")


#: Series quoted on a bank-discount basis / as bond-equivalent yields (checked for bill_yield).
_DISCOUNT_BILLS = frozenset({"TB3MS", "TB6MS", "TB4WK", "DTB3", "DTB6", "DTB4WK", "DTB1YR"})
_BOND_EQUIVALENT = frozenset({"DGS1MO", "DGS3MO", "DGS6MO", "DGS1"})
_BILL_ONLY = ("basis", "before", "before_basis", "lag", "before_lag")


@dataclass(frozen=True, kw_only=True)
class AssetSpec:
    """One tradable asset: ``alias = "source:name"`` or a table with ``id`` and ``kind``.

    ``kind`` overrides what the provider says the numbers are:

    * ``price`` — a total-return level;
    * ``return`` — decimal periodic returns; ``return_pct`` — returns in percent (as in
      the tidy Ken French CSV files). For return series, ``id`` may be a linear
      expression whose terms are combined bar by bar, e.g. the market
      ``"french:F-F_Research_Data_Factors/Mkt-RF + french:F-F_Research_Data_Factors/RF"``;
    * ``bill_yield`` — a cash asset built from a Treasury bill yield in percent
      (:mod:`backtest.data.bills`): ``basis`` says how ``id`` is quoted
      (``discount``: TB3MS, DTB3; ``bond_equivalent``: DGS3MO); ``before`` is an
      optional older series (with its ``before_basis``) used until ``id`` is first
      known; ``lag``/``before_lag`` override the publication lags.
    """

    id: str
    kind: Literal["price", "return", "return_pct", "bill_yield"] | None = None
    basis: Literal["discount", "bond_equivalent"] | None = None
    before: str | None = None
    before_basis: Literal["discount", "bond_equivalent"] | None = None
    lag: str | None = None
    before_lag: str | None = None

    def __post_init__(self) -> None:
        expr = parse_expr(self.id)
        for name in expr.names:
            SeriesRequest.parse(name)
        if self.kind != "bill_yield":
            extra = [k for k in _BILL_ONLY if getattr(self, k) is not None]
            if extra:
                raise ConfigError(
                    f"asset {self.id!r}: {', '.join(extra)}: only for kind = 'bill_yield'"
                )
            if len(expr.terms) > 1 and self.kind == "price":
                raise ConfigError(
                    f"asset {self.id!r}: price levels cannot be added; an expression asset "
                    "needs kind = 'return' or 'return_pct' (or a provider of returns)"
                )
            return
        self._check_bill()

    def _check_bill(self) -> None:
        where = f"bill_yield asset {self.id!r}"
        if self.before is not None:
            SeriesRequest.parse(self.before)
        for series, basis, lag, key in (
            (self.id, self.basis, self.lag, "basis"),
            (self.before, self.before_basis, self.before_lag, "before_basis"),
        ):
            if series is None:
                if basis is not None or lag is not None:
                    raise ConfigError(f"{where}: before_basis/before_lag need before")
                continue
            if len(parse_expr(series).terms) != 1:
                raise ConfigError(f"{where}: {series!r} must be a single series")
            if basis is None:
                raise ConfigError(
                    f"{where}: set {key} = 'discount' (TB3MS, DTB3) or 'bond_equivalent' "
                    f"(DGS3MO) for {series}"
                )
            name = series.rpartition("/")[2].rpartition(":")[2].upper()
            expected = ("discount" if name in _DISCOUNT_BILLS
                        else "bond_equivalent" if name in _BOND_EQUIVALENT else basis)
            if basis != expected:
                raise ConfigError(
                    f"{where}: {series} is quoted on a {expected} basis, not {basis}; "
                    f"set {key} = {expected!r}"
                )
            if lag is not None:
                PublicationLag(lag)

    @property
    def expr(self) -> LinearExpr:
        """The parsed id (one term for a plain series)."""
        return parse_expr(self.id)

    @property
    def series_ids(self) -> tuple[str, ...]:
        """Every series id this asset reads (expression terms, then ``before``)."""
        ids = self.expr.names
        return (*ids, self.before) if self.before is not None else ids

    @property
    def request(self) -> SeriesRequest:
        """The provider request of a single-series asset."""
        if len(self.expr.terms) != 1:
            raise ConfigError(f"asset {self.id!r} is an expression of several series")
        return SeriesRequest.parse(self.expr.names[0])


@dataclass(frozen=True, kw_only=True)
class MacroSpec:
    """One macro series: an id or linear expression of ids, and an optional lag override."""

    id: str
    lag: str | None = None

    def __post_init__(self) -> None:
        for name in self.expr.names:
            SeriesRequest.parse(name)
        if self.lag is not None:
            PublicationLag(self.lag)

    @property
    def expr(self) -> LinearExpr:
        """The parsed expression."""
        return parse_expr(self.id)


@dataclass(frozen=True, kw_only=True)
class DataConfig:
    """``[data]``: assets and macro series by alias, and which asset is cash."""

    assets: Mapping[str, AssetSpec]
    macro: Mapping[str, MacroSpec]
    cash: str

    def __post_init__(self) -> None:
        if self.cash not in self.assets:
            raise ConfigError(
                f"data.cash: {self.cash!r} is not an asset; assets: {', '.join(self.assets)}"
            )
        clash = set(self.assets) & set(self.macro)
        if clash:
            raise ConfigError(f"data: aliases used for both an asset and a macro series: {clash}")


@dataclass(frozen=True, kw_only=True)
class SleeveSpec:
    """``[sleeves]``: the long- and short-duration sleeves (cash is ``data.cash``).

    Parameters
    ----------
    method : {"explicit", "empirical"}
        ``explicit``: the ``long`` and ``short`` lists. ``empirical``: rank the
        ``universe`` by empirical duration (minus the rolling slope of returns on
        changes of ``yield_series``) at each re-rank date, using only estimates
        known at that close (:func:`backtest.duration.rank_sleeves`).
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
        When the ranking is refreshed (``empirical`` only); it is held in between.
    """

    method: Literal["explicit", "empirical"] = "explicit"
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

    def __post_init__(self) -> None:
        _check_sleeves(self)


def _check_sleeves(s: SleeveSpec) -> None:
    """Reject missing or irrelevant ``[sleeves]`` keys with what to write instead."""
    if s.method == "explicit":
        if not s.long or not s.short:
            raise ConfigError("sleeves: method 'explicit' needs long = [...] and short = [...]")
        extra = [k for k, default in _EMPIRICAL_ONLY.items() if getattr(s, k) != default]
        if extra:
            raise ConfigError(f"sleeves: {', '.join(extra)} apply only to method = 'empirical'")
    else:
        if s.long or s.short:
            raise ConfigError("sleeves: long/short lists apply only to method = 'explicit'; "
                              "method = 'empirical' ranks the universe")
        if s.yield_series is None or s.window is None:
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


#: Keys of ``[sleeves]`` that only ``method = "empirical"`` reads, with their defaults.
_EMPIRICAL_ONLY: Final[dict[str, Any]] = {
    "universe": (), "select": "terciles", "k": None, "rerank": "monthly"
}


@dataclass(frozen=True)
class StrategySpec:
    """A strategy by registry ``kind``, its display ``label`` and its parameters."""

    label: str
    kind: str
    params: Mapping[str, Any]


@dataclass(frozen=True)
class RunConfig:
    """A whole run, parsed and validated."""

    run: RunSection
    costs: CostModel
    data: DataConfig
    signal: SignalSpec
    sleeves: SleeveSpec
    strategy: StrategySpec
    benchmarks: tuple[StrategySpec, ...]
    regimes_catalog: Path
    source: str = "<string>"
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def strategies(self) -> tuple[StrategySpec, ...]:
        """The strategy under test first, then the benchmarks."""
        return (self.strategy, *self.benchmarks)

    @property
    def config_hash(self) -> str:
        """sha256 of the canonical JSON of the effective (overridden) configuration."""
        text = json.dumps(self.raw, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def default_config_path() -> Path:
    """``strategies/duration_rotation.toml`` of the installed package."""
    import strategies

    return Path(strategies.__file__).parent / "duration_rotation.toml"


def default_catalog_path() -> Path:
    """The regime catalog shipped with the package (``data/regimes.toml`` in the repo)."""
    import backtest.regimes

    return Path(backtest.regimes.__file__).parent / "regimes.toml"


def load_config(path: str | Path | None = None, overrides: Sequence[str] = ()) -> RunConfig:
    """Read, override and parse a TOML run config (``None`` = the default config)."""
    path = Path(path) if path is not None else default_config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: malformed TOML: {exc}") from None
    return parse_config(apply_overrides(raw, overrides), source=str(path), base=path.parent)


def apply_overrides(raw: Mapping[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Apply ``section.key=value`` overrides; the value is parsed as a TOML value."""
    out: dict[str, Any] = json.loads(json.dumps(raw, default=str))
    for item in overrides:
        key, sep, value = item.partition("=")
        parts = key.strip().split(".")
        if not sep or len(parts) < 2 or not all(parts):
            raise ConfigError(f"--set {item!r}: expected section.key=value")
        try:
            parsed = tomllib.loads(f"v = {value.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            parsed = value.strip()  # bare words are strings: --set strategy.kind=static_mix
        node = out
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"--set {item!r}: {part} is not a table")
            node = child
        node[parts[-1]] = parsed
    return out


def _table(raw: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: [{key}] must be a table")
    return value


def _strategy(label: str, table: Mapping[str, Any], where: str) -> StrategySpec:
    params = dict(table)
    kind = params.pop("kind", None)
    if not isinstance(kind, str):
        raise ConfigError(f"{where}: missing kind (the strategy type, e.g. binary_rotation)")
    label = str(params.pop("label", label))
    return StrategySpec(label=label, kind=kind, params=params)


def _signal(table: Mapping[str, Any], periods_per_year: int) -> SignalSpec:
    """``[signal]`` and its ``[[signal.components]]`` (presets resolved, months → bars)."""
    signal = dict(table)
    components = signal.get("components", [])
    if not isinstance(components, list) or not all(isinstance(c, Mapping) for c in components):
        raise ConfigError("signal.components must be an array of tables ([[signal.components]])")
    signal["components"] = tuple(
        component_from_table(c, periods_per_year=periods_per_year,
                             where=f"signal.components[{i}]")
        for i, c in enumerate(components)
    )
    return build_dataclass(SignalSpec, signal, "signal")


def _check_macro_aliases(spec: SignalSpec, sleeves: SleeveSpec, defined: set[str]) -> None:
    """Every alias a component or the sleeves read is under ``[data.macro]``."""
    reads = [(f"signal component {c.name!r}", c.series) for c in spec.components]
    if sleeves.yield_series is not None:
        reads.append(("sleeves.yield_series", sleeves.yield_series))
    for who, series in reads:
        for alias in parse_expr(series).names:
            if alias in defined:
                continue
            hint = suggested_id(alias)
            todo = (f'add {alias} = "{hint}" under [data.macro]' if hint
                    else f"define {alias} under [data.macro] (a series id or expression)")
            raise ConfigError(
                f"{who} reads macro alias {alias!r}, which [data.macro] does not define "
                f"(defined: {', '.join(sorted(defined)) or 'none'}); {todo}"
            )


def parse_config(
    raw: Mapping[str, Any], source: str = "<string>", base: Path | None = None
) -> RunConfig:
    """Validate a parsed TOML mapping into a :class:`RunConfig`."""
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise ConfigError(
            f"{source}: unknown section{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(unknown)}; valid sections: {', '.join(SECTIONS)}"
        )
    for required in ("run", "data", "signal", "sleeves", "strategy"):
        if required not in raw:
            raise ConfigError(f"{source}: missing section [{required}]")
    data = dict(_table(raw, "data", source))
    for key, cls in (("assets", AssetSpec), ("macro", MacroSpec)):
        entries = _table(data, key, f"{source} [data]")
        data[key] = {
            alias: build_dataclass(
                cls, {"id": v} if isinstance(v, str) else v, f"data.{key}.{alias}"
            )
            for alias, v in entries.items()
        }
    run = build_dataclass(RunSection, _table(raw, "run", source), "run")
    spec = _signal(_table(raw, "signal", source), run.ppy)
    sleeves = build_dataclass(SleeveSpec, _table(raw, "sleeves", source), "sleeves")
    _check_macro_aliases(spec, sleeves, set(data["macro"]))
    regimes = _table(raw, "regimes", source)
    catalog = regimes.get("catalog")
    if set(regimes) - {"catalog"}:
        raise ConfigError("regimes: unknown keys; valid keys: catalog")
    if catalog is None:
        catalog_path = default_catalog_path()
    else:
        catalog_path = ((base or Path.cwd()) / str(catalog)).resolve()
    benchmarks = _table(raw, "benchmarks", source)
    return RunConfig(
        run=run,
        costs=build_dataclass(CostModel, _table(raw, "costs", source), "costs"),
        data=build_dataclass(DataConfig, data, "data"),
        signal=spec,
        sleeves=sleeves,
        strategy=_strategy(run.name, _table(raw, "strategy", source), "strategy"),
        benchmarks=tuple(
            _strategy(name, _table(benchmarks, name, "benchmarks"), f"benchmarks.{name}")
            for name in benchmarks
        ),
        regimes_catalog=catalog_path,
        source=source,
        raw=raw,
    )
