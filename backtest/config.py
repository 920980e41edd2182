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
from typing import Any, Literal

import pandas as pd

from backtest._fields import build_dataclass
from backtest._typing import PERIODS_PER_YEAR
from backtest.data.align import PublicationLag
from backtest.data.base import SeriesRequest
from backtest.data.expr import LinearExpr, parse_expr
from backtest.errors import ConfigError
from backtest.signals import ComponentSpec, SignalSpec

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


@dataclass(frozen=True, kw_only=True)
class AssetSpec:
    """One tradable asset: ``alias = "source:name"`` or a table with ``id`` and ``kind``.

    ``kind`` overrides what the provider says the numbers are: ``price`` (a
    total-return level), ``return`` (decimal periodic returns) or ``return_pct``
    (periodic returns in percent, as in the tidy Ken French CSV files).
    """

    id: str
    kind: Literal["price", "return", "return_pct"] | None = None

    def __post_init__(self) -> None:
        SeriesRequest.parse(self.id)

    @property
    def request(self) -> SeriesRequest:
        """The provider request."""
        return SeriesRequest.parse(self.id)


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
    """``[sleeves]``: explicit long- and short-duration asset lists (cash is ``data.cash``)."""

    long: tuple[str, ...]
    short: tuple[str, ...]


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
    signal = dict(_table(raw, "signal", source))
    components = signal.get("components", [])
    if not isinstance(components, list):
        raise ConfigError("signal.components must be an array of tables ([[signal.components]])")
    signal["components"] = tuple(
        build_dataclass(ComponentSpec, c, f"signal.components[{i}]")
        for i, c in enumerate(components)
    )
    spec = build_dataclass(SignalSpec, signal, "signal")
    run = build_dataclass(RunSection, _table(raw, "run", source), "run")
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
        sleeves=build_dataclass(SleeveSpec, _table(raw, "sleeves", source), "sleeves"),
        strategy=_strategy(run.name, _table(raw, "strategy", source), "strategy"),
        benchmarks=tuple(
            _strategy(name, _table(benchmarks, name, "benchmarks"), f"benchmarks.{name}")
            for name in benchmarks
        ),
        regimes_catalog=catalog_path,
        source=source,
        raw=raw,
    )
