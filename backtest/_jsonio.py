"""Reading a JSON file a user hands the CLI: bounded in size and depth, one-line errors.

A result, a baseline or a tune document can be anything: /dev/zero (read until
memory runs out), a file nested a hundred thousand levels deep (RecursionError), NaN
where a number should be. :func:`read_json` reads at most ``max_bytes`` and refuses
what is bigger, deeper than ``max_depth`` or not JSON, naming the file.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from backtest.errors import ResultFileError

__all__ = ["MAX_BYTES", "MAX_DEPTH", "finite_number", "read_json"]

#: The largest JSON the CLI reads: a daily 10-strategy run over 60 years is ~40 MB.
MAX_BYTES = 512 * 1024 * 1024
#: Deeper than any document dcf-regime writes (about 8 levels) by a wide margin.
MAX_DEPTH = 64


def _depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value, iteratively (no recursion to overflow)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in item)
    return deepest


def read_json(path: str | Path, what: str, *, max_bytes: int = MAX_BYTES,
              max_depth: int = MAX_DEPTH) -> Any:
    """The parsed JSON of ``path`` (``what``: "result file", "--baseline" ... for messages).

    Raises
    ------
    ResultFileError
        Missing, unreadable, larger than ``max_bytes``, not UTF-8 JSON, or nested
        deeper than ``max_depth``.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise ResultFileError(f"{what} {path}: file not found") from None
    except IsADirectoryError:
        raise ResultFileError(f"{what} {path}: is a directory, not a JSON file") from None
    except OSError as exc:
        raise ResultFileError(f"{what} {path}: cannot read it ({exc.strerror or exc})") from None
    if len(raw) > max_bytes:
        raise ResultFileError(f"{what} {path}: larger than {max_bytes // 2**20} MB; not a "
                              "dcf-regime document")
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ResultFileError(f"{what} {path}: not UTF-8 text") from None
    except RecursionError:
        raise ResultFileError(f"{what} {path}: nested too deeply to be a dcf-regime "
                              "document") from None
    except json.JSONDecodeError as exc:
        raise ResultFileError(f"{what} {path}: not JSON ({exc})") from None
    if _depth(document) > max_depth:
        raise ResultFileError(f"{what} {path}: nested deeper than {max_depth} levels; not a "
                              "dcf-regime document")
    return document


def finite_number(value: Any) -> bool:
    """A JSON number that is finite (not a bool, not NaN or infinite)."""
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))
