r"""Does the composite predict the next bar's spread? In sample, and out of sample.

The out-of-sample test is the one of Campbell & Thompson (2008): at each bar the
predictive regression is re-estimated on the past only (an expanding window), its
forecast is compared with the expanding historical mean of the spread, and

.. math:: R^2_{OS} = 1 - \frac{\sum_t (s_t - \hat s_t)^2}{\sum_t (s_t - \bar s_t)^2}

where :math:`\hat s_t = \hat a_{t-1} + \hat b_{t-1} x_{t-1}` and :math:`\bar s_t` use
data up to :math:`t-1` only. :math:`R^2_{OS} > 0` means the signal beat the
historical mean. The Clark & West (2007) MSPE-adjusted statistic tests it (the
naive comparison of mean squared errors is biased against the larger model).
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from backtest.analysis._hac import hac_ols
from backtest.errors import DataError

__all__ = ["OosForecasts", "Predictive", "expanding_forecasts", "predictive_regression"]


@dataclass(frozen=True)
class OosForecasts:
    r"""Expanding-window forecasts of the spread.

    Attributes
    ----------
    model : pd.Series
        :math:`\hat s_t` from the regression estimated on bars before ``t``.
    restricted : pd.Series
        The same with the sign restriction of Campbell & Thompson (2008): when the
        estimated slope has the wrong sign (not ``expected_sign``), the forecast is
        the historical mean.
    mean : pd.Series
        The expanding historical mean :math:`\bar s_t` (bars before ``t``).
    slope : pd.Series
        The slope estimated on bars before ``t``.
    """

    model: pd.Series
    restricted: pd.Series
    mean: pd.Series
    slope: pd.Series


@dataclass(frozen=True)
class Predictive:
    """The predictive regression ``s_t = a + b x_{t-1} + e_t`` and its out-of-sample record.

    Attributes
    ----------
    slope, slope_t : float
        In-sample slope (decimal spread per bar per unit of composite) and its
        Newey–West t-statistic.
    nw_lags, nobs : int
    r2 : float
        In-sample R².
    oos_r2, oos_r2_restricted : float
        Campbell–Thompson out-of-sample R², unrestricted and sign-restricted (NaN if
        there are no forecasts).
    cw_t, cw_p : float
        Clark–West t-statistic (Newey–West) and its one-sided p-value (H1: the
        signal's forecasts beat the mean).
    oos_start : pd.Timestamp or None
        First forecast bar.
    oos_bars : int
    min_train : int
        Bars of history before the first forecast.
    """

    slope: float
    slope_t: float
    nw_lags: int
    nobs: int
    r2: float
    oos_r2: float
    oos_r2_restricted: float
    cw_t: float
    cw_p: float
    oos_start: pd.Timestamp | None
    oos_bars: int
    min_train: int


def expanding_forecasts(
    spread: pd.Series, predictor: pd.Series, *, min_train: int, expected_sign: int = -1
) -> OosForecasts:
    r"""One-step forecasts of ``spread`` from ``predictor``, estimated on the past only.

    Parameters
    ----------
    spread : pd.Series
        :math:`s_t`, no NaN.
    predictor : pd.Series
        :math:`x_{t-1}`, already lagged by the caller (the composite known at the
        previous close), same index, no NaN.
    min_train : int
        Bars of history before the first forecast (>= 3).
    expected_sign : int
        Sign of the slope the thesis predicts (-1: a higher composite, a lower spread).

    Returns
    -------
    OosForecasts
        NaN before the first forecast. The values at ``t`` use rows before ``t``
        only, so changing data at or after ``t`` never changes them (tested).

    Notes
    -----
    With cumulative sums over rows :math:`j < t`: :math:`\hat b_t = (n S_{xy} - S_x
    S_y)/(n S_{xx} - S_x^2)`, :math:`\hat a_t = (S_y - \hat b_t S_x)/n`.
    """
    if min_train < 3:
        raise DataError(f"min_train must be >= 3 bars, got {min_train}")
    if not spread.index.equals(predictor.index):
        raise DataError("spread and predictor must share one index")
    y, x = spread.to_numpy(dtype=np.float64), predictor.to_numpy(dtype=np.float64)
    if not (np.isfinite(y).all() and np.isfinite(x).all()):
        raise DataError("spread and predictor must have no missing values")

    def before(values: np.ndarray) -> np.ndarray:  # sums over rows j < t
        return np.concatenate(([0.0], np.cumsum(values)[:-1]))

    n = np.arange(len(y), dtype=np.float64)
    s_x, s_y, s_xy, s_xx = before(x), before(y), before(x * y), before(x * x)
    with np.errstate(invalid="ignore", divide="ignore"):
        denominator = n * s_xx - s_x * s_x
        slope = np.where(denominator > 1e-300, (n * s_xy - s_x * s_y) / denominator, np.nan)
        intercept = (s_y - slope * s_x) / n
        mean = s_y / n
    ready = n >= min_train
    model = np.where(ready, intercept + slope * x, np.nan)
    right = np.sign(slope) == np.sign(expected_sign)
    restricted = np.where(ready, np.where(right, model, mean), np.nan)
    index = spread.index
    return OosForecasts(
        model=pd.Series(model, index=index, name="forecast"),
        restricted=pd.Series(restricted, index=index, name="forecast_restricted"),
        mean=pd.Series(np.where(ready, mean, np.nan), index=index, name="historical_mean"),
        slope=pd.Series(np.where(ready, slope, np.nan), index=index, name="slope"),
    )


def _r2(actual: np.ndarray, forecast: np.ndarray, benchmark: np.ndarray) -> float:
    den = float(np.sum((actual - benchmark) ** 2))
    return 1.0 - float(np.sum((actual - forecast) ** 2)) / den if den > 0 else np.nan


def predictive_regression(
    spread: pd.Series, predictor: pd.Series, *, min_train: int, expected_sign: int = -1
) -> Predictive:
    """In-sample slope (Newey–West) and out-of-sample R² of the spread on the lagged composite.

    Parameters
    ----------
    spread, predictor, min_train, expected_sign
        As in :func:`expanding_forecasts`.

    Returns
    -------
    Predictive

    References
    ----------
    .. [1] Campbell, J. Y. and Thompson, S. B. (2008), "Predicting Excess Stock
       Returns Out of Sample: Can Anything Beat the Historical Average?", *Review
       of Financial Studies* 21(4), 1509–1531.
    .. [2] Clark, T. E. and West, K. D. (2007), "Approximately Normal Tests for
       Equal Predictive Accuracy in Nested Models", *Journal of Econometrics*
       138(1), 291–311.
    """
    fit = hac_ols(spread.to_numpy(), [predictor.to_numpy()], ["composite"])
    slope, _, slope_t = fit.get("composite")
    fc = expanding_forecasts(spread, predictor, min_train=min_train, expected_sign=expected_sign)
    ok = fc.model.notna().to_numpy()
    y = spread.to_numpy(dtype=np.float64)[ok]
    model, restricted = fc.model.to_numpy()[ok], fc.restricted.to_numpy()[ok]
    mean = fc.mean.to_numpy()[ok]
    cw_t = cw_p = np.nan
    if ok.sum() >= 8:
        adjusted = (y - mean) ** 2 - ((y - model) ** 2 - (mean - model) ** 2)
        if np.std(adjusted) > 0:
            cw_t = hac_ols(adjusted, [], []).t[0]
            cw_p = 1.0 - NormalDist().cdf(cw_t)
    return Predictive(
        slope=slope,
        slope_t=slope_t,
        nw_lags=fit.lags,
        nobs=fit.nobs,
        r2=fit.r2,
        oos_r2=_r2(y, model, mean) if ok.any() else np.nan,
        oos_r2_restricted=_r2(y, restricted, mean) if ok.any() else np.nan,
        cw_t=float(cw_t),
        cw_p=float(cw_p),
        oos_start=spread.index[int(np.argmax(ok))] if ok.any() else None,
        oos_bars=int(ok.sum()),
        min_train=min_train,
    )
