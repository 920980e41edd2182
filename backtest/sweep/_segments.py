"""One exact backtest that follows different trials over consecutive stretches.

This is how a walk-forward out-of-sample series is stitched: each fold's
selected trial is followed over its test window, and switching from one trial to
the next costs what the engine charges for the trades it takes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from backtest.engine import validate_weights
from backtest.engine._accounting import net_returns, value_path
from backtest.errors import ConfigError, StrategyError
from backtest.strategy import BatchDecision
from backtest.sweep._evaluate import decide_trials, simulate_trials
from backtest.sweep._types import MarketSlot, PreparedSweep, Segment, Trial

__all__ = ["run_segments", "segment_weights"]


def _check(prepared: PreparedSweep, segments: Sequence[Segment]) -> list[Trial]:
    if not segments:
        raise ConfigError("run_segments needs at least one segment")
    n = len(prepared.index)
    previous = -1
    for s in segments:
        if not 0 <= s.first <= s.last < n or s.first <= previous:
            raise ConfigError(
                f"segment {s}: rows must satisfy 0 <= first <= last < {n} and follow the "
                "previous segment without overlap"
            )
        previous = s.last
    trials = [prepared.trial(s.trial) for s in segments]
    one = trials[0]
    for t in trials[1:]:
        same = (t.costs, t.execution_lag, t.initial_capital) == (
            one.costs, one.execution_lag, one.initial_capital)
        a, b = prepared.markets[t.market], prepared.markets[one.market]
        if not same or a.cash_col != b.cash_col or not np.array_equal(a.close, b.close):
            raise ConfigError(
                f"segments follow trials {one.number} and {t.number}, whose data, costs, "
                "execution lag or initial capital differ; one backtest needs one engine setting"
            )
    return trials


def _decision(trial: Trial, slot: MarketSlot) -> BatchDecision:
    batches, failed = decide_trials([trial], slot)
    if failed:
        raise StrategyError(f"trial {trial.number}: {failed[trial.number]}")
    return batches[0][1]


def _current(targets: npt.NDArray[np.float64], row: int) -> npt.NDArray[np.float64] | None:
    """The targets at the last row <= ``row`` that has any (None if there is none)."""
    has = ~np.isnan(targets[: row + 1]).all(axis=1)
    rows = np.flatnonzero(has)
    return targets[rows[-1]] if len(rows) else None


def segment_weights(prepared: PreparedSweep, segments: Sequence[Segment]) -> pd.DataFrame:
    """The decisions :func:`run_segments` executes, as one target-weight frame.

    Rows ``first``..``last`` of each segment are its trial's decisions (NaN = no
    trade); row ``first`` is a rebalance to that trial's current targets — its
    mix at that row, traded or not, or else its last decided targets before it;
    all other rows are NaN. Shape (n_bars, n_assets) on ``prepared.index``.
    """
    trials = _check(prepared, segments)
    slot = prepared.markets[trials[0].market]
    out = np.full(slot.close.shape, np.nan)
    decided: dict[int, BatchDecision] = {}  # a trial followed in several folds decides once
    for s, trial in zip(segments, trials, strict=True):
        if trial.number not in decided:
            decided[trial.number] = _decision(trial, prepared.markets[trial.market])
        batch = decided[trial.number]
        rows = slice(s.first, s.last + 1)
        out[rows] = batch.weights(0)[rows]
        current = _current(batch.targets(0), s.first)
        if current is not None:
            out[s.first] = current
    return pd.DataFrame(out, index=prepared.index, columns=slot.market.prices.columns)


def run_segments(prepared: PreparedSweep, segments: Sequence[Segment]) -> pd.Series:
    """One exact backtest following each segment's trial over its rows.

    Parameters
    ----------
    prepared : PreparedSweep
    segments : sequence of Segment
        In order, not overlapping; rows are positions on ``prepared.index``.

    Returns
    -------
    pd.Series
        Net returns on the bars after the first segment's first row, through the
        last segment's last row.

    Notes
    -----
    Before the first segment the portfolio holds the cash asset. On each
    segment's first row it is rebalanced to that trial's current targets (see
    :func:`segment_weights`); in between it follows the trial's decisions. The
    execution lag, costs and cash rules are the engine's: the result equals
    :func:`backtest.engine.run_backtest` on :func:`segment_weights` (≤ 1e-10).

    Raises
    ------
    ConfigError
        Bad rows, an invalid trial, or trials with different data or engine settings.
    StrategyError
        A followed trial cannot decide, or its weights break the engine's rules.
    """
    weights = segment_weights(prepared, segments)
    trial = prepared.trial(segments[0].trial)
    slot = prepared.markets[trial.market]
    targets = validate_weights(weights, f"segments from trial {trial.number}")
    values = targets.to_numpy(dtype="float64")
    n = len(values)
    batch = BatchDecision(
        frames=values[None], first=np.zeros(1, dtype=np.int64),
        second=np.zeros(1, dtype=np.int64), a=np.ones((1, n)), b=np.zeros((1, n)),
        trade=~np.isnan(values).all(axis=1)[None, :],
    )
    out = simulate_trials([trial], batch, slot)  # weights validated above
    returns = net_returns(value_path(out.values[0], trial.initial_capital))
    first, last = segments[0].first, segments[-1].last
    return pd.Series(returns[first:last], index=prepared.index[first + 1: last + 1],
                     name="segments")
