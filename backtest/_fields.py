"""Build frozen dataclasses from TOML tables, rejecting unknown keys and bad types.

Shared by the config parser and the strategy loader so that every parameter a
user writes is checked the same way: unknown keys are listed against the valid
ones, and values are coerced by the field's annotation (int, float, str, bool,
``Literal``, ``X | None``, ``tuple[str, ...]``, ``Mapping[str, float]``). Every
error names the key's full path (``benchmarks.sixty_forty.weights.MKT``) and what
was found instead. Numbers are finite (NaN and ±inf are refused: they would reach
the engine as ``order.slippage must be finite``), a boolean is not a number, and a
number is not a list or a table. Domain checks (``>= 0``, ``window >= 2``) live in
each dataclass's ``__post_init__``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import math
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from backtest.errors import ConfigError, UnknownKeyError, raise_all

__all__ = ["MAX_INT", "build_dataclass", "describe", "field_names", "unknown_keys"]

T = TypeVar("T")

#: The largest integer a config key may hold (bars, months, periods, sleeve sizes).
MAX_INT = 1_000_000_000


def describe(value: Any) -> str:
    """What a TOML value is, for error messages: ``a number (5)``, ``a list``, ..."""
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, dt.date | dt.time):
        return f"a date/time ({value.isoformat()})"
    if isinstance(value, list | tuple):
        return f"a list ({len(value)} item{'s' if len(value) != 1 else ''})"
    if isinstance(value, Mapping):
        return "a table"
    return type(value).__name__


def field_names(cls: type[Any]) -> list[str]:
    """Names of the init fields of a dataclass type."""
    return [f.name for f in dataclasses.fields(cls) if f.init]


def unknown_keys(where: str, unknown: Sequence[str], valid: Sequence[str],
                 what: str = "key") -> UnknownKeyError:
    """The error for keys a table does not define, each with a did-you-mean if one is close."""
    named = []
    for key in unknown:
        close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
        named.append(f"{key} (did you mean {close[0]}?)" if close else key)
    return UnknownKeyError(
        f"{where}: unknown {what}{'s' if len(unknown) > 1 else ''} {', '.join(named)}; "
        f"valid {what}s: {', '.join(valid)}")


def build_dataclass(cls: type[T], table: Mapping[str, Any], where: str) -> T:
    """Instantiate dataclass ``cls`` from ``table``; ``where`` prefixes error messages.

    Raises
    ------
    ConfigError
        For an unknown key (listing the valid keys, with a did-you-mean), a missing
        required key or a value of the wrong type; every key's problem at once
        (:class:`backtest.errors.ConfigErrors`) when there are several.
    """
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: expected a table, got {describe(table)}")
    valid = field_names(cls)
    problems: list[ConfigError] = []
    unknown = sorted(str(k) for k in set(table) - set(valid))
    if unknown:
        problems.append(unknown_keys(where, unknown, valid))
    hints = _type_hints(cls)
    kwargs = {}
    for k, v in table.items():
        if k in hints:
            try:
                kwargs[k] = _coerce(v, hints[k], f"{where}.{k}")
            except ConfigError as exc:  # every key of the table is checked: all at once
                problems.append(exc)
    raise_all(problems)
    try:
        return cls(**kwargs)
    except TypeError as exc:
        missing = [
            f.name
            for f in dataclasses.fields(cls)  # type: ignore[arg-type]
            if f.init
            and f.name not in table
            and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
        ]
        if missing:
            raise ConfigError(f"{where}: missing required key {', '.join(missing)}") from None
        raise ConfigError(f"{where}: {exc}") from None


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _type_hints(cls: type[Any]) -> dict[str, Any]:
    """``typing.get_type_hints`` of ``cls``, evaluated once per class (a memo, not a setting).

    Evaluating string annotations is slow, and a sweep builds the dataclasses of
    every trial's config.
    """
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _coerce(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _coerce(value, arg, where)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(errors[0])
    if origin is typing.Literal:
        if isinstance(value, list | dict) or value not in args or isinstance(value, bool):
            raise ConfigError(
                f"{where}: {value!r} is not one of {', '.join(repr(a) for a in args)}"
            )
        return value
    if origin is tuple:
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {describe(value)}")
        return tuple(_coerce(v, args[0], f"{where}[{i}]") for i, v in enumerate(value))
    if origin in (Mapping, dict) or hint in (Mapping, dict):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected a table, got {describe(value)}")
        vt = args[1] if args else Any
        return {str(k): _coerce(v, vt, f"{where}.{k}") for k, v in value.items()}
    if hint is Any:
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {describe(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {describe(value)}")
        if abs(value) > MAX_INT:  # no count of bars, months or assets is this large
            raise ConfigError(f"{where}: {value} is out of range (at most {MAX_INT:,} in size)")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: expected a number, got {describe(value)}")
        try:
            number = float(value)
        except OverflowError:  # an integer too large for a float
            number = math.inf
        if not math.isfinite(number):
            raise ConfigError(f"{where}: expected a finite number, got {value}")
        return number
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {describe(value)}")
        return value
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if isinstance(value, hint):
            return value
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected a table, got {describe(value)}")
        return build_dataclass(hint, value, where)
    return value
