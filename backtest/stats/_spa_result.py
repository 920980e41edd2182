"""The results of the SPA test (what a gate reads), apart from the test's heavy imports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["RealityCheck", "SPAMethod", "SPAResult"]

SPAMethod = Literal["fast", "arch"]

_SPA_LABEL: Final = (
    "Hansen (2005) SPA: studentized T_SPA = max(max_k sqrt(T) mean(d_k) / omega_k, 0), "
    "stationary bootstrap"
)
_RC_LABEL: Final = (
    "White (2000) Reality Check statistic max_k mean(d_k), not studentized, with "
    "Hansen (2005) recentering; = arch.bootstrap.SPA 8.0"
)


@dataclass(frozen=True)
class RealityCheck:
    r"""White's Reality Check statistic with Hansen's recentering (arch 8.0's ``SPA``).

    Attributes
    ----------
    lower, consistent, upper : float
        Bootstrap p-values of :math:`\max_k \bar d_k` (not studentized) with the
        bootstrap means recentered by Hansen's :math:`g_l`, :math:`g_c`,
        :math:`g_u`; ``upper`` (every mean recentered to 0) is White's (2000)
        original Reality Check. Conservative when poor, erratic trials are
        searched: kept beside the SPA for comparison with earlier reports.
    statistic : float
        :math:`\max_k \bar d_k`, per bar (not floored).
    label : str
        What these numbers are, for readers of the JSON.
    """

    lower: float
    consistent: float
    upper: float
    statistic: float
    label: str = _RC_LABEL


@dataclass(frozen=True)
class SPAResult:
    r"""Hansen's SPA p-values, the Reality Check beside them, and what produced them.

    Attributes
    ----------
    lower, consistent, upper : float
        Hansen's (2005) p-values of the studentized :math:`T^{SPA}` (trials worse
        than the benchmark never recentered / only those within the log-log bound
        recentered / all recentered). Small means some trial beats the
        benchmark; ``consistent`` is the one to read.
    statistic : float
        :math:`T^{SPA}`, floored at 0; ``inf`` when some trial beats the benchmark
        by the same amount on every bar.
    rc : RealityCheck
        The non-studentized statistic on the same bootstrap draws.
    block_size : int
        Mean block length of the stationary bootstrap.
    reps : int
        Bootstrap replications.
    n_trials : int
        Trial columns tested.
    n_distinct : int
        Distinct trial columns (identical ones change no p-value).
    n_degenerate : int
        Distinct trials without a t-statistic: a constant differential (largest
        and smallest value tied within 1e-12 relative, :math:`\hat\omega_k` = 0 up
        to rounding), or returns tied with the benchmark's on every bar (a
        differential of rounding noise). Left out of :math:`T^{SPA}`.
    method : {"fast", "arch"}
        Which implementation computed ``rc`` (the SPA is always the batched path).
    label : str
        What ``lower``/``consistent``/``upper`` are, for readers of the JSON.
    """

    lower: float
    consistent: float
    upper: float
    statistic: float
    rc: RealityCheck
    block_size: int
    reps: int
    n_trials: int
    n_distinct: int
    n_degenerate: int
    method: SPAMethod
    label: str = _SPA_LABEL
