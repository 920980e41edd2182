r"""OLS with Newey–West (HAC) standard errors, through statsmodels."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from backtest.analysis._bootstrap import Interval
from backtest.errors import DataError

__all__ = ["HacFit", "hac_ols", "newey_west_lags"]

FloatArray = npt.NDArray[np.float64]


def newey_west_lags(n: int) -> int:
    r"""Bartlett-kernel truncation lag :math:`\lfloor 4 (n/100)^{2/9} \rfloor`.

    The rule of Newey & West (1994), the usual default (also Stata's ``newey``
    guidance and statsmodels' examples).

    Examples
    --------
    >>> newey_west_lags(100), newey_west_lags(818), newey_west_lags(2400)
    (4, 6, 8)

    References
    ----------
    .. [1] Newey, W. K. and West, K. D. (1994), "Automatic Lag Selection in
       Covariance Matrix Estimation", *Review of Economic Studies* 61(4), 631–653.
    """
    lags: int = math.floor(4.0 * (max(n, 1) / 100.0) ** (2.0 / 9.0))
    return lags


@dataclass(frozen=True)
class HacFit:
    """An OLS fit with Newey–West standard errors.

    Attributes
    ----------
    names : tuple of str
        Regressor names, the constant first (``"const"``).
    coef, se, t : tuple of float
        Coefficients, HAC standard errors and t-statistics, in ``names`` order.
    nobs : int
    lags : int
        Bartlett-kernel truncation lag.
    r2 : float
    """

    names: tuple[str, ...]
    coef: tuple[float, ...]
    se: tuple[float, ...]
    t: tuple[float, ...]
    nobs: int
    lags: int
    r2: float

    def get(self, name: str) -> tuple[float, float, float]:
        """``(coef, se, t)`` of one regressor."""
        i = self.names.index(name)
        return self.coef[i], self.se[i], self.t[i]

    def interval(self, name: str, confidence: float, factor: float = 1.0) -> Interval:
        """Normal-approximation interval ``coef ± z·se`` of one coefficient, times ``factor``."""
        coef, se, _ = self.get(name)
        z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
        low, high = sorted(((coef - z * se) * factor, (coef + z * se) * factor))
        return Interval(coef * factor, low, high, confidence, "Newey-West (normal)")


def hac_ols(
    y: npt.ArrayLike, regressors: Sequence[npt.ArrayLike], names: Sequence[str],
    *, lags: int | None = None,
) -> HacFit:
    r"""OLS of ``y`` on a constant and ``regressors`` with Newey–West standard errors.

    Parameters
    ----------
    y : array_like
        Dependent variable, shape (n,); rows where ``y`` or a regressor is NaN are dropped.
    regressors : sequence of array_like
        Each of shape (n,).
    names : sequence of str
        One name per regressor.
    lags : int, optional
        Truncation lag; default :func:`newey_west_lags` of the rows used.

    Returns
    -------
    HacFit

    Raises
    ------
    DataError
        Fewer rows than regressors + 3, or a regressor without variance.

    Notes
    -----
    statsmodels ``OLS(...).fit(cov_type="HAC", cov_kwds={"maxlags": L})``: the
    Bartlett-kernel estimator of Newey & West (1987),
    :math:`(X'X)^{-1}\big(\sum_t x_t u_t^2 x_t' + \sum_{l=1}^{L}(1 - \tfrac{l}{L+1})
    (\Gamma_l + \Gamma_l')\big)(X'X)^{-1}`, without a small-sample correction
    (checked against this formula in the tests); t-statistics use the normal
    distribution.

    References
    ----------
    .. [1] Newey, W. K. and West, K. D. (1987), "A Simple, Positive Semi-Definite,
       Heteroskedasticity and Autocorrelation Consistent Covariance Matrix",
       *Econometrica* 55(3), 703–708.
    """
    from statsmodels.regression.linear_model import OLS

    columns = [np.asarray(y, dtype=np.float64)] + [np.asarray(x, dtype=np.float64)
                                                    for x in regressors]
    data = np.column_stack(columns)
    data = data[np.isfinite(data).all(axis=1)]
    k = len(regressors) + 1
    if data.shape[0] < k + 3:
        raise DataError(f"regression needs at least {k + 3} complete rows, got {data.shape[0]}")
    spread = data[:, 1:].std(axis=0)
    if not (spread > 0).all():
        flat = [str(n) for n, s in zip(names, spread, strict=True) if s <= 0]
        raise DataError(f"regression: {', '.join(flat)} has no variance")
    n = data.shape[0]
    use = newey_west_lags(n) if lags is None else lags
    design = np.column_stack([np.ones(n), data[:, 1:]])
    fit = OLS(data[:, 0], design).fit(cov_type="HAC", cov_kwds={"maxlags": use})
    return HacFit(
        names=("const", *names),
        coef=tuple(float(v) for v in fit.params),
        se=tuple(float(v) for v in fit.bse),
        t=tuple(float(v) for v in fit.tvalues),
        nobs=n,
        lags=use,
        r2=float(fit.rsquared),
    )
