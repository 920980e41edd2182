"""thesis_statistics on constructed inputs, and the verdict it writes from the numbers."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from planted import markov_state

from backtest.analysis import BootstrapSettings, ThesisInputs, thesis_statistics
from backtest.regimes import Regime, RegimeKind

N = 480
IDX = pd.date_range("1980-01-31", periods=N, freq="ME", name="date")
CATALOG = (
    Regime("shock A", pd.Timestamp("1985-01-01"), pd.Timestamp("1987-12-31"),
           RegimeKind.RATE_SHOCK, "d", "r"),
    Regime("relief B", pd.Timestamp("1995-01-01"), pd.Timestamp("1997-12-31"),
           RegimeKind.EASING, "d", "r"),
    Regime("blip C", pd.Timestamp("2001-03-01"), pd.Timestamp("2001-05-31"),
           RegimeKind.CREDIT_STRESS, "d", "r"),
)


def _inputs(effect: float, seed: int = 0) -> ThesisInputs:
    """Sleeves whose spread after a risk-off close is lower by ``effect`` per year.

    In 'shock A' long duration falls hard (the thesis holds); in 'relief B' it falls
    too although an easing predicts the opposite (the thesis fails there).
    """
    rng = np.random.default_rng(seed)
    state = pd.Series(markov_state(rng, N), index=IDX)
    before = state.shift(1, fill_value=False).to_numpy()
    short = rng.normal(0.006, 0.02, N)
    long = short + 0.001 - effect / 12 * before + rng.normal(0, 0.02, N)
    year = IDX.year
    long[(year >= 1985) & (year <= 1987)] -= 0.03
    long[(year >= 1995) & (year <= 1997)] -= 0.03
    bars = IDX[1:]
    dy = pd.Series(rng.normal(0, 0.2, N), index=IDX)
    cash = pd.Series(0.003, index=bars)
    strategy = pd.Series(np.where(before, short, long), index=IDX)[1:]
    return ThesisInputs(
        long=pd.Series(long, index=IDX)[1:], short=pd.Series(short, index=IDX)[1:],
        state=state, composite=pd.Series(state.astype(float) - 0.5 + rng.normal(0, 0.3, N),
                                         index=IDX),
        strategy="rotation", strategy_returns=strategy,
        alternatives={"always short": pd.Series(short, index=IDX)[1:]}, cash=cash,
        yield_change_pp=dy, credit_change_pp=dy * 0 + rng.normal(0, 0.1, N),
        catalog=CATALOG, periods_per_year=12,
        settings=BootstrapSettings(reps=300, seed=1), min_train=60,
        notes=("Market comparison left out: set [thesis] market = ASSET.",),
    )


def _line(t, start: str) -> str:
    return next(v for v in t.verdict if v.startswith(start))


def test_evidence_for_the_thesis() -> None:
    t = thesis_statistics(_inputs(0.25))
    assert t.state.difference.sign == -1
    assert t.verdict[0].startswith("Mechanism: ")  # the question answered first
    state = _line(t, "Signal state")
    assert state.startswith("Signal state — evidence at 5%: the long-minus-short spread was")
    assert "lower in bars after a risk-off close of 'rotation'" in state
    # the numbers in the text are the numbers of the result
    d = t.state.difference
    assert f"{d.low * 100:+.1f} to {d.high * 100:+.1f} pp/yr" in state
    assert f"Newey-West t = {t.state.nw_t:.2f}" in state


def test_no_evidence_and_evidence_against() -> None:
    none = thesis_statistics(_inputs(0.0, seed=3))
    assert none.state.difference.sign == 0
    assert _line(none, "Signal state").startswith("Signal state — no evidence at 5%")
    against = _line(thesis_statistics(_inputs(-0.3)), "Signal state")
    assert against.startswith("Signal state — evidence AGAINST the thesis at 5%")
    assert "higher (the thesis predicts lower)" in against


def test_regimes_that_failed_are_named_and_short_ones_counted() -> None:
    t = thesis_statistics(_inputs(0.25))
    verdicts = {r.label: r.verdict for r in t.regimes}
    assert verdicts == {"shock A": "counts", "relief B": "fails", "blip C": "too short"}
    line = _line(t, "Regimes:")
    assert "1 of 2 with at least 12 bars count for the thesis" in line
    assert "FAILED in relief B" in line and "1 too short to judge" in line
    assert "after adjusting for 2 tests" in line


def test_the_verdict_cites_the_counter_evidence_and_the_notes() -> None:
    t = thesis_statistics(_inputs(0.25))
    # no asset classes given: the general reference
    assert t.verdict[-1].startswith("Counter-evidence, other: Goyal & Welch (2008")
    equities = thesis_statistics(replace(_inputs(0.25), asset_classes={"equities": ("A",)}))
    assert equities.verdict[-1].startswith(
        "Counter-evidence, equities (A): Maloney & Moskowitz (2021")
    assert "Market comparison left out" in " ".join(t.verdict)
    assert any(v.startswith("Mechanism: ") for v in t.verdict)
    assert any("Campbell & Thompson 2008" in v for v in t.verdict)
    assert any("vs always short" in v for v in t.verdict)


def test_pairing_uses_the_state_known_at_the_previous_close() -> None:
    inputs = _inputs(0.25)
    t = thesis_statistics(inputs)
    spread = inputs.long - inputs.short
    before = inputs.state.shift(1).reindex(spread.index)
    keep = before.notna()
    off = before[keep].astype(bool)
    expected = (spread[keep][off].mean() - spread[keep][~off].mean()) * 12
    assert t.state.difference.estimate == pytest.approx(expected)
    assert t.start == spread.index[0]  # paired with the state at the window's first close


def test_a_state_never_known_is_a_data_error_not_an_index_error() -> None:
    # found by bench/fuzz.py (issue 11): a composite that is NaN on every bar
    from backtest.errors import DataError

    inputs = _inputs(0.25)
    blank = replace(inputs, composite=inputs.composite * np.nan)
    with pytest.raises(DataError, match="only 0 bars have a known state and composite"):
        thesis_statistics(blank)
