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
package loads scipy and statsmodels: ~2 s).

The draws were most of the cost: two numpy calls per resample, 86,000 in a thesis.
For numpy's default generator (PCG64) they are taken in bulk from its raw output
and cut as numpy cuts them (:func:`_bulk_draws`), chunk by chunk so the arrays stay
in cache. On the thesis's 43,000 resamples: 0.19-0.21 s, against 0.52 s through
arch (best of 6, 2 busy cores).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["stationary_indices"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


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
    out = np.empty((reps, n), dtype=np.int64)
    if n == 0 or reps == 0:
        return out
    # chunks of about 64k bars: the arrays stay in cache (fresh 100 MB temporaries cost
    # more in page faults than the arithmetic), and a Lemire redraw costs one chunk's
    # bulk draws (about a 1% chance per chunk)
    step = min(_chunk_reps(n), max(2, (1 << 16) // n // 2 * 2))
    p = 1.0 / block_size
    for b in range(0, reps, step):
        k = min(step, reps - b)
        draws = _bulk_draws(n, k, rng)
        starts, u = draws if draws is not None else _draws(n, k, rng)
        out[b : b + k] = _walk(starts, u, n, p).reshape(k, n)
    return out


def _walk(starts: IntArray, u: FloatArray, n: int, p: float) -> IntArray:
    """Positions of consecutive resamples from their flat draws (arch's sampler, vectorized).

    A bar continues its block unless ``u <= p`` or it is a resample's first bar; its
    position is the block's draw plus its distance from the block's first bar, wrapped
    at ``n`` (the distance is < n, the draw < n).
    """
    new_block = u <= p
    new_block[::n] = True
    first = np.flatnonzero(new_block)  # each block's first bar (flat position)
    block = np.cumsum(new_block, dtype=np.int64)
    block -= 1  # the block of each bar
    out = (starts[first] - first)[block]
    out += np.arange(len(u), dtype=np.int64)
    out[out >= n] -= n
    return out


def _draws(n: int, reps: int, rng: np.random.Generator) -> tuple[IntArray, FloatArray]:
    """The start draws and uniforms of every resample, one numpy call each (arch's order)."""
    starts = np.empty(reps * n, dtype=np.int64)
    u = np.empty(reps * n, dtype=np.float64)
    for b in range(reps):
        starts[b * n : (b + 1) * n] = rng.integers(n, size=n, dtype=np.int64)
        rng.random(out=u[b * n : (b + 1) * n])
    return starts, u


_LOW = np.uint64(0xFFFFFFFF)


def _chunk_reps(n: int) -> int:
    """Resamples per bulk draw: even, with about a 1% chance of a Lemire redraw.

    Even, so that no 32-bit half is left over between chunks (with ``n`` odd, every
    second resample uses one); a redraw sends its chunk to the calls.
    """
    threshold = (2**32 - n) % n if n > 1 else 0
    if threshold == 0:
        return 1 << 20
    reps = int(0.01 * 2**32 / (threshold * n))
    return max(2, reps - reps % 2)


def _words(n: int, reps: int) -> int:
    """64-bit outputs of PCG64 that ``reps`` resamples of ``n`` bars take, from no half left.

    A resample takes its integers' outputs (two 32-bit halves each) then its ``n``
    uniforms'. With ``n`` odd, every second resample starts with the half its
    predecessor left over, so a pair of resamples takes ``3 n`` outputs.
    """
    if n == 1:  # integers(1) draws nothing
        return reps
    if n % 2 == 0:
        return reps * (n // 2 + n)
    return reps // 2 * 3 * n + reps % 2 * ((n + 1) // 2 + n)


def _bulk_draws(n: int, reps: int, rng: np.random.Generator) -> tuple[IntArray, FloatArray] | None:
    """:func:`_draws` from one block of PCG64's raw output; None where it cannot be exact.

    Two numpy calls per resample cost ~5 us each, most of a thesis's bootstrap. For
    numpy's default bit generator (PCG64) the two draws are, exactly: ``integers(n,
    size=n)`` takes ``n`` 32-bit outputs (the low then the high half of each 64-bit
    output, a half left over kept in the generator for its next 32-bit draw) through
    Lemire's bounded method, ``m = x * n``, draw ``m >> 32``, redrawing when
    ``m mod 2^32`` is below ``(2^32 - n) mod n`` (probability under ``n / 2^32``); and
    ``random(n)`` takes ``n`` 64-bit outputs as ``(w >> 11) * 2^-53``. So the whole
    stream is drawn at once (``random_raw``) and cut the same way. Any redraw, or
    another bit generator, returns None before the generator is touched: the caller
    draws one call at a time. ``tests/stats/test_stationary.py`` checks both paths
    against arch bit for bit, the generator's state after included.
    """
    bits = rng.bit_generator
    before: Any = bits.state  # a dict (numpy types it per generator)
    if type(bits) is not np.random.PCG64 or n >= 2**32 or before["has_uint32"]:
        return None  # another generator, or a half left over by an earlier draw
    words = _words(n, reps)
    has = reps % 2 if n > 1 and n % 2 else 0  # the last resample left a half over
    raw = bits.random_raw(words)
    lemire = np.empty((reps, n), dtype=np.uint64)
    u_raw = np.empty((reps, n), dtype=np.uint64)
    if n == 1:  # integers(1) draws nothing: every start is 0
        lemire[:] = 0
        u_raw[:, 0] = raw
    elif n % 2 == 0:
        block = raw.reshape(reps, n // 2 + n)
        lemire[:] = block[:, : n // 2].view(np.uint32)  # low then high half of each output
        u_raw[:] = block[:, n // 2 :]
    else:  # pairs of resamples: [c0 integer words][n][c1 integer words][n], c0 + c1 = n
        c0, c1 = (n + 1) // 2, (n - 1) // 2
        pairs = -(-reps // 2)
        padded = np.zeros(pairs * 3 * n, dtype=np.uint64)
        padded[:words] = raw
        pair = padded.reshape(pairs, 3 * n)
        lemire[0::2] = pair[: (reps + 1) // 2, :c0].view(np.uint32)[:, :n]
        u_raw[0::2] = pair[: (reps + 1) // 2, c0 : c0 + n]
        odd = reps // 2
        lemire[1::2, 0] = pair[:odd, c0 - 1] >> np.uint64(32)  # the half left over
        lemire[1::2, 1:] = pair[:odd, c0 + n : c0 + n + c1].view(np.uint32)
        u_raw[1::2] = pair[:odd, 2 * n :]
    if n > 1:
        lemire *= np.uint64(n)
        if ((lemire & _LOW) < np.uint64((2**32 - n) % n)).any():
            bits.state = before  # a redraw: the caller's sequential draws keep it exact
            return None
        lemire >>= np.uint64(32)
    after: Any = bits.state
    after["has_uint32"] = has
    if n > 1:  # numpy keeps the last high half it produced, even once used: that of the
        # last integer output, just before the last resample's n uniforms
        after["uinteger"] = int(raw[words - n - 1] >> np.uint64(32))
    bits.state = after
    u_raw >>= np.uint64(11)
    u = u_raw.astype(np.float64)
    u *= 1.0 / 9007199254740992.0
    return lemire.view(np.int64).reshape(-1), u.reshape(-1)
