"""Find the class of a config's ``kind``: a built-in, ``module:Class``, or an entry point.

Three ways in, tried in this order:

* a **built-in** name (``binary_rotation``, …: :data:`backtest.strategies.REGISTRY`);
* ``module:Class`` — the user's own code: ``module`` is imported with the config's
  directory first on ``sys.path`` (as Python does for a script's directory), so
  ``kind = "my_rules.tilt:MyTilt"`` beside ``strategies/tune.toml`` reads
  ``strategies/my_rules/tilt.py``; an installed module works the same way;
* an **entry point** of the group ``dcf_regime.strategies`` (``name = "pkg.mod:Class"``
  in an installed package's metadata), loaded with ``importlib.metadata`` as
  sqlite-utils loads its plugins. A built-in name always wins over an entry point.

The class must be a dataclass (its fields are the parameters a config sets and a
tune sweeps) with ``decide(market)`` or ``decide_bar(view)`` (:func:`backtest.strategy.decide`).

Sweeps ship strategies to worker processes by pickling them. A class imported from
a config's directory is not importable in a fresh worker, so instances of such a
class pickle as "import ``module`` from ``directory``, then build ``Class(**fields)``"
(:func:`copyreg.pickle`, the standard library's registry for exactly this).
"""

from __future__ import annotations

import copyreg
import dataclasses
import difflib
import importlib
import sys
from collections.abc import Mapping
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from backtest.errors import ConfigError

__all__ = ["ENTRY_POINT_GROUP", "entry_point_kinds", "load_strategy", "resolve_kind"]

#: The entry-point group installed packages register strategy kinds in.
ENTRY_POINT_GROUP = "dcf_regime.strategies"


@cache
def entry_point_kinds() -> dict[str, metadata.EntryPoint]:
    """Installed packages' strategy kinds by name (read once per process)."""
    return {ep.name: ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}


def resolve_kind(kind: str, *, base_dir: Path | None, where: str) -> type[Any]:
    """The strategy class a config's ``kind`` names.

    Parameters
    ----------
    kind : str
        A built-in name, ``module:Class``, or an entry point's name.
    base_dir : Path or None
        The config's directory (importable for ``module:Class``); None: the
        working directory.
    where : str
        The config path of the table, for messages (``strategy``, ``benchmarks.x``).

    Raises
    ------
    ConfigError
        Unknown kind (with the valid ones and a did-you-mean), a module that cannot be
        imported, a missing class, or a class that is not a strategy.
    """
    from backtest.strategies import REGISTRY

    if kind in REGISTRY:
        return REGISTRY[kind]
    if ":" in kind:
        cls = _from_module(kind, base_dir, where)
    elif kind in entry_point_kinds():
        cls = _from_entry_point(entry_point_kinds()[kind], where)
    else:
        known = [*REGISTRY, *entry_point_kinds()]
        close = difflib.get_close_matches(kind, known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ConfigError(
            f"{where}: unknown kind {kind!r}; {hint}valid kinds: {', '.join(known)}, or "
            "'module:Class' for a strategy of your own (a module beside the config)")
    _check_class(cls, kind, where)
    return cls


def _from_module(kind: str, base_dir: Path | None, where: str) -> type[Any]:
    module_name, _, class_name = kind.partition(":")
    if not module_name or not class_name or ":" in class_name:
        raise ConfigError(f"{where}: {kind!r} is not 'module:Class' (e.g. "
                          "'my_rules.tilt:MyTilt')")
    directory = (base_dir or Path.cwd()).resolve()
    module = _import(module_name, directory, kind, where)
    cls = module
    for part in class_name.split("."):
        cls = getattr(cls, part, None)
        if cls is None:
            names = [n for n in dir(module) if not n.startswith("_")
                     and isinstance(getattr(module, n), type)]
            raise ConfigError(f"{where}: module {module_name!r} ({module.__file__}) has no "
                              f"class {class_name!r}; its classes: {', '.join(names) or 'none'}")
    if not isinstance(cls, type):
        raise ConfigError(f"{where}: {kind!r} is not a class")
    file = getattr(sys.modules[cls.__module__], "__file__", None)
    if file is not None and Path(file).absolute().is_relative_to(directory):
        copyreg.pickle(cls, _reduce_local)  # workers import it from the same directory
        _LOCAL_DIRS[cls] = str(directory)
    return cls


def _import(module_name: str, directory: Path, kind: str, where: str) -> Any:
    """Import ``module_name`` with ``directory`` first on ``sys.path``."""
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))
    top = module_name.split(".")[0]
    loaded = sys.modules.get(top)
    local = directory / top
    if loaded is not None and (local.is_dir() or local.with_suffix(".py").is_file()):
        origin = getattr(loaded, "__file__", None) or "a built-in or namespace package"
        if origin == "a built-in or namespace package" or not Path(origin).absolute(
        ).is_relative_to(directory):
            raise ConfigError(
                f"{where}: {kind!r}: the module name {top!r} is already imported from "
                f"{origin}, so {local} cannot be loaded; rename your module")
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name):
            raise ConfigError(
                f"{where}: {kind!r}: no module {module_name!r} in {directory} (the config's "
                "directory) or among installed packages") from None
        raise ConfigError(f"{where}: {kind!r}: importing {module_name!r} failed: "
                          f"{type(exc).__name__}: {exc}") from exc
    except Exception as exc:  # the user's module raised while importing
        raise ConfigError(f"{where}: {kind!r}: importing {module_name!r} raised "
                          f"{type(exc).__name__}: {exc}") from exc


def _from_entry_point(ep: metadata.EntryPoint, where: str) -> type[Any]:
    try:
        cls = ep.load()
    except Exception as exc:  # the installed package's code
        raise ConfigError(f"{where}: entry point {ep.name!r} ({ep.value}, group "
                          f"{ENTRY_POINT_GROUP}) failed to load: {type(exc).__name__}: {exc}"
                          ) from exc
    if not isinstance(cls, type):
        raise ConfigError(f"{where}: entry point {ep.name!r} ({ep.value}) is not a class")
    return cls


def _check_class(cls: type[Any], kind: str, where: str) -> None:
    if not dataclasses.is_dataclass(cls):
        raise ConfigError(f"{where}: {kind!r} is not a dataclass: a strategy is a (frozen) "
                          "dataclass whose fields are its parameters")
    if not (callable(getattr(cls, "decide", None)) or callable(getattr(cls, "decide_bar", None))):
        raise ConfigError(f"{where}: {kind!r} has neither decide(market) nor "
                          "decide_bar(view); see the strategy contract (backtest.strategy)")


# -- pickling instances of classes loaded from a config's directory --------------------

_LOCAL_DIRS: dict[type[Any], str] = {}


def _reduce_local(obj: Any) -> tuple[Any, tuple[Any, ...]]:
    cls = type(obj)
    fields = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.init}
    return _rebuild_local, (_LOCAL_DIRS[cls], cls.__module__, cls.__qualname__, fields)


def _rebuild_local(directory: str, module_name: str, qualname: str,
                   fields: Mapping[str, Any]) -> Any:
    """Import ``module_name`` from ``directory`` (in a worker) and rebuild the instance."""
    if directory not in sys.path:
        sys.path.insert(0, directory)
    cls: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        cls = getattr(cls, part)
    return cls(**fields)


def load_strategy(
    kind: str, params: Mapping[str, Any], where: str = "strategy", *,
    base_dir: Path | None = None,
) -> Any:
    """Instantiate a strategy by its config ``kind``, rejecting unknown parameters.

    ``kind`` is a built-in name, ``module:Class`` (imported from ``base_dir``, the
    config's directory) or an installed entry point (:func:`resolve_kind`); the
    parameters are the dataclass's fields, checked as every config table is
    (:func:`backtest._fields.build_dataclass`: unknown keys with a did-you-mean).
    """
    from backtest._fields import build_dataclass, field_names

    cls = resolve_kind(kind, base_dir=base_dir, where=where)
    if not field_names(cls) and params:
        raise ConfigError(f"{where}: {kind} takes no parameters")
    return build_dataclass(cls, params, where)
