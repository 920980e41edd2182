"""Ties between objective values: within 1e-12 relative, the lowest trial number wins.

Trials that hold the same positions produce returns that differ only by the
rounding of the arithmetic that made them (~1e-16 relative), and so do their
objective values. A plain ``argmax`` then picks between them by float noise: in
one search, trials whose returns differed by at most 9e-16 flipped 5 of the
12,870 CSCV splits. The documented rule — ties go to the lowest trial number —
needs a tolerance to mean anything; this module is that rule, in one place, for
the fold selection (:func:`backtest.tune.select_per_fold`) and for CSCV
(:func:`backtest.stats.pbo_cscv`, the in-sample choice and the out-of-sample rank).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from backtest.stats._arrays import IntArray

__all__ = ["RELATIVE_TIE", "first_best", "tied"]

#: Two values a, b are tied when |a - b| <= RELATIVE_TIE * max(|a|, |b|). 1e-12 is
#: ~4,500 ulps of float64: far above the rounding of sums over 10^4-10^5 bars
#: (~1e-14 relative), far below any difference between distinct strategies.
RELATIVE_TIE: Final = 1e-12


def tied(a: npt.ArrayLike, b: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    r"""Elementwise test that ``a`` and ``b`` are equal within :data:`RELATIVE_TIE`, relatively.

    Parameters
    ----------
    a, b : array_like
        Values to compare (broadcast against each other).

    Returns
    -------
    ndarray of bool
        True where :math:`|a - b| \le 10^{-12}\max(|a|, |b|)` or ``a == b``.

    Notes
    -----
    Relative, so it does not depend on the objective's units; hence 0 ties only
    with 0, and equal infinities tie. NaN ties with nothing. The relation is not
    transitive (a chain of near-equal values can span more than the tolerance);
    :func:`first_best` therefore compares every value with the maximum only.

    Examples
    --------
    >>> tied([1.0, 1.0, 0.0], [1.0 + 1e-15, 1.0 + 1e-9, 1e-300]).tolist()
    [True, False, False]
    """
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf, huge - -huge
        gap = np.abs(x - y)
        close = np.isfinite(gap) & (gap <= RELATIVE_TIE * np.maximum(np.abs(x), np.abs(y)))
    result: npt.NDArray[np.bool_] = close | (x == y)
    return result


def first_best(values: npt.ArrayLike) -> IntArray:
    """Position of the best value along the last axis, ties to the lowest position.

    Parameters
    ----------
    values : array_like of shape (..., n_trials)
        Objective values, higher is better, trials in trial-number order. NaN
        (undefined) is never best unless every value is NaN (then position 0).

    Returns
    -------
    ndarray of int64 of shape (...)
        The lowest position whose value is :func:`tied` with the maximum.

    Examples
    --------
    >>> int(first_best([0.5, 2.0, 2.0 * (1 + 1e-15), float("nan")]))
    1
    """
    key = np.asarray(values, dtype=np.float64)
    key = np.where(np.isnan(key), -np.inf, key)
    top = key.max(axis=-1, keepdims=True)
    best: IntArray = np.argmax(tied(key, top), axis=-1).astype(np.int64)
    return best
