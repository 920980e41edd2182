"""A run as a schema-versioned, strict-JSON document (pure), and its atomic write.

Schema ``1.6`` (every number is a float or ``null``; NaN and ±inf become ``null``;
dates are ISO ``YYYY-MM-DD``)::

    {
      "schema_version": "1.6",
      "generated_by": "dcf-regime <version>",
      "generated_at": "<caller's timestamp>",         # only if given
      "run": {"name", "title", "strategy_under_test": <label>},
      "config": {"source": <path>, "hash": <sha256 of the effective config>,
                 "effective": {<the effective config, overrides applied>}},
      "data": {"fingerprint": <sha256 of every input value and date>,
               "sources": [{"alias", "id", "role", "kind", "units", "frequency",
                            "lag", "first", "last", "notes"}, ...]},
      "versions": {<library>: <version>, ...},
      "conventions": {"engine",                                       # 1.6
                      "frequency", "periods_per_year", "execution_lag_bars",
                      "fees_bps", "slippage_bps", "cash_asset", "risk_free",
                      "start", "end", "bars", "initial_capital",
                      "benchmark", "benchmark_rule"},                  # 1.1
      "strategies": {
        <label>: {                                     # strategy under test first
          "kind": <registry name>,
          "params": {...},                             # when the config names them
          "metrics": {<Metric key>: <float|null>, ...},  # cagr, sharpe, max_drawdown, ...
                                                         # 1.4: then every FullMetric key
          "returns": {"dates": [...], "values": [...]},  # net periodic returns, decimals
          "weights": {"dates": [...], "assets": [...],   # executed weights, decimals;
                      "values": [[...], ...]},           #   one row per date
          "risk_off": {"dates": [...], "values": [true|false|null, ...]}  # 1.1; signal-
        }, ...                                           #   driven strategies only
      },
      "cash_returns": {"dates": [...], "values": [...]}, # 1.1: the risk-free rate per bar
      "signal": {"dates": [...], "columns": [..., "composite"], "values": [[...], ...]},
      "catalog": [{"name", "kind", "start", "end", "description", "reference"}, ...],  # 1.1
      "regimes": [{"regime", "kind", "start", "end", "strategy", "return",
                   "max_drawdown", "long_minus_short", "coverage"}, ...],
      "signal_timing": [{"regime", "kind", "start", "end", "signal_hit",
                         "first_risk_off", "lead_days", "share_risk_off"}, ...]
    }

``regimes`` and ``signal_timing`` hold the rows of
:meth:`RunResult.regime_table` and :meth:`RunResult.signal_timing` with their
columns as keys. Percent-like values are decimals (``0.05`` = 5%), never percent.
Minor versions add keys; a major version changes or removes one. 1.1 added
``conventions.benchmark``/``benchmark_rule``, the metrics ``total_return``, ``beta``,
``alpha``, ``information_ratio`` and ``tracking_error``, per-strategy ``risk_off``,
``cash_returns`` and ``catalog``. 1.2 added, when the run was analysed
(``backtest run`` always does), ``thesis``, ``thesis_skipped``, ``regime_timing``,
``attribution`` and ``signal.contributions``/``signal.present``
(:mod:`backtest.report._analysis_json`). 1.3 added keys inside ``thesis``: the
regimes' adjusted p-values and ``regime_count``, the duration measures'
``agreement``, ``idea`` (``[run] idea_date``), ``concentration``,
``counter_evidence`` and ``thresholds``. 1.4 added the full metrics list
(:class:`backtest.metrics.FullMetric`: value at risk, expected shortfall, win rates,
trailing returns, ...) to each strategy's ``metrics``, after the headline ones; a
reader of older documents finds them absent and shows "—". 1.6 added
``conventions.engine``: ``"vectorbt"`` (``run``, ``compare``) or ``"kernel"`` (the
project's numba kernel, tested equal to vectorbt; ``thesis``); older documents were
all executed by vectorbt.

:func:`to_compare_json` wraps several runs: ``{"schema_version", "generated_by",
"generated_at", "runs": [<run document>, ...]}``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from enum import Enum
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from backtest.report._io import write_text_atomic

if TYPE_CHECKING:
    from backtest.engine.result import BacktestResult
    from backtest.evaluate import RunAnalysis
    from backtest.runner import RunResult

__all__ = [
    "SCHEMA_VERSION",
    "compare_document",
    "to_compare_json",
    "to_json",
    "to_plain",
    "write_json",
]

SCHEMA_VERSION = "1.6"


def _iso(value: date) -> str:
    stamp = pd.Timestamp(value)
    text: str = stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()
    return text


def to_plain(value: object) -> Any:
    """Recursively turn ``value`` into JSON-ready Python (NaN → None, dates → ISO).

    Parameters
    ----------
    value : object
        Mappings, sequences, numpy/pandas scalars, dates, paths, enums, dataclasses.

    Returns
    -------
    object
        dict / list / str / int / float / bool / None only; non-finite floats and
        missing values are ``None``; anything unknown becomes ``str(value)``.
    """
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, np.generic):
        return to_plain(value.item())
    if isinstance(value, date):  # datetime and pd.Timestamp too
        return None if pd.isna(value) else _iso(value)
    if isinstance(value, Enum):
        return to_plain(value.value)
    if isinstance(value, PurePath):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_plain(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset | np.ndarray | pd.Index | pd.Series):
        return [to_plain(v) for v in value]
    if value is pd.NaT or value is pd.NA:
        return None
    return str(value)


def _dates(index: pd.Index) -> list[str]:
    stamps = pd.DatetimeIndex(index)
    if (stamps == stamps.normalize()).all():
        return list(stamps.strftime("%Y-%m-%d"))
    return [s.isoformat() for s in stamps]


def _floats(values: np.ndarray) -> list[Any]:
    array = np.asarray(values, dtype="float64").astype(object)
    array[~np.isfinite(np.asarray(values, dtype="float64"))] = None
    out: list[Any] = array.tolist()
    return out


def _series(series: pd.Series) -> dict[str, Any]:
    return {"dates": _dates(series.index), "values": _floats(series.to_numpy())}


def _frame(frame: pd.DataFrame, columns_key: str) -> dict[str, Any]:
    return {
        "dates": _dates(frame.index),
        columns_key: [str(c) for c in frame.columns],
        "values": _floats(frame.to_numpy(dtype="float64")),
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    if frame.empty:
        return []
    records: list[dict[str, Any]] = to_plain(frame.to_dict(orient="records"))
    return records


def _strategy(result: BacktestResult, params: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": result.kind}
    if params is not None:
        out["params"] = to_plain(params)
    out["metrics"] = to_plain(result.stats().to_dict())
    out["returns"] = _series(result.returns)
    out["weights"] = _frame(result.weights, "assets")
    if result.risk_off is not None:
        out["risk_off"] = _states(result.risk_off)
    return out


def _states(state: pd.Series) -> dict[str, Any]:
    flags = state.astype("boolean")
    return {"dates": _dates(state.index),
            "values": [None if pd.isna(v) else bool(v) for v in flags.tolist()]}


def _catalog(run: RunResult) -> list[dict[str, Any]]:
    return [
        {"name": r.name, "kind": str(r.kind), "start": _iso(r.start), "end": _iso(r.end),
         "description": r.description, "reference": r.reference}
        for r in run.catalog
    ]


def to_json(
    run: RunResult,
    *,
    versions: Mapping[str, str] | None = None,
    generated_at: str | datetime | None = None,
    analysis: RunAnalysis | None = None,
) -> dict[str, Any]:
    """Build the JSON result of one run (schema in the module docstring).

    Parameters
    ----------
    run : RunResult
    versions : mapping of str to str, optional
        Library versions; default :func:`backtest.runner.library_versions`.
    generated_at : str or datetime, optional
        Included as ``generated_at`` when given (the caller reads the clock); a
        datetime is written in ISO format to the second.
    analysis : RunAnalysis, optional
        :func:`backtest.evaluate.analyze` of ``run``: adds the keys of
        :mod:`backtest.report._analysis_json` (``backtest run`` always passes it).

    Returns
    -------
    dict
        Plain data; ``json.dumps(payload, allow_nan=False)`` succeeds.
    """
    if versions is None:
        from backtest.runner import library_versions

        versions = library_versions()
    params = {spec.label: spec.params for spec in run.config.strategies}
    payload: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "generated_by": f"dcf-regime {versions.get('dcf-regime', 'unknown')}",
    }
    if isinstance(generated_at, datetime):
        payload["generated_at"] = generated_at.isoformat(timespec="seconds")
    elif generated_at is not None:
        payload["generated_at"] = generated_at
    payload |= {
        "run": {
            "name": run.config.run.name,
            "title": run.config.run.title,
            "strategy_under_test": run.main.label,
        },
        "config": {
            "source": str(run.config.source),
            "hash": run.config.config_hash,
            "effective": to_plain(run.config.raw),
        },
        "data": {
            "fingerprint": run.dataset.fingerprint,
            "sources": [to_plain(s) for s in run.dataset.sources],
        },
        "versions": dict(versions),
        "conventions": to_plain(run.conventions()),
        "strategies": {
            label: _strategy(result, params.get(label)) for label, result in run.results.items()
        },
        "cash_returns": _series(run.main.cash_returns),
        "signal": _frame(run.signal, "columns"),
        "catalog": _catalog(run),
        "regimes": _records(run.regime_table()),
        "signal_timing": _records(run.signal_timing()),
    }
    if analysis is not None:
        from backtest.report._analysis_json import add_analysis

        add_analysis(payload, run, analysis)
    return payload


def to_compare_json(
    runs: Sequence[RunResult],
    *,
    versions: Mapping[str, str] | None = None,
    generated_at: str | datetime | None = None,
) -> dict[str, Any]:
    """Several runs in one schema-versioned document: ``{..., "runs": [<run>, ...]}``.

    Parameters
    ----------
    runs : sequence of RunResult
    versions, generated_at
        As for :func:`to_json` (shared by every run).

    Returns
    -------
    dict
        ``schema_version``, ``generated_by``, ``generated_at`` (when given) and
        ``runs``: one :func:`to_json` document per run, in order.
    """
    return compare_document(
        [to_json(run, versions=versions, generated_at=generated_at) for run in runs])


def compare_document(documents: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Wrap run documents (from :func:`to_json`) into one compare document."""
    keys = ("schema_version", "generated_by", "generated_at")
    head: dict[str, Any] = {k: documents[0][k] for k in keys if documents and k in documents[0]}
    return {**head, "runs": list(documents)}


def write_json(path: str | os.PathLike[str], payload: Mapping[str, Any]) -> Path:
    """Write ``payload`` as strict JSON (no NaN), atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file; parent directories are created.
    payload : mapping
        From :func:`to_json` (or any plain data).

    Returns
    -------
    Path
        The destination.

    Raises
    ------
    BacktestError
        ``cannot write JSON result <path>: <reason>``.
    ValueError
        ``payload`` holds NaN or infinity (a bug: :func:`to_json` never does).
    """
    text = json.dumps(payload, separators=(",", ":"), allow_nan=False, ensure_ascii=False) + "\n"
    return write_text_atomic(path, text, "JSON result")
