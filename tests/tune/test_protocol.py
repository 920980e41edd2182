"""The out-of-sample protocol: selection sees train windows only; the stitched series is exact."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from lookahead import future_loader

from backtest.data.embedded import EmbeddedProvider
from backtest.stats import holdout, objective_values, walk_forward
from backtest.tune import run_tune, tune_config
from backtest.tune._protocol import (
    in_sample_positions,
    oos_positions,
    select_per_fold,
    stitch_segments,
)

PROVIDER = EmbeddedProvider()


def test_stitched_segments_tile_the_test_windows():
    folds = walk_forward(100, train=40, test=20, purge=2)
    sels = select_per_fold(folds, lambda w: np.array([1.0, 2.0, 0.0]), np.array([3, 5, 9]))
    assert [s.trial for s in sels] == [5] * len(folds) == [5, 5]  # the best row, by number
    segs = stitch_segments(sels)
    assert segs[0][1] == folds[0].test.start and segs[-1][2] == folds[-1].test.stop
    assert all(a[2] + 1 == b[1] for a, b in itertools.pairwise(segs))
    assert list(oos_positions(folds)) == list(range(folds[0].test.start, folds[-1].test.stop))
    assert list(in_sample_positions(folds, purge=2)) == list(range(40))


def test_selection_never_reads_test_windows():
    rng = np.random.default_rng(3)
    returns = rng.normal(0.0005, 0.01, size=(30, 600))
    cash = np.full(600, 0.0001)
    folds = walk_forward(600, train=200, test=100, purge=5)

    def score(r):
        return lambda w: objective_values(r[:, w], cash[w], periods_per_year=252,
                                          objective="sharpe", benchmark=None)

    numbers = np.arange(30)
    before = select_per_fold(folds, score(returns), numbers)
    changed = returns.copy()
    for f in folds:  # rewrite every bar outside every train window
        mask = np.ones(600, bool)
        mask[f.train] = False
        changed[:, mask] = rng.normal(0.01, 0.05, size=(30, mask.sum()))
        got = select_per_fold([f], score(changed), numbers)[0]
        want = next(s for s in before if s.fold.number == f.number)
        assert got.trial == want.trial and got.train_objective == want.train_objective
        changed = returns.copy()


def test_ties_go_to_the_lowest_trial_and_undefined_objectives_are_skipped():
    folds = holdout(50, fraction=0.3)
    sel = select_per_fold(folds, lambda w: np.array([np.nan, 1.0, 1.0]), np.array([0, 4, 7]))
    assert sel[0].trial == 4
    with pytest.raises(Exception, match="no trial with a defined objective"):
        select_per_fold(folds, lambda w: np.array([np.nan, np.nan]), np.array([0, 1]))


@pytest.fixture(scope="module")
def walk_forward_config():
    return tune_config(
        params=["strategy.enter=-0.5:0.5:0.5", "strategy.min_hold_periods=1,6"],
        tune={"walk_forward": {"train": "240m", "test": "60m"}, "purge": 1},
    )


def test_data_after_t_changes_no_selection_and_no_oos_return_up_to_t(walk_forward_config):
    full = run_tune(walk_forward_config, load=PROVIDER.fetch)
    folds = full.selections
    cut = pd.Timestamp(full.document["folds"][2]["test"]["start"]) + pd.offsets.MonthEnd(7)
    other = run_tune(walk_forward_config, load=future_loader(PROVIDER.fetch, cut, "rewrite"))
    checked = 0
    for mine, theirs, doc in zip(folds, other.selections, full.document["folds"], strict=True):
        if pd.Timestamp(doc["train"]["end"]) <= cut:
            assert theirs.trial == mine.trial
            checked += 1
    assert checked >= 3
    upto = full.oos_returns.loc[:cut]
    pd.testing.assert_series_equal(upto, other.oos_returns.loc[upto.index], rtol=1e-13)
    assert not full.oos_returns.loc[cut:].iloc[1:].equals(other.oos_returns.loc[cut:].iloc[1:])
