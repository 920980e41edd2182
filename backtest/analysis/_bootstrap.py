r"""Stationary-bootstrap confidence intervals, vectorized over resamples.

The resamples are those of :class:`arch.bootstrap.StationaryBootstrap` (Politis &
Romano 1994; drawn by :func:`backtest.stats._stationary.stationary_indices`, equal to
arch's bit for bit) with the expected block length of Politis & White (2004, corrected
by Patton, Politis & White 2009), :func:`arch.bootstrap.optimal_block_length`. The
sampler draws the *positions* of each resample; the statistics are then computed for all
resamples at once with numpy (a statistic is a function of an index matrix of shape
``(reps, n)``), which is what makes a thousand resamples of forty sub-samples cheap.
Every bootstrap is seeded: the same ``seed`` and ``label`` give the same interval.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from backtest.errors import ConfigError
from backtest.stats._blocklength import stationary_block_lengths
from backtest.stats._stationary import stationary_indices

__all__ = [
    "Interval",
    "Statistic",
    "bootstrap_interval",
    "bootstrap_p_value",
    "evaluate",
    "expected_block_length",
    "percentile_interval",
    "resample_positions",
    "rng_for",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
#: A statistic of the resamples: positions of shape (reps, n) -> one value per resample.
Statistic = Callable[[IntArray], FloatArray]

# resamples are evaluated in chunks so that (chunk x n) float arrays stay small
_CHUNK_CELLS = 2_000_000


@dataclass(frozen=True)
class Interval:
    """A point estimate and its two-sided confidence interval.

    Attributes
    ----------
    estimate : float
        The statistic on the original sample.
    low, high : float
        Interval bounds (NaN when there is no interval).
    confidence : float
        Nominal coverage, e.g. 0.95.
    method : str
        ``"stationary bootstrap (percentile)"`` or ``"Newey-West (normal)"``.
    reps : int
        Resamples whose statistic was defined (0 for a Newey–West interval).
    block_length : float or None
        Expected block length of the stationary bootstrap, in bars.
    """

    estimate: float
    low: float
    high: float
    confidence: float
    method: str
    reps: int = 0
    block_length: float | None = None

    @property
    def sign(self) -> int:
        """+1 if the interval lies above zero, -1 if below, 0 if it covers zero or is missing."""
        if not (np.isfinite(self.low) and np.isfinite(self.high)):
            return 0
        return 1 if self.low > 0 else -1 if self.high < 0 else 0

    def scaled(self, factor: float) -> Interval:
        """The same interval in other units (``factor`` > 0, e.g. 100 for percent)."""
        return Interval(self.estimate * factor, self.low * factor, self.high * factor,
                        self.confidence, self.method, self.reps, self.block_length)


def rng_for(seed: int, label: str) -> np.random.Generator:
    """A generator seeded by ``seed`` and ``label``: independent streams, order-free.

    Every bootstrap of a thesis gets its own stream, so adding a regime to the
    catalog does not change the intervals of the others.
    """
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(label.encode())]))


def expected_block_length(*series: npt.ArrayLike) -> float:
    """Politis–White expected block length (bars) of the stationary bootstrap.

    Parameters
    ----------
    *series : array_like
        One or more series of the same length with no NaN; the largest of their
        block lengths is used (a paired bootstrap must keep every series' dependence).

    Returns
    -------
    float
        At least 1 and at most a third of the sample; 1 where the estimate is
        undefined (a constant series) or the sample has fewer than 8 bars.

    References
    ----------
    .. [1] Politis, D. N. and White, H. (2004), "Automatic Block-Length Selection for
       the Dependent Bootstrap", *Econometric Reviews* 23(1), 53–70; correction by
       Patton, A., Politis, D. N. and White, H. (2009), *Econometric Reviews* 28(4),
       372–375.
    """
    data = np.column_stack([np.asarray(s, dtype=np.float64) for s in series])
    n = data.shape[0]
    if n < 8:
        return 1.0
    varying = data[:, np.nanstd(data, axis=0) > 0]
    if varying.shape[1] == 0:
        return 1.0
    # arch's optimal_block_length(...)["stationary"], vectorized over the columns
    # (backtest.stats tests it equal to arch's to 1e-10; arch's loop was most of a thesis)
    with np.errstate(all="ignore"):
        lengths = stationary_block_lengths(varying)
    finite = lengths[np.isfinite(lengths)]
    block = float(finite.max()) if finite.size else 1.0
    return float(min(max(block, 1.0), max(1.0, n / 3.0)))


def resample_positions(
    n: int, *, block_length: float, reps: int, rng: np.random.Generator
) -> IntArray:
    """Positions of ``reps`` stationary-bootstrap resamples of ``n`` bars.

    Parameters
    ----------
    n : int
        Sample size (>= 1).
    block_length : float
        Expected block length in bars (>= 1).
    reps : int
        Number of resamples (>= 1).
    rng : numpy.random.Generator
        Seeded generator (:func:`rng_for`).

    Returns
    -------
    ndarray of int64, shape (reps, n)
        Row ``b`` indexes the original bars in resample ``b``: blocks of consecutive
        bars (wrapping around the end) whose lengths are geometric with mean
        ``block_length``.
    """
    if n < 1 or reps < 1:
        raise ConfigError(f"bootstrap needs n >= 1 and reps >= 1, got n={n}, reps={reps}")
    # arch's StationaryBootstrap(block_length, arange(n), seed=rng).update_indices(), reps
    # times, bit for bit, without importing arch (~2 s) or calling it once per resample
    return stationary_indices(n, block_size=block_length, reps=reps, rng=rng)


def percentile_interval(
    estimate: float, draws: FloatArray, confidence: float, block_length: float | None
) -> Interval:
    """Percentile interval of the finite bootstrap ``draws`` around ``estimate``."""
    finite = draws[np.isfinite(draws)]
    method = "stationary bootstrap (percentile)"
    if finite.size < 2 or not np.isfinite(estimate):
        return Interval(estimate, np.nan, np.nan, confidence, method, int(finite.size),
                        block_length)
    alpha = 1.0 - confidence
    low, high = np.quantile(finite, [alpha / 2.0, 1.0 - alpha / 2.0])
    return Interval(float(estimate), float(low), float(high), confidence, method,
                    int(finite.size), block_length)


def bootstrap_interval(
    statistic: Statistic,
    n: int,
    *,
    reps: int,
    rng: np.random.Generator,
    confidence: float,
    block_length: float,
) -> Interval:
    r"""Estimate and percentile interval of ``statistic`` under the stationary bootstrap.

    Parameters
    ----------
    statistic : callable
        Maps positions of shape ``(k, n)`` to ``k`` values (NaN where undefined, e.g.
        a resample without a risk-off bar); ``statistic(arange(n)[None])`` is the
        estimate on the original sample.
    n : int
        Sample size.
    reps : int
        Resamples.
    rng : numpy.random.Generator
    confidence : float
        In (0, 1).
    block_length : float
        Expected block length (:func:`expected_block_length`).

    Returns
    -------
    Interval
        Resamples with an undefined statistic are dropped (``reps`` counts the rest).

    Notes
    -----
    The percentile interval :math:`[\hat\theta^*_{(\alpha/2)}, \hat\theta^*_{(1-\alpha/2)}]`
    of the resampled statistics (Efron & Tibshirani 1993, ch. 13) under the
    stationary bootstrap of Politis & Romano (1994), which keeps the serial
    dependence within blocks of random length.

    References
    ----------
    .. [1] Politis, D. N. and Romano, J. P. (1994), "The Stationary Bootstrap",
       *Journal of the American Statistical Association* 89(428), 1303–1313.
    """
    if not 0.0 < confidence < 1.0:
        raise ConfigError(f"confidence must be in (0, 1), got {confidence}")
    estimate = float(statistic(np.arange(n, dtype=np.int64)[np.newaxis, :])[0])
    positions = resample_positions(n, block_length=block_length, reps=reps, rng=rng)
    return percentile_interval(estimate, evaluate(statistic, positions), confidence, block_length)


def evaluate(statistic: Statistic, positions: IntArray) -> FloatArray:
    """``statistic`` on every row of ``positions``, in chunks that bound the memory used."""
    reps, n = positions.shape
    step = max(1, _CHUNK_CELLS // max(n, 1))
    parts: Sequence[FloatArray] = [
        np.asarray(statistic(positions[i : i + step]), dtype=np.float64)
        for i in range(0, reps, step)
    ]
    return np.concatenate(parts) if parts else np.zeros(0)


def bootstrap_p_value(draws: FloatArray, null: float = 0.0) -> float:
    r"""Two-sided bootstrap p-value of ``null`` from the resampled statistics ``draws``.

    .. math:: p = \min\Big(1,\; 2\,\frac{1 + \min(\#\{\theta^*_b \le \theta_0\},\,
              \#\{\theta^*_b \ge \theta_0\})}{1 + B}\Big)

    over the ``B`` finite draws: twice the share of resamples on the far side of the
    null, the p-value that inverts the percentile interval (the two-sided interval at
    coverage ``1 - a`` excludes the null when ``p < a``, up to the interpolation of
    the quantiles). The ``+1`` counts the sample itself (Davison & Hinkley 1997,
    eq. 4.11), so ``p >= 2/(B + 1)``: never 0 from finitely many resamples. NaN
    without finite draws.
    """
    finite = draws[np.isfinite(draws)]
    if finite.size == 0:
        return float("nan")
    below = int(np.count_nonzero(finite <= null))
    above = int(np.count_nonzero(finite >= null))
    return float(min(1.0, 2.0 * (1 + min(below, above)) / (1 + finite.size)))
