"""The out-of-sample protocol: select on train windows only, judge on test windows only.

Positions are bars of the returns index of the sweep (the common window minus its
first bar): return ``j`` is earned from the close of price bar ``j`` to the close
of price bar ``j + 1``.

* **Folds.** ``--holdout f``: one fold, train = the first ``1 - f`` of the bars,
  test = the rest. ``--walk-forward``: rolling (or anchored) train windows, each
  followed by a purge gap and a test window (:func:`backtest.stats.walk_forward`).
* **Selection.** In every fold the trial with the best objective on the train
  window is chosen (ties — values within 1e-12 relative, :func:`backtest.stats.tied`
  — go to the lowest trial number).
* **Stitching.** The out-of-sample series is ONE backtest that follows each
  fold's selected trial from the close before its test window to the close before
  the next fold's (decision rows ``test.start .. next.start - 1`` on the price
  window), rebalancing to the newly selected trial's targets at each switch; costs,
  the execution lag and cash are the engine's. So the switch between folds costs
  what it would cost, and the first ``execution_lag`` bars of each fold are still
  earned by the previous selection (or cash), as they would be live.
* **In-sample** bars are those before the first test window's purge gap; each
  trial's in-sample numbers and the deflated Sharpe ratio use them only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from backtest.config import TuneSection
from backtest.errors import BacktestError, ConfigError
from backtest.stats import Fold, first_best, holdout, parse_length, walk_forward

__all__ = [
    "FoldSelection",
    "in_sample_positions",
    "make_folds",
    "oos_positions",
    "positions_to_dates",
    "select_per_fold",
    "stitch_segments",
]


@dataclass(frozen=True)
class FoldSelection:
    """One fold: its windows (bar positions), the trial chosen on train, and its scores."""

    fold: Fold
    trial: int
    train_objective: float
    test_objective: float


#: Out-of-sample bars the statistics need at least (a Sharpe ratio, a deflated one).
MIN_OOS_BARS = 3


def make_folds(section: TuneSection, n_bars: int, periods_per_year: int) -> list[Fold]:
    """The folds of the protocol ``section`` describes, over ``n_bars`` return bars.

    Raises
    ------
    ConfigError
        Folds that leave fewer than :data:`MIN_OOS_BARS` out-of-sample bars.
    """
    folds = _folds(section, n_bars, periods_per_year)
    oos = sum(f.test.stop - f.test.start for f in folds)
    if oos < MIN_OOS_BARS:
        what = ("--holdout" if section.walk_forward is None else "--test")
        raise ConfigError(f"tune: the protocol leaves {oos} out-of-sample bar"
                          f"{'s' if oos != 1 else ''} of {n_bars}; at least {MIN_OOS_BARS} "
                          f"are needed (raise {what})")
    return folds


def _folds(section: TuneSection, n_bars: int, periods_per_year: int) -> list[Fold]:
    wf = section.walk_forward
    if wf is None:
        return holdout(n_bars, fraction=section.holdout, purge=section.purge)
    return walk_forward(
        n_bars,
        train=parse_length(wf.train, periods_per_year),
        test=parse_length(wf.test, periods_per_year),
        step=None if wf.step is None else parse_length(wf.step, periods_per_year),
        purge=section.purge,
        anchored=wf.anchored,
        partial_test=True,  # the out-of-sample series reaches the end of the data
    )


def oos_positions(folds: Sequence[Fold]) -> np.ndarray:
    """Bar positions of every test window, in order (each bar once)."""
    return np.unique(np.concatenate([np.arange(f.test.start, f.test.stop) for f in folds]))


def in_sample_positions(folds: Sequence[Fold], purge: int) -> np.ndarray:
    """Bars before the first test window and its purge gap."""
    first = min(f.test.start for f in folds)
    return np.arange(0, max(first - purge, 0))


def select_per_fold(
    folds: Sequence[Fold],
    score: Callable[[slice], np.ndarray],
    numbers: np.ndarray,
) -> list[FoldSelection]:
    """Pick the best trial on each fold's train window.

    ``score(window)`` returns the objective of every trial (rows in ``numbers``
    order, increasing) on that window of bars. Among the trials whose objective
    is within 1e-12 relative of the best (:func:`backtest.stats.first_best`), the
    lowest trial number wins, so rounding noise between trials that trade alike
    never decides a fold.
    """
    out = []
    for fold in folds:
        train = score(fold.train)
        if not np.isfinite(train).any():
            raise BacktestError(
                f"tune: fold {fold.number} has no trial with a defined objective on its "
                "train window (too short, or every trial flat); lengthen train"
            )
        best = int(first_best(np.where(np.isfinite(train), train, np.nan)))
        test = score(fold.test)
        out.append(FoldSelection(fold=fold, trial=int(numbers[best]),
                                 train_objective=float(train[best]),
                                 test_objective=float(test[best])))
    return out


def stitch_segments(selections: Sequence[FoldSelection]) -> list[tuple[int, int, int]]:
    """``(trial, first, last)`` decision rows on the price window for each fold.

    Return ``j`` is earned between price rows ``j`` and ``j + 1``. Fold ``k`` decides
    from the close before its first test bar (price row ``test.start``) to the close
    before the next fold's (``next.test.start - 1``); the last fold to the close of
    its last test bar (``test.stop``), so the stitched returns cover every test bar.
    """
    segs = []
    for k, sel in enumerate(selections):
        first = sel.fold.test.start
        last = (selections[k + 1].fold.test.start - 1 if k + 1 < len(selections)
                else sel.fold.test.stop)
        segs.append((sel.trial, first, last))
    return segs


def positions_to_dates(index: pd.DatetimeIndex, window: slice) -> tuple[str, str]:
    """First and last date of a window of bars."""
    dates = index[window]
    return str(dates[0].date()), str(dates[-1].date())
