"""Malformed inputs for the ``backtest`` command, and how to judge what it did with them.

One generator per kind of input a user (or a red team) hands the program: TOML run
configs, ``--set`` overrides, CSV files, mirror directories, cache files and regime
catalogs. Each turns a :class:`random.Random` into a :class:`Case` — files to write
and the command line to run. :func:`run_case` runs it through the real CLI in this
process (Typer's ``CliRunner``) under a time limit and sorts the result into one of
:data:`OUTCOMES`. The hypothesis suite (``tests/fuzz/test_fuzz.py``) and the
benchmark (``bench/fuzz.py``, >= 10,000 cases) share these generators.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import signal
import string
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any

import numpy as np
import pandas as pd

OUTCOMES = ("clean_error", "success", "traceback", "unclean_error", "hang")
REPO = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = REPO / "strategies" / "duration_rotation.toml"
CATALOG = REPO / "data" / "regimes.toml"


@dataclass
class Case:
    """Files to write under a fresh directory (``{root}`` in args is that directory)."""

    kind: str
    args: list[str]
    files: dict[str, bytes] = field(default_factory=dict)
    setup: Callable[[Path], None] | None = None

    def materialise(self, root: Path) -> list[str]:
        for rel, data in self.files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        if self.setup is not None:
            self.setup(root)
        return [a.replace("{root}", str(root)) for a in self.args]


@dataclass(frozen=True)
class Result:
    kind: str
    outcome: str
    exit_code: int | None
    detail: str
    seconds: float


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
        parent[rng.choice(["extra", "fees_bps", "start", "kind", "weights", "long"])] = (
            weird_value(rng))
    else:
        parent[key] = weird_value(rng)
    return doc


def _corrupt_text(text: bytes, rng: Random) -> bytes:
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


# ---------------------------------------------------------------- the generators

def config_case(rng: Random) -> Case:
    """The default config, its TOML structure mutated (or its text corrupted)."""
    text = DEFAULT_CONFIG.read_bytes()
    if rng.random() < 0.2:
        body = _corrupt_text(text, rng)
    else:
        doc = tomllib.loads(text.decode())
        for _ in range(rng.randrange(1, 4)):
            doc = mutate(doc, rng)
        body = to_toml(doc).encode()
    command = rng.choice([["run", "{root}/c.toml", "--out", "{root}/out"],
                          ["regimes", "{root}/c.toml"],
                          ["compare", "{root}/c.toml", "{root}/c.toml", "--report",
                           "{root}/out/r.html"]])
    return Case("config", command, {"c.toml": body})


_SET_PATHS = ["run.start", "run.end", "run.execution_lag", "run.periods_per_year",
              "run.initial_capital", "run.frequency", "run.name", "costs.fees_bps",
              "costs.slippage_bps", "data.cash", "data.assets.NEW", "data.assets.S5V1",
              "data.assets.S5V1.kind", "data.macro.AAA", "data.macro.AAA.lag",
              "signal.components.0.periods", "signal.components.aaa_12m_change.window",
              "signal.components.5.weight", "signal.min_components", "sleeves.long",
              "sleeves.short", "sleeves.method", "strategy.enter", "strategy.exit",
              "strategy.kind", "strategy.min_hold_periods", "strategy.risk_off_sleeve",
              "strategy.rebalance", "benchmarks.market.asset", "benchmarks.sixty_forty.weights",
              "benchmarks.new.kind", "regimes.catalog", "run", "x.y", "run..start",
              '"run".start', "strategy.label"]
_SET_VALUES = ["0", "-1", "1", "0.5", "nan", "inf", "-inf", "1e999", "true", "[]", "[1, 2]",
               '["S5V1"]', "{}", "{a = 1}", "1990-06-30", "2030-01-01", "x]", "'", '"', "",
               "[/bold]", "名前", "embedded:french/NOPE", "cash", "short", "never", "M", "B",
               "1e-300", "99999999999999999999", "1990-06-30T00:00:00Z"]


def set_case(rng: Random) -> Case:
    """The default config with one to three random ``--set`` overrides (or a missing '=')."""
    args = ["run", "--out", "{root}/out"]
    for _ in range(rng.randrange(1, 4)):
        path, value = rng.choice(_SET_PATHS), rng.choice(_SET_VALUES)
        if rng.random() < 0.1:
            args += ["--set", path, value]  # the space-for-'=' mistake
        else:
            args += ["--set", f"{path}={value}"]
    return Case("set", args)


def _csv_frame(rng: Random) -> tuple[pd.DatetimeIndex, np.ndarray]:
    n = rng.randrange(0, 400)
    start = pd.Timestamp("1950-01-31") + pd.offsets.MonthEnd(rng.randrange(0, 600))
    freq = rng.choice(["ME", "MS", "ME", "B", "D", "W-FRI", "QE", "YE"])
    dates = pd.date_range(start, periods=n, freq=freq)
    values = 100 * np.cumprod(1 + np.random.default_rng(rng.randrange(2**32)).normal(
        0.005, 0.05, n))
    return dates, values


def _csv_text(rng: Random) -> tuple[str, dict[str, Any]]:
    """A CSV file (often broken) and the layout keys a config might state for it."""
    dates, values = _csv_frame(rng)
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


def csv_case(rng: Random) -> Case:
    """A run whose asset or macro series is a CSV file of the user's, often broken."""
    text, keys = _csv_text(rng)
    role = rng.choice(["asset", "asset", "macro", "cash"])
    spec: dict[str, Any] = {"id": "csv:mine", **keys}
    if role != "macro" and rng.random() < 0.5:
        spec["kind"] = rng.choice(["price", "return", "return_pct", "bill_yield"])
        if spec["kind"] == "bill_yield":
            spec["basis"] = rng.choice(["discount", "bond_equivalent"])
    assets: dict[str, Any] = {"B": "embedded:french/S5V5", "RF": "embedded:french/RF"}
    macro: dict[str, Any] = {"AAA": "embedded:moody/AAA", "BAA": "embedded:moody/BAA"}
    components: list[dict[str, Any]] = [{"preset": "credit_momentum"}]
    cash = "RF"
    if role == "macro":
        assets["A"] = "embedded:french/S5V1"
        macro["MINE"] = spec
        components.append({"name": "mine", "series": "MINE", "transform": "level",
                           "min_periods": rng.choice([2, 12, 60])})
    else:
        assets["A"] = spec
        cash = "A" if role == "cash" else "RF"
    doc = {
        "run": {"name": "fuzz", "frequency": rng.choice(["M", "M", "B", "W", "D"])},
        "costs": {"fees_bps": 10.0},
        "data": {"cash": cash, "assets": assets, "macro": macro},
        "signal": {"components": components},
        "sleeves": {"long": ["A"] if cash != "A" else ["S5V1"], "short": ["B"]},
        "strategy": {"kind": "binary_rotation"},
    }
    if cash == "A":
        doc["data"]["assets"]["S5V1"] = "embedded:french/S5V1"
    return Case("csv", ["--csv-dir", "{root}", "run", "{root}/c.toml", "--out", "{root}/out"],
                {"c.toml": to_toml(doc).encode(), "mine.csv": text.encode()})


def mirror_case(rng: Random) -> Case:
    """A mirror directory with broken files, fetched into the cache or run directly."""
    files: dict[str, bytes] = {}
    text, _ = _csv_text(rng)
    target = rng.choice(["macro/DGS10.csv", "assets/QQQ.csv",
                         "assets/F-F_Research_Data_Factors_monthly.csv"])
    if target.startswith("assets/F-F"):
        text = text.replace("value", "RF", 1)
    files[f"mirror/{target}"] = text.encode()
    ident = {"macro/DGS10.csv": "fred:DGS10", "assets/QQQ.csv": "yahoo:QQQ",
             "assets/F-F_Research_Data_Factors_monthly.csv":
                 "french:F-F_Research_Data_Factors/RF"}[target]
    base = ["--mirror", "{root}/mirror", "--data-dir", "{root}/cache"]
    if rng.random() < 0.5:
        return Case("mirror", [*base, "data", "fetch", ident, *(["--force"] if rng.random() < .3
                                                                 else [])], files)
    doc = {
        "run": {"name": "fuzz", "frequency": "M"},
        "data": {"cash": "RF", "assets": {"A": "embedded:french/S5V1",
                                          "B": "embedded:french/S5V5", "RF": "embedded:french/RF"},
                 "macro": {"AAA": "embedded:moody/AAA", "BAA": "embedded:moody/BAA"}},
        "signal": {"components": [{"preset": "credit_momentum"}]},
        "sleeves": {"long": ["A"], "short": ["B"]},
        "strategy": {"kind": "binary_rotation"},
    }
    if ident.startswith("fred"):
        doc["data"]["macro"]["X"] = ident
        doc["signal"]["components"].append({"name": "x", "series": "X", "transform": "level"})
    else:
        doc["data"]["assets"]["A"] = (ident if ident.startswith("yahoo")
                                      else {"id": ident, "kind": "return_pct"})
    files["c.toml"] = to_toml(doc).encode()
    return Case("mirror", [*base, "run", "{root}/c.toml", "--out", "{root}/out"], files)


def _fill_cache(root: Path, rng: Random, corrupt: str) -> None:
    from backtest.data.base import FetchedSeries, Kind, SeriesRequest
    from backtest.data.cache import Cache

    cache = Cache(root / "cache")
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for name in ("DGS10", "AAA"):
        idx = pd.date_range("1990-01-01", periods=300, freq="MS", name="date")
        values = pd.Series(np.linspace(3, 6, 300), index=idx)
        cache.write(FetchedSeries(SeriesRequest("fred", name), values, Kind.LEVEL, "percent",
                                  "M", "test"), now)
    data_path, meta_path = cache.paths(SeriesRequest("fred", "DGS10"))
    blob = data_path.read_bytes()
    if corrupt == "random":
        data_path.write_bytes(bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300))))
    elif corrupt == "truncate":
        data_path.write_bytes(blob[: rng.randrange(len(blob))])
    elif corrupt == "flip":
        data = bytearray(blob)
        for _ in range(rng.randrange(1, 6)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        data_path.write_bytes(bytes(data))
    elif corrupt == "sidecar_as_parquet":
        data_path.write_bytes(meta_path.read_bytes())
    elif corrupt == "sidecar":
        meta_path.write_bytes(_corrupt_text(meta_path.read_bytes(), rng))
    elif corrupt == "empty":
        data_path.write_bytes(b"")
    elif corrupt == "directory":
        data_path.unlink()
        data_path.mkdir()
    elif corrupt == "temp":
        (data_path.parent / f".{data_path.name}.abc123.tmp").write_bytes(blob[:100])
    elif corrupt == "other_series":
        other, _ = cache.paths(SeriesRequest("fred", "AAA"))
        data_path.write_bytes(other.read_bytes())
    elif corrupt == "markup_notes":
        from backtest.data.cache import Cache as _Cache

        _Cache(root / "cache").write(FetchedSeries(
            SeriesRequest("fred", "DGS10"), pd.Series([1.0, 2.0], index=pd.DatetimeIndex(
                ["2020-01-01", "2020-02-01"], name="date")), Kind.LEVEL, "[/bold]", "M",
            "notes [/bold] [red]x :smile:"), now)


_CORRUPTIONS = ["random", "truncate", "flip", "sidecar_as_parquet", "sidecar", "empty",
                "directory", "temp", "other_series", "markup_notes", "none"]


def cache_case(rng: Random) -> Case:
    """A cache with one entry corrupted in one of the ways disks and people do."""
    corrupt = rng.choice(_CORRUPTIONS)
    seed = rng.randrange(2**32)
    base = ["--data-dir", "{root}/cache"]
    command = rng.choice([
        ["data", "list"], ["data", "show", "fred:DGS10"], ["data", "show", "fred:AAA"],
        ["data", "clear", "fred:DGS10"], ["data", "clear"],
        ["--offline", "run", "{root}/c.toml", "--out", "{root}/out"],
    ])
    doc = {
        "run": {"name": "fuzz", "frequency": "M"},
        "data": {"cash": "RF", "assets": {"A": "embedded:french/S5V1",
                                          "B": "embedded:french/S5V5", "RF": "embedded:french/RF"},
                 "macro": {"AAA": "embedded:moody/AAA", "BAA": "embedded:moody/BAA",
                           "X": "fred:DGS10"}},
        "signal": {"components": [{"preset": "credit_momentum"},
                                  {"name": "x", "series": "X", "transform": "level"}]},
        "sleeves": {"long": ["A"], "short": ["B"]},
        "strategy": {"kind": "binary_rotation"},
    }
    return Case("cache", [*base, *command], {"c.toml": to_toml(doc).encode()},
                setup=lambda root: _fill_cache(root, Random(seed), corrupt))


def catalog_case(rng: Random) -> Case:
    """A user's regime catalog, mutated."""
    doc = tomllib.loads(CATALOG.read_text())
    doc = {"regime": rng.sample(doc["regime"], 3)}
    if rng.random() < 0.2:
        body = _corrupt_text(to_catalog(doc).encode(), rng)
    else:
        for _ in range(rng.randrange(1, 3)):
            doc = mutate(doc, rng)
        body = to_catalog(doc).encode()
    command = rng.choice([["regimes", "--catalog", "{root}/r.toml"],
                          ["run", "{root}/c.toml", "--out", "{root}/out"]])
    config = DEFAULT_CONFIG.read_text() + '\n[regimes]\ncatalog = "r.toml"\n'
    return Case("catalog", command, {"r.toml": body, "c.toml": config.encode()})


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


GENERATORS: dict[str, Callable[[Random], Case]] = {
    "config": config_case, "set": set_case, "csv": csv_case, "mirror": mirror_case,
    "cache": cache_case, "catalog": catalog_case,
}


# ---------------------------------------------------------------- running and judging

class _Hang(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: Any) -> None:
        raise _Hang

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def judge(exit_code: int | None, stderr: str, exception: BaseException | None) -> tuple[str, str]:
    """Sort a finished command into an outcome, with a one-line detail."""
    if exception is not None and not isinstance(exception, SystemExit):
        return "traceback", f"{type(exception).__name__}: {' '.join(str(exception).split())[:200]}"
    lines = [line for line in stderr.splitlines() if line.strip()]
    if exit_code == 0:
        if any(line.startswith("Error") or "Traceback" in line for line in lines):
            return "unclean_error", lines[-1][:200]
        return "success", ""
    if exit_code == 2:  # a usage error: Click's own message
        return "clean_error", lines[-1][:200] if lines else "usage"
    errors = [line for line in lines if line.startswith("Error: ")]
    stray = [line for line in lines if not line.startswith(("Error: ", "Warning: "))]
    if exit_code == 1 and len(errors) == 1 and lines[-1] == errors[0] and not stray:
        return "clean_error", errors[0][:200]
    return "unclean_error", f"exit {exit_code}: {' | '.join(lines)[:200]}"


def run_case(case: Case, root: Path, *, limit_s: float = 30.0) -> Result:
    """Run ``case`` in ``root`` through the real CLI (in this process) and judge it."""
    from typer.testing import CliRunner

    from backtest.cli import app

    started = time.perf_counter()
    args = case.materialise(root)
    runner = CliRunner()
    try:
        with _time_limit(limit_s):
            result = runner.invoke(app, args, env={"COLUMNS": "120"})
    except _Hang:
        return Result(case.kind, "hang", None, " ".join(args)[:200],
                      time.perf_counter() - started)
    exception = result.exception
    if isinstance(exception, _Hang):
        return Result(case.kind, "hang", None, " ".join(args)[:200],
                      time.perf_counter() - started)
    outcome, detail = judge(result.exit_code, result.stderr, exception)
    return Result(case.kind, outcome, result.exit_code, detail, time.perf_counter() - started)
