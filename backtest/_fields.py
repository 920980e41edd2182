"""Build frozen dataclasses from TOML tables, rejecting unknown keys and bad types.

Shared by the config parser and the strategy loader so that every parameter a
user writes is checked the same way: unknown keys are listed against the valid
ones, and values are coerced by the field's annotation (int, float, str, bool,
``Literal``, ``X | None``, ``tuple[str, ...]``, ``Mapping[str, float]``).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from backtest.errors import ConfigError, UnknownKeyError

__all__ = ["build_dataclass", "field_names"]

T = TypeVar("T")


def field_names(cls: type[Any]) -> list[str]:
    """Names of the init fields of a dataclass type."""
    return [f.name for f in dataclasses.fields(cls) if f.init]


def build_dataclass(cls: type[T], table: Mapping[str, Any], where: str) -> T:
    """Instantiate dataclass ``cls`` from ``table``; ``where`` prefixes error messages.

    Raises
    ------
    ConfigError
        For an unknown key (listing the valid keys), a missing required key or a
        value of the wrong type.
    """
    valid = field_names(cls)
    unknown = sorted(set(table) - set(valid))
    if unknown:
        raise UnknownKeyError(
            f"{where}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"valid keys: {', '.join(valid)}"
        )
    hints = _type_hints(cls)
    kwargs = {k: _coerce(v, hints[k], f"{where}.{k}") for k, v in table.items()}
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
        if value not in args:
            raise ConfigError(
                f"{where}: {value!r} is not one of {', '.join(repr(a) for a in args)}"
            )
        return value
    if origin is tuple:
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return tuple(_coerce(v, args[0], f"{where}[{i}]") for i, v in enumerate(value))
    if origin in (Mapping, dict) or hint in (Mapping, dict):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected a table, got {value!r}")
        vt = args[1] if args else Any
        return {str(k): _coerce(v, vt, f"{where}.{k}") for k, v in value.items()}
    if hint is Any:
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if isinstance(value, hint):
            return value
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected a table, got {value!r}")
        return build_dataclass(hint, value, where)
    return value
