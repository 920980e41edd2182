"""Duration sleeves: which assets a strategy holds long-duration and short-duration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from backtest.errors import ConfigError

__all__ = [
    "RankMethod",
    "SleeveMembership",
    "explicit_sleeves",
    "hold_sleeves",
    "rank_sleeves",
]

#: How many assets go in each sleeve: a fixed ``k``, or the top and bottom thirds.
RankMethod = Literal["top_k", "terciles"]
_METHODS: tuple[str, ...] = ("top_k", "terciles")


@dataclass(frozen=True)
class SleeveMembership:
    """Equal-weight long- and short-duration sleeves per date.

    Attributes
    ----------
    long : pd.DataFrame
        DataFrame of shape (n_dates, n_assets): weight ``1/m`` on each of the
        ``m`` longest-duration assets, 0 elsewhere; all-NaN rows where too few
        assets had an estimate.
    short : pd.DataFrame
        Same, for the shortest-duration assets.
    """

    long: pd.DataFrame
    short: pd.DataFrame


def rank_sleeves(durations: pd.DataFrame, *, method: RankMethod, k: int = 3) -> SleeveMembership:
    """Split assets into long- and short-duration sleeves, date by date.

    Parameters
    ----------
    durations : pd.DataFrame
        DataFrame of shape (n_dates, n_assets): each asset's duration estimate
        (years) known at each date, NaN where there is none (e.g. the output of
        :func:`empirical_duration`).
    method : {"top_k", "terciles"}
        ``"top_k"``: the ``k`` longest and the ``k`` shortest; needs at least
        ``2k`` estimates on the date. ``"terciles"``: with ``n`` estimates, the
        ``n // 3`` longest and the ``n // 3`` shortest; needs ``n >= 3``.
    k : int, default 3
        Sleeve size for ``"top_k"``. It has no meaning for ``"terciles"`` and
        must be left at its default there.

    Returns
    -------
    SleeveMembership
        Equal weights per sleeve (each row sums to 1), on the index and columns
        of ``durations``. The sleeves never share an asset.

    Raises
    ------
    ConfigError
        Unknown ``method``, ``k < 1``, or ``k`` set with ``"terciles"``.

    Notes
    -----
    Each row is ranked on its own, so a date's sleeves use only that date's
    estimates (no look-ahead beyond what ``durations`` already holds). Ties are
    broken by asset name: among equal durations, the name that sorts later
    counts as longer. This makes the result independent of column order.
    """
    if method not in _METHODS:
        raise ConfigError(f"unknown sleeve method {method!r}; valid: {', '.join(_METHODS)}")
    if k < 1:
        raise ConfigError(f"k must be >= 1, got {k}")
    if method == "terciles" and k != 3:
        raise ConfigError("k applies only to method='top_k'; drop it for 'terciles'")
    by_name = sorted(durations.columns, key=str)
    ranks = durations[by_name].rank(axis=1, method="first")[durations.columns]
    count = durations.notna().sum(axis=1).to_numpy()[:, np.newaxis]
    if method == "top_k":
        size = np.full_like(count, k)
        enough = count >= 2 * k
    else:
        size = count // 3
        enough = count >= 3
    rank = ranks.to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        weight = np.where(enough, 1.0 / size, np.nan)
    long = np.where(rank > count - size, weight, np.where(enough, 0.0, np.nan))
    short = np.where(rank <= size, weight, np.where(enough, 0.0, np.nan))
    frame = {"index": durations.index, "columns": durations.columns}
    return SleeveMembership(long=pd.DataFrame(long, **frame), short=pd.DataFrame(short, **frame))


def hold_sleeves(membership: SleeveMembership, rerank: npt.ArrayLike) -> SleeveMembership:
    """Keep each date's ranking until the next re-rank date.

    Parameters
    ----------
    membership : SleeveMembership
        Sleeves ranked on every date (:func:`rank_sleeves`).
    rerank : array_like of bool
        One flag per date: re-rank at that close.

    Returns
    -------
    SleeveMembership
        On each date, the ranking of the last re-rank date on or before it that
        had enough estimates (all-NaN before the first such date). Only past
        rankings are carried forward, so a date's sleeves never depend on later
        estimates.

    Raises
    ------
    ConfigError
        ``rerank`` is not one flag per date.
    """
    flags = np.asarray(rerank, dtype=bool)
    if flags.shape != (len(membership.long),):
        raise ConfigError(f"rerank needs one flag per date ({len(membership.long)}), "
                          f"got shape {flags.shape}")

    def hold(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.where(np.broadcast_to(flags[:, np.newaxis], frame.shape)).ffill()
    return SleeveMembership(long=hold(membership.long), short=hold(membership.short))


def explicit_sleeves(
    assets: Sequence[str], index: pd.DatetimeIndex, columns: Sequence[str]
) -> pd.DataFrame:
    """Constant equal weights on named assets: a sleeve set in the config.

    Parameters
    ----------
    assets : sequence of str
        The sleeve's assets; unique, non-empty, each one of ``columns``.
    index : pd.DatetimeIndex
        Dates of the result.
    columns : sequence of str
        All assets of the panel, in order.

    Returns
    -------
    pd.DataFrame
        DataFrame of shape (n_dates, n_assets): ``1/len(assets)`` on each named
        asset and 0 elsewhere, every row.

    Raises
    ------
    ConfigError
        Empty or duplicated ``assets``, or an asset not in ``columns``.
    """
    if not assets:
        raise ConfigError("a sleeve needs at least one asset")
    if len(set(assets)) != len(assets):
        raise ConfigError(f"sleeve assets are duplicated: {list(assets)}")
    unknown = [name for name in assets if name not in columns]
    if unknown:
        raise ConfigError(
            f"sleeve assets {unknown} are not in the panel; valid: {', '.join(columns)}"
        )
    row = np.array([1.0 / len(assets) if name in assets else 0.0 for name in columns])
    return pd.DataFrame(np.tile(row, (len(index), 1)), index=index, columns=list(columns))
