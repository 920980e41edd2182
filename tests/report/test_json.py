"""to_json (pure, strict JSON, schema 1.2) and write_json (atomic)."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from backtest.errors import BacktestError
from backtest.metrics import FullMetric, Metric
from backtest.report import SCHEMA_VERSION, to_json, write_json
from backtest.report.json import to_plain

VERSIONS = {"dcf-regime": "0.1.0", "plotly": "7.1.0"}
TOP_KEYS = {"schema_version", "generated_by", "run", "config", "data", "versions", "conventions",
            "strategies", "signal", "regimes", "signal_timing", "cash_returns", "catalog"}


@pytest.fixture
def payload(run: Any) -> dict[str, Any]:
    return to_json(run, versions=VERSIONS)


def test_round_trips_as_strict_json(payload: dict[str, Any]) -> None:
    text = json.dumps(payload, allow_nan=False)
    assert json.loads(text) == payload
    assert set(payload) == TOP_KEYS
    assert payload["schema_version"] == SCHEMA_VERSION == "1.6"
    assert payload["generated_by"] == "dcf-regime 0.1.0"
    assert payload["versions"] == VERSIONS


def test_provenance(payload: dict[str, Any], run: Any) -> None:
    assert payload["config"]["hash"] == run.config.config_hash
    assert payload["config"]["source"] == run.config.source
    assert payload["config"]["effective"] == {"run": {"name": "demo", "note": None}}  # NaN → null
    assert payload["data"]["fingerprint"] == run.dataset.fingerprint
    source = payload["data"]["sources"][0]
    assert source["id"] == "synthetic:long"
    assert source["first"] == "2005-01-31"
    assert set(source) == {"alias", "id", "role", "kind", "units", "frequency", "lag", "first",
                           "last", "notes"}
    conventions = payload["conventions"]
    assert conventions["periods_per_year"] == 12
    assert conventions["execution_lag_bars"] == 1
    assert conventions["engine"] == "vectorbt"  # the engine of record behind run
    assert conventions["fees_bps"] == 10.0 and conventions["slippage_bps"] == 5.0
    assert payload["run"] == {"name": "demo", "title": "Demo report",
                              "strategy_under_test": "rotation"}


def test_strategies_series_match_their_dates(payload: dict[str, Any], run: Any) -> None:
    strategies = payload["strategies"]
    assert list(strategies) == list(run.results)  # strategy under test first
    for label, entry in strategies.items():
        result = run.results[label]
        returns, weights = entry["returns"], entry["weights"]
        assert len(returns["dates"]) == len(returns["values"]) == len(result.returns)
        assert returns["dates"][0] == result.returns.index[0].strftime("%Y-%m-%d")
        np.testing.assert_allclose(returns["values"], result.returns.to_numpy())
        assert len(weights["dates"]) == len(weights["values"]) == len(result.weights)
        assert weights["assets"] == list(result.weights.columns)
        assert {len(row) for row in weights["values"]} == {len(weights["assets"])}
        assert list(entry["metrics"]) == [str(m) for m in (*Metric, *FullMetric)]
    assert strategies["rotation"]["params"] == {"enter": 0.3}
    assert strategies["rotation"]["kind"] == "binary_rotation"
    # a benchmark has no risk-off state: NaN metric → null
    assert strategies["buy & hold"]["metrics"]["share_risk_off"] is None
    signal = payload["signal"]
    assert signal["columns"][-1] == "composite"
    assert len(signal["dates"]) == len(signal["values"]) == len(run.window)


def test_regimes_and_timing_rows(payload: dict[str, Any], run: Any) -> None:
    rows = payload["regimes"]
    assert len(rows) == len(run.regime_table())
    assert {"regime", "kind", "start", "end", "strategy", "return", "max_drawdown",
            "long_minus_short", "coverage"} <= set(rows[0])
    assert rows[0]["start"] == "2007-08-09"
    timing = payload["signal_timing"]
    assert len(timing) == len(run.signal_timing())
    assert all(isinstance(t["signal_hit"], bool) for t in timing)
    missed = [t for t in timing if not t["signal_hit"]]
    assert all(t["first_risk_off"] is None and t["lead_days"] is None for t in missed)


def test_nan_in_returns_becomes_null(run: Any) -> None:
    from dataclasses import replace

    main = run.main
    holed = main.returns.copy()
    holed.iloc[3:5] = np.nan
    results = dict(run.results)
    results[main.label] = replace(main, returns=holed)
    payload = to_json(replace(run, results=results), versions=VERSIONS)
    values = payload["strategies"][main.label]["returns"]["values"]
    assert values[3] is None and values[4] is None
    json.dumps(payload, allow_nan=False)


def test_generated_at_only_when_given(run: Any) -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert to_json(run, versions=VERSIONS, generated_at=when)["generated_at"] == (
        "2026-01-02T03:04:05+00:00")
    assert "generated_at" not in to_json(run, versions=VERSIONS)


def test_to_json_is_pure(run: Any) -> None:
    before = run.main.returns.copy()
    assert to_json(run, versions=VERSIONS) == to_json(run, versions=VERSIONS)
    pd.testing.assert_series_equal(run.main.returns, before)


class Colour(Enum):
    RED = "red"


def test_to_plain() -> None:
    value = {
        1: (np.float64(1.5), np.int64(2), np.bool_(True)),
        "t": pd.Timestamp("2020-01-31"),
        "t2": pd.Timestamp("2020-01-31 12:30"),
        "d": date(2020, 1, 2),
        "missing": [float("nan"), float("inf"), pd.NaT, pd.NA, None],
        "path": Path("a/b"),
        "enum": Colour.RED,
        "set": frozenset({"x"}),
    }
    assert to_plain(value) == {
        "1": [1.5, 2, True],
        "t": "2020-01-31",
        "t2": "2020-01-31T12:30:00",
        "d": "2020-01-02",
        "missing": [None, None, None, None, None],
        "path": "a/b",
        "enum": "red",
        "set": ["x"],
    }


def test_write_json_is_atomic_strict_and_readable(tmp_path: Path, payload: dict[str, Any]
                                                  ) -> None:
    target = tmp_path / "out" / "result.json"
    assert write_json(target, payload) == target
    assert json.loads(target.read_text(encoding="utf-8")) == payload
    with pytest.raises(ValueError, match="not JSON compliant"):
        write_json(target, {"x": math.nan})
    assert json.loads(target.read_text(encoding="utf-8")) == payload  # old file intact
    assert [p.name for p in target.parent.iterdir()] == ["result.json"]


def test_write_json_failure_is_a_backtest_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(BacktestError, match=r"^cannot write JSON result "):
        write_json(blocker / "r.json", {})


@pytest.mark.slow
def test_real_run_json(real_run: Any, tmp_path: Path) -> None:
    payload = to_json(real_run)
    text = json.dumps(payload, allow_nan=False)
    assert json.loads(text)["schema_version"] == "1.6"
    assert payload["generated_by"].startswith("dcf-regime ")
    assert payload["versions"]["plotly"] != "not installed"
    for entry in payload["strategies"].values():
        assert len(entry["returns"]["dates"]) == len(entry["returns"]["values"])
    write_json(tmp_path / "r.json", payload)
