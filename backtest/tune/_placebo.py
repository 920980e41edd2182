"""Placebo signals: the whole search re-run with a signal that keeps its shape but not its timing.

A gate is only as good as the rate at which it passes a search that has nothing
to find. ``tune --placebo N`` measures that on the user's own search: the
composite signal (every component column with it) is replaced by N **circular
shifts** of itself, each by at least ``min_shift`` bars, and the entire search —
same space, folds, selection, statistics and gates — runs again on each.

Why circular shifts and not stationary-block permutations: a shift keeps every
property of the signal but its alignment with the returns — the same values, so
the same share of time above any threshold (the risk-off share of a level rule)
and the same persistence (its autocorrelation at every lag, except across the one
wrap-around point), and the same regime spells, each moved in one piece. A
block permutation keeps the persistence only up to the block length and cuts the
long spells a cost-of-capital signal has (the 1970s, 2022), which would make a
placebo trade more often than the real rule and fail gates for that reason alone.
The price is fewer distinct placebos (at most ``n_defined - 2 min_shift`` shifts):
the shifts are drawn without replacement, seeded.

The shift is applied to the block of bars from the first to the last defined
composite on the whole calendar (history before the trading window included),
so a strategy's look-backs see the shifted history too. The prices, the sleeves
and the benchmarks are unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from backtest.errors import ConfigError
from backtest.sweep import PreparedSweep
from backtest.sweep._types import MarketSlot, Trial

__all__ = ["PlaceboPlan", "default_min_shift", "placebo_p", "placebo_rows", "placebo_shifts",
           "shift_signal", "with_placebos"]

#: Placebos allowed at most (each re-runs the whole search).
MAX_PLACEBOS = 1000


@dataclass(frozen=True)
class PlaceboPlan:
    """How the placebos were made.

    Attributes
    ----------
    n : int
        Placebos.
    shifts : tuple of int
        Bars each placebo's signal was shifted by (circularly), in placebo order.
    min_shift : int
        The smallest shift allowed (bars).
    defined_bars : int
        Length of the block that is shifted (first to last defined composite).
    seed : int
    """

    n: int
    shifts: tuple[int, ...]
    min_shift: int
    defined_bars: int
    seed: int


def default_min_shift(periods_per_year: int) -> int:
    """Three years of bars: longer than a cost-of-capital cycle's typical spell."""
    return 3 * periods_per_year


def placebo_shifts(n_defined: int, n: int, *, seed: int, min_shift: int) -> npt.NDArray[np.int64]:
    """``n`` distinct circular shifts in ``[min_shift, n_defined - min_shift]``, seeded.

    Raises
    ------
    ConfigError
        When fewer than ``n`` such shifts exist (the signal is too short).
    """
    candidates = np.arange(min_shift, n_defined - min_shift + 1, dtype=np.int64)
    if candidates.size < n:
        raise ConfigError(
            f"--placebo {n}: the signal has {n_defined} defined bars, which allow only "
            f"{max(candidates.size, 0)} distinct circular shifts of at least {min_shift} bars "
            "and of at most its length minus that; ask for fewer placebos")
    rng = np.random.default_rng([seed, 0x9ACEB0])  # a stream of its own, never the search's
    return np.sort(rng.choice(candidates, size=n, replace=False))


def _defined_block(signal: pd.DataFrame) -> tuple[int, int]:
    defined = np.flatnonzero(signal["composite"].notna().to_numpy())
    if defined.size == 0:
        raise ConfigError("--placebo: the composite signal is never defined")
    return int(defined[0]), int(defined[-1]) + 1


def shift_signal(signal: pd.DataFrame, shift: int) -> pd.DataFrame:
    """``signal`` with the rows of its defined block rotated forward by ``shift`` bars.

    Row ``first + (i + shift) % n`` of the result holds row ``first + i`` of the
    block (every column: components and composite); rows outside it are unchanged.
    """
    first, stop = _defined_block(signal)
    values = signal.to_numpy(copy=True)
    values[first:stop] = np.roll(values[first:stop], shift, axis=0)
    return pd.DataFrame(values, index=signal.index, columns=signal.columns)


def with_placebos(prepared: PreparedSweep, n: int, *, seed: int,
                  min_shift: int | None = None) -> tuple[PreparedSweep, PlaceboPlan]:
    """``prepared`` plus ``n`` copies of its trials, each on a shifted signal.

    Placebo ``k`` (0-based) of trial ``j`` is trial number ``(k + 1) * n_trials + j``
    on a market whose signal is :func:`shift_signal` of the real one by
    ``shifts[k]``. The real trials keep their numbers, so the real search is exactly
    what it would be without placebos.
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_PLACEBOS:
        raise ConfigError(f"--placebo must be an integer in 1..{MAX_PLACEBOS}, got {n!r}")
    ppy = prepared.config.run.ppy
    min_shift = default_min_shift(ppy) if min_shift is None else min_shift
    if not prepared.markets:
        raise ConfigError("--placebo: no valid trial to re-run")
    blocks = {_defined_block(slot.market.signal) for slot in prepared.markets}
    n_defined = min(stop - first for first, stop in blocks)
    shifts = placebo_shifts(n_defined, n, seed=seed, min_shift=min_shift)
    markets: list[MarketSlot] = list(prepared.markets)
    trials: list[Trial] = list(prepared.trials)
    for k, shift in enumerate(shifts.tolist()):
        base = len(markets)
        markets += [_shifted(slot, shift) for slot in prepared.markets]
        trials += [replace(t, number=(k + 1) * prepared.n_trials + t.number,
                           market=base + t.market) for t in prepared.trials]
    extended = replace(prepared, markets=tuple(markets), trials=tuple(trials),
                       n_trials=(n + 1) * prepared.n_trials)
    plan = PlaceboPlan(n=n, shifts=tuple(int(s) for s in shifts), min_shift=min_shift,
                       defined_bars=n_defined, seed=seed)
    return extended, plan


def _shifted(slot: MarketSlot, shift: int) -> MarketSlot:
    market = replace(slot.market, signal=shift_signal(slot.market.signal, shift))
    return replace(slot, market=market)


def placebo_rows(numbers: npt.NDArray[np.int64], n_trials: int,
                 k: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Rows of a sweep's result that hold search ``k`` (0 = the real one) and their trials.

    Returns the row positions and the trials' numbers within the search (0..n_trials-1).
    """
    lo, hi = k * n_trials, (k + 1) * n_trials
    rows = np.flatnonzero((numbers >= lo) & (numbers < hi))
    return rows, numbers[rows] - lo


def placebo_p(real: float, placebo: Sequence[float], higher: bool) -> float:
    """Monte Carlo p-value of ``real`` among the placebos: ``(1 + #{as good}) / (N + 1)``.

    "As good" is ``>= real`` (``<=`` when lower is better); an undefined placebo value
    counts as worse, an undefined ``real`` gives NaN. The ``+1`` counts the real search
    as one of the N + 1 equally likely arrangements under the null, which makes
    ``P(p <= a) <= a`` exactly; the bare share of placebos (``#/N``) can be 0 and
    rejects slightly too often (Phipson & Smyth 2010, "Permutation p-values should
    never be zero", Stat. Appl. Genet. Mol. Biol. 9(1)). Its resolution is 1/(N + 1).
    """
    values = np.asarray(placebo, dtype=np.float64)
    if not np.isfinite(real) or values.size == 0:
        return float("nan")
    good = (values >= real if higher else values <= real) & np.isfinite(values)
    return float((1 + np.count_nonzero(good)) / (values.size + 1))
