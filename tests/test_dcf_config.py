"""``[sleeves] method = "dcf"`` and ``strategies/ff_dcf_duration.toml`` on the shared data.

The DCF durations come from Ken French's annual E/P and CF/P blocks, known on 30 June of
the label's year: a run uses each ratio from that close on, never before (tested by
rewriting or removing every observation *released* after t, which for these series
includes labels after t that were already known, and by direct dates).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lookahead import assert_same_up_to

import backtest
from backtest.config import load_config, parse_config
from backtest.data.align import PublicationLag, default_lag, release_dates
from backtest.data.base import FetchedSeries, SeriesRequest
from backtest.data.mirror import MirrorProvider
from backtest.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "strategies" / "ff_dcf_duration.toml"
_RUNS: dict[str, backtest.RunResult] = {}


def _run(shared: Path) -> backtest.RunResult:
    if "full" not in _RUNS:
        _RUNS["full"] = backtest.run(CONFIG, load=MirrorProvider(shared).fetch)
    return _RUNS["full"]


def _release_loader(fetch, config, cut: pd.Timestamp, mode: str):  # type: ignore[no-untyped-def]
    """``fetch`` with every observation released after ``cut`` removed or rewritten."""
    macro_lags = {sid: spec.lag for spec in config.data.macro.values() for sid in spec.expr.names}

    def load(request: SeriesRequest) -> FetchedSeries:
        got = fetch(request)
        sid = str(request)
        if sid in macro_lags:
            lag = (PublicationLag(macro_lags[sid]) if macro_lags[sid]
                   else default_lag(sid, got.frequency))
            released = release_dates(got.values.index, lag)
        else:  # prices and returns are known at their own close
            released = got.values.index
        after = np.asarray(released > cut)
        values = got.values.copy()
        if mode == "truncate":
            values = values[~after]
        else:
            rng = np.random.default_rng(int(cut.value % 2**32))
            values[after] = values[after] * rng.uniform(0.2, 3.0, after.sum()) + 0.05
        return replace(got, values=values)

    return load


@pytest.mark.slow
def test_the_config_runs_on_the_shared_data(shared_data: Path) -> None:
    run = _run(shared_data)
    assert run.window[0] == pd.Timestamp("1951-06-30")
    assert run.window[-1] == pd.Timestamp("2026-01-31")
    assert run.main.label == "FF DCF-duration rotation"
    metrics = run.metrics()
    assert np.isfinite(metrics[["cagr", "sharpe", "max_drawdown"]].to_numpy()).all()
    market = run.market
    assert market is not None and market.sleeves.empirical is not None
    durations = market.sleeves.durations
    assert durations is not None
    # the loss-making portfolios (E/P, CF/P <= 0) have no finite Gordon duration: longest
    assert np.isinf(durations.loc["1990-12-31", ["EP_LE0", "CF_LE0"]]).all()
    long = market.sleeves.long.loc["1990-12-31"]
    assert long[["EP_LE0", "CF_LE0"]].tolist() == [0.25, 0.25]
    assert long.sum() == pytest.approx(1.0) and (long > 0).sum() == 4


@pytest.mark.slow
def test_a_ratio_is_used_from_30_june_of_its_label_year(shared_data: Path) -> None:
    run = _run(shared_data)
    durations = run.market.sleeves.durations  # type: ignore[union-attr]
    ratios = MirrorProvider(shared_data).fetch(
        SeriesRequest.parse("french:Portfolios_Formed_on_E-P/Hi10@sum")).values
    r = run.config.sleeves.discount_rate
    # (1 + r) / E/P: the 1999-12-31 row from 1999-06-30 to 2000-05-31, then the 2000 row
    assert durations.loc["1999-05-31", "EP_Hi10"] == pytest.approx((1 + r) / ratios["1998-12-31"])
    for date in ("1999-06-30", "1999-12-31", "2000-05-31"):
        assert durations.loc[date, "EP_Hi10"] == pytest.approx((1 + r) / ratios["1999-12-31"])
    assert durations.loc["2000-06-30", "EP_Hi10"] == pytest.approx((1 + r) / ratios["2000-12-31"])


@pytest.mark.slow
@pytest.mark.parametrize(("cut", "mode"), [("1987-08-31", "truncate"), ("2003-03-31", "rewrite"),
                                           ("2014-06-30", "truncate")])
def test_no_look_ahead_in_dcf_durations_and_sleeves(shared_data: Path, cut: str,
                                                    mode: str) -> None:
    full = _run(shared_data)
    stamp = pd.Timestamp(cut)
    config = load_config(CONFIG)
    other = backtest.run(config, load=_release_loader(MirrorProvider(shared_data).fetch,
                                                      config, stamp, mode))
    assert_same_up_to(full, other, stamp, mode)
    for name in ("durations", "empirical", "long", "short"):
        a = getattr(full.market.sleeves, name).loc[:stamp]  # type: ignore[union-attr]
        b = getattr(other.market.sleeves, name).loc[:stamp]  # type: ignore[union-attr]
        pd.testing.assert_frame_equal(a, b)


@pytest.mark.slow
def test_the_thesis_compares_dcf_and_empirical_ranks(shared_data: Path) -> None:
    thesis = backtest.evaluate_thesis(_run(shared_data), reps=100)
    ranks = thesis.durations
    assert ranks is not None and ranks.first == "DCF" and ranks.second == "empirical"
    assert ranks.assets == 12 and len(ranks.rho) > 700
    assert -1.0 <= ranks.mean <= 1.0
    # the two rankings of the same portfolios disagree: mean Spearman -0.07 at this commit,
    # its block-bootstrap interval covers zero, so the verdict calls them unrelated
    assert ranks.mean == pytest.approx(-0.07, abs=0.01)
    iv = thesis.durations_mean
    assert iv is not None and iv.low < 0.0 < iv.high
    line = next(v for v in thesis.verdict if v.startswith("Duration measures:"))
    assert line.startswith("Duration measures: the DCF durations (cash-flow timing implied")
    assert "their rankings are unrelated" in line
    assert thesis.verdict.index(line) == 1  # right after the mechanism
    from backtest.report._analysis_json import thesis_json

    durations = thesis_json(thesis)["durations"]
    assert durations["agreement"] == "unrelated"
    assert durations["mean_interval"]["low"] < 0 < durations["mean_interval"]["high"]


def _raw(**sleeves: object) -> dict[str, object]:
    return {
        "run": {"name": "x"}, "strategy": {"kind": "binary_rotation"},
        "data": {"cash": "RF", "assets": {"A": "embedded:french/S1V1", "B": "embedded:french/S5V5",
                                          "C": "embedded:french/Utils", "RF": "embedded:french/RF"},
                 "macro": {"AAA": "embedded:moody/AAA", "YA": "embedded:moody/AAA",
                           "YB": "embedded:moody/BAA", "YC": "embedded:moody/AAA"}},
        "signal": {"components": [{"preset": "nominal_yield_momentum_aaa"}]},
        "sleeves": sleeves,
    }


def test_dcf_sleeves_are_validated() -> None:
    ok = {"method": "dcf", "cash_flow_yields": {"A": "YA", "B": "YB", "C": "YC"}}
    assert parse_config(_raw(**ok)).sleeves.discount_rate == 0.10
    bad = [
        ({"method": "dcf"}, "at least three assets"),
        ({**ok, "universe": ["A"]}, "drop universe"),
        ({**ok, "discount_rate": 8.0}, "decimal in"),
        ({**ok, "long": ["A"]}, "apply only to method = 'explicit'"),
        ({**ok, "cash_flow_yields": {"A": "YA", "B": "YB", "Z": "YC"}}, "not non-cash assets"),
        ({**ok, "cash_flow_yields": {"A": "YA", "B": "YB", "C": "NOPE"}}, "does not define"),
        ({"long": ["A"], "short": ["B"], "discount_rate": 0.05}, "apply only to method = 'dcf'"),
    ]
    for sleeves, message in bad:
        with pytest.raises(ConfigError, match=message):
            parse_config(_raw(**sleeves))
