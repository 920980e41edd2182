"""Stationary-bootstrap index draws: arch's ``StationaryBootstrap``, all resamples at once.

``arch.bootstrap.StationaryBootstrap(block_size, x, seed=rng).update_indices()``
draws ``n`` start positions (``rng.integers(n, size=n)``) and ``n`` uniforms
(``rng.random(n)``), then walks the bars: bar ``i`` continues the block of bar
``i - 1`` (the next position, wrapping to 0 at ``n``) when ``u[i] > 1 / block_size``
and starts a new block at its own draw otherwise (Politis & Romano 1994). Here
the same two draws are made for each resample in the same order, so the generator
yields the same numbers, and the walk is done for every resample at once with
numpy: a bar's position is the start of its block plus its distance from that
start, modulo ``n``. The indices equal arch's bit for bit for the same generator
(``tests/stats/test_stationary.py``), without importing arch (its bootstrap
package loads scipy and statsmodels: ~2 s). The draws themselves, which must be
made one resample at a time to keep arch's stream, are most of the cost: a
thesis's 43,000 resamples take about as long as through arch (~0.6 s on 2 busy
cores), the walk's numpy passes costing what arch's per-call overhead did.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["stationary_indices"]

IntArray = npt.NDArray[np.int64]


def stationary_indices(
    n: int, *, block_size: float, reps: int, rng: np.random.Generator
) -> IntArray:
    """Positions of ``reps`` stationary-bootstrap resamples of ``n`` bars, as arch draws them.

    Parameters
    ----------
    n : int
        Sample size (>= 1).
    block_size : float
        Expected block length in bars (>= 1): a new block starts at a bar with
        probability ``1 / block_size``.
    reps : int
        Number of resamples (>= 0).
    rng : numpy.random.Generator
        Consumed exactly as ``reps`` calls of arch's ``update_indices`` consume it.

    Returns
    -------
    ndarray of int64, shape (reps, n)
        Row ``b`` equals the ``b``-th ``update_indices()`` of
        ``arch.bootstrap.StationaryBootstrap(block_size, np.arange(n), seed=rng)``.
    """
    starts = np.empty(reps * n, dtype=np.int64)
    u = np.empty(reps * n, dtype=np.float64)
    for b in range(reps):  # the draws of one resample, in arch's order
        starts[b * n : (b + 1) * n] = rng.integers(n, size=n, dtype=np.int64)
        rng.random(out=u[b * n : (b + 1) * n])
    if n == 0 or reps == 0:
        return starts.reshape(reps, n)
    # one flat walk over all resamples: a bar continues its block unless u <= p or it
    # is a resample's first bar; its position is the block's draw plus its distance
    # from the block's first bar, wrapped at n (the distance is < n, the draw < n)
    flat = np.arange(reps * n, dtype=np.int64)
    new_block = u <= 1.0 / block_size
    new_block[::n] = True
    block_start = np.maximum.accumulate(np.where(new_block, flat, 0))
    out = starts[block_start]
    out += flat
    out -= block_start
    out[out >= n] -= n
    return out.reshape(reps, n)
