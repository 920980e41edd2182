"""The analysis keys of schema 1.1 in the JSON, and the analysis section of the HTML."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from backtest.analysis import METHOD
from backtest.evaluate import analyze
from backtest.report import build_context, render_html, to_json, write_json
from backtest.report._thesis_section import interval_text, section_from_json, top_contributors

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def analysed(real_run: Any) -> tuple[Any, Any, dict[str, Any]]:
    analysis = analyze(real_run, reps=200)
    payload = to_json(real_run, versions={"dcf-regime": "0.1.0"}, analysis=analysis)
    return real_run, analysis, payload


def test_analysis_keys_are_strict_json(analysed: tuple[Any, Any, dict[str, Any]],
                                       tmp_path: Path) -> None:
    run, analysis, payload = analysed
    text = json.dumps(payload, allow_nan=False)
    back = json.loads(text)
    assert {"thesis", "thesis_skipped", "regime_timing", "attribution"} <= set(back)
    assert back["thesis_skipped"] is None
    thesis = back["thesis"]
    assert thesis["settings"]["reps"] == 200
    assert thesis["verdict"] == list(analysis.thesis.verdict)
    assert thesis["state"]["bars_off"] + thesis["state"]["bars_on"] == len(run.window) - 2
    assert thesis["mechanism"]["duration_gap_years"]["method"] == "Newey-West (normal)"
    assert [c["alternative"] for c in thesis["sharpe"]] == ["always short", "market (MKT)"]
    write_json(tmp_path / "r.json", payload)


def test_state_series_and_contributions(analysed: tuple[Any, Any, dict[str, Any]]) -> None:
    run, _, payload = analysed
    main = payload["strategies"][run.main.label]
    assert main["risk_off"]["values"] == run.main.risk_off.tolist()
    assert main["risk_off"]["dates"][0] == run.main.risk_off.index[0].strftime("%Y-%m-%d")
    assert "risk_off" not in payload["strategies"]["market"]  # a benchmark has no state
    signal = payload["signal"]
    contrib = np.array(signal["contributions"]["values"], dtype=float)
    composite = np.array([row[-1] for row in signal["values"]], dtype=float)
    np.testing.assert_allclose(np.nansum(contrib, axis=1), composite, rtol=1e-12)
    assert signal["contributions"]["columns"] == signal["columns"][:-1]
    assert np.array(signal["present"]["values"]).all()  # both components from the start


def test_attribution_adds_up(analysed: tuple[Any, Any, dict[str, Any]]) -> None:
    run, _, payload = analysed
    att = payload["attribution"]
    assert att["method"] == METHOD
    for label, result in run.results.items():
        entry = att["strategies"][label]
        total = float(np.prod(1 + result.returns) - 1)
        assert entry["total"] == pytest.approx(total, rel=1e-9)
        assert sum(entry["run"].values()) == pytest.approx(total, rel=1e-9)
        for row in entry["regimes"]:
            assert sum(row["contributions"].values()) == pytest.approx(row["total"], abs=1e-12)


def test_regime_timing_rows(analysed: tuple[Any, Any, dict[str, Any]]) -> None:
    _, analysis, payload = analysed
    rows = payload["regime_timing"]
    assert len(rows) == len(analysis.timing)
    row = rows[0]
    assert set(row) >= {"regime", "state_at_start", "state_since", "first_switch",
                        "share_risk_off", "lead_days", "called"}
    assert pd.Timestamp(row["state_since"]) <= pd.Timestamp(row["start"])


def test_html_section_renders_from_the_json(analysed: tuple[Any, Any, dict[str, Any]]) -> None:
    run, analysis, payload = analysed
    html = render_html(build_context([payload]))
    assert 'id="section-thesis"' in html
    assert "The thesis, tested" in html and "Attribution over the run" in html
    assert "Maloney &amp; Moskowitz (2021" in html  # autoescaped
    # the section can be rebuilt from a saved result file alone
    section = section_from_json(json.loads(json.dumps(payload)), run.main.label)
    assert section["thesis"]["verdict"][0] == analysis.thesis.verdict[0]
    assert len(section["thesis"]["regimes"]) == len(analysis.thesis.regimes)


def test_formatting_helpers() -> None:
    iv = {"estimate": -0.031, "low": -0.052, "high": -0.01}
    assert interval_text(iv) == "−3.1% [−5.2, −1.0]"
    assert interval_text({"estimate": 1.5, "low": None, "high": None}, percent=False, digits=2) == \
        "+1.50 (no interval)"
    assert top_contributors({"MU": 0.61, "COWZ": -0.04, "BIL": 0.0, "X": 0.001}, 2) == \
        "MU +61.0%, COWZ −4.0%"


def test_asset_names_keep_their_hyphens() -> None:
    assert top_contributors({"BTC-USD": -0.05, "Mkt-RF": 0.01}) == "BTC-USD −5.0%, Mkt-RF +1.0%"


def test_costs_are_not_a_top_contributor() -> None:
    assert top_contributors({"costs": -0.5, "MU": 0.1}) == "MU +10.0%"


def test_terminal_timing_reads_regime_timing_and_marks_older_documents(
        analysed: tuple[Any, Any, dict[str, Any]]) -> None:
    from backtest.cli._thesis_tables import timing_cells
    from backtest.report import run_from_document

    _, _, payload = analysed
    cells = timing_cells(run_from_document(payload))
    assert cells["1951-53 end of the bond peg"] == "-186d 100%"
    older = {k: v for k, v in payload.items() if k != "regime_timing"}
    old_cells = timing_cells(run_from_document(older))
    assert old_cells["1951-53 end of the bond peg"] == "-156d (1.1)"
