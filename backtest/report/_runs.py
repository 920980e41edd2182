"""Saved results (schema 1.x JSON documents) → typed runs for the report (pure + one reader).

Everything a report shows comes from these documents, whether they were just made
by :func:`backtest.report.to_json` or read back from disk: that is why a report
rendered from a saved JSON equals the one rendered at run time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from backtest._jsonio import finite_number, read_json
from backtest.errors import ResultFileError

__all__ = ["RunData", "StrategyData", "read_results", "run_from_document", "split_documents"]

#: The oldest schema with everything the report needs (cash returns, catalog, risk-off).
MIN_VERSION = (1, 1)
_REQUIRED = ("run", "config", "data", "versions", "conventions", "strategies", "signal",
             "cash_returns", "catalog", "regimes", "signal_timing")


@dataclass(frozen=True)
class StrategyData:
    """One strategy of a saved run."""

    label: str
    kind: str
    params: Mapping[str, Any]
    metrics: Mapping[str, float | None]
    returns: pd.Series
    weights: pd.DataFrame
    risk_off: pd.Series | None


@dataclass(frozen=True)
class RunData:
    """One saved run, with its series as pandas objects.

    ``document`` is the whole JSON document, for report sections that read keys
    the core does not know (see :mod:`backtest.report.sections`).
    """

    document: Mapping[str, Any]
    name: str
    title: str
    main: str
    conventions: Mapping[str, Any]
    strategies: Mapping[str, StrategyData]
    cash: pd.Series
    signal: pd.DataFrame
    catalog: Sequence[Mapping[str, Any]]
    regimes: pd.DataFrame
    timing: pd.DataFrame

    @property
    def benchmark(self) -> str | None:
        """Label of the benchmark of beta, alpha, IR and tracking error (None: none)."""
        label = self.conventions.get("benchmark")
        return str(label) if label else None

    @property
    def start(self) -> pd.Timestamp:
        """First bar of the window (the date of the starting capital)."""
        return pd.Timestamp(self.conventions["start"])

    @property
    def periods_per_year(self) -> int:
        """Annualization of the run."""
        return int(self.conventions["periods_per_year"])

    @property
    def config_hash(self) -> str:
        """sha256 of the effective config."""
        return str(self.document["config"]["hash"])


def _index(dates: Sequence[str]) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(list(dates)), name="date")


def _numbers(values: Sequence[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype="float64")


def _series(block: Mapping[str, Any], name: str) -> pd.Series:
    return pd.Series(_numbers(block["values"]), index=_index(block["dates"]), name=name)


def _frame(block: Mapping[str, Any], key: str) -> pd.DataFrame:
    columns = [str(c) for c in block[key]]
    values = np.array([_numbers(row) for row in block["values"]], dtype="float64")
    return pd.DataFrame(values.reshape(len(block["dates"]), len(columns)),
                        index=_index(block["dates"]), columns=columns)


def _states(block: Mapping[str, Any]) -> pd.Series:
    values = pd.array(block["values"], dtype="boolean")
    return pd.Series(values, index=_index(block["dates"]), name="risk_off")


def _records(rows: Sequence[Mapping[str, Any]], dates: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows))
    for column in dates:
        if column in frame.columns:
            frame[column] = pd.to_datetime(frame[column])
    return frame


def _strategy(label: str, entry: Mapping[str, Any]) -> StrategyData:
    return StrategyData(
        label=label, kind=str(entry["kind"]), params=dict(entry.get("params") or {}),
        metrics=dict(entry["metrics"]), returns=_series(entry["returns"], label),
        weights=_frame(entry["weights"], "assets"),
        risk_off=_states(entry["risk_off"]) if entry.get("risk_off") else None,
    )


def _check_version(document: Mapping[str, Any], where: str) -> None:
    version = str(document.get("schema_version", ""))
    try:
        major, minor = (int(p) for p in version.split(".")[:2])
    except ValueError:
        raise ResultFileError(f"{where}: not a dcf-regime result (no schema_version)") from None
    if major != MIN_VERSION[0] or minor < MIN_VERSION[1]:
        raise ResultFileError(
            f"{where}: schema {version} cannot be reported; this version reads "
            f"{MIN_VERSION[0]}.{MIN_VERSION[1]} to {MIN_VERSION[0]}.x (re-run the config "
            "to make a new result)"
        )


def _iso_dates(values: Any, what: str) -> None:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ResultFileError(f"{what}: dates must be a list of ISO dates")
    try:
        index = pd.DatetimeIndex(pd.to_datetime(values, format="ISO8601"))
    except (ValueError, TypeError, OverflowError):
        raise ResultFileError(f"{what}: not ISO dates (YYYY-MM-DD)") from None
    if index.hasnans:
        raise ResultFileError(f"{what}: a date is missing")
    if not (index.is_monotonic_increasing and index.is_unique):
        raise ResultFileError(f"{what}: dates must be in order, each once")


def _number_list(values: Any, what: str, *, at_least: float | None = None) -> None:
    if not isinstance(values, list):
        raise ResultFileError(f"{what}: values must be a list of numbers")
    for v in values:
        if v is None:
            continue
        if not finite_number(v) or abs(v) > 1e100 or (at_least is not None and v < at_least):
            bound = f" >= {at_least:g}" if at_least is not None else ""
            raise ResultFileError(f"{what}: {v!r} is not a finite number{bound}")


def _check_series(block: Any, what: str, *, returns: bool = False) -> None:
    if not isinstance(block, Mapping):
        raise ResultFileError(f"{what}: expected an object with dates and values")
    _iso_dates(block.get("dates"), what)
    _number_list(block.get("values"), what, at_least=-1.0 if returns else None)
    if len(block["values"]) != len(block["dates"]):
        raise ResultFileError(f"{what}: {len(block['values'])} values for "
                              f"{len(block['dates'])} dates")
    if returns and block["values"] and all(v == -1.0 for v in block["values"]):
        raise ResultFileError(f"{what}: every return is -100%: nothing to chart")


def _validate(document: Mapping[str, Any], where: str) -> None:
    """The types and ranges of what the report reads, checked before anything is drawn.

    A hostile or damaged file (metrics as strings, NaN annualization, dates out of
    range, a section that is a string) is one line naming the place, not a traceback
    in the renderer (issue 18).
    """
    for key in ("run", "config", "data", "versions", "conventions", "strategies"):
        if not isinstance(document[key], Mapping):
            raise ResultFileError(f"{where}: '{key}' must be an object")
    conv = document["conventions"]
    ppy = conv.get("periods_per_year")
    if isinstance(ppy, bool) or not isinstance(ppy, int) or not 1 <= ppy <= 100_000:
        raise ResultFileError(f"{where}: conventions.periods_per_year must be a whole number of "
                              f"bars per year, got {ppy!r}")
    _iso_dates([conv.get("start")], f"{where}: conventions.start")
    _iso_dates([conv.get("end")], f"{where}: conventions.end")
    strategies = document["strategies"]
    if not strategies:
        raise ResultFileError(f"{where}: no strategies")
    for label, entry in strategies.items():
        what = f"{where}: strategy {label!r}"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("metrics"), Mapping):
            raise ResultFileError(f"{what}: expected an object with metrics and returns")
        for name, value in entry["metrics"].items():
            if value is not None and (not finite_number(value) or abs(value) > 1e100):
                raise ResultFileError(f"{what}: metric {name} is {value!r}, not a finite number")
        _check_series(entry.get("returns"), f"{what} returns", returns=True)
        weights = entry.get("weights")
        if not isinstance(weights, Mapping) or not isinstance(weights.get("values"), list):
            raise ResultFileError(f"{what}: weights must be an object with dates and values")
        _iso_dates(weights.get("dates"), f"{what} weights")
        for row in weights["values"]:
            _number_list(row, f"{what} weights")
    _check_series(document["cash_returns"], f"{where}: cash_returns", returns=True)
    for key in ("catalog", "regimes", "signal_timing", "regime_timing"):
        value = document.get(key, [])
        if not isinstance(value, list) or not all(isinstance(r, Mapping) for r in value):
            raise ResultFileError(f"{where}: '{key}' must be a list of objects")
    for key in ("thesis", "attribution", "signal"):
        if document.get(key) is not None and not isinstance(document[key], Mapping):
            raise ResultFileError(f"{where}: '{key}' must be an object")


def run_from_document(document: Mapping[str, Any], where: str = "result") -> RunData:
    """Parse one run document (schema 1.1 or a later 1.x).

    Raises
    ------
    ResultFileError
        A key the report needs is missing or malformed (the message names it).
    """
    _check_version(document, where)
    missing = [k for k in _REQUIRED if k not in document]
    if missing:
        raise ResultFileError(f"{where}: missing keys {', '.join(missing)}")
    _validate(document, where)
    try:
        run = document["run"]
        strategies = {str(k): _strategy(str(k), v) for k, v in document["strategies"].items()}
        main = str(run["strategy_under_test"])
        if main not in strategies:
            raise KeyError(f"strategy_under_test {main!r}")
        return RunData(
            document=document, name=str(run["name"]), title=str(run.get("title") or ""),
            main=main, conventions=dict(document["conventions"]), strategies=strategies,
            cash=_series(document["cash_returns"], "cash"),
            signal=_frame(document["signal"], "columns"),
            catalog=list(document["catalog"]),
            regimes=_records(document["regimes"], ("start", "end")),
            timing=_records(document["signal_timing"], ("start", "end", "first_risk_off")),
        )
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ResultFileError(f"{where}: malformed result ({exc})") from None


def split_documents(document: Mapping[str, Any], where: str) -> list[Mapping[str, Any]]:
    """The run documents in one file: the document itself, or a compare file's ``runs``."""
    if not isinstance(document, Mapping):
        raise ResultFileError(f"{where}: not a dcf-regime result (a JSON object is expected)")
    if "runs" in document:
        _check_version(document, where)
        runs = document["runs"]
        if not isinstance(runs, list) or not runs:
            raise ResultFileError(f"{where}: 'runs' must be a non-empty list")
        return list(runs)
    return [document]


def read_results(paths: Sequence[str | os.PathLike[str]]) -> list[RunData]:
    """Read saved results (``backtest run --json`` or ``compare --json`` files) in order.

    Raises
    ------
    ResultFileError
        A file is missing, unreadable, not JSON or not a dcf-regime result.
    """
    out: list[RunData] = []
    for path in map(Path, paths):
        document = read_json(path, "result file")
        docs = split_documents(document, str(path))
        for i, doc in enumerate(docs):
            where = f"{path} run {i + 1}" if len(docs) > 1 else str(path)
            out.append(run_from_document(doc, where))
    return out
