"""Probability of backtest overfitting by combinatorially symmetric cross-validation (CSCV).

Written here rather than taken from ffn's ``calc_prob_backtest_overfitting``, which
agrees with this function on its domain (tested to 1e-12 on the logits): ffn
re-slices the pandas frame and recomputes every trial's Sharpe ratio for each of
the C(16, 8) = 12,870 splits, which is hours on 10,000 trials × 16,000 bars; it
has only its own per-bar Sharpe ratio without a risk-free series; it makes the
whole result NaN when one trial is flat in one split (common in grids: a rule that
never leaves cash); it drops the newest bars when the length is not a multiple of
S; and importing it patches pandas. Here each block is summarized once
(:mod:`backtest.stats._blocks`) and every split is assembled from 8 summaries.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from backtest.errors import ConfigError
from backtest.stats._arrays import (
    FloatArray,
    IntArray,
    as_matrix,
    as_vector,
    check_periods_per_year,
)
from backtest.stats._blocks import block_stats, union_values
from backtest.stats._objectives import Objective, check_objective
from backtest.stats._ties import first_best, tied

__all__ = ["PBOResult", "pbo_cscv"]

#: Splits assembled at once × trials: bounds the temporaries (~16 MB each).
_PAIR_ELEMENTS = 2_000_000


@dataclass(frozen=True, eq=False)
class PBOResult:
    r"""Outcome of CSCV over a search.

    Attributes
    ----------
    pbo : float
        Share of splits whose in-sample best ranks at or below the out-of-sample
        median (logit <= 0), among the splits where it is defined.
    logits : ndarray of shape (n_splits,)
        :math:`\lambda_c = \log(\omega_c / (1 - \omega_c))` per split, in the
        lexicographic order of the in-sample block sets; NaN for undefined splits.
    is_best_perf : ndarray of shape (n_splits,)
        Objective of the in-sample best trial in sample (annualized).
    oos_perf_of_is_best : ndarray of shape (n_splits,)
        Objective of that same trial out of sample (annualized; NaN if undefined).
    oos_rank_of_is_best : ndarray of shape (n_splits,)
        Its relative out-of-sample rank :math:`\omega_c` in (0, 1) (1 = best).
    prob_oos_loss : float
        Share of splits where ``oos_perf_of_is_best < 0``, among those where it is
        defined.
    degradation_slope, degradation_intercept : float
        OLS fit ``oos_perf_of_is_best ≈ intercept + slope · is_best_perf`` over the
        splits; a slope well below 1 (often negative) is the performance degradation.
    n_splits, n_blocks, n_trials : int
        C(S, S/2), S, and N.
    n_undefined : int
        Splits left out of ``pbo`` because every trial was undefined in sample.
    metric : str
        The objective used to rank trials.
    """

    pbo: float
    logits: FloatArray = field(repr=False)
    is_best_perf: FloatArray = field(repr=False)
    oos_perf_of_is_best: FloatArray = field(repr=False)
    oos_rank_of_is_best: FloatArray = field(repr=False)
    prob_oos_loss: float
    degradation_slope: float
    degradation_intercept: float
    n_splits: int
    n_blocks: int
    n_trials: int
    n_undefined: int
    metric: Objective


def _block_bounds(n_bars: int, n_blocks: int) -> IntArray:
    """Boundaries of ``n_blocks`` contiguous blocks whose sizes differ by at most one bar."""
    return np.array([i * n_bars // n_blocks for i in range(n_blocks + 1)], dtype=np.int64)


def _split_sets(n_blocks: int) -> tuple[IntArray, IntArray]:
    """In-sample block sets in lexicographic order, and the position of each complement."""
    sets = np.array(list(itertools.combinations(range(n_blocks), n_blocks // 2)), dtype=np.int64)
    position = {tuple(row): i for i, row in enumerate(sets.tolist())}
    everything = set(range(n_blocks))
    complement = np.array(
        [position[tuple(sorted(everything - set(row)))] for row in sets.tolist()], dtype=np.int64
    )
    return sets, complement


def _select_and_rank(train: FloatArray, test: FloatArray) -> tuple[FloatArray, ...]:
    """In-sample best per split, its test value and relative rank ω, and the logit.

    Ties (:func:`backtest.stats.tied`, within 1e-12 relative) go to the lowest
    trial in sample and share their average rank out of sample.
    """
    n_trials = train.shape[1]
    test_key = np.where(np.isnan(test), -np.inf, test)
    winner = first_best(train)
    rows = np.arange(train.shape[0])
    target = test_key[rows, winner][:, np.newaxis]
    level = tied(test_key, target)
    below = (test_key < target) & ~level
    rank = below.sum(axis=1) + (level.sum(axis=1) + 1) / 2
    omega = rank / (n_trials + 1)
    logit = np.log(omega / (1 - omega))
    undefined = np.isnan(train).all(axis=1)
    logit[undefined] = np.nan
    return logit, train[rows, winner], test[rows, winner], omega


def _degradation(is_perf: FloatArray, oos_perf: FloatArray) -> tuple[float, float]:
    ok = np.isfinite(is_perf) & np.isfinite(oos_perf)
    x, y = is_perf[ok], oos_perf[ok]
    if x.size < 2 or np.ptp(x) == 0:
        return math.nan, math.nan
    slope, intercept = np.polyfit(x, y, 1)
    return float(slope), float(intercept)


def _check_blocks(n_blocks: int, n_bars: int, n_trials: int) -> None:
    if isinstance(n_blocks, bool) or not isinstance(n_blocks, int | np.integer):
        raise ConfigError(f"n_blocks must be an even integer, got {n_blocks!r}")
    if n_blocks < 2 or n_blocks % 2 or n_blocks > 20:
        raise ConfigError(f"n_blocks must be even and in 2..20 (16 is usual), got {n_blocks}")
    if n_trials < 2:
        raise ConfigError(f"PBO compares trials: need at least 2, got {n_trials}")
    if n_bars < 2 * n_blocks:
        raise ConfigError(
            f"PBO with {n_blocks} blocks needs at least {2 * n_blocks} bars, got {n_bars}"
        )


def pbo_cscv(
    returns: npt.ArrayLike,
    cash: npt.ArrayLike,
    *,
    periods_per_year: int,
    n_blocks: int = 16,
    metric: Objective = "sharpe",
    benchmark: npt.ArrayLike | None = None,
) -> PBOResult:
    r"""Probability of backtest overfitting of a search, by CSCV.

    Parameters
    ----------
    returns : array_like of shape (n_trials, n_bars)
        Net returns of EVERY trial of the search, one row per trial (the sweep's
        trials × bars matrix; not copied).
    cash : array_like of shape (n_bars,)
        Cash return per bar (for Sharpe and Sortino, as in :func:`objective_values`).
    periods_per_year : int
        Bars per year, for the annualized values in the result.
    n_blocks : int, default 16
        S, even: the bars are cut into S contiguous blocks whose sizes differ by
        at most one bar (no bar is dropped); C(S, S/2) splits (12,870 for 16).
    metric : {"sharpe", "sortino", "calmar", "cagr", "excess"}, default "sharpe"
        Objective used to pick the in-sample best and to rank out of sample, as
        defined by :func:`objective_values` on the concatenated blocks of a half.
    benchmark : array_like of shape (n_bars,), optional
        Required for ``metric="excess"``.

    Returns
    -------
    PBOResult

    Raises
    ------
    ConfigError
        Odd or out-of-range ``n_blocks``, fewer than 2 trials or 2·S bars.
    DataError
        Shapes that do not match, or NaN/inf in the inputs.

    Notes
    -----
    For each split c, the in-sample set J is S/2 of the blocks (in time order)
    and the out-of-sample set is the rest. :math:`n^*` = argmax of the metric on
    J; :math:`\omega_c` = (average) rank of :math:`n^*` among the N trials on
    the complement, divided by N + 1. Values within 1e-12 relative of each other
    are ties (:func:`backtest.stats.tied`): in sample the lowest trial among those
    tied with the maximum wins, out of sample trials tied with :math:`n^*` share
    its average rank, so trials whose returns differ by rounding alone never
    decide a split;
    :math:`\lambda_c = \log(\omega_c / (1 - \omega_c))`, and

    .. math:: PBO = \frac{1}{C}\sum_c 1[\lambda_c \le 0].

    A trial whose metric is undefined on a half (flat returns: zero volatility)
    counts as worse than every defined trial on that half, tied with the other
    undefined ones; a split where every trial is undefined in sample is left out
    (``n_undefined``). Every split is assembled from per-block sufficient
    statistics in O(S·N) instead of O(T·N).

    References
    ----------
    .. [1] Bailey, D. H., Borwein, J. M., López de Prado, M. & Zhu, Q. J. (2017).
       The probability of backtest overfitting. J. Computational Finance 20(4), 39-69.
    """
    checked = check_objective(metric, benchmark)
    ppy = check_periods_per_year(periods_per_year)
    matrix = as_matrix(returns, "returns")
    n_trials, n_bars = matrix.shape
    _check_blocks(n_blocks, n_bars, n_trials)
    cash_v = as_vector(cash, "cash", n_bars)
    bench = as_vector(benchmark, "benchmark", n_bars) if benchmark is not None else cash_v
    stats = block_stats(matrix, cash_v, bench, _block_bounds(n_bars, n_blocks), checked, ppy)
    sets, complement = _split_sets(n_blocks)
    n_splits = sets.shape[0]
    results = np.full((4, n_splits), np.nan)
    half = n_splits // 2
    step = max(1, _PAIR_ELEMENTS // n_trials)
    for start in range(0, half, step):
        first = np.arange(start, min(start + step, half))
        second = complement[first]
        values_a = union_values(stats, sets[first])
        values_b = union_values(stats, sets[second])
        results[:, first] = np.stack(_select_and_rank(values_a, values_b))
        results[:, second] = np.stack(_select_and_rank(values_b, values_a))
    logits, is_best, oos_best, omega = results
    defined = ~np.isnan(logits)
    pbo = float(np.mean(logits[defined] <= 0)) if defined.any() else math.nan
    finite = np.isfinite(oos_best)
    loss = float(np.mean(oos_best[finite] < 0)) if finite.any() else math.nan
    slope, intercept = _degradation(is_best, oos_best)
    return PBOResult(
        pbo=pbo,
        logits=logits,
        is_best_perf=is_best,
        oos_perf_of_is_best=oos_best,
        oos_rank_of_is_best=omega,
        prob_oos_loss=loss,
        degradation_slope=slope,
        degradation_intercept=intercept,
        n_splits=n_splits,
        n_blocks=int(n_blocks),
        n_trials=n_trials,
        n_undefined=int((~defined).sum()),
        metric=checked,
    )
