r"""The effective number of independent trials of a search, from their return correlations.

The deflated Sharpe ratio's threshold SR0 is the expected maximum of N independent
skill-less Sharpe ratios scaled by :math:`\sqrt V`, V the variance of the trials'
Sharpe ratios. A grid's trials are not independent: neighbouring parameters trade
alike, so counting every trial overstates SR0 — but so does counting too few.

**Method: the participation ratio of the centred correlation matrix.** With R the
trials' return correlation matrix and :math:`P = I - \mathbf{1}\mathbf{1}^\top/N`,

.. math::
    N_{eff} = 1 + \frac{(\operatorname{tr} PRP)^2}{\operatorname{tr}\,(PRP)^2}
            = 1 + \frac{(\sum_i \mu_i)^2}{\sum_i \mu_i^2},

:math:`\mu_i` the eigenvalues of PRP. :math:`(\sum\lambda)^2/\sum\lambda^2` is the
participation ratio, the "eigenvalue formula" for the number of independent
patterns of a field (Fraedrich, Ziehmann & Sielmann 1995; Bretherton et al.
1999). It is taken of PRP, not R, because V is a dispersion *around the trials'
mean Sharpe ratio*: a factor common to every trial (the market, for strategies
that hold it) moves all Sharpe ratios together, is invisible to V and is not a
selection. The participation ratio of R itself counts it as dependence, so trials
with pairwise correlation 0.7 count as ~2 of 100 and SR0 collapses; in a null
simulation (200 skill-less trials, a market factor and 10 clusters; the best one's
own series deflated) that made the DSR pass 0.95 for 21 % of 300 seeds, against
4 % with the centred count (``tests/stats/test_effective.py``). The centred count
gives:

* N independent trials → N; N trials sharing one factor (equicorrelated, any
  :math:`\rho < 1`) → N: around their common part they are independent;
* N identical trials → 1; k groups of identical trials → k, with or without a
  common factor across groups (k − 1 directions of dispersion, plus the mean);
* a trial and its mirror image (:math:`\rho = -1`) → 2; n independent mirror
  pairs → n + 1, although the maximum of s and −s is |s|, worth about two
  independent draws each: sign-flipped halves of a grid are under-counted ~2×.

**Estimation.** Sample correlations of T bars inflate :math:`\operatorname{tr}(PRP)^2`
by ~:math:`N^2/T` (noise), which would shrink N_eff of 10,000 independent trials
over 16,000 bars to ~6,000; the unbiased estimator of :math:`\operatorname{tr}\Sigma^2`
under Wishart sampling (Bai & Saranadasa 1996; n = T - 1 degrees of freedom),
:math:`\frac{n^2}{(n-1)(n+2)}[\operatorname{tr}S^2 - (\operatorname{tr}S)^2/n]`, removes
it. Above ``max_sample`` trials the traces are extrapolated to all N from a
seeded random sample of trials, by U-statistics of pairs, triples and quadruples
of correlations (unbiased over samples of trials; exact when the sample is all).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from backtest.errors import ConfigError, DataError
from backtest.stats._arrays import FloatArray, as_matrix, as_vector, row_batches
from backtest.stats._ties import tied

__all__ = ["EffectiveTrials", "effective_trials"]

EffectiveMethod = Literal["centred_participation_ratio"]
#: Seed of the trial sample above ``max_sample`` trials (fixed: the count is deterministic).
_SAMPLE_SEED: Final = 0
_MIN_SAMPLE: Final = 16


@dataclass(frozen=True)
class EffectiveTrials:
    """How many independent trials a search amounts to, and how that was counted.

    Attributes
    ----------
    n_effective : float
        :math:`N_{eff}` in [1, n_trials - n_flat] (a real number; 1 when fewer than
        two trials vary).
    n_trials : int
        Trials given (rows).
    n_flat : int
        Trials whose returns are constant (largest and smallest value tied within
        1e-12 relative): no Sharpe ratio, so no draw of the maximum; left out of
        the count (N still counts them, see :func:`deflated_sharpe_ratio`).
    n_sampled : int
        Varying trials the correlations were computed on (all of them up to
        ``max_sample``).
    n_bars : int
        Bars T the correlations were measured on.
    method : str
        ``"centred_participation_ratio"`` (see the module).
    """

    n_effective: float
    n_trials: int
    n_flat: int
    n_sampled: int
    n_bars: int
    method: EffectiveMethod = "centred_participation_ratio"


def _flat_rows(matrix: FloatArray, reference: FloatArray | None) -> npt.NDArray[np.bool_]:
    """Rows (minus ``reference``) whose largest and smallest values are tied."""
    out = np.zeros(matrix.shape[0], dtype=bool)
    for rows in row_batches(matrix.shape[0], matrix.shape[1]):
        part = matrix[rows] if reference is None else matrix[rows] - reference
        out[rows] = tied(part.max(axis=1), part.min(axis=1))
    return out


def _correlations(matrix: FloatArray, rows: npt.NDArray[np.int64],
                  reference: FloatArray | None = None) -> FloatArray:
    """Sample correlation matrix of ``matrix[rows] - reference`` (one copy of the rows)."""
    z = matrix[rows]
    if reference is not None:
        z -= reference
    z -= z.mean(axis=1, keepdims=True)
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    gram: FloatArray = z @ z.T
    return gram


def _centred_traces_direct(corr: FloatArray) -> tuple[float, float]:
    """tr(PRP) and tr((PRP)^2) of one correlation matrix, P = I - 11'/N."""
    centred = corr - corr.mean(axis=0, keepdims=True)
    centred -= centred.mean(axis=1, keepdims=True)
    return float(np.trace(centred)), float(np.sum(centred * centred))


def _centred_traces_sampled(corr: FloatArray, n: int) -> tuple[float, float]:
    """tr(PRP) and tr((PRP)^2) for N = ``n`` trials, from a sample's correlations ``corr``.

    p1..p4 are the sample means of r_ij, r_ij^2, r_ij r_ik and r_ij r_kl over
    distinct indices (U-statistics); the traces are linear in them:
    tr R^2 = N + N(N-1)p2, |R1|^2 = N + N(N-1)(2p1 + p2) + N(N-1)(N-2)p3,
    (1'R1)^2 = N^2 + 2N^2(N-1)p1 + 2N(N-1)p2 + 4N(N-1)(N-2)p3 + N(N-1)(N-2)(N-3)p4.
    """
    m = corr.shape[0]
    off = corr - np.diag(np.diag(corr))
    s1 = float(off.sum())
    s2 = float(np.sum(off * off))
    t3 = float(np.sum(off.sum(axis=1) ** 2)) - s2
    q4 = s1 * s1 - 2 * s2 - 4 * t3
    p1, p2 = s1 / (m * (m - 1)), s2 / (m * (m - 1))
    p3 = t3 / (m * (m - 1) * (m - 2))
    p4 = q4 / (m * (m - 1) * (m - 2) * (m - 3))
    pairs, triples = n * (n - 1), n * (n - 1) * (n - 2)
    square = n + pairs * p2
    row_norms = n + pairs * (2 * p1 + p2) + triples * p3
    total = n + pairs * p1
    total_sq = n * n + 2 * n * pairs * p1 + 2 * pairs * p2 + 4 * triples * p3
    total_sq += triples * (n - 3) * p4
    return n - total / n, square - 2 * row_norms / n + total_sq / (n * n)


def effective_trials(returns: npt.ArrayLike, *, max_sample: int = 2000,
                     relative_to: npt.ArrayLike | None = None) -> EffectiveTrials:
    r"""Effective number of independent trials: participation ratio of the centred correlations.

    Parameters
    ----------
    returns : array_like of shape (n_trials, n_bars)
        Returns of every trial that produced returns, one row per trial, in excess
        of cash: the series whose Sharpe ratios give V (not copied).
    max_sample : int, default 2000
        Above this many varying trials, the correlations are measured on a seeded
        random sample of this many (deterministic) and the traces extrapolated.
    relative_to : array_like of shape (n_bars,), optional
        A series every trial is measured against (a benchmark): the trials are
        ``returns - relative_to``, formed batch by batch (the matrix is not copied).

    Returns
    -------
    EffectiveTrials
        :math:`N_{eff}` (real), N, the flat trials left out, the sample size.

    Raises
    ------
    DataError
        Not 2-D, NaN/inf, or fewer than 3 bars.
    ConfigError
        ``max_sample`` < 16.

    Notes
    -----
    :math:`N_{eff} = 1 + a^2 / \hat b`, clipped to [1, N'] (N' = varying trials),
    with :math:`a = \operatorname{tr}(PRP)` and
    :math:`\hat b = \frac{n^2}{(n-1)(n+2)}[\operatorname{tr}(PRP)^2 - a^2/n]`,
    n = T - 1 (see the module for why the centring and the correction).
    Limits: sign-flipped trials are under-counted (mirror pairs count once
    each); serially correlated returns inflate sample correlations beyond the
    correction, which then under-counts too.

    Cost: one pass over the matrix (constant rows), a copy of the sampled rows
    (m × T × 8 bytes: 256 MB for m = 2,000, T = 16,000) and their Gram product,
    m²·T multiply-adds; measured in ``bench/bench_stats.py`` (10,000 × 16,000).

    References
    ----------
    .. [1] Bretherton, C. S., Widmann, M., Dymnikov, V. P., Wallace, J. M. &
       Bladé, I. (1999). The effective number of spatial degrees of freedom of a
       time-varying field. J. Climate 12(7), 1990-2009.
    .. [2] Fraedrich, K., Ziehmann, C. & Sielmann, F. (1995). Estimates of spatial
       degrees of freedom. J. Climate 8(2), 361-369 (dof = N² / Σλ²).
    .. [3] Bai, Z. & Saranadasa, H. (1996). Effect of high dimension: by an example
       of a two sample problem. Statistica Sinica 6(2), 311-329.
    .. [4] Bailey, D. H. & López de Prado, M. (2014). The deflated Sharpe ratio.
       J. Portfolio Management 40(5), 94-107.
    """
    if isinstance(max_sample, bool) or not isinstance(max_sample, int | np.integer):
        raise ConfigError(f"max_sample must be an integer, got {max_sample!r}")
    if max_sample < _MIN_SAMPLE:
        raise ConfigError(f"max_sample must be >= {_MIN_SAMPLE}, got {max_sample}")
    matrix = as_matrix(returns, "returns")
    n_trials, n_bars = matrix.shape
    if n_bars < 3:
        raise DataError(f"effective_trials needs at least 3 bars, got {n_bars}")
    reference = None if relative_to is None else as_vector(relative_to, "relative_to", n_bars)
    flat = _flat_rows(matrix, reference)
    varying = np.flatnonzero(~flat)
    n = int(varying.size)
    rows, n_eff = varying, 1.0
    if n > max_sample:
        rng = np.random.default_rng(_SAMPLE_SEED)
        rows = np.sort(rng.choice(varying, size=max_sample, replace=False))
    if n >= 2:
        corr = _correlations(matrix, rows, reference)
        if rows.size == n:
            a, b = _centred_traces_direct(corr)
        else:
            a, b = _centred_traces_sampled(corr, n)
        dof = n_bars - 1
        b_hat = dof * dof / ((dof - 1) * (dof + 2)) * (b - a * a / dof)
        if a <= 1e-9 * n:  # every pair correlates at 1: one series, up to scale and shift
            n_eff = 1.0
        elif b_hat <= 0.0 or not math.isfinite(a * a / b_hat):
            n_eff = float(n)
        else:
            n_eff = float(min(max(1.0 + a * a / b_hat, 1.0), n))
    return EffectiveTrials(
        n_effective=n_eff,
        n_trials=n_trials,
        n_flat=int(flat.sum()),
        n_sampled=int(rows.size) if n >= 2 else n,
        n_bars=n_bars,
    )
