"""The thesis statistics on the synthetic market, whose truth is planted.

With the planted link (returns = -duration x yield change + credit beta x spread change)
the signal knows the rising-cost regimes, so the spread after risk-off closes is lower
(on seed 7 its interval excludes zero; across seeds the sign holds), the mechanism
recovers the planted duration gap of the sleeves, and the composite predicts out of
sample. On pure noise (link = 0) the interval covers zero about 95% of the time.
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import backtest
from backtest.config import RunConfig, parse_config
from backtest.synthetic import SyntheticSpec, generate_market

CONFIG_PATH = Path(__file__).resolve().parents[1] / "strategies" / "synthetic_rotation.toml"
pytestmark = pytest.mark.slow


def _config(seed: int, link: float) -> RunConfig:
    text = CONFIG_PATH.read_text(encoding="utf-8").replace("seed=7", f"seed={seed},link={link}")
    raw = tomllib.loads(text)
    raw["benchmarks"] = {}
    raw["thesis"] |= {"bootstrap_reps": 200, "seed": seed}
    return parse_config(raw)


def test_planted_truth_is_recovered() -> None:
    run = backtest.run(_config(7, 1.0))
    thesis = backtest.evaluate_thesis(run)
    assert thesis.state.difference.sign == -1 and thesis.state.nw_t < -2
    assert any(v.startswith("Signal state — evidence at 5%") for v in thesis.verdict)
    assert thesis.verdict[0].startswith("Mechanism: the long sleeve is measurably longer")
    # planted sleeve durations: long = LONG1, LONG2 (25, 18), short = MID, SHORT1 (8, 3)
    market = generate_market(SyntheticSpec(seed=7))
    sleeves = run.market.sleeves  # type: ignore[union-attr]
    held_long = sleeves.long.loc[run.window].shift(1).iloc[2:].fillna(0.0)
    held_short = sleeves.short.loc[run.window].shift(1).iloc[2:].fillna(0.0)
    d = market.durations
    gap = (held_long[d.index] @ d - held_short[d.index] @ d).mean()
    assert gap == pytest.approx(16.0)
    m = thesis.mechanism
    assert m is not None and m.duration_gap.low < gap < m.duration_gap.high
    beta = market.credit_betas
    credit = ((beta["LONG1"] + beta["LONG2"]) - (beta["MID"] + beta["SHORT1"])) / 2 / 100
    assert m.credit_beta.low < credit < m.credit_beta.high  # -1.85% per 100 bp
    assert thesis.predictive.slope_t < -2 and thesis.predictive.oos_r2 > 0


def test_the_planted_sign_across_seeds_and_none_on_noise() -> None:
    # with the link, the effect is real but modest against LONG1's 15% noise: at this
    # commit the off-minus-on difference was negative on all of seeds 0-9 (-1% to -21%
    # a year) and its interval excluded zero on five; the duration gap was 15-17 years
    estimates, gaps = [], []
    for seed in range(6):
        thesis = backtest.evaluate_thesis(backtest.run(_config(seed, 1.0)))
        estimates.append(thesis.state.difference.estimate)
        assert thesis.mechanism is not None
        gaps.append(thesis.mechanism.duration_gap)
    assert all(e < 0 for e in estimates), estimates  # P = 1/64 under no effect
    assert sum(g.low < 16.0 < g.high for g in gaps) >= 5, gaps
    covered = []
    for seed in range(10):
        d = backtest.evaluate_thesis(backtest.run(_config(seed, 0.0))).state.difference
        covered.append(d.low <= 0.0 <= d.high)
    # 95% intervals on noise: expect ~9.5 of 10; 8 allows the binomial tail (P ~ 1%)
    assert np.sum(covered) >= 8, covered


def test_the_regime_count_after_holm_on_noise() -> None:
    # link = 0: no regime of the catalog means anything on this market. With 1,000
    # resamples (so Holm can reject: 2/1001 < 0.05/8) at least one regime counted for the
    # thesis on 7 of seeds 0-19 and 14 of seeds 20-79 unadjusted (26%), after Holm's
    # adjustment on 2 and 2 (5%); on seeds 0-39 here 12 (30%) and 3 (7.5%).
    raw = holm = 0
    for seed in range(40):
        config = _config(seed, 0.0)
        config = replace(config, thesis=replace(config.thesis, bootstrap_reps=1000))
        thesis = backtest.evaluate_thesis(backtest.run(config))
        counts = [r for r in thesis.regimes if r.verdict == "counts"]
        raw += bool(counts)
        holm += any(r.p_holm < 0.05 for r in counts)
    assert holm <= 6, (raw, holm)  # P(X > 6 | n = 40, p = 0.05) = 0.3%
    assert raw >= holm
