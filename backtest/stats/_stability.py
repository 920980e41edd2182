"""Stability of the selected point: its out-of-sample objective against its neighbours'."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from backtest.errors import ConfigError
from backtest.stats._arrays import FloatArray, IntArray

__all__ = ["Stability", "neighbour_stability"]


@dataclass(frozen=True)
class Stability:
    """The selected trial's objective against its neighbours'.

    Attributes
    ----------
    own : float
        Out-of-sample objective of the selected trial.
    neighbour_median : float
        Median objective of its neighbours with a defined value (NaN if none).
    ratio : float
        ``neighbour_median / own`` when ``own > 0``, else NaN (a ratio to a
        non-positive number says nothing about a peak).
    n_neighbours : int
        Neighbours with a defined value.
    sharp_peak : bool
        ``own > 0`` and, with at least one neighbour, ``neighbour_median <= 0`` or
        ``ratio < threshold``: the selected point stands alone.
    neighbours : tuple of int
        Row positions of the neighbours used.
    method : {"grid", "nearest"}
        Grid steps, or the k nearest in rank-normalized parameter space.
    k : int
        Neighbours asked for by ``"nearest"`` (0 for ``"grid"``).
    """

    own: float
    neighbour_median: float
    ratio: float
    n_neighbours: int
    sharp_peak: bool
    neighbours: tuple[int, ...]
    method: Literal["grid", "nearest"]
    k: int


def _same(column: pd.Series, value: object) -> npt.NDArray[np.bool_]:
    """Rows equal to ``value`` (NaN equals NaN: an unset parameter matches itself)."""
    if pd.isna(value):  # type: ignore[call-overload,unused-ignore]  # scalars only here
        return np.asarray(column.isna(), dtype=bool)
    return np.asarray(column == value, dtype=bool)


def _grid_neighbours(params: pd.DataFrame, selected: int) -> IntArray:
    """Rows differing from ``selected`` in exactly one parameter, by one grid step."""
    row = params.iloc[selected]
    equal = np.column_stack([_same(params[c], row[c]) for c in params.columns])
    found: list[int] = []
    for j, name in enumerate(params.columns):
        others = np.delete(equal, j, axis=1).all(axis=1) & ~equal[:, j]
        column = params[name]
        if pd.api.types.is_numeric_dtype(column) and not pd.isna(row[name]):
            levels = np.sort(column.dropna().unique())
            at = int(np.searchsorted(levels, row[name]))
            steps = [levels[i] for i in (at - 1, at + 1) if 0 <= i < levels.size]
            others &= column.isin(steps).to_numpy()
        found.extend(np.flatnonzero(others).tolist())
    return np.array(sorted(found), dtype=np.int64)


def _rank_space(params: pd.DataFrame) -> tuple[FloatArray, list[bool]]:
    """Numeric columns as ranks scaled to [0, 1]; categorical ones as codes."""
    n = len(params)
    columns, numeric = [], []
    for name in params.columns:
        column = params[name]
        if pd.api.types.is_numeric_dtype(column):
            ranks = column.rank(method="average").to_numpy(dtype=np.float64)
            columns.append(np.nan_to_num((ranks - 1) / max(n - 1, 1), nan=-1.0))
            numeric.append(True)
        else:
            columns.append(pd.factorize(column, use_na_sentinel=False)[0].astype(np.float64))
            numeric.append(False)
    return np.column_stack(columns), numeric


def _nearest(params: pd.DataFrame, values: FloatArray, selected: int, k: int) -> IntArray:
    """The ``k`` trials with a defined value closest to ``selected`` (ties: lower row first)."""
    space, numeric = _rank_space(params)
    delta = space - space[selected]
    for j, is_numeric in enumerate(numeric):
        if not is_numeric:
            delta[:, j] = (delta[:, j] != 0).astype(np.float64)
    distance = np.sqrt(np.square(delta).sum(axis=1))
    candidates = np.flatnonzero(np.isfinite(values) & (np.arange(values.size) != selected))
    order = candidates[np.argsort(distance[candidates], kind="stable")]
    return np.sort(order[:k])


def neighbour_stability(
    params: pd.DataFrame,
    values: npt.ArrayLike,
    selected: int,
    *,
    grid: bool,
    k: int | None = None,
    threshold: float = 0.5,
) -> Stability:
    r"""Median out-of-sample objective of the selected trial's neighbours, against its own.

    Parameters
    ----------
    params : DataFrame of shape (n_trials, n_params)
        The value of each swept parameter for each trial (numeric or categorical).
    values : array_like of shape (n_trials,)
        Out-of-sample objective of each trial; NaN where undefined.
    selected : int
        Row position of the selected trial.
    grid : bool
        True: neighbours are the trials that differ in exactly one parameter, by
        one step along that parameter's sorted distinct values (any other value
        for a categorical parameter). False (random search): the ``k`` nearest
        trials in rank-normalized parameter space.
    k : int, optional
        Neighbours for random search; default ``2 × n_params``, as many as an
        inner point of a grid has.
    threshold : float, default 0.5
        ``ratio`` below which the selected point is a sharp peak.

    Returns
    -------
    Stability

    Raises
    ------
    ConfigError
        ``params`` and ``values`` of different lengths, ``selected`` out of range,
        ``k < 1``.

    Notes
    -----
    Rank normalization maps each numeric parameter to
    :math:`(\mathrm{rank} - 1)/(n - 1)` (average ranks), so a log-spaced and a
    linear parameter weigh the same; categorical parameters add 1 to the squared
    distance when they differ. Neighbours whose value is NaN are left out (for
    ``"nearest"``, the next nearest defined trials are used). A grid point with
    holes (skipped combinations) simply has fewer neighbours.

    References
    ----------
    .. [1] Pardo, R. (2008). The Evaluation and Optimization of Trading Strategies,
       2nd ed., Wiley, ch. 11 (robust parameter regions, not isolated peaks).
    """
    vals = np.asarray(values, dtype=np.float64).ravel()
    if len(params) != vals.size:
        raise ConfigError(f"params has {len(params)} rows but values has {vals.size}")
    if isinstance(selected, bool) or not 0 <= selected < vals.size:
        raise ConfigError(f"selected trial {selected!r} is not a row of the {vals.size} trials")
    if k is not None and k < 1:
        raise ConfigError(f"k must be >= 1, got {k}")
    frame = params.reset_index(drop=True)
    wanted = 2 * max(frame.shape[1], 1) if k is None else int(k)
    if grid:
        found = _grid_neighbours(frame, selected)
        found = found[np.isfinite(vals[found])]
    else:
        found = _nearest(frame, vals, selected, wanted)
    own = float(vals[selected])
    median = float(np.median(vals[found])) if found.size else math.nan
    ratio = median / own if own > 0 and found.size else math.nan
    sharp = bool(own > 0 and found.size > 0 and (median <= 0 or ratio < threshold))
    return Stability(
        own=own,
        neighbour_median=median,
        ratio=ratio,
        n_neighbours=int(found.size),
        sharp_peak=sharp,
        neighbours=tuple(int(i) for i in found),
        method="grid" if grid else "nearest",
        k=0 if grid else wanted,
    )
