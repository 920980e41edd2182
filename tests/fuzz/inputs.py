"""Raw material for the fuzz cases: odd values, TOML text, mutations, damaged CSV files.

Pure functions of a :class:`random.Random`; ``tests/fuzz/cases.py`` assembles them
into command lines.
"""

from __future__ import annotations

import datetime as dt
import math
import string
from collections.abc import Iterator
from random import Random
from typing import Any

import numpy as np
import pandas as pd

# ---------------------------------------------------------------- weird values

_WORDS = ["", " ", "x", "[/bold]", "[red]x[/red]", ":smile:", "é", "名前", "\x00", "a\nb",
          "../../etc/passwd", "csv:", "fred:", "embedded:french/NOPE", "1e999", "nan",
          "'", '"', "\\", "{", "]", "#", "?", "%", "S&P 500", "-1", "0"]


def weird_value(rng: Random, depth: int = 0) -> Any:
    """A TOML value of any type, biased to edges: NaN, ±inf, 0, huge, empty, markup."""
    pick = rng.randrange(14 if depth < 2 else 10)
    if pick == 0:
        return rng.choice([0, 1, -1, 2, 3, 12, 252, 10**6, -(10**9), 2**63 - 1])
    if pick == 1:
        return rng.choice([0.0, -0.0, 0.5, -0.5, 1e-300, 1e300, math.nan, math.inf, -math.inf])
    if pick == 2:
        return rng.choice([True, False])
    if pick in (3, 4):
        return rng.choice(_WORDS)
    if pick == 5:
        return "".join(rng.choice(string.printable) for _ in range(rng.randrange(1, 12)))
    if pick == 6:
        return dt.date(rng.randrange(1, 9999), rng.randrange(1, 13), rng.randrange(1, 29))
    if pick == 7:
        return rng.choice(["1990-06-30", "2030-01-01", "1900-01-01", "1990-13-01", "2016-12-22"])
    if pick == 8:
        return rng.choice(["S5V1", "RF", "MKT", "AAA", "long", "short", "cash", "monthly"])
    if pick == 9:
        return rng.choice(["binary_rotation", "graded_tilt", "buy_and_hold", "static_mix",
                           "trend_rule", "duration_targeting", "always_short"])
    if pick in (10, 11):
        return [weird_value(rng, depth + 1) for _ in range(rng.randrange(0, 3))]
    return {rng.choice(["a", "id", "kind", "x", "S5V1", "weight", "name"]):
            weird_value(rng, depth + 1) for _ in range(rng.randrange(0, 3))}


# ---------------------------------------------------------------- TOML writing

def _toml_key(key: str) -> str:
    bare = key and all(c.isalnum() or c in "_-" for c in key) and key.isascii()
    return key if bare else _toml_str(key)


def _toml_str(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_value(value: Any) -> str:
    """One TOML value on one line (tables inline)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _toml_str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def to_toml(doc: dict[str, Any]) -> str:
    """A config: top-level tables as ``[section]``, everything inside inline."""
    lines = []
    for key, value in doc.items():
        if isinstance(value, dict):
            lines.append(f"[{_toml_key(key)}]")
            lines += [f"{_toml_key(k)} = {toml_value(v)}" for k, v in value.items()]
        else:
            lines.append(f"{_toml_key(key)} = {toml_value(value)}")
    return "\n".join(lines) + "\n"


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


def _near(value: float, rng: Random) -> float:
    """A number of the same type as ``value`` at an edge: 0, negative, tiny, huge, off by one."""
    if isinstance(value, int):
        return rng.choice([0, 1, -1, 2, value - 1, value + 1, value * 100, -value, 10**9,
                           10**9 + 1, 5000, 100_000])
    return rng.choice([0.0, -0.0, 1e-12, -1e-12, value * 1e6, -value, 1e308, 5e-324,
                       value + 1e-9, 9999.99, 10_000.0, -1.0])


def mutate(doc: dict[str, Any], rng: Random) -> dict[str, Any]:
    """Replace, delete or add one value somewhere in a parsed TOML document."""
    paths = list(_paths(doc))
    if not paths:
        doc["regime" if rng.random() < 0.5 else "run"] = weird_value(rng)
        return doc
    path = rng.choice(paths)
    parent: Any = doc
    for part in path[:-1]:
        parent = parent[part]
    key = path[-1]
    action = rng.randrange(6)
    current = parent[key]
    if isinstance(current, int | float) and not isinstance(current, bool) and rng.random() < .6:
        parent[key] = _near(current, rng)  # same type, edge value: reaches the domain checks
        return doc
    if action == 0 and isinstance(parent, dict):
        del parent[key]
    elif action == 1 and isinstance(parent, dict):
        parent[rng.choice(["extra", "fees_bps", "start", "idea_date", "kind", "weights",
                           "long"])] = weird_value(rng)
    else:
        parent[key] = weird_value(rng)
    return doc


def corrupt_text(text: bytes, rng: Random) -> bytes:
    data = bytearray(text)
    for _ in range(rng.randrange(1, 4)):
        if not data:
            break
        op = rng.randrange(4)
        at = rng.randrange(len(data))
        if op == 0:
            data[at] = rng.randrange(256)
        elif op == 1:
            del data[at:at + rng.randrange(1, 40)]
        elif op == 2:
            data[at:at] = rng.choice([b'"', b"[", b"=", b"\n", b"\x00", b"\xff", b"]]", b"'"])
        else:
            data = data[:at]
    return bytes(data)


def csv_frame(rng: Random) -> tuple[pd.DatetimeIndex, np.ndarray]:
    n = rng.randrange(0, 400)
    start = pd.Timestamp("1950-01-31") + pd.offsets.MonthEnd(rng.randrange(0, 600))
    freq = rng.choice(["ME", "MS", "ME", "B", "D", "W-FRI", "QE", "YE"])
    dates = pd.date_range(start, periods=n, freq=freq)
    values = 100 * np.cumprod(1 + np.random.default_rng(rng.randrange(2**32)).normal(
        0.005, 0.05, n))
    return dates, values


def csv_text(rng: Random) -> tuple[str, dict[str, Any]]:
    """A CSV file (often broken) and the layout keys a config might state for it."""
    dates, values = csv_frame(rng)
    date_name = rng.choice(["date", "DATE", "observation_date", "sasdate", "Date", "when"])
    value_name = rng.choice(["value", "close", "adj_close", "S&P 500", "Hi 10", "x"])
    fmt = rng.choice(["YYYY-MM-DD", "YYYY-MM-DD", "M/D/YYYY", "D/M/YYYY", "YYYY-MM", "YYYYMM"])
    strf = {"YYYY-MM-DD": "%Y-%m-%d", "M/D/YYYY": "%m/%d/%Y", "D/M/YYYY": "%d/%m/%Y",
            "YYYY-MM": "%Y-%m", "YYYYMM": "%Y%m"}[fmt]
    cells = [d.strftime(strf) for d in dates]
    numbers = [f"{v:.6g}" for v in values]
    header = [date_name, value_name]
    if rng.random() < 0.2:
        header, cells_cols = [value_name, date_name], True
    else:
        cells_cols = False
    rows = [[n, c] if cells_cols else [c, n] for c, n in zip(cells, numbers, strict=True)]
    for _ in range(rng.randrange(0, 4)):  # damage
        op = rng.randrange(12)
        if not rows:
            break
        i = rng.randrange(len(rows))
        j = 1 if not cells_cols else 0  # the value column
        if len(rows[i]) < 2:  # an earlier truncation
            continue
        if op == 0:
            rows[i][j] = rng.choice(["0", "-1", "inf", "-inf", "nan", "", ".", "1e400", "١٢",
                                     "abc", "1,5"])
        elif op == 1:
            rows[i][1 - j] = rng.choice(["1960-13-01", "01/02/1960", "2020-01-01T00:00:00+01:00",
                                         "2020-01-01T00:00:00-05:00", "Transform:", "", "٢٠٢٠",
                                         "2020-02-30", "0000-00-00", "9999-12-31"])
        elif op == 2:
            rows.insert(i, rows[i][:])  # duplicate date
        elif op == 3:
            rows[i] = rows[i][:1]  # truncated row
        elif op == 4:
            rows[i][j] = '"' + rows[i][j]  # unterminated quote
        elif op == 5:
            rows[i][j] = "9" * rng.choice([10, 200_000])
        elif op == 6:
            rows.insert(0, ["Transform:", "5"])
        elif op == 7:
            rows.reverse()
        elif op == 8:
            rows = rows[: rng.randrange(len(rows) + 1)]
        elif op == 9:
            rows[i].append("extra")
        elif op == 10:
            header = header[:1]
        else:
            rows[i][j] = rows[i][j].replace(".", "\u0660")
    text = "\n".join(",".join(r) for r in [header, *rows]) + "\n"
    if rng.random() < 0.05:
        text = rng.choice(["", "<!DOCTYPE html><html>404</html>", "\ufeff" + text,
                           text.replace("\n", "\r\n"), text[: len(text) // 2]])
    keys: dict[str, Any] = {}
    if value_name not in ("value", "close", "adj_close") or rng.random() < 0.2:
        keys["column"] = value_name if rng.random() < 0.9 else "nope"
    if fmt != "YYYY-MM-DD" and rng.random() < 0.8:
        keys["date_format"] = fmt if rng.random() < 0.9 else "M/D/YYYY"
    if date_name not in ("date", "DATE", "observation_date", "sasdate", "Date") or (
            rng.random() < 0.1):
        keys["date_column"] = date_name
    if rng.random() < 0.1:
        keys["skip_rows"] = ["Transform:"]
    return text, keys


def to_catalog(doc: dict[str, Any]) -> str:
    """A catalog: ``[[regime]]`` tables when the shape allows, else inline TOML."""
    regimes = doc.get("regime")
    if isinstance(regimes, list) and all(isinstance(r, dict) for r in regimes) and len(doc) == 1:
        parts = []
        for r in regimes:
            parts.append("[[regime]]\n" + "".join(f"{_toml_key(k)} = {toml_value(v)}\n"
                                                    for k, v in r.items()))
        return "\n".join(parts)
    return "".join(f"{_toml_key(k)} = {toml_value(v)}\n" for k, v in doc.items())
