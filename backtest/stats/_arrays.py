"""Input checks shared by the statistics (one place for shapes, dtypes and messages)."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt

from backtest.errors import ConfigError, DataError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Elements per working block when a (n_trials, n_bars) job is cut into row batches:
#: 4 M float64 = 32 MB per temporary, so peak memory stays far below the input's.
BATCH_ELEMENTS: Final = 4_000_000


def as_matrix(values: npt.ArrayLike, name: str) -> FloatArray:
    """Return ``values`` as a finite 2-D float64 array (a view when it already is one)."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2:
        raise DataError(f"{name} must be 2-D, got an array of shape {array.shape}")
    for rows in row_batches(array.shape[0], array.shape[1]):  # no full-size mask
        if not np.isfinite(array[rows]).all():
            raise DataError(f"{name} contains NaN or infinite values; returns must be complete")
    return array


def as_vector(values: npt.ArrayLike, name: str, length: int) -> FloatArray:
    """Return ``values`` as a finite 1-D float64 array of ``length`` elements."""
    array = np.asarray(values, dtype=np.float64)
    if array.shape != (length,):
        raise DataError(f"{name} must have shape ({length},), got {array.shape}")
    if not np.isfinite(array).all():
        raise DataError(f"{name} contains NaN or infinite values; returns must be complete")
    return array


def check_periods_per_year(periods_per_year: int) -> int:
    """Raise :class:`ConfigError` unless ``periods_per_year`` is a positive integer."""
    if isinstance(periods_per_year, bool) or not isinstance(periods_per_year, int | np.integer):
        raise ConfigError(f"periods_per_year must be an integer, got {periods_per_year!r}")
    if periods_per_year < 1:
        raise ConfigError(f"periods_per_year must be >= 1, got {periods_per_year}")
    return int(periods_per_year)


def row_batches(n_rows: int, n_cols: int) -> list[slice]:
    """Slices of at most :data:`BATCH_ELEMENTS` elements (at least one row each)."""
    step = max(1, BATCH_ELEMENTS // max(n_cols, 1))
    return [slice(start, min(start + step, n_rows)) for start in range(0, n_rows, step)]


def as_selector(positions: Any) -> Any:
    """A slice when ``positions`` (ascending bar positions) are a run, else them unchanged.

    Indexing with a slice is a view; with an array of positions, a copy.
    """
    if isinstance(positions, slice):
        return positions
    array = np.asarray(positions)
    if array.ndim == 1 and array.size and array.dtype.kind in "iu" and (
            int(array[-1]) - int(array[0]) + 1 == array.size) and bool(
            np.all(np.diff(array) == 1)):
        return slice(int(array[0]), int(array[-1]) + 1)
    return positions
