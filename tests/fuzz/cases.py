"""Malformed inputs for the ``backtest`` command, and how to judge what it did with them.

One generator per kind of input a user (or a red team) hands the program: TOML run
configs, ``--set`` overrides, CSV files, mirror directories, cache files, regime
catalogs, ``signal --asof`` values, ``tune`` options and baselines, ``init`` targets,
``report`` documents, ``thesis`` options, and the output paths of every command that
writes. Each turns a :class:`random.Random` into a :class:`Case` — files to write and
the command line to run. :func:`run_case` runs it through the real CLI in this
process (Typer's ``CliRunner``) under a time limit, checks that nothing outside the
output directory and the cache changed (:func:`snapshot`), and sorts the result into
one of :data:`OUTCOMES`. The hypothesis suite (``tests/fuzz/test_fuzz.py``) and the
benchmark (``bench/fuzz.py``, >= 10,000 cases) share these generators.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import signal
import string
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from random import Random
from typing import Any

import numpy as np
import pandas as pd

from .inputs import corrupt_text, csv_text, mutate, to_catalog, to_toml

OUTCOMES = ("clean_error", "success", "traceback", "unclean_error", "hang", "damaged")
#: Directories a case's command may change: its outputs and the cache it owns.
WRITABLE = ("out", "cache")
REPO = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = REPO / "strategies" / "duration_rotation.toml"
#: Every strategy kind, empirical sleeves, the synthetic market (no files needed).
SYNTHETIC_CONFIG = REPO / "strategies" / "synthetic_rotation.toml"
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


# ---------------------------------------------------------------- the generators

def config_case(rng: Random) -> Case:
    """The default or the synthetic config, its TOML structure mutated (or its text corrupted)."""
    text = (SYNTHETIC_CONFIG if rng.random() < 0.25 else DEFAULT_CONFIG).read_bytes()
    if rng.random() < 0.2:
        body = corrupt_text(text, rng)
    else:
        doc = tomllib.loads(text.decode())
        for _ in range(rng.randrange(1, 4)):
            doc = mutate(doc, rng)
        body = to_toml(doc).encode()
    command = rng.choice([["run", "{root}/c.toml", "--out", "{root}/out"],
                          ["run", "{root}/c.toml", "--out", "{root}/out"],
                          ["regimes", "{root}/c.toml"],
                          ["compare", "{root}/c.toml", "{root}/c.toml", "--report",
                           "{root}/out/r.html"],
                          ["thesis", "{root}/c.toml", "--reps", "50"],
                          ["signal", "{root}/c.toml"],
                          ["data", "fetch", "--config", "{root}/c.toml", "--list"]])
    if command[0] in ("run", "compare", "thesis") and rng.random() < 0.3:
        command.append("--quiet")
    if command[0] == "compare" and rng.random() < 0.3:
        command.append("--verbose")
    return Case("config", command, {"c.toml": body})


_SET_PATHS = ["run.start", "run.end", "run.idea_date", "run.execution_lag", "run.periods_per_year",
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
_SET_VALUES = ["0", "-1", "1", "2", "0.5", "3", "10", "100000", "nan", "inf", "-inf", "1e999",
               "true", "[]", "[1, 2]", "{LONG1 = 2.0}", "top_k", "weekly", "logistic",
               '["S5V1"]', "{}", "{a = 1}", "1990-06-30", "2030-01-01", "x]", "'", '"', "",
               "[/bold]", "名前", "embedded:french/NOPE", "cash", "short", "never", "M", "B",
               "1e-300", "99999999999999999999", "1990-06-30T00:00:00Z",
               "1949-01-31", "2017-03-31", "2016-12-31",  # dates at the edges of the windows
               # strategy kinds of one's own (module:Class): missing, not a class, not a
               # dataclass, malformed, and two that load
               '"no_such_module_x:Thing"', '"json:JSONDecoder"', '"os:sep"', '"a:b:c"', '":"',
               '"my_rules:"', '"backtest.strategies:BinaryRotation"', '"binary_rotaton"']


_SYNTHETIC_PATHS = ["benchmarks.graded_tilt.low", "benchmarks.graded_tilt.high",
                    "benchmarks.graded_tilt.shape", "benchmarks.graded_tilt.short_weight_max",
                    "benchmarks.duration_targeting.duration_min_years",
                    "benchmarks.duration_targeting.signal_high",
                    "benchmarks.duration_targeting.durations_years",
                    "benchmarks.trend_rule.lookback_months", "benchmarks.trend_rule.sleeve",
                    "benchmarks.rotation_on_change.rebalance", "benchmarks.fifty_fifty.weights",
                    "benchmarks.fifty_fifty.weights.LONG1", "sleeves.k", "sleeves.window",
                    "sleeves.min_periods", "sleeves.select", "sleeves.rerank",
                    "sleeves.yield_lag_bars", "sleeves.universe", "strategy.enter",
                    "strategy.min_hold_periods", "run.frequency", "run.execution_lag",
                    "run.idea_date"]


def set_case(rng: Random) -> Case:
    """A config with one to three random ``--set`` overrides (or a missing '=')."""
    synthetic = rng.random() < 0.25
    config = [str(SYNTHETIC_CONFIG)] if synthetic else []
    if rng.random() < 0.15:  # the terminal verdict (idea-date split, concentration) too
        args = ["thesis", *config, "--reps", "50"]
    else:
        args = ["run", *config, "--out", "{root}/out", "--no-html"]
    for _ in range(rng.randrange(1, 4)):
        path = rng.choice(_SYNTHETIC_PATHS if synthetic else _SET_PATHS)
        value = rng.choice(_SET_VALUES)
        if rng.random() < 0.1:
            args += ["--set", path, value]  # the space-for-'=' mistake
        else:
            args += ["--set", f"{path}={value}"]
    return Case("set", args)


def csv_case(rng: Random) -> Case:
    """A run whose asset or macro series is a CSV file of the user's, often broken."""
    text, keys = csv_text(rng)
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
    text, _ = csv_text(rng)
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
        meta_path.write_bytes(corrupt_text(meta_path.read_bytes(), rng))
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
        body = corrupt_text(to_catalog(doc).encode(), rng)
    else:
        for _ in range(rng.randrange(1, 3)):
            doc = mutate(doc, rng)
        body = to_catalog(doc).encode()
    command = rng.choice([["regimes", "--catalog", "{root}/r.toml"],
                          ["run", "{root}/c.toml", "--out", "{root}/out"]])
    config = DEFAULT_CONFIG.read_text() + '\n[regimes]\ncatalog = "r.toml"\n'
    return Case("catalog", command, {"r.toml": body, "c.toml": config.encode()})


#: ``--asof`` values: the accepted forms at the calendar's edges, and what is refused
#: (pandas' own bounds, signs, zones, US order, a bare year, non-ASCII digits, words).
_ASOF_VALUES = ["latest", "2010-06-30", "2017-12-29", "1990-06-30", "2030-01-01", "1678-01-01",
                "2261-12-31", "1919-01-31", "9999-12-31", "0001-01-01", "1677-09-21",
                "2262-04-11", "-2000-01-01", "", " ", "NaT", "nan", "2020-01-01T00:00+05:00",
                "2020-01-01T00:00:00Z", "01/02/2000", "2000", "2000-1-1", "20000101",
                "\u0662\u0660\u0662\u0660-\u0660\u0661-\u0660\u0661", "\uff12\uff10\uff12\uff10-01-01",
                "2020-02-30", "2021-02-29", "2020-13-01", "Latest", "latest ", "today", "now",
                "[/bold]", "\x00", "2020-01-01\n", "1e999"]


def _asof_value(rng: Random) -> str:
    if rng.random() < 0.75:
        return rng.choice(_ASOF_VALUES)
    if rng.random() < 0.5:  # any ISO-shaped date, valid or not
        return (f"{rng.randrange(0, 10000):04d}-{rng.randrange(0, 14):02d}-"
                f"{rng.randrange(0, 33):02d}")
    return "".join(rng.choice(string.printable) for _ in range(rng.randrange(0, 12)))


def signal_case(rng: Random) -> Case:
    """``signal --asof VALUE`` on the default or synthetic config, sometimes with JSON or --set."""
    config = rng.choice([[], [str(DEFAULT_CONFIG)], [str(SYNTHETIC_CONFIG)]])
    args = ["signal", *config, "--asof", _asof_value(rng)]
    if rng.random() < 0.3:
        args += ["--json", "{root}/out/reading.json"]
    if rng.random() < 0.3:
        args += ["--set", f"signal.min_components={rng.choice(['1', '2', '3', '0', '99'])}"]
    return Case("signal", args)


#: ``--param`` specs: good, empty, reversed, zero steps, unknown paths, non-numbers.
_PARAMS = ["strategy.enter=-0.5:0.5:0.5", "strategy.enter=0,1", "strategy.exit=-1",
           "strategy.enter=1:0:0.5", "strategy.enter=0:1:0", "strategy.entr=1,2",
           "strategy.enter=", "=1", "strategy.enter=a,b", "strategy.rebalance=monthly,never",
           "costs.fees_bps=0,nan", "signal.components.0.periods=6,12",
           "benchmarks.market.asset=MKT", "strategy.enter=0:1:1e-9", "run.frequency=M,B",
           "strategy.enter=[0, 1]", "strategy.kind=binary_rotation,graded_tilt",
           "strategy.enter=1e999", "strategy.min_hold_periods=0,1"]
#: ``--gate`` expressions: good ones, unknown names, placebo names, broken grammar.
_GATES = ["oos.sharpe >= 0", "pbo <= 1", "placebo.p <= 0.5", "oos.sharp >= 1", "dsr >",
          ">= 1", "oos.sharpe >= 1e999", "spa.consistent <= 0.1 <= 1", "((((", "x" * 1200,
          "trials.failed == 0", "spa.all.rc.consistent <= 1", "placebo.pass_rate <= 1",
          "1 / 0 >= 0", "oos.sharpe - benchmark.oos.sharpe >= 0", "is.trial == 0", "",
          "oos.sharpe >= 0\n", "__import__('os') >= 0"]
_TOLERANCES = ["0.05", "10%", "oos.sharpe=0.1", "-1", "nan", "pbo=20%", "%", "x=y", "1e999",
               "0", "oos.sharpe >= 0=0.1", "inf%"]


def _baseline(rng: Random) -> bytes:
    """A --baseline file: tune-shaped or not, with numbers that are numbers or not."""
    doc: Any = {"kind": "tune", "schema_version": rng.choice(["1.0", "1.7", "9.9", 1, None]),
                "config": rng.choice([{"hash": "x"}, "x", None]),
                "data": {"fingerprint": "y"},
                "oos": {"sharpe": rng.choice([0.5, "0.5", None, float("nan"), 1e308, True])},
                "pbo": rng.choice([0.1, None, "x"]), "gates": []}
    if rng.random() < 0.15:
        doc = rng.choice([[], "tune", {"kind": "run"}, {}])
    text = json.dumps(doc, allow_nan=True)
    return corrupt_text(text.encode(), rng) if rng.random() < 0.15 else text.encode()


def _pick(rng: Random, good: list[str], bad: list[str], p_bad: float = 0.15) -> str:
    return rng.choice(bad if rng.random() < p_bad else good)


def tune_case(rng: Random) -> Case:
    """``backtest tune`` with random parameters, gates, placebos, tolerances and baselines.

    Each option is usually well formed (a case with one thing wrong tests that thing);
    the well-formed ones run a real two-to-four-trial search.
    """
    args = ["tune", *rng.choice([[], [str(DEFAULT_CONFIG)]]), "--quiet",
            "--json", "{root}/out/t.json"]
    for _ in range(rng.randrange(1, 3)):
        args += ["--param", _pick(rng, _PARAMS[:4], _PARAMS[4:])]
    if rng.random() < 0.7:
        args += ["--holdout", _pick(rng, ["0.3", "0.5"], ["0", "1", "-1", "nan", "0.999"])]
    else:
        args += ["--walk-forward", "--train", _pick(rng, ["240m", "300"], ["0", "x", "9999m"]),
                 "--test", _pick(rng, ["60m", "120"], ["1", "-5", "60x"])]
    for _ in range(rng.randrange(0, 3)):
        args += ["--gate", _pick(rng, _GATES[:3] + _GATES[10:15], _GATES[3:10] + _GATES[15:])]
    files: dict[str, bytes] = {}
    if rng.random() < 0.4:
        args += ["--placebo", _pick(rng, ["0", "1", "2", "3"], ["-1", "1001", "x"])]
    if rng.random() < 0.3:
        args += ["--baseline", "{root}/b.json"]
        files["b.json"] = _baseline(rng)
        for _ in range(rng.randrange(0, 3)):
            args += ["--tolerance", _pick(rng, [*_TOLERANCES[:3], "pbo=20%"], _TOLERANCES)]
    if rng.random() < 0.2:
        args += ["--heatmap", rng.choice(["strategy.enter,strategy.exit", "a,b", "x", ","])]
    if rng.random() < 0.2:
        args += ["--summary", rng.choice(["{root}/out/s.md", "{root}", "{root}/no/such/s.md"])]
    if rng.random() < 0.1:
        args += ["--max-memory", rng.choice(["1KB", "4GB", "x", "0", "-1GB"])]
    if rng.random() < 0.05:  # a pool: its workers write their rows into shared memory
        args += ["--executor", _pick(rng, ["processes"], ["threads", ""]),
                 "--workers", _pick(rng, ["1", "2"], ["0", "-2", "x"])]
    return Case("tune", args, files)


def init_case(rng: Random) -> Case:
    """``backtest init`` into a new, a half-full or an impossible directory, with odd sources."""
    target = rng.choice(["{root}/team", "{root}/team", "{root}/file.txt", "{root}"])
    args = ["init", target]
    if rng.random() < 0.5:
        args += ["--source", rng.choice(["dcf-regime==0.1.0", "", " ", "a\nb", 'x"y', "$(rm)",
                                         "dcf-regime @ git+https://host/org/repo@v1", "x" * 500,
                                         "`id`", "名前"])]
    files = {"file.txt": b"a file, not a directory\n"}
    if rng.random() < 0.5:
        files["team/README.md"] = b"ours\n"
        files["team/strategies/tune.toml"] = b"[run]\n"
    return Case("init", args, files)


_RESULT: dict[str, Any] = {}


def _result_document() -> dict[str, Any]:
    """The default config's run document (made once per process: it takes a few seconds)."""
    if not _RESULT:
        from backtest.api import run
        from backtest.cli.run import run_documents

        _RESULT.update(run_documents([run(DEFAULT_CONFIG)])[0])
    return json.loads(json.dumps(_RESULT))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    if isinstance(node, dict):
        for k, v in node.items():
            out += [(*prefix, k), *_paths(v, (*prefix, k))]
    elif isinstance(node, list) and node:
        for i in {0, len(node) - 1}:
            out += [(*prefix, i), *_paths(node[i], (*prefix, i))]
    return out


_HOSTILE = ["x", None, float("nan"), float("inf"), -1e308, 1e308, [], {}, -1.0, 0, True,
            "1e999", [[[[]]]], "9999-12-31", "<script>", -2.0]


def report_case(rng: Random) -> Case:
    """``backtest report`` on a real result with one to three values replaced by hostile ones."""
    doc = _result_document()
    paths = _paths(doc)
    for _ in range(rng.randrange(1, 4)):
        path = rng.choice(paths)
        parent: Any = doc
        try:
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]] = rng.choice(_HOSTILE)
        except (KeyError, IndexError, TypeError):
            pass
    body = json.dumps(doc, allow_nan=True).encode()
    if rng.random() < 0.1:
        body = corrupt_text(body, rng)
    quiet = [flag for flag in ("--quiet", "--verbose") if rng.random() < 0.3]
    return Case("report", ["report", "{root}/r.json", "-o", "{root}/out/r.html", *quiet],
                {"r.json": body})


def thesis_case(rng: Random) -> Case:
    """``backtest thesis`` with odd bootstrap sizes, seeds, idea dates and mechanism series."""
    args = ["thesis", *rng.choice([[], [str(DEFAULT_CONFIG)], [str(SYNTHETIC_CONFIG)]]),
            "--reps", _pick(rng, ["20", "50"], ["0", "1", "-1", "x", "1e3", "10000000000"])]
    if rng.random() < 0.5:
        args += ["--seed", _pick(rng, ["0", "7", str(2**63 - 1)], ["-1", str(2**63), "x", ""])]
    for _ in range(rng.randrange(0, 3)):
        key, good, bad = rng.choice(_THESIS_SETS)
        args += ["--set", f"{key}={_pick(rng, good, bad, 0.5)}"]
    if rng.random() < 0.3:
        args += ["--json", rng.choice(["{root}/out/t.json", "{root}", "/dev/null"])]
    if rng.random() < 0.3:
        args.append("--quiet")
    return Case("thesis", args)


#: ``--set`` keys the thesis reads: (key, good values, bad values), TOML-encoded.
_THESIS_SETS = [
    ("run.idea_date", ['"2000-01-01"', '"1990-06-30"'],
     ['"1800-01-01"', '"9999-12-31"', '"x"', "1", '""', '"2000-13-01"', "2000-01-01"]),
    ("thesis.bootstrap_reps", ["30"], ["0", "-5", '"x"', "1e9", "true"]),
    ("thesis.seed", ["3"], ["-1", '"x"', "1.5"]),
    ("thesis.yield_lag_bars", ["0", "2"], ["-1", "100000", '"x"']),
    ("thesis.yield_series", ['"AAA"'], ['"NOPE"', '""', '"AAA +"', "1"]),
    ("thesis.credit_series", ['"BAA - AAA"'], ['"BAA / 0"', '"BAA - NOPE"', "[]"]),
    ("thesis.market", ['"MKT"'], ['"NOPE"', '""', "0"]),
]


def _fifo_reader(path: Path, limit_s: float = 40.0) -> None:
    """Read ``path`` (a named pipe) until a writer has come and gone, or ``limit_s``."""
    import os
    import threading

    def read() -> None:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # never waits for a writer
        seen = False
        deadline = time.monotonic() + limit_s
        try:
            while time.monotonic() < deadline:
                try:
                    chunk = os.read(fd, 1 << 16)
                except BlockingIOError:  # a writer is connected, nothing yet
                    seen = True
                    time.sleep(0.01)
                    continue
                if chunk:
                    seen = True
                elif seen:
                    return  # the writer closed: end of file
                else:
                    time.sleep(0.1)  # no writer yet
        finally:
            os.close(fd)

    threading.Thread(target=read, daemon=True).start()


def _output_setup(root: Path, *, read_fifo: bool) -> None:
    """What stands at the output paths: links, a directory, pipes, a file's child."""
    import os

    (root / "out").mkdir()
    (root / "out" / "real.txt").write_text("the link's target\n")
    (root / "link").symlink_to(root / "out" / "real.txt")
    (root / "dangling").symlink_to(root / "out" / "sub" / "new.txt")
    (root / "dirlink").symlink_to(root / "out")
    (root / "file.txt").write_text("a file, not a directory\n")
    os.mkfifo(root / "fifo")
    os.mkfifo(root / "deaf")  # nobody ever reads it: an error after the writer's wait
    if read_fifo:  # a reader only when the case writes there (each one polls)
        _fifo_reader(root / "fifo")


#: Output paths: what stands there decides how it is written (or why not).
_OUTPUT_PATHS = ["{root}/out/o.txt", "{root}/link", "{root}/dangling", "{root}/dirlink",
                 "{root}", "/dev/null", "/dev/full", "-", "{root}/fifo", "{root}/file.txt/o",
                 "{root}/" + "n" * 300, "{root}/out/a\x00b", "{root}/new/deep/o.txt", "",
                 "{root}/out/o.txt/"]


def output_case(rng: Random) -> Case:
    """Every command that writes, told to write to a link, a device, a pipe or a directory."""
    path = rng.choice(_OUTPUT_PATHS if rng.random() < 0.97 else [*_OUTPUT_PATHS, "{root}/deaf"])
    quick = ["--param", "strategy.enter=0,1", "--holdout", "0.3", "--quiet"]
    args = rng.choice([
        ["signal", str(SYNTHETIC_CONFIG), "--json", path],
        ["run", str(SYNTHETIC_CONFIG), "--json", path, "--no-html"],
        ["tune", *quick, "--json", path],
        ["tune", *quick, "--summary", path],
        ["tune", *quick, "--report", path],
        ["tune", *quick, "--junit", path],
        ["report", "{root}/r.json", "-o", path],
        ["thesis", str(SYNTHETIC_CONFIG), "--reps", "20", "--json", path],
    ])
    files = {"r.json": json.dumps(_result_document()).encode()} if "report" in args else {}
    setup = partial(_output_setup, read_fifo=path == "{root}/fifo")
    return Case("output", args, files, setup=setup)


GENERATORS: dict[str, Callable[[Random], Case]] = {
    "config": config_case, "set": set_case, "csv": csv_case, "mirror": mirror_case,
    "cache": cache_case, "catalog": catalog_case, "signal": signal_case, "tune": tune_case,
    "init": init_case, "report": report_case, "thesis": thesis_case, "output": output_case,
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


def judge(exit_code: int | None, stderr: str, exception: BaseException | None,
          *, command: str = "") -> tuple[str, str]:
    """Sort a finished command into an outcome, with a one-line detail.

    Exit 4 is a reading, not an error, for ``signal`` alone (the state is unknown).
    """
    if exception is not None and not isinstance(exception, SystemExit):
        return "traceback", f"{type(exception).__name__}: {' '.join(str(exception).split())[:200]}"
    lines = [line for line in stderr.splitlines() if line.strip()]
    if command == "tune" and exit_code == 3:  # a gate or baseline verdict, one line each
        verdicts = [line for line in lines if not line.startswith("Warning: ")]
        if verdicts and all(line.startswith(("gate ", "baseline ")) for line in verdicts):
            return "success", ""
        return "unclean_error", f"exit 3: {' | '.join(lines)[:200]}"
    if exit_code == 0 or (exit_code == 4 and command == "signal"):
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
    before = snapshot(root)
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
    command = next((a for a in args if a in ("signal", "run", "tune", "data", "regimes",
                                             "compare", "thesis", "report")), "")
    outcome, detail = judge(result.exit_code, result.stderr, exception, command=command)
    damage = damaged(before, snapshot(root))
    if damage:
        outcome, detail = "damaged", f"{damage} ({' '.join(args)[:150]})"
    return Result(case.kind, outcome, result.exit_code, detail, time.perf_counter() - started)


def snapshot(root: Path) -> dict[str, str]:
    """What stands under ``root`` outside :data:`WRITABLE`, and the two devices outputs try.

    A file by its content's hash, a link by its target, anything else by its type: an
    input rewritten, a link replaced by a file or a device turned into a file shows.
    """
    import hashlib
    import os
    import stat as st

    seen: dict[str, str] = {}
    for device in ("/dev/null", "/dev/full"):
        seen[device] = "device" if st.S_ISCHR(os.lstat(device).st_mode) else "not a device"
    for folder, dirs, names in os.walk(root):
        rel_folder = Path(folder).relative_to(root)
        if rel_folder == Path():
            dirs[:] = [d for d in dirs if d not in WRITABLE]
        for name in [*names, *dirs]:
            path = Path(folder) / name
            mode = os.lstat(path).st_mode
            key = str(rel_folder / name)
            if st.S_ISLNK(mode):
                seen[key] = f"link to {path.readlink()}"
            elif st.S_ISREG(mode):
                seen[key] = "file " + hashlib.sha256(path.read_bytes()).hexdigest()[:16]
            else:
                seen[key] = "directory" if st.S_ISDIR(mode) else f"mode {st.S_IFMT(mode):o}"
    return seen


def damaged(before: dict[str, str], after: dict[str, str]) -> str:
    """The first thing that was there before and is gone or changed; '' if none."""
    for key, was in before.items():
        now = after.get(key, "gone")
        if now != was:
            return f"{key}: {was.split(' ')[0]} -> {now.split(' ')[0]}"
    return ""
