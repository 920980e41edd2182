r"""Do two duration measures rank the assets alike? Spearman correlation, date by date."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from backtest.errors import DataError

__all__ = ["RankAgreement", "rank_agreement"]


@dataclass(frozen=True)
class RankAgreement:
    """Spearman rank correlation between two per-asset measures over time.

    Attributes
    ----------
    first, second : str
        What was compared (e.g. ``"dcf"`` and ``"empirical"``).
    rho : pd.Series
        Correlation per date (dates with at least ``min_assets`` assets having both).
    mean, median, share_positive, last : float
        Summaries of ``rho`` (NaN without dates).
    assets : int
        Median number of assets compared per date.
    """

    first: str
    second: str
    rho: pd.Series
    mean: float
    median: float
    share_positive: float
    last: float
    assets: int


def _row_ranks(values: np.ndarray) -> np.ndarray:
    """Average ranks per row (NaN stays NaN; +inf ranks last)."""
    return np.asarray(pd.DataFrame(values).rank(axis=1, method="average").to_numpy(),
                      dtype=np.float64)


def rank_agreement(
    first: pd.DataFrame, second: pd.DataFrame, *, names: tuple[str, str],
    dates: pd.DatetimeIndex | None = None, min_assets: int = 3,
) -> RankAgreement:
    r"""Spearman correlation of two measures across assets, on each date.

    Parameters
    ----------
    first, second : pd.DataFrame
        Shape (n_dates, n_assets), same index and columns; NaN = no estimate. ``+inf``
        is allowed (a zero-yield asset with no finite DCF duration ranks longest).
    names : tuple of str
        Labels of the two measures.
    dates : pd.DatetimeIndex, optional
        Dates to compare on (default: every date).
    min_assets : int
        Dates with fewer assets having both measures are skipped.

    Returns
    -------
    RankAgreement

    Notes
    -----
    On each date, :math:`\rho = \mathrm{corr}(\mathrm{rank}(a), \mathrm{rank}(b))` over the
    assets with both values (average ranks for ties). Each date uses that date's
    values only.
    """
    if not first.index.equals(second.index) or list(first.columns) != list(second.columns):
        raise DataError("rank comparison needs two frames with the same dates and assets")
    if dates is not None:
        first, second = first.reindex(dates), second.reindex(dates)
    a = first.to_numpy(dtype=np.float64)
    b = second.to_numpy(dtype=np.float64)
    both = ~np.isnan(a) & ~np.isnan(b) & np.isfinite(b)
    a, b = np.where(both, a, np.nan), np.where(both, b, np.nan)
    ra, rb = _row_ranks(a), _row_ranks(b)
    count = both.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # dates without assets: NaN, skipped
        da = ra - np.nanmean(np.where(both, ra, np.nan), axis=1, keepdims=True)
        db = rb - np.nanmean(np.where(both, rb, np.nan), axis=1, keepdims=True)
        num = np.nansum(da * db, axis=1)
        den = np.sqrt(np.nansum(da * da, axis=1) * np.nansum(db * db, axis=1))
        rho = np.where((count >= min_assets) & (den > 0), num / den, np.nan)
    series = pd.Series(rho, index=first.index, name="spearman").dropna()
    if series.empty:
        return RankAgreement(names[0], names[1], series, np.nan, np.nan, np.nan, np.nan, 0)
    used = count[np.isin(first.index, series.index)]
    return RankAgreement(
        first=names[0],
        second=names[1],
        rho=series,
        mean=float(series.mean()),
        median=float(series.median()),
        share_positive=float((series > 0).mean()),
        last=float(series.iloc[-1]),
        assets=int(np.median(used)),
    )
