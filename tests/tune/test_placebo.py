"""``tune --placebo N``: the whole search re-run on circular shifts of the signal.

The shift keeps the signal's values and persistence and moves its timing; the real
search is the same with or without placebos; the placebo searches are trials of the
same sweep (bit-identical across executors); the p-value is the Monte Carlo one.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from backtest.cli import app
from backtest.errors import ConfigError
from backtest.tune._placebo import placebo_p, placebo_shifts, shift_signal

REPO = Path(__file__).resolve().parents[2]
PARAMS = ["--param", "strategy.enter=-0.5:0.5:0.5", "--param", "strategy.exit=-0.5,0",
          "--holdout", "0.3", "--quiet"]


def _tune(tmp_path: Path, *extra: str) -> tuple[int, dict]:
    out = tmp_path / f"t{len(list(tmp_path.iterdir()))}.json"
    result = CliRunner().invoke(app, ["tune", *PARAMS, *extra, "--json", str(out)])
    assert result.exit_code in (0, 3), result.output
    return result.exit_code, json.loads(out.read_text())


@settings(max_examples=50, deadline=None)
@given(n=st.integers(10, 300), lead=st.integers(0, 20), shift=st.integers(0, 400))
def test_a_shift_rotates_the_defined_block_and_keeps_its_values(n, lead, shift) -> None:
    rng = np.random.default_rng(n + lead)
    values = rng.normal(size=(lead + n, 2))
    values[:lead] = np.nan  # the warm-up before the composite is defined stays as it is
    frame = pd.DataFrame(values, columns=["c1", "composite"],
                         index=pd.date_range("2000-01-31", periods=lead + n, freq="ME"))
    out = shift_signal(frame, shift)
    assert out.index.equals(frame.index) and list(out.columns) == ["c1", "composite"]
    assert out.iloc[:lead].isna().all().all()
    block, moved = frame.to_numpy()[lead:], out.to_numpy()[lead:]
    np.testing.assert_array_equal(moved, np.roll(block, shift, axis=0))
    np.testing.assert_array_equal(np.sort(moved[:, 1]), np.sort(block[:, 1]))  # same values
    # persistence: the lag-1 products differ only across the one wrap-around point
    lag = lambda x: np.sum(x[1:] * x[:-1])  # noqa: E731
    wrap = abs(block[-1, 1] * block[0, 1]) + abs(moved[-1, 1] * moved[0, 1])
    assert abs(lag(moved[:, 1]) - lag(block[:, 1])) <= wrap + 1e-9


def test_shifts_are_distinct_seeded_and_at_least_the_minimum() -> None:
    a = placebo_shifts(500, 40, seed=3, min_shift=36)
    assert len(set(a.tolist())) == 40 and a.min() >= 36 and a.max() <= 500 - 36
    np.testing.assert_array_equal(a, placebo_shifts(500, 40, seed=3, min_shift=36))
    assert not np.array_equal(a, placebo_shifts(500, 40, seed=4, min_shift=36))
    with pytest.raises(ConfigError, match="allow only 29 distinct circular shifts"):
        placebo_shifts(100, 30, seed=0, min_shift=36)


def test_the_placebo_p_value_is_the_monte_carlo_one() -> None:
    # (1 + #{placebo at least as good}) / (N + 1): Phipson & Smyth (2010)
    assert placebo_p(1.0, [0.0, 0.5, 2.0, np.nan], higher=True) == pytest.approx(2 / 5)
    assert placebo_p(0.2, [0.1, 0.3, 0.2], higher=False) == pytest.approx(3 / 4)
    assert placebo_p(9.0, [1.0] * 19, higher=True) == pytest.approx(1 / 20)  # never 0
    assert np.isnan(placebo_p(np.nan, [1.0], higher=True))


def test_under_the_null_the_p_value_is_uniform() -> None:
    # a "real" value exchangeable with its placebos rejects at 5 % no more than 5 % of the time
    rng = np.random.default_rng(0)
    draws = rng.normal(size=(4000, 20))
    p = np.array([placebo_p(row[0], row[1:], higher=True) for row in draws])
    assert np.mean(p <= 0.05) == pytest.approx(1 / 20, abs=0.012)  # MC s.e. 0.0034
    assert np.mean(p <= 0.5) == pytest.approx(10 / 20, abs=0.03)


@pytest.fixture(scope="module")
def with_and_without(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("placebo")
    plain = _tune(tmp, "--gate", "oos.sharpe >= 0")[1]
    gates = ["--gate", "oos.sharpe >= 0", "--gate", "pbo <= 0.9", "--gate", "placebo.p <= 1"]
    local = _tune(tmp, *gates, "--placebo", "12")[1]
    pool = _tune(tmp, *gates, "--placebo", "12", "--executor", "processes", "--workers", "2")[1]
    return plain, local, pool


def test_placebos_leave_the_real_search_as_it_was(with_and_without) -> None:
    plain, local, _ = with_and_without
    for key in ("trials", "folds", "selected", "is", "oos", "dsr", "pbo", "spa", "series"):
        assert local[key] == plain[key], key
    assert "placebo" not in plain


def test_placebo_searches_are_bit_identical_across_executors(with_and_without) -> None:
    _, local, pool = with_and_without
    assert local["placebo"] == pool["placebo"]


def test_the_placebo_section_reports_where_the_real_search_falls(with_and_without) -> None:
    _, doc, _ = with_and_without
    p = doc["placebo"]
    assert p["n"] == 12 and len(p["shifts"]) == 12 and len(set(p["shifts"])) == 12
    assert min(p["shifts"]) >= p["min_shift_bars"] == 36  # three years of months
    assert p["real"] == doc["oos"]["sharpe"]
    values = np.array(p["values"], dtype=float)
    assert np.isfinite(values).all() and np.ptp(values) > 0  # the placebos differ
    assert p["p"] == pytest.approx((1 + np.sum(values >= p["real"])) / 13)
    assert {q["quantity"] for q in p["quantities"]} == {"oos.sharpe", "pbo"}
    assert [g["expr"] for g in p["gates"]] == ["oos.sharpe >= 0", "pbo <= 0.9"]
    assert 0 <= p["pass_rate"] <= min(g["pass_rate"] for g in p["gates"])
    gate = next(g for g in doc["gates"] if g["expr"] == "placebo.p <= 1")
    assert gate["passed"] and gate["lhs"] == p["p"]


def test_a_placebo_gate_without_placebos_fails_before_the_sweep(tmp_path) -> None:
    result = CliRunner().invoke(app, ["tune", *PARAMS, "--gate", "placebo.p <= 0.05"])
    assert result.exit_code == 1
    assert result.output.strip() == ("Error: gate 'placebo.p <= 0.05' reads placebo numbers: "
                                     "add --placebo N (placebo searches to compare the real "
                                     "one with)")


def test_on_a_market_with_no_edge_the_placebo_p_rejects_rarely(tmp_path) -> None:
    # the synthetic market with link=0: returns do not depend on yields or spreads, so
    # the real signal is as uninformative as its placebos; p <= 0.05 should happen in
    # about 1 of 20 seeds (P(>= 5 of 20) = 0.3 % if the p-value is valid)
    from backtest.data import make_loader
    from backtest.tune import run_tune, tune_config

    text = (REPO / "strategies" / "synthetic_rotation.toml").read_text()
    ps = []
    for seed in range(20):
        path = tmp_path / f"s{seed}.toml"
        path.write_text(text.replace("seed=7", f"seed={seed},link=0"))
        cfg = tune_config(path, params=["strategy.enter=0,0.5", "strategy.exit=-0.5,0"],
                          tune={"holdout": 0.5})
        ps.append(run_tune(cfg, load=make_loader(), placebo=19).document["placebo"]["p"])
    ps = np.array(ps)
    assert np.isfinite(ps).all()
    assert np.sum(ps <= 0.05) <= 4, ps
    assert 4 <= np.sum(ps <= 0.5) <= 16, ps  # and it is not stuck at one end


def test_the_gate_names_known_before_the_sweep_are_the_documents(with_and_without) -> None:
    from backtest.tune import flatten_numbers
    from backtest.tune._result import gate_names

    plain, doc, _ = with_and_without
    assert set(flatten_numbers(doc)) == gate_names(benchmark=True, placebo=True)
    assert set(flatten_numbers(plain)) == gate_names(benchmark=True, placebo=False)


def test_an_unknown_gate_name_fails_before_the_sweep(monkeypatch) -> None:
    import backtest.tune._run as run

    def no_sweep(*args, **kwargs):
        raise AssertionError("the sweep ran")

    monkeypatch.setattr(run, "prepare_sweep", no_sweep)
    result = CliRunner().invoke(app, ["tune", *PARAMS, "--gate", "oos.sharp >= 0.3"])
    assert result.exit_code == 1
    assert "unknown name 'oos.sharp' (did you mean 'oos.sharpe'?)" in result.output


def test_the_config_can_ask_for_placebos_and_the_command_line_wins(tmp_path) -> None:
    config = tmp_path / "c.toml"
    config.write_text((REPO / "strategies" / "duration_rotation.toml").read_text()
                      + "\n[tune]\nplacebo = 3\n")
    out = tmp_path / "t.json"
    args = ["tune", str(config), *PARAMS, "--json", str(out)]
    assert CliRunner().invoke(app, args).exit_code == 0
    assert json.loads(out.read_text())["placebo"]["n"] == 3
    assert CliRunner().invoke(app, [*args, "--placebo", "0"]).exit_code == 0
    assert "placebo" not in json.loads(out.read_text())
    bad = CliRunner().invoke(app, [*args, "--set", "tune.placebo=-1"])
    assert bad.exit_code == 1 and "tune.placebo must be between 0 and 1000" in bad.output
