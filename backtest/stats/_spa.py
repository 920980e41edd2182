r"""Hansen's test of superior predictive ability (SPA), and White's Reality Check beside it.

Two statistics from one stationary bootstrap of the trial-minus-benchmark return
differentials :math:`d_k`:

* **SPA** (Hansen 2005), the result's ``lower``/``consistent``/``upper``: the
  studentized :math:`T^{SPA} = \max(\max_k \sqrt T \bar d_k / \hat\omega_k, 0)`.
  Studentizing is what keeps poor, erratic trials from swamping the null
  distribution; arch 8.0's ``SPA(studentize=True)`` does not do it (its p-values
  equal ``studentize=False``'s), so it is computed here.
* **Reality Check**, the result's ``rc``: :math:`\max_k \bar d_k`, not studentized
  (White 2000), with Hansen's three recenterings — exactly the numbers of
  ``arch.bootstrap.SPA`` 8.0, which the project reported as "SPA" until issue 15.

``arch.bootstrap.SPA`` is the reference for the Reality Check (``method="arch"``
runs it). Its cost is O(T²·k) for the variances (a Python loop over T lags) plus a
T × k copy of the loss matrix per replication: hours for 10,000 trials × 16,000
bars × 1,000 replications. The batched path draws the same stationary-bootstrap
indices (arch's ``StationaryBootstrap``'s for the same seed, bit for bit:
:mod:`backtest.stats._stationary`), turns them into counts,
multiplies ``differentials @ counts`` in batches of trials, takes the variances by
O(T) recursions (:mod:`backtest.stats._kernel`) and counts identical trials once.
Both statistics share that product, so the SPA costs a few elementwise passes over
a (batch × reps) array more than the Reality Check alone (measured in
``bench/bench_stats.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from backtest.errors import ConfigError, DataError
from backtest.stats._arrays import FloatArray, IntArray, as_matrix, as_vector
from backtest.stats._blocklength import stationary_block_lengths
from backtest.stats._kernel import row_variances
from backtest.stats._spa_result import RealityCheck, SPAMethod, SPAResult
from backtest.stats._stationary import stationary_indices
from backtest.stats._ties import RELATIVE_TIE, tied

BoolArray = npt.NDArray[np.bool_]

__all__ = ["RealityCheck", "SPAResult", "spa_test"]

#: Shorter samples take arch's default block size, int(sqrt(T)).
_MIN_BARS_FOR_ESTIMATE: Final = 64
#: Columns whose block-length estimate sets the default block size.
_BLOCK_SAMPLE: Final = 64
#: Elements of one column batch (T × batch) in the fast path.
_COLUMN_ELEMENTS: Final = 4_000_000
def _distinct_columns(trials: FloatArray) -> IntArray:
    """Positions of the first column of every group of identical columns, in order."""
    n_bars = trials.shape[0]
    weights = np.cos(np.arange(n_bars) * 0.618034)  # fixed, irregular: a fingerprint
    keys = np.stack([np.ones(n_bars) @ trials, weights @ trials], axis=1)
    groups: dict[tuple[float, float], list[int]] = {}
    keep: list[int] = []
    for j, key in enumerate(map(tuple, keys.tolist())):
        members = groups.setdefault(key, [])
        if not any(np.array_equal(trials[:, j], trials[:, i]) for i in members):
            members.append(j)
            keep.append(j)
    return np.array(keep, dtype=np.int64)


def _default_block_size(trials: FloatArray, benchmark: FloatArray, columns: IntArray) -> int:
    """Median Politis-White stationary block length over up to 64 evenly spaced columns."""
    n_bars = trials.shape[0]
    picks = np.linspace(0, columns.size - 1, min(columns.size, _BLOCK_SAMPLE)).round()
    sample = columns[np.unique(picks.astype(np.int64))]
    if n_bars < _MIN_BARS_FOR_ESTIMATE:  # too short for the estimator's lag window
        return max(1, int(math.sqrt(n_bars)))
    lengths = stationary_block_lengths(trials[:, sample] - benchmark[:, np.newaxis])
    lengths = lengths[np.isfinite(lengths)]
    if lengths.size == 0:  # every sampled column is constant: the length cannot matter
        return max(1, int(math.sqrt(n_bars)))
    return max(1, math.ceil(float(np.median(lengths))))


def _bootstrap_counts(n_bars: int, block_size: int, reps: int, seed: int) -> FloatArray:
    """(reps, T) times each bar is drawn: arch's stationary bootstrap, arch's seed use."""
    # arch's StationaryBootstrap(block_size, x, seed=seed) indices, bit for bit, without arch
    indices = stationary_indices(n_bars, block_size=block_size, reps=reps,
                                 rng=np.random.default_rng(seed))
    counts = np.empty((reps, n_bars))
    for r in range(reps):
        counts[r] = np.bincount(indices[r], minlength=n_bars)
    return counts


@dataclass(frozen=True)
class _Problem:
    benchmark: FloatArray
    trials: FloatArray
    columns: IntArray
    block_size: int
    reps: int
    seed: int


def _differential_rows(
    problem: _Problem, chosen: IntArray
) -> tuple[FloatArray, BoolArray, BoolArray]:
    """Trial-minus-benchmark rows (C-ordered), which trials equal the benchmark, which are constant.

    A trial "equals" the benchmark when every bar is :func:`tied` with it (1e-12
    relative): its differential is rounding noise, which studentizing would blow up
    into a t-statistic of order 1. A differential is constant when its largest and
    smallest values are tied: its omega is rounding noise too.
    """
    trials = problem.trials
    if trials.flags.f_contiguous:  # the transposed view of a trials × bars matrix
        rows = trials.T[chosen]
    else:
        rows = np.ascontiguousarray(trials[:, chosen].T)
    bench = problem.benchmark
    rows -= bench
    # only rows within ~2e-12 * max|returns| of the benchmark can be tied on every bar
    bound = 2 * RELATIVE_TIE * float(np.abs(bench).max(initial=0.0))
    high, low = rows.max(axis=1), rows.min(axis=1)
    same = np.zeros(rows.shape[0], dtype=bool)
    for i in np.flatnonzero((high <= bound) & (low >= -bound)):
        same[i] = bool(tied(trials[:, chosen[i]], bench).all())
    return rows, same, tied(high, low)


def _scales(variance: FloatArray, degenerate: BoolArray, n_bars: int) -> FloatArray:
    """sqrt(omega_k^2 / T) per row; 0 where there is no t-statistic (see SPAResult)."""
    usable = (variance > 0.0) & ~degenerate
    return np.where(usable, np.sqrt(np.where(usable, variance, 1.0) / n_bars), 0.0)


def _simulate(problem: _Problem) -> tuple[FloatArray, FloatArray, float, float, int]:
    r"""Bootstrap maxima (reps, 3) of T_SPA and of the RC, both observed statistics.

    Works on rows (trial, bar): gathers, means and variances run along memory. A
    mean can differ from arch's (which sums down the columns of a T × k matrix)
    in its last bit; a replication's count changes only if it ties to that bit.
    Hansen (2005): :math:`T^{SPA*}_b = \max(0, \max_k \sqrt T(\bar d^*_{k,b} -
    g(\bar d_k))/\hat\omega_k)` with :math:`g_l(x) = \max(x, 0)`, :math:`g_c(x) = x
    1[x \ge -\sqrt{\hat\omega_k^2/T \cdot 2\log\log T}]`, :math:`g_u(x) = x`.
    """
    n_bars = problem.trials.shape[0]
    counts_t = _bootstrap_counts(n_bars, problem.block_size, problem.reps, problem.seed).T
    spa = np.zeros((3, problem.reps))  # T_SPA* is floored at 0
    rc = np.full((3, problem.reps), -np.inf)
    t_spa, t_rc, degenerate = 0.0, -np.inf, 0
    loglog = 2.0 * math.log(math.log(n_bars))
    step = max(1, _COLUMN_ELEMENTS // n_bars)
    for start in range(0, problem.columns.size, step):
        rows, same, constant = _differential_rows(problem, problem.columns[start : start + step])
        mean = rows.mean(axis=1)
        variance = row_variances(rows, problem.block_size)
        valid = mean >= -np.sqrt(variance / n_bars * loglog)
        centers = np.stack([np.maximum(mean, 0.0), np.where(valid, mean, 0.0), mean])
        boot = (rows @ counts_t) / n_bars  # (batch, reps)
        scale = _scales(variance, same | constant, n_bars)
        keep = scale > 0.0
        degenerate += int((~keep).sum())
        if np.any(~keep & ~same & (mean > 0.0)):  # beats it on every bar, by a constant
            t_spa = math.inf
        t_rc = max(t_rc, float(mean.max()))
        inverse = 1.0 / scale[keep][:, np.newaxis]
        t_spa = max(t_spa, float(np.max(mean[keep] * inverse[:, 0], initial=0.0)))
        for j in range(3):
            deviation = boot - centers[j][:, np.newaxis]
            rc[j] = np.maximum(rc[j], deviation.max(axis=0))
            if inverse.size:
                spa[j] = np.maximum(spa[j], (deviation[keep] * inverse).max(axis=0))
    return spa.T, rc.T, t_spa, t_rc, degenerate


def _spa_pvalues(simulated: FloatArray, statistic: float) -> FloatArray:
    """Hansen's p = share of replications with T_SPA* > T_SPA; 1 when T_SPA = 0.

    With every mean differential <= 0 the observed statistic sits on its floor,
    where "above it" would count only the replications above the floor and reject
    for trials that all lose; no trial beats the benchmark in sample, so p = 1.
    """
    if statistic <= 0.0:
        return np.ones(3)
    result: FloatArray = (simulated > statistic).mean(axis=0)
    return result


def _check(block_size: int | None, reps: int, seed: int, method: str) -> None:
    for name, value in (("reps", reps), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise ConfigError(f"SPA {name} must be an integer, got {value!r}")
    if reps < 1:
        raise ConfigError(f"SPA reps must be >= 1, got {reps}")
    if block_size is not None and (
        isinstance(block_size, bool)
        or not isinstance(block_size, int | np.integer)
        or block_size < 1
    ):
        raise ConfigError(f"SPA block_size must be an integer >= 1, got {block_size!r}")
    if method not in ("fast", "arch"):
        raise ConfigError(f"SPA method must be fast or arch, got {method!r}")


def spa_test(
    benchmark: npt.ArrayLike,
    trials: npt.ArrayLike,
    *,
    seed: int,
    reps: int = 1000,
    block_size: int | None = None,
    method: SPAMethod = "fast",
) -> SPAResult:
    r"""Test whether any trial beats the benchmark: Hansen's SPA, with White's RC beside it.

    Parameters
    ----------
    benchmark : array_like of shape (n_bars,)
        Excess return of the benchmark per bar.
    trials : array_like of shape (n_bars, n_trials)
        Excess returns of every trial, one column per trial (arch's layout; the
        transposed view of a trials × bars matrix costs no copy).
    seed : int
        Seed of the bootstrap (``numpy.random.default_rng`` inside arch).
    reps : int, default 1000
        Bootstrap replications B.
    block_size : int, optional
        Mean block length b. Default: the median over up to 64 evenly spaced distinct
        trials of the Politis-White stationary-bootstrap length of the return
        differential (``arch.bootstrap.optimal_block_length(...)["stationary"]``,
        vectorized in :func:`stationary_block_lengths`; Politis & White 2004,
        Patton et al. 2009), rounded up; ``int(sqrt(T))`` below 64 bars. Reported
        in the result.
    method : {"fast", "arch"}, default "fast"
        ``"fast"``: both statistics from the batched path. ``"arch"``: the Reality
        Check from ``arch.bootstrap.SPA`` itself (the reference; O(T²·k), for
        checks on small problems), the SPA still from the batched path (arch has
        no studentized statistic). Both give the same numbers (tested).

    Returns
    -------
    SPAResult
        ``lower``/``consistent``/``upper``: Hansen's studentized SPA p-values;
        ``rc``: the Reality Check's. Small = some trial beats the benchmark.

    Raises
    ------
    ConfigError
        Bad ``reps``, ``seed``, ``block_size`` or ``method``.
    DataError
        Shapes that do not match, fewer than 3 bars, NaN/inf returns.

    Notes
    -----
    Losses are minus returns, so the loss differential of trial k is
    :math:`d_{k,t} = L_{0,t} - L_{k,t} = r_{k,t} - r_{0,t}`;
    :math:`H_0: \max_k E[d_k] \le 0`. Hansen (2005):

    .. math::
        T^{SPA} = \max\Big(\max_k \frac{\sqrt T\,\bar d_k}{\hat\omega_k}, 0\Big),\quad
        T^{SPA*}_b = \max\Big(\max_k \frac{\sqrt T\,(\bar d^*_{k,b} - g(\bar d_k))}
        {\hat\omega_k}, 0\Big),\quad
        p = \frac1B\sum_b 1[T^{SPA*}_b > T^{SPA}],

    :math:`\hat\omega^2_k` the stationary-bootstrap kernel variance
    (:func:`backtest.stats._kernel.kernel_variances`), :math:`\bar d^*_{k,b}` the
    mean of replication b, and the recentering g: lower :math:`\max(\bar d_k, 0)`,
    consistent :math:`\bar d_k 1[\bar d_k \ge -\sqrt{\hat\omega_k^2/T \cdot 2\log\log
    T}]`, upper :math:`\bar d_k`. When no trial has a positive mean differential,
    :math:`T^{SPA} = 0` and every p is 1. Trials without a t-statistic
    (``n_degenerate``) are left out; one that beats the benchmark by the same
    amount on every bar makes :math:`T^{SPA}` infinite and every p 0.

    The Reality Check (``rc``) uses :math:`\max_k \bar d_k` and
    :math:`\max_k(\bar d^*_{k,b} - g(\bar d_k))` with the same g and bootstrap
    draws, and :math:`p = \frac1B\sum_b 1[\cdot > \max_k \bar d_k]`: what
    ``arch.bootstrap.SPA`` 8.0 computes whatever its ``studentize`` flag.

    Cost: the same as the Reality Check alone plus ~6 passes over a
    (trials × reps) array; 10,000 trials × 16,000 bars × 1,000 replications is
    measured in ``bench/bench_stats.py``.

    References
    ----------
    .. [1] Hansen, P. R. (2005). A test for superior predictive ability. J. Business
       & Economic Statistics 23(4), 365-380.
    .. [2] White, H. (2000). A reality check for data snooping. Econometrica 68(5),
       1097-1126.
    .. [3] Politis, D. N. & Romano, J. P. (1994). The stationary bootstrap. JASA
       89(428), 1303-1313.
    """
    _check(block_size, reps, seed, method)
    matrix = as_matrix(trials, "trials")
    n_bars, n_trials = matrix.shape
    bench = as_vector(benchmark, "benchmark", n_bars)
    if n_bars < 3 or n_trials < 1:
        raise DataError(f"SPA needs at least 3 bars and 1 trial, got {matrix.shape}")
    columns = _distinct_columns(matrix)
    if block_size is None:
        block_size = _default_block_size(matrix, bench, columns)
    problem = _Problem(bench, matrix, columns, int(block_size), int(reps), int(seed))
    spa_sims, rc_sims, t_spa, t_rc, degenerate = _simulate(problem)
    spa = _spa_pvalues(spa_sims, t_spa)
    rc = (rc_sims > t_rc).mean(axis=0)
    if method == "arch":
        rc, t_rc = _arch_pvalues(problem)
    return SPAResult(
        lower=float(spa[0]),
        consistent=float(spa[1]),
        upper=float(spa[2]),
        statistic=t_spa,
        rc=RealityCheck(float(rc[0]), float(rc[1]), float(rc[2]), t_rc),
        block_size=problem.block_size,
        reps=problem.reps,
        n_trials=n_trials,
        n_distinct=int(columns.size),
        n_degenerate=degenerate,
        method=method,
    )


def _arch_pvalues(problem: _Problem) -> tuple[FloatArray, float]:
    from arch.bootstrap import SPA

    spa = SPA(
        -problem.benchmark,
        -problem.trials,
        block_size=problem.block_size,
        reps=problem.reps,
        bootstrap="stationary",
        seed=problem.seed,
    )
    spa.compute()
    statistic = float(np.max((problem.trials - problem.benchmark[:, np.newaxis]).mean(axis=0)))
    return spa.pvalues.to_numpy(dtype=np.float64), statistic
