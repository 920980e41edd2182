"""Run configuration: one TOML file parsed, in one place, into frozen dataclasses.

Precedence: ``--set section.key=value`` > TOML > dataclass default. Unknown keys
are rejected with the list of valid ones. See docs/config.md (the config reference).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import pandas as pd

from backtest._fields import build_dataclass, describe, unknown_keys
from backtest._typing import PERIODS_PER_YEAR
from backtest.config._data import AssetSpec, DataConfig, MacroSpec
from backtest.config._overrides import (
    apply_overrides,
    check_overrides,
    get_path,
    set_path,
    split_path,
)
from backtest.config._sleeves import SleeveSpec
from backtest.config._thesis import ThesisSpec
from backtest.config._tune import Objective, SearchKind, TuneSection, WalkForwardSpec
from backtest.data.expr import parse_expr
from backtest.errors import ConfigError, raise_all
from backtest.signals import SignalSpec, component_from_table, suggested_id

__all__ = [
    "AssetSpec",
    "CostModel",
    "DataConfig",
    "MacroSpec",
    "Objective",
    "RunConfig",
    "RunSection",
    "SearchKind",
    "SleeveSpec",
    "StrategySpec",
    "ThesisSpec",
    "TuneSection",
    "WalkForwardSpec",
    "apply_overrides",
    "check_overrides",
    "default_catalog_path",
    "default_config_path",
    "find_default_config",
    "get_path",
    "load_config",
    "parse_config",
    "read_config",
    "replace_strategy",
    "set_path",
    "split_path",
]

T = TypeVar("T")

SECTIONS = (
    "run", "costs", "data", "signal", "sleeves", "strategy", "benchmarks", "regimes", "thesis",
    "tune",
)


@dataclass(frozen=True, kw_only=True)
class RunSection:
    """``[run]``: calendar, window and execution conventions.

    ``idea_date`` (optional) is when the config's idea was formed: ``backtest thesis``
    splits its evidence into the bars up to that date (seen when the idea was formed)
    and the bars after it (out of sample for the idea).
    """

    name: str
    title: str = ""
    frequency: Literal["B", "D", "W", "M"] = "M"
    periods_per_year: int | None = None
    start: str | None = None
    end: str | None = None
    execution_lag: int = 1
    initial_capital: float = 1.0
    benchmark: str | None = None
    idea_date: str | None = None

    def __post_init__(self) -> None:
        bad = [c for c in self.name if ord(c) < 32 or c in "/\\"]
        if not self.name.strip() or bad or self.name in (".", "..") or len(self.name) > 120:
            raise ConfigError(f"run.name {self.name!r}: it names the output files, so it must "
                              "be 1 to 120 characters with no control character and no / or \\")
        if self.execution_lag < 0:
            raise ConfigError(f"run.execution_lag must be >= 0, got {self.execution_lag}")
        if not 1e-6 <= self.initial_capital <= 1e15:  # beyond, float round-off takes over
            raise ConfigError(
                f"run.initial_capital must be between 1e-6 and 1e15, got {self.initial_capital}"
            )
        if self.periods_per_year is not None and self.periods_per_year < 1:
            raise ConfigError("run.periods_per_year must be >= 1")
        for key in ("start", "end", "idea_date"):
            value = getattr(self, key)
            if value is not None:
                try:
                    stamp = pd.Timestamp(value)
                except (ValueError, OverflowError):
                    raise ConfigError(f"run.{key}: {value!r} is not a date") from None
                if stamp.tz is not None or stamp is pd.NaT:
                    raise ConfigError(f"run.{key}: {value!r} is not a plain date "
                                      "(YYYY-MM-DD, no time zone)")
        if (self.start is not None and self.end is not None
                and pd.Timestamp(self.start) > pd.Timestamp(self.end)):
            raise ConfigError(
                f"run.start ({self.start}) is after run.end ({self.end}); swap them"
            )

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
        for key in ("fees_bps", "slippage_bps"):
            value = getattr(self, key)
            if not 0 <= value < 10_000:  # also refuses NaN
                raise ConfigError(f"costs.{key} must be >= 0 and below 10000 (100%), got {value}")


@dataclass(frozen=True)
class StrategySpec:
    """A strategy by registry ``kind``, its display ``label`` and its parameters.

    ``path`` is where the table sits in the config (``strategy``,
    ``benchmarks.market``): error messages about a parameter start with it.
    """

    label: str
    kind: str
    params: Mapping[str, Any]
    path: str = "strategy"


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
    tune: TuneSection = field(default_factory=TuneSection)
    source: str = "<string>"
    thesis: ThesisSpec = field(default_factory=ThesisSpec)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    base_dir: Path | None = field(default=None, compare=False)
    """The config's directory: relative paths and ``kind = "module:Class"`` resolve there."""

    @property
    def strategies(self) -> tuple[StrategySpec, ...]:
        """The strategy under test first, then the benchmarks."""
        return (self.strategy, *self.benchmarks)

    @property
    def benchmark(self) -> tuple[str | None, str]:
        """The benchmark of beta, alpha, information ratio and tracking error, and why.

        Returns
        -------
        tuple of (str or None, str)
            The benchmark's label (None: no benchmark) and the rule that chose it:
            ``run.benchmark`` when set (``"none"`` turns the measures off), else the
            first ``buy_and_hold`` benchmark of one asset.
        """
        chosen = self.run.benchmark
        if chosen is not None:
            if chosen.lower() == "none":
                return None, "none (run.benchmark = \"none\")"
            return chosen, "run.benchmark"
        for spec in self.benchmarks:
            if spec.kind == "buy_and_hold" and "asset" in spec.params:
                return spec.label, "default: the first buy_and_hold benchmark of one asset"
        return None, "none: no buy_and_hold benchmark of one asset (set run.benchmark)"

    @property
    def config_hash(self) -> str:
        """sha256 of the canonical JSON of the effective (overridden) configuration."""
        text = json.dumps(self.raw, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def default_config_path() -> Path:
    """``duration_rotation.toml`` as installed with the package (``backtest/configs/``).

    The repository keeps the run configs in ``strategies/``; the package ships a copy of
    each (symbolic links in the source tree) so an installed ``backtest run`` has them.
    """
    path = Path(__file__).resolve().parents[1] / "configs" / "duration_rotation.toml"
    if not path.is_file():
        raise ConfigError(f"the packaged default config is missing ({path}); reinstall dcf-regime")
    return path


def find_default_config(cwd: Path) -> tuple[Path, str]:
    """The config ``backtest run`` uses without one, and a line saying which it is.

    ``cwd/strategies/duration_rotation.toml`` when the working directory has one (a
    user's edited copy must not be ignored), else the packaged default
    (:func:`default_config_path`).
    """
    local = Path("strategies") / "duration_rotation.toml"
    if (cwd / local).is_file():
        return cwd / local, f"config: ./{local.as_posix()} (found in the working directory)"
    packaged = default_config_path()
    return packaged, (f"config: {packaged} (the packaged default; no ./{local.as_posix()} "
                      "in the working directory)")


def default_catalog_path() -> Path:
    """The regime catalog shipped with the package (``data/regimes.toml`` in the repo)."""
    import backtest.regimes

    return Path(backtest.regimes.__file__).parent / "regimes.toml"


def read_config(path: str | Path | None = None, overrides: Sequence[str] = ()) -> dict[str, Any]:
    """Read a TOML run config and apply ``--set`` overrides, without validating it.

    ``None`` reads the default config. The result is plain data (dates as ISO
    strings) for :func:`parse_config`.
    """
    check_overrides(overrides, [path] if path is not None else [])
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
    return apply_overrides(raw, overrides)


def load_config(path: str | Path | None = None, overrides: Sequence[str] = ()) -> RunConfig:
    """Read, override and parse a TOML run config (``None`` = the default config)."""
    path = Path(path) if path is not None else default_config_path()
    return parse_config(read_config(path, overrides), source=str(path), base=path.parent)


def _table(raw: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: [{key}] must be a table, got {describe(value)}")
    return value


def _strategy(label: str, table: Mapping[str, Any], where: str) -> StrategySpec:
    params = dict(table)
    kind = params.pop("kind", None)
    if kind is None:
        raise ConfigError(f"{where}: missing kind (the strategy type, e.g. binary_rotation)")
    if not isinstance(kind, str):
        raise ConfigError(f"{where}.kind: expected a strategy type (a string, e.g. "
                          f"binary_rotation), got {describe(kind)}")
    label = params.pop("label", label)
    if not isinstance(label, str) or not label.strip():
        raise ConfigError(f"{where}.label: expected a non-empty string, got {describe(label)}")
    return StrategySpec(label=label, kind=kind, params=params, path=where)


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


def _check_macro_aliases(
    spec: SignalSpec, sleeves: SleeveSpec, thesis: ThesisSpec, defined: set[str]
) -> None:
    """Every alias a component, the sleeves or the thesis read is under ``[data.macro]``."""
    reads = [(f"signal component {c.name!r}", c.series) for c in spec.components]
    if sleeves.yield_series is not None:
        reads.append(("sleeves.yield_series", sleeves.yield_series))
    reads += [(f"sleeves.cash_flow_yields.{asset}", expression)
              for asset, expression in sleeves.cash_flow_yields.items()]
    for key in ("yield_series", "credit_series"):
        value = getattr(thesis, key)
        if value is not None:
            reads.append((f"thesis.{key}", value))
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


class _Problems:
    """Collects the errors of a config so that all of them are reported at once."""

    def __init__(self) -> None:
        self.errors: list[ConfigError] = []

    def attempt(self, make: Callable[[], T]) -> T | None:
        """``make()``, or None with its error recorded."""
        try:
            return make()
        except ConfigError as exc:
            self.errors.append(exc)
            return None


def _data_specs(raw: Mapping[str, Any], source: str, problems: _Problems) -> dict[str, Any]:
    """``[data]`` with its assets and macro series built (each alias's problem recorded)."""
    data = dict(_table(raw, "data", source))
    for key, cls in (("assets", AssetSpec), ("macro", MacroSpec)):
        try:
            entries = _table(data, key, f"{source} [data]")
        except ConfigError as exc:
            problems.errors.append(exc)
            entries = {}
        built = {}
        for alias, v in entries.items():
            if not isinstance(v, str | Mapping):
                problems.errors.append(ConfigError(
                    f"data.{key}.{alias}: expected a series id (a string) or a table with "
                    f"id = ..., got {describe(v)}"))
                continue
            try:
                built[alias] = build_dataclass(cls, {"id": v} if isinstance(v, str) else v,
                                               f"data.{key}.{alias}")
            except ConfigError as exc:
                problems.errors.append(exc)
        data[key] = built
    return data


def _catalog(raw: Mapping[str, Any], source: str, base: Path | None) -> Path:
    regimes = _table(raw, "regimes", source)
    catalog = regimes.get("catalog")
    if set(regimes) - {"catalog"}:
        raise unknown_keys("regimes", sorted(set(regimes) - {"catalog"}), ["catalog"])
    if catalog is None:
        return default_catalog_path()
    if not isinstance(catalog, str) or not catalog.strip():
        raise ConfigError(f"regimes.catalog: expected a file path (a string), got "
                          f"{describe(catalog)}")
    return ((base or Path.cwd()) / catalog).resolve()


def _cross_checks(data: Mapping[str, Any], sleeves: SleeveSpec, thesis: ThesisSpec) -> None:
    unknown = [a for a in sleeves.cash_flow_yields if a not in data["assets"]]
    cash = data.get("cash")
    if unknown or (isinstance(cash, str) and cash in sleeves.cash_flow_yields):
        raise ConfigError(
            f"sleeves.cash_flow_yields: {unknown or [data.get('cash')]} are not non-cash "
            f"assets; assets: {', '.join(data['assets'])}"
        )
    if thesis.market is not None and thesis.market not in data["assets"]:
        raise ConfigError(
            f"thesis.market: {thesis.market!r} is not an asset; assets: {', '.join(data['assets'])}"
        )


def parse_config(
    raw: Mapping[str, Any], source: str = "<string>", base: Path | None = None
) -> RunConfig:
    """Validate a parsed TOML mapping into a :class:`RunConfig`.

    Every section is checked, and every problem found is reported at once
    (:class:`backtest.errors.ConfigErrors`, one line), each unknown key with a
    did-you-mean; a check that needs a section which is itself wrong waits for it.
    """
    problems = _Problems()
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        problems.errors.append(unknown_keys(source, unknown, SECTIONS, what="section"))
    for required in ("run", "data", "signal", "sleeves", "strategy"):
        if required not in raw:
            problems.errors.append(ConfigError(f"{source}: missing section [{required}]"))
    data = problems.attempt(lambda: _data_specs(raw, source, problems))
    run = problems.attempt(lambda: build_dataclass(RunSection, _table(raw, "run", source), "run"))
    spec = problems.attempt(lambda: _signal(_table(raw, "signal", source),
                                            run.ppy if run is not None else 12))
    sleeves = problems.attempt(
        lambda: build_dataclass(SleeveSpec, _table(raw, "sleeves", source), "sleeves"))
    thesis = problems.attempt(
        lambda: build_dataclass(ThesisSpec, _table(raw, "thesis", source), "thesis"))
    costs = problems.attempt(
        lambda: build_dataclass(CostModel, _table(raw, "costs", source), "costs"))
    tune = problems.attempt(
        lambda: build_dataclass(TuneSection, _table(raw, "tune", source), "tune"))
    catalog_path = problems.attempt(lambda: _catalog(raw, source, base))
    strategy = problems.attempt(lambda: _strategy(
        run.name if run is not None else "strategy", _table(raw, "strategy", source),
        "strategy"))
    tables = problems.attempt(lambda: _table(raw, "benchmarks", source)) or {}
    benchmarks = []
    for name in tables:
        try:
            benchmarks.append(_strategy(name, _table(tables, name, "benchmarks"),
                                        f"benchmarks.{name}"))
        except ConfigError as exc:
            problems.errors.append(exc)
    data_config = None
    if data is not None:
        data_config = problems.attempt(lambda: build_dataclass(DataConfig, data, "data"))
        if spec is not None and sleeves is not None and thesis is not None:
            problems.attempt(lambda: _check_macro_aliases(spec, sleeves, thesis,
                                                          set(data["macro"])))
            problems.attempt(lambda: _cross_checks(data, sleeves, thesis))
    raise_all(problems.errors, source)
    assert (run is not None and costs is not None and data_config is not None
            and spec is not None and sleeves is not None and strategy is not None
            and catalog_path is not None and tune is not None and thesis is not None)
    config = RunConfig(
        run=run,
        costs=costs,
        data=data_config,
        signal=spec,
        sleeves=sleeves,
        strategy=strategy,
        benchmarks=tuple(benchmarks),
        regimes_catalog=catalog_path,
        tune=tune,
        source=source,
        thesis=thesis,
        raw=raw,
        base_dir=base,
    )
    _check_benchmark(config)
    return config


def replace_strategy(config: RunConfig, raw: Mapping[str, Any]) -> RunConfig:
    """``config`` with the ``[strategy]`` table of ``raw``, every other section unchanged.

    What :func:`parse_config` gives for ``raw`` when ``raw`` differs from
    ``config.raw`` only in ``[strategy]`` (no other section reads that table), at a
    fraction of the cost: a sweep over strategy parameters parses one table per trial.
    """
    strategy = _strategy(config.run.name, _table(raw, "strategy", config.source), "strategy")
    return dataclasses.replace(config, strategy=strategy, raw=raw)


def _check_benchmark(config: RunConfig) -> None:
    """``run.benchmark`` names one of ``[benchmarks]`` (or is ``"none"``)."""
    chosen = config.run.benchmark
    labels = [spec.label for spec in config.benchmarks]
    if chosen is not None and chosen.lower() != "none" and chosen not in labels:
        raise ConfigError(
            f"run.benchmark: {chosen!r} is not a benchmark; benchmarks: "
            f"{', '.join(labels) or 'none'} (or \"none\")"
        )
