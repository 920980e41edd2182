"""The thesis's new inputs from a run: the strategy without one asset, the idea date, the
asset classes, and the JSON they land in (default config, embedded data)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import backtest
from backtest.errors import ConfigError
from backtest.evaluate import alternatives, analyze, without_asset, without_largest_contributor
from backtest.report import build_context, render_html, to_json

RUN = backtest.run(overrides=["run.idea_date=2000-12-31"])


def test_without_an_asset_never_held_is_the_run_itself() -> None:
    # the market is a benchmark; the rotation never holds it
    assert (RUN.main.weights["MKT"] == 0).all()
    same = without_asset(RUN, "MKT")
    pd.testing.assert_series_equal(same.returns, RUN.main.returns, check_names=False,
                                   rtol=1e-13)
    with pytest.raises(ConfigError, match="'RF' is not a non-cash asset"):
        without_asset(RUN, "RF")


def test_the_largest_contributor_is_dropped_into_cash() -> None:
    c = without_largest_contributor(RUN)
    analysis = analyze(RUN, reps=50)
    contributions = analysis.attribution[RUN.main.label].run
    assert c is not None and c.asset == contributions.drop(["costs", "RF"]).abs().idxmax()
    assert c.contribution == pytest.approx(contributions[c.asset], rel=1e-12)
    assert c.total == pytest.approx(float(np.prod(1 + RUN.main.returns) - 1), rel=1e-9)
    without = without_asset(RUN, c.asset)
    assert (without.weights[c.asset].abs() < 1e-12).all()
    # the rest of each decision is unchanged: where the asset was not a target, the same
    held = RUN.main.targets[c.asset].fillna(0.0) == 0
    other = [a for a in RUN.main.targets.columns if a not in (c.asset, "RF")]
    pd.testing.assert_frame_equal(without.targets.loc[:, other], RUN.main.targets.loc[:, other])
    assert held.any() and not held.all()


def test_idea_date_reaches_the_verdict_the_json_and_the_report() -> None:
    analysis = analyze(RUN, reps=60)
    thesis = analysis.thesis
    assert thesis is not None and thesis.idea is not None
    i = thesis.idea
    assert i.before.end is not None and i.before.end <= pd.Timestamp("2000-12-31")
    assert i.after.start is not None and i.after.start > pd.Timestamp("2000-12-31")
    assert i.hindsight  # 1949-2000 of 1949-2017
    assert any(v.startswith("Hindsight: ") for v in thesis.verdict)
    assert any(v.startswith("Idea date 2000-12-31: before it") for v in thesis.verdict)
    payload = json.loads(json.dumps(to_json(RUN, analysis=analysis), allow_nan=False))
    idea = payload["thesis"]["idea"]
    assert idea["idea_date"] == "2000-12-31" and idea["hindsight"] is True
    assert idea["before"]["bars"] + idea["after"]["bars"] == (
        payload["thesis"]["state"]["bars_off"] + payload["thesis"]["state"]["bars_on"])
    assert payload["thesis"]["concentration"]["asset"] == thesis.concentration.asset  # type: ignore[union-attr]
    assert payload["thesis"]["counter_evidence"][0]["asset_class"] == "equities"
    assert payload["thesis"]["regime_count"]["tests"] == sum(
        np.isfinite(r.p_value) for r in thesis.regimes)
    html = render_html(build_context([payload]))
    assert "Before and after the idea (2000-12-31)" in html and "Concentration" in html
    assert "p (Holm)" in html


def test_a_schema_1_2_document_still_renders() -> None:
    analysis = analyze(RUN, reps=50)
    payload = json.loads(json.dumps(to_json(RUN, analysis=analysis), allow_nan=False))
    payload["schema_version"] = "1.2"
    thesis = payload["thesis"]
    for key in ("idea", "concentration", "counter_evidence", "thresholds", "regime_count"):
        del thesis[key]
    for r in thesis["regimes"]:
        for key in ("p_value", "p_holm", "p_bh"):
            del r[key]
    html = render_html(build_context([payload]))
    assert "The thesis, tested" in html and "Before and after the idea" not in html


def _rounded(x: object) -> object:
    """A JSON document with every float to 9 significant digits (the engines agree to 1e-10)."""
    if isinstance(x, float):
        return float(f"{x:.9g}")
    if isinstance(x, dict):
        return {k: _rounded(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_rounded(v) for v in x]
    return x


@pytest.mark.slow
def test_the_thesis_on_the_kernel_is_the_thesis_on_vectorbt() -> None:
    # `backtest thesis` runs on the kernel (no vectorbt import); every strategy, the
    # alternatives, the strategy without its largest contributor and the analysis built
    # on them are vectorbt's to 1e-10, and the conventions name the engine
    kernel = backtest.run(overrides=["run.idea_date=2000-12-31"], engine="kernel")
    assert kernel.engine == "kernel" and RUN.engine == "vectorbt"
    for label, vbt in RUN.results.items():
        ours = kernel.results[label]
        assert ours.engine == "kernel"
        np.testing.assert_allclose(ours.returns, vbt.returns, rtol=0, atol=1e-10)
        np.testing.assert_allclose(ours.weights, vbt.weights, rtol=0, atol=1e-10)
        np.testing.assert_allclose(ours.turnover, vbt.turnover, rtol=0, atol=1e-12)
    for ours, vbt in zip(alternatives(kernel).values(),
                         alternatives(RUN).values(), strict=True):
        assert (ours.engine, vbt.engine) == ("kernel", "vectorbt")
        np.testing.assert_allclose(ours.returns, vbt.returns, rtol=0, atol=1e-10)
    docs = [json.loads(json.dumps(to_json(run, analysis=analyze(run, reps=50, seed=1))))
            for run in (kernel, RUN)]
    assert [d["conventions"].pop("engine") for d in docs] == ["kernel", "vectorbt"]
    assert _rounded(docs[0]) == _rounded(docs[1])


def test_an_unknown_engine_is_a_config_error_before_any_data_is_read() -> None:
    def load(_request: object) -> object:
        raise AssertionError("no data is read for a wrong engine")

    with pytest.raises(ConfigError, match="engine must be one of vectorbt, kernel, got 'vbt'"):
        backtest.run(engine="vbt", load=load)  # type: ignore[arg-type]
