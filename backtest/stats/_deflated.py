"""The deflated Sharpe ratio (Bailey & López de Prado 2014) and its parts.

Written here rather than taken from ffn (which has ``calc_expected_max_sharpe`` and
``calc_deflated_sharpe_ratio``, correct on the paper's example — see the tests):
ffn is not a runtime dependency (it comes with ``bt``, a dev tool), importing it
patches pandas (``extend_pandas``, a banned pattern here), its DSR returns only the
final probability (the report needs SR0, the variance and the moments), and it
takes pandas' bias-corrected skew/kurtosis where the authors' derivation uses the
plug-in moments. The formulas are three lines of scipy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from backtest.errors import ConfigError, DataError
from backtest.stats._effective import EffectiveTrials

__all__ = [
    "DeflatedSharpe",
    "deflated_sharpe_ratio",
    "expected_max_sharpe",
    "probabilistic_sharpe_ratio",
]


def expected_max_sharpe(n_trials: float, variance: float) -> float:
    r"""Expected maximum Sharpe ratio of ``n_trials`` skill-less trials (the DSR threshold SR0).

    Parameters
    ----------
    n_trials : float
        Number of independent trials, N >= 1; a real number is accepted (an
        effective number, :func:`effective_trials`).
    variance : float
        Variance of the trials' Sharpe ratios, V >= 0, in the units of the result
        (per-bar Sharpe ratios give a per-bar threshold).

    Returns
    -------
    float
        :math:`SR_0`; exactly 0 for a single trial (nothing was selected).

    Notes
    -----
    .. math::
        SR_0 = \sqrt{V}\left[(1-\gamma)\,\Phi^{-1}\!\left(1-\tfrac1N\right)
               + \gamma\,\Phi^{-1}\!\left(1-\tfrac1{Ne}\right)\right]

    with :math:`\gamma` the Euler-Mascheroni constant (False Strategy theorem;
    the bracket approximates E[max of N standard normals], 2.5306 for N = 100).
    For real N below ~1.29 the bracket turns negative (-0.32 at N = 1.1), while
    the maximum of one or more draws has a mean >= 0: it is floored at 0.

    References
    ----------
    .. [1] Bailey, D. H. & López de Prado, M. (2014). The deflated Sharpe ratio:
       correcting for selection bias, backtest overfitting and non-normality.
       J. Portfolio Management 40(5), 94-107, eq. (3)-(4).
    """
    if (
        isinstance(n_trials, bool)
        or not isinstance(n_trials, int | float | np.integer | np.floating)
        or not n_trials >= 1
        or not math.isfinite(n_trials)
    ):
        raise ConfigError(f"n_trials must be a number >= 1, got {n_trials!r}")
    if not math.isfinite(variance) or variance < 0:
        raise ConfigError(f"variance of the trials' Sharpe ratios must be >= 0, got {variance}")
    if n_trials == 1:
        return 0.0
    gamma = np.euler_gamma
    n = float(n_trials)
    bracket = (1 - gamma) * stats.norm.ppf(1 - 1 / n) + gamma * stats.norm.ppf(1 - 1 / (n * np.e))
    return float(math.sqrt(variance) * max(bracket, 0.0))


def probabilistic_sharpe_ratio(
    sr: float, sr0: float, n_bars: int, skew: float, kurtosis: float
) -> float:
    r"""Probability that the true Sharpe ratio exceeds ``sr0``, given an observed ``sr``.

    Parameters
    ----------
    sr : float
        Observed Sharpe ratio, per bar (not annualized).
    sr0 : float
        Threshold, per bar (0 for PSR; :func:`expected_max_sharpe` for DSR).
    n_bars : int
        Number of returns T the Sharpe ratio was measured on.
    skew : float
        Skewness :math:`\hat\gamma_3` of those returns.
    kurtosis : float
        Kurtosis :math:`\hat\gamma_4` of those returns, NON-excess (3 for a normal).

    Returns
    -------
    float
        PSR in [0, 1]; NaN when undefined (T < 2, non-finite input, or a
        non-positive variance term).

    Notes
    -----
    .. math::
        \widehat{PSR}(SR_0) = \Phi\left[\frac{(\widehat{SR} - SR_0)\sqrt{T-1}}
        {\sqrt{1 - \hat\gamma_3\widehat{SR} + \frac{\hat\gamma_4 - 1}{4}\widehat{SR}^2}}\right]

    References
    ----------
    .. [1] Bailey, D. H. & López de Prado, M. (2012). The Sharpe ratio efficient
       frontier. J. Risk 15(2), 3-44.
    .. [2] Bailey & López de Prado (2014), J. Portfolio Management 40(5), eq. (2).
    """
    values = (sr, sr0, skew, kurtosis)
    if n_bars < 2 or not all(math.isfinite(v) for v in values):
        return math.nan
    variance = 1 - skew * sr + (kurtosis - 1) / 4 * sr**2
    if variance <= 0:
        return math.nan
    return float(stats.norm.cdf((sr - sr0) * math.sqrt(n_bars - 1) / math.sqrt(variance)))


@dataclass(frozen=True)
class DeflatedSharpe:
    """The deflated Sharpe ratio of a return series and every input to it.

    Attributes
    ----------
    dsr : float
        Probability that the series' true Sharpe ratio exceeds SR0.
    sr : float
        Its observed Sharpe ratio, per bar, in excess of ``reference``.
    sr0 : float
        Expected maximum Sharpe ratio of ``n_effective`` skill-less trials, per bar.
    n_trials : int
        Number of trials N run by the search, failed and flat ones included.
    n_effective : float
        Number of independent trials SR0 counts: :math:`N_{eff}` from
        :func:`effective_trials`, or N when none was given.
    effective_method : str
        How ``n_effective`` was counted: ``"n_trials"`` (N itself, as in the
        paper) or :class:`EffectiveTrials`' method.
    variance : float
        Variance (ddof = 1) of the trials' per-bar Sharpe ratios.
    skew : float
        Skewness of the series (plug-in estimator).
    kurtosis : float
        Kurtosis of the series, non-excess (plug-in estimator).
    n_bars : int
        Number of returns T.
    reference : str
        What the series is in excess of (``"cash"``, ``"benchmark 'market'"``).
    """

    dsr: float
    sr: float
    sr0: float
    n_trials: int
    n_effective: float
    effective_method: str
    variance: float
    skew: float
    kurtosis: float
    n_bars: int
    reference: str

    def annualized(self, periods_per_year: int) -> tuple[float, float]:
        """``(sr, sr0)`` times ``sqrt(periods_per_year)``, for display."""
        scale = math.sqrt(periods_per_year)
        return self.sr * scale, self.sr0 * scale


def _effective_count(count: int, effective: EffectiveTrials | None) -> tuple[float, str]:
    if effective is None:
        return float(count), "n_trials"
    if not isinstance(effective, EffectiveTrials):
        raise ConfigError(f"effective must be an EffectiveTrials, got {type(effective).__name__}")
    if effective.n_trials > count:
        raise ConfigError(
            f"effective trials were counted on {effective.n_trials} trials, more than "
            f"n_trials = {count}; give n_trials = every trial run"
        )
    return effective.n_effective, effective.method


def deflated_sharpe_ratio(
    returns: npt.ArrayLike,
    trial_sharpes: npt.ArrayLike,
    *,
    n_trials: int | None = None,
    effective: EffectiveTrials | None = None,
    reference: str = "cash",
) -> DeflatedSharpe:
    r"""Deflated Sharpe ratio of a return series, over every trial of the search that chose it.

    Parameters
    ----------
    returns : array_like of shape (n_bars,)
        The series to deflate, per bar, in excess of ``reference``: the selected
        trial's in-sample excess returns (the paper's use), or the deployed
        selection — the stitched out-of-sample series — in excess of the benchmark.
    trial_sharpes : array_like of shape (n_trials,)
        Per-bar (NOT annualized) Sharpe ratios of ALL trials evaluated, e.g.
        ``objective_values(..., periods_per_year=1, objective="sharpe")``. NaN
        entries (undefined Sharpe: flat trials) are left out of the variance V.
    n_trials : int, optional
        N, every trial the search ran. Default: the length of ``trial_sharpes``
        (flat trials included). Give it when trials failed (they have no Sharpe).
    effective : EffectiveTrials, optional
        :func:`effective_trials` of the trials' returns: SR0 then counts
        :math:`N_{eff}` independent trials instead of N.
    reference : str, default "cash"
        What ``returns`` are in excess of, stated in the result.

    Returns
    -------
    DeflatedSharpe
        DSR with SR, SR0, N, N_eff and its method, V, skew, kurtosis, T and the
        reference; ``dsr`` is NaN when the series has no dispersion.

    Raises
    ------
    DataError
        Fewer than 3 returns or non-finite returns.
    ConfigError
        ``n_trials`` < 1, or fewer than the trials ``effective`` was counted on.

    Notes
    -----
    :math:`DSR = \widehat{PSR}(SR_0)` (:func:`probabilistic_sharpe_ratio`) with
    :math:`SR_0` = :func:`expected_max_sharpe` (:math:`N_{eff}`, V), eq. (2) with
    the False Strategy theorem's threshold, Bailey & López de Prado (2014). SR is
    :math:`\bar x / s_x` (ddof = 1) of the series; skew and kurtosis are the plug-in
    moments :math:`m_3/m_2^{3/2}` and :math:`m_4/m_2^2` (``scipy.stats`` defaults, as
    in the authors' code); V is the sample variance (ddof = 1) of the finite trial
    Sharpe ratios. The paper's example — SR 2.5 a year, N = 100, V = 0.5 a year,
    T = 1,250 daily bars at 250 a year, skew -3, kurtosis 10 — gives SR0 = 0.1132
    per bar and DSR = 0.9004 (tested, with :math:`N_{eff} = N`).

    The paper deflates the selected trial's own (in-sample) Sharpe ratio; a
    series measured out of sample, or in excess of a benchmark, is deflated by
    the same threshold, which then asks whether the deployed selection did better
    than the best of :math:`N_{eff}` skill-less trials would be expected to.

    References
    ----------
    .. [1] Bailey, D. H. & López de Prado, M. (2014). The deflated Sharpe ratio:
       correcting for selection bias, backtest overfitting and non-normality.
       J. Portfolio Management 40(5), 94-107.
    """
    x = np.asarray(returns, dtype=np.float64)
    if x.ndim != 1 or x.size < 3 or not np.isfinite(x).all():
        raise DataError("the returns to deflate must be a finite 1-D series of >= 3 bars")
    sharpes = np.asarray(trial_sharpes, dtype=np.float64).ravel()
    finite = sharpes[np.isfinite(sharpes)]
    count = sharpes.size if n_trials is None else n_trials
    if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 1:
        raise ConfigError(f"n_trials must be an integer >= 1, got {count!r}")
    n_eff, method = _effective_count(int(count), effective)
    variance = float(np.var(finite, ddof=1)) if finite.size >= 2 else 0.0
    sr0 = expected_max_sharpe(n_eff, variance)
    head = (int(count), n_eff, method, variance)
    std = float(np.std(x, ddof=1))
    if std == 0.0 or x.max() == x.min():
        return DeflatedSharpe(math.nan, math.nan, sr0, *head, math.nan, math.nan, x.size,
                              reference)
    sr = float(np.mean(x)) / std
    skew = float(stats.skew(x))
    kurt = float(stats.kurtosis(x, fisher=False))
    dsr = probabilistic_sharpe_ratio(sr, sr0, x.size, skew, kurt)
    return DeflatedSharpe(dsr, sr, sr0, *head, skew, kurt, x.size, reference)
