"""Dotted paths into a raw config: ``--set`` overrides and ``tune`` parameters.

A path names a value in the TOML mapping, one segment per level:
``strategy.enter``, ``costs.fees_bps``, ``data.assets.QQQ``. A segment that meets an
array of tables (``[[signal.components]]``) picks one element, by index or by name:
``signal.components.0.periods`` and ``signal.components.aaa_12m_change.periods``
address the same value when that component comes first (a component's name is its
``name`` key, else its ``preset``). A segment with a dot in it is quoted:
``data.assets."BRK.B"``.

Values are TOML values (``0.5``, ``[1, 2]``, ``"x"``, ``1990-06-30``); a bare word
that is not TOML is a string (``--set strategy.kind=static_mix``). Dates and times
become ISO strings, as they do when read from a file.
"""

from __future__ import annotations

import functools
import json
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from backtest._fields import describe
from backtest.errors import ConfigError

__all__ = [
    "apply_overrides",
    "check_overrides",
    "get_path",
    "parse_value",
    "plain",
    "set_path",
    "split_path",
]


_SCALARS = (str, int, float, bool, type(None))


def plain(value: Any) -> Any:
    """A deep copy of a TOML value with dates and times as ISO strings (JSON-safe)."""
    if type(value) in _SCALARS:  # its own copy through JSON (a sweep plains 40,000 of them)
        return value
    return json.loads(json.dumps(value, default=str))


def parse_value(text: str) -> Any:
    """Parse a ``--set``/``--param`` value: a TOML value, else the bare text as a string."""
    text = text.strip()
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text  # bare words are strings: --set strategy.kind=static_mix
    except ValueError as exc:  # an integer of thousands of digits (Python's int limit)
        raise ConfigError(f"value {text[:40]}{'...' if len(text) > 40 else ''}: not a usable "
                          f"number ({exc})".split(";")[0]) from None
    return plain(value)


def split_path(path: str) -> list[str]:
    """Split a dotted path into segments; ``"..."`` quotes a segment containing dots.

    Raises
    ------
    ConfigError
        An empty path or segment, or an unterminated quote.
    """
    return list(_split(path))


@functools.lru_cache(maxsize=4096)
def _split(path: str) -> tuple[str, ...]:
    """:func:`split_path`, once per distinct path (a sweep sets 50,000 paths, of a few)."""
    parts: list[str] = []
    text = path.strip()
    while True:
        if text.startswith('"'):
            end = text.find('"', 1)
            if end < 0:
                raise ConfigError(f"{path!r}: unterminated quote")
            part, text = text[1:end], text[end + 1 :]
            if text and not text.startswith("."):
                raise ConfigError(f"{path!r}: expected '.' after a quoted segment")
            more, text = bool(text), text[1:]
        else:
            part, dot, text = text.partition(".")
            part, more = part.strip(), bool(dot)
        parts.append(part)
        if not more:
            break
    if not parts or not all(parts):
        raise ConfigError(f"{path!r}: empty segment in a dotted path")
    return tuple(parts)


def _element_name(element: Any) -> str | None:
    if isinstance(element, Mapping):
        name = element.get("name", element.get("preset"))
        return str(name) if name is not None else None
    return None


def _child(node: Any, part: str, shown: str) -> tuple[Any, str | int]:
    """The key (or list index) of ``part`` in ``node``; ``shown`` is the path so far."""
    if isinstance(node, list):
        names = [_element_name(e) for e in node]
        if part.isdigit() or (part.startswith("-") and part[1:].isdigit()):
            index = int(part)
            if not 0 <= index < len(node):
                raise ConfigError(
                    f"{shown} has {len(node)} element{'s' if len(node) != 1 else ''}; "
                    f"index {index} is out of range (0..{len(node) - 1})"
                )
            return node, index
        if names.count(part) == 1:
            return node, names.index(part)
        valid = [str(i) for i in range(len(node))] + [n for n in names if n is not None]
        raise ConfigError(
            f"{shown} has no element {part!r}; address one by index or name: {', '.join(valid)}"
        )
    if isinstance(node, dict):
        return node, part
    raise ConfigError(f"{shown} is {describe(node)}, not a table or an array of tables")


def set_path(raw: dict[str, Any], path: str, value: Any) -> None:
    """Set the value at ``path`` in ``raw`` (in place), creating missing tables.

    Raises
    ------
    ConfigError
        When a segment meets a value that is not a table (or an array of tables), or
        names no element of an array; the message names the path so far.
    """
    parts = split_path(path)
    if len(parts) < 2:
        raise ConfigError(f"{path!r}: expected a dotted path section.key")
    node: Any = raw
    for depth, part in enumerate(parts[:-1]):
        shown = ".".join(parts[:depth]) or "the config"
        container, key = _child(node, part, shown)
        if isinstance(key, str) and key not in container:
            container[key] = {}
        node = container[key]
    shown = ".".join(parts[:-1])
    if isinstance(node, list):
        raise ConfigError(f"{path!r}: {shown} is an array; name a key of one element")
    container, key = _child(node, parts[-1], shown)
    container[key] = value


def get_path(raw: Mapping[str, Any], path: str) -> Any:
    """The value at ``path``, or raise :class:`ConfigError` naming the missing segment."""
    parts = split_path(path)
    node: Any = raw
    for depth, part in enumerate(parts):
        shown = ".".join(parts[:depth]) or "the config"
        container, key = _child(node, part, shown)
        if isinstance(key, str) and key not in container:
            raise ConfigError(f"{path!r}: {shown} has no key {part!r}")
        node = container[key]
    return node


def check_overrides(overrides: Sequence[str], arguments: Sequence[str | Path] = ()) -> None:
    """Reject an override that is not ``path=value`` before anything is read.

    ``--set strategy.enter 0.5`` (a space for ``=``) makes the shell hand ``0.5`` to
    the command as a config file; ``arguments`` are those positional arguments, and
    the first that is not an existing file is offered as the lost value.

    Raises
    ------
    ConfigError
        ``--set 'strategy.enter' has no value; did you mean --set strategy.enter=0.5?``
    """
    for item in overrides:
        key, sep, _ = item.partition("=")
        if not sep:
            lost = next((str(a) for a in arguments if not Path(a).exists()), None)
            hint = (f"did you mean --set {item.strip()}={lost}?" if lost is not None
                    else "write it as --set section.key=value")
            raise ConfigError(f"--set {item!r} has no value; {hint}")
        if "." not in key:
            raise ConfigError(f"--set {item!r}: expected section.key=value")


def apply_overrides(raw: Mapping[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Apply ``path=value`` overrides to a copy of ``raw`` (dates become ISO strings)."""
    out: dict[str, Any] = plain(raw)
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or "." not in key:
            raise ConfigError(f"--set {item!r}: expected section.key=value")
        try:
            set_path(out, key, parse_value(value))
        except ConfigError as exc:
            raise ConfigError(f"--set {item!r}: {exc}") from None
    return out
