r"""Sharpe-ratio differences with a paired stationary bootstrap (Ledoit & Wolf 2008)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from backtest.analysis._bootstrap import (
    FloatArray,
    IntArray,
    Interval,
    evaluate,
    expected_block_length,
    percentile_interval,
    resample_positions,
    rng_for,
)
from backtest.analysis._spread import BootstrapSettings
from backtest.errors import DataError
from backtest.metrics import sharpe_ratio

__all__ = ["SharpeComparison", "sharpe_differences"]

_MAIN = "\x00strategy under test"  # a column name no alternative can have


@dataclass(frozen=True)
class SharpeComparison:
    """The strategy under test against one alternative, on the same bars.

    Attributes
    ----------
    strategy, alternative : str
        Labels.
    sharpe_strategy, sharpe_alternative : float
        Annualized Sharpe ratios on returns in excess of the cash asset (as in the
        metrics table).
    difference : Interval
        ``sharpe_strategy - sharpe_alternative`` with its paired-bootstrap interval.
    """

    strategy: str
    alternative: str
    sharpe_strategy: float
    sharpe_alternative: float
    difference: Interval


def _sharpe_rows(excess: FloatArray, ppy: int, pos: IntArray) -> FloatArray:
    sample = excess[pos]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = sample.mean(axis=1) / sample.std(axis=1, ddof=1) * np.sqrt(ppy)
    return np.asarray(out, dtype=np.float64)


def sharpe_differences(
    strategy: pd.Series, alternatives: Mapping[str, pd.Series], cash: pd.Series,
    *, periods_per_year: int, settings: BootstrapSettings,
) -> list[SharpeComparison]:
    r"""Sharpe of ``strategy`` minus Sharpe of each alternative, with paired intervals.

    Parameters
    ----------
    strategy : pd.Series
        Net returns of the strategy under test (named: its label).
    alternatives : mapping of str to pd.Series
        Net returns of each alternative on the same dates.
    cash : pd.Series
        The cash asset's return per bar (the risk-free rate).
    periods_per_year : int
    settings : BootstrapSettings

    Returns
    -------
    list of SharpeComparison
        In the order of ``alternatives``.

    Notes
    -----
    One set of stationary-bootstrap resamples of the bars is drawn (block length:
    the largest Politis–White estimate over the excess returns of every series)
    and every series is evaluated on the *same* resamples, so the interval of a
    difference keeps the correlation between the strategies — the paired bootstrap
    of Ledoit & Wolf (2008), with percentile rather than studentized intervals.

    References
    ----------
    .. [1] Ledoit, O. and Wolf, M. (2008), "Robust Performance Hypothesis Testing
       with the Sharpe Ratio", *Journal of Empirical Finance* 15(5), 850–859.
    """
    frame = pd.concat({_MAIN: strategy, **alternatives}, axis=1, join="inner")
    if frame.isna().to_numpy().any() or len(frame) < 8:
        raise DataError("Sharpe comparison needs at least 8 common bars without missing returns")
    rf = cash.reindex(frame.index).to_numpy(dtype=np.float64)
    excess = {name: frame[name].to_numpy(dtype=np.float64) - rf for name in frame.columns}
    block = expected_block_length(*excess.values())
    positions = resample_positions(len(frame), block_length=block, reps=settings.reps,
                                   rng=rng_for(settings.seed, "sharpe"))
    ppy = periods_per_year
    draws = {name: evaluate(partial(_sharpe_rows, x, ppy), positions)
             for name, x in excess.items()}
    rf_series = cash.reindex(frame.index)
    base = sharpe_ratio(frame[_MAIN], rf_series, ppy)
    out = []
    for name in alternatives:
        other = sharpe_ratio(frame[name], rf_series, ppy)
        diff = percentile_interval(base - other, draws[_MAIN] - draws[name],
                                   settings.confidence, block)
        out.append(SharpeComparison(str(strategy.name), name, base, other, diff))
    return out
