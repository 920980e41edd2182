"""The search space: parameters by dotted config path, their values, and the trials drawn.

A parameter spec is one of

* ``"start:stop:step"`` — inclusive arithmetic range (``"-1:1:0.25"`` → -1, -0.75, …, 1),
  computed in decimal so that 0.1 steps give 0.3, not 0.30000000000000004; integers
  stay integers when start, stop and step are integers;
* ``"a,b,c"`` — a list, each element a TOML value (``"0.5,1,2"``, ``"short,cash"``);
* a TOML array (in ``[tune.params]``) or a single value.

Grid search takes every combination in a fixed order (the first parameter varies
slowest); random search draws ``trials`` distinct combinations of that grid
without replacement, seeded, so that neighbours on the grid stay defined.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np

from backtest.config import RunConfig, SearchKind, parse_config, set_path, split_path
from backtest.config._overrides import parse_value, plain
from backtest.errors import ConfigError, UnknownKeyError
from backtest.strategies import load_strategy

__all__ = ["Parameter", "Space", "Trial", "check_space", "parse_param", "parse_spec"]

#: Largest grid materialized; a bigger space needs --search random.
MAX_GRID = 1_000_000


@dataclass(frozen=True)
class Parameter:
    """One swept parameter: a dotted config path and its candidate values, in order."""

    path: str
    values: tuple[Any, ...]
    spec: str


@dataclass(frozen=True)
class Trial:
    """One point of the space: its number (position in the sweep) and its values."""

    number: int
    params: Mapping[str, Any]
    grid_index: tuple[int, ...]  # position of each value in its parameter's values


def _decimal(text: str, where: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ConfigError(f"{where}: {text.strip()!r} is not a number") from None
    if not value.is_finite():
        raise ConfigError(f"{where}: {text.strip()!r} is not a finite number")
    return value


def _range(spec: str, where: str) -> tuple[Any, ...]:
    parts = spec.split(":")
    if len(parts) != 3:
        raise ConfigError(f"{where}: a range is start:stop:step, got {spec!r}")
    start, stop, step = (_decimal(p, where) for p in parts)
    if step <= 0:
        raise ConfigError(f"{where}: the step of {spec!r} must be > 0")
    if stop < start:
        raise ConfigError(f"{where}: empty range {spec!r} (stop < start)")
    count = int((stop - start) / step) + 1
    if count > MAX_GRID:
        raise ConfigError(f"{where}: {spec!r} has {count} values; at most {MAX_GRID}")
    integral = all(p.strip().lstrip("+-").isdigit() for p in parts)
    values = [start + i * step for i in range(count)]
    return tuple(int(v) if integral else float(v) for v in values)


def _looks_like_range(spec: str) -> bool:
    """``1:2:0.5`` (or a malformed ``1:2``): a number, then a colon; ``yahoo:QQQ`` is not."""
    head, colon, _ = spec.partition(":")
    if not colon or "," in spec or "[" in spec:
        return False
    try:
        Decimal(head.strip())
    except InvalidOperation:
        return False
    return True


def parse_spec(spec: Any, where: str) -> tuple[Any, ...]:
    """The values of one parameter spec (see the module docstring).

    Raises
    ------
    ConfigError
        An empty range or list, a malformed range, repeated values.
    """
    if isinstance(spec, list | tuple):
        values = tuple(spec)
    elif isinstance(spec, str) and _looks_like_range(spec):
        values = _range(spec, where)
    elif isinstance(spec, str):
        text = spec.strip()
        if text.startswith("["):
            parsed = parse_value(text)
            values = tuple(parsed) if isinstance(parsed, list) else (parsed,)
        else:
            values = tuple(parse_value(v) for v in text.split(",") if v.strip())
    else:
        values = (spec,)
    if not values:
        raise ConfigError(f"{where}: no values in {spec!r}")
    for v in values:
        if isinstance(v, float) and not math.isfinite(v):
            raise ConfigError(f"{where}: {v!r} is not a finite number")
    keys = [repr(v) for v in values]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"{where}: repeated values in {spec!r}")
    return values


def parse_param(text: str) -> tuple[str, str]:
    """Split a ``--param PATH=SPEC`` argument into its path and spec."""
    path, sep, spec = text.partition("=")
    if not sep or not spec.strip():
        raise ConfigError(f"--param {text!r}: expected PATH=SPEC, e.g. strategy.enter=-1:1:0.25")
    split_path(path)  # fail early on a malformed path
    return path.strip(), spec.strip()


@dataclass(frozen=True)
class Space:
    """The parameters of a search and how trials are drawn from their grid."""

    parameters: tuple[Parameter, ...]
    search: SearchKind = "grid"
    trials: int | None = None
    seed: int = 0

    @classmethod
    def from_specs(
        cls,
        specs: Mapping[str, Any],
        *,
        search: SearchKind = "grid",
        trials: int | None = None,
        seed: int = 0,
    ) -> Space:
        """Build a space from ``path -> spec`` (TOML ``[tune.params]`` and ``--param``)."""
        if not specs:
            raise ConfigError(
                "tune: no parameters to sweep; add --param PATH=SPEC (e.g. "
                "--param strategy.enter=-1:1:0.25) or a [tune.params] table"
            )
        params = tuple(
            Parameter(path=p, values=parse_spec(s, f"tune parameter {p}"), spec=str(s))
            for p, s in specs.items()
        )
        if search == "random" and trials is None:
            raise ConfigError("tune: --search random needs --trials N")
        return cls(parameters=params, search=search, trials=trials, seed=seed)

    @property
    def paths(self) -> tuple[str, ...]:
        """The dotted paths, in order."""
        return tuple(p.path for p in self.parameters)

    @property
    def size(self) -> int:
        """Number of combinations of the full grid."""
        return math.prod(len(p.values) for p in self.parameters)

    def draw(self) -> list[Trial]:
        """The trials of this search, numbered from 0."""
        shape = [len(p.values) for p in self.parameters]
        if self.search == "grid":
            if self.size > MAX_GRID:
                raise ConfigError(
                    f"tune: the grid has {self.size:,} combinations (at most {MAX_GRID:,}); "
                    "use --search random --trials N"
                )
            positions: Sequence[tuple[int, ...]] = list(
                itertools.product(*(range(n) for n in shape))
            )
        else:
            if int(self.trials or 0) > MAX_GRID:
                raise ConfigError(f"tune: --trials {self.trials:,} is more than {MAX_GRID:,}; "
                                  "a search that large is a grid of its own (narrow the space)")
            positions = _draw(shape, min(int(self.trials or 0), self.size), self.seed)
        return [
            Trial(
                number=n,
                params={p.path: p.values[i] for p, i in zip(self.parameters, pos, strict=True)},
                grid_index=tuple(pos),
            )
            for n, pos in enumerate(positions)
        ]


def _draw(shape: Sequence[int], count: int, seed: int) -> list[tuple[int, ...]]:
    """``count`` distinct grid positions, seeded, without ever listing the grid.

    Up to 2**62 combinations: numpy's sampling without replacement of flat indices
    (it needs memory for the draws, not the population); beyond, positions drawn
    coordinate by coordinate, repeats redrawn (a repeat is all but impossible there).
    """
    rng = np.random.default_rng(seed)
    size = math.prod(shape)
    if size <= 2**62:
        flat = rng.choice(size, size=count, replace=False)
        return [tuple(int(i) for i in np.unravel_index(int(f), shape)) for f in flat]
    seen: dict[tuple[int, ...], None] = {}
    while len(seen) < count:
        seen.setdefault(tuple(int(rng.integers(n)) for n in shape), None)
    return list(seen)


def check_space(config: RunConfig, space: Space) -> None:
    """Reject a parameter path the config cannot take (one line, listing valid keys).

    Each parameter's first value is applied alone to the base config; an unknown
    key, a missing array element or a path through a non-table is an invalid space.
    A value that is merely out of its domain (``exit > enter``) is not: such trials
    are skipped and counted later.
    """
    for param in space.parameters:
        raw = plain(config.raw)
        where = f"tune parameter {param.path}"
        try:
            set_path(raw, param.path, param.values[0])
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        try:
            cfg = parse_config(raw, source=config.source, base=Path(config.source).parent)
            for spec in cfg.strategies:
                load_strategy(spec.kind, spec.params, f"strategy {spec.label!r}",
                              base_dir=cfg.base_dir)
        except UnknownKeyError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        except ConfigError:
            pass  # a value out of its domain: that trial is skipped and counted
