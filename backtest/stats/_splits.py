"""Train/test splits over bar positions: walk-forward (rolling or anchored) and a holdout."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import numpy as np

from backtest.errors import ConfigError
from backtest.signals import months_to_bars

__all__ = ["Fold", "holdout", "parse_length", "walk_forward"]

_LENGTH: Final = re.compile(r"^\s*(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>m?)\s*$")


@dataclass(frozen=True)
class Fold:
    """One train/test split over bar positions (``returns[:, fold.train]``).

    Attributes
    ----------
    number : int
        1-based position of the fold, as shown to users.
    train : slice
        Bars the trials are ranked on (``step`` is None).
    test : slice
        Bars the selected trial is judged on; starts ``purge`` bars after ``train`` ends.
    """

    number: int
    train: slice
    test: slice

    @property
    def n_train(self) -> int:
        """Bars in the train window."""
        return int(self.train.stop - self.train.start)

    @property
    def n_test(self) -> int:
        """Bars in the test window."""
        return int(self.test.stop - self.test.start)

    @property
    def purge(self) -> int:
        """Bars skipped between the end of ``train`` and the start of ``test``."""
        return int(self.test.start - self.train.stop)


def _count(value: int, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ConfigError(f"{name} must be a whole number of bars, got {value!r}")
    if value < minimum:
        raise ConfigError(f"{name} must be >= {minimum} bars, got {value}")
    return int(value)


def parse_length(
    value: int | str, periods_per_year: int, *, name: str = "length", allow_zero: bool = False
) -> int:
    """Turn a length given in bars (``36``, ``"36"``) or months (``"36m"``) into bars.

    Parameters
    ----------
    value : int or str
        Bars as an integer or a string of digits, or months as digits followed by
        ``m`` (``"36m"``, ``"1.5m"``).
    periods_per_year : int
        Bars per year of the run calendar.
    name : str, default "length"
        What the value is (``"train"``, ``"purge"``...), for the error message.
    allow_zero : bool, default False
        Accept 0 (a purge gap may be empty; a window may not).

    Returns
    -------
    int
        Bars: as given, or ``months_to_bars(months, periods_per_year)``
        = round(months × periods_per_year / 12), at least 1 — the rule of the
        signal horizons (``horizon_months``).

    Raises
    ------
    ConfigError
        Anything else: negative, fractional bars, unknown unit, zero when not allowed.

    Examples
    --------
    >>> parse_length("36m", 252), parse_length("36", 12), parse_length(6, 12)
    (756, 36, 6)
    """
    minimum = 0 if allow_zero else 1
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return _count(int(value), name, minimum)
    match = _LENGTH.match(value) if isinstance(value, str) else None
    if match is None or (not match["unit"] and "." in match["number"]):
        raise ConfigError(
            f"{name} must be a whole number of bars (36) or months ('36m'), got {value!r}"
        )
    number = float(match["number"])
    if not match["unit"]:
        return _count(int(number), name, minimum)
    if number == 0:
        return _count(0, name, minimum)
    return months_to_bars(number, periods_per_year)


def walk_forward(
    n_bars: int,
    *,
    train: int,
    test: int,
    step: int | None = None,
    purge: int = 0,
    anchored: bool = False,
    partial_test: bool = False,
) -> list[Fold]:
    r"""Walk-forward folds: train on a window, test on the next one, move on by ``step``.

    Parameters
    ----------
    n_bars : int
        Length of the sample.
    train : int
        Bars of each train window (the first one when ``anchored``); at least 2.
    test : int
        Bars of each test window.
    step : int, optional
        Bars between the starts of consecutive test windows; defaults to ``test``
        (contiguous test windows). Must be ``>= test``: overlapping test windows
        would count bars twice in the stitched out-of-sample series.
    purge : int, default 0
        Bars dropped between each train window and its test window, so that
        information straddling the boundary (lagged signals, overlapping
        horizons) cannot leak into the test.
    anchored : bool, default False
        Every train window starts at bar 0 (expanding) instead of rolling.
    partial_test : bool, default False
        Keep a last, shorter test window that reaches the end of the sample
        (skfolio's ``reduce_test``); by default it is dropped.

    Returns
    -------
    list of Fold
        At least one fold; test windows move strictly forward and never overlap.

    Raises
    ------
    ConfigError
        Lengths that are not whole bars, ``step < test``, or a sample too short
        for one fold (``train + purge + test > n_bars``).

    Notes
    -----
    Fold :math:`j` (from 0) tests on :math:`[a_j, a_j + test)` with
    :math:`a_j = train + purge + j \cdot step` and trains on
    :math:`[a_j - purge - train, a_j - purge)` (or :math:`[0, a_j - purge)` when
    anchored). With ``step = test`` these are skfolio's ``WalkForward(test_size,
    train_size, purged_size, expend_train=anchored, reduce_test=partial_test)``
    splits, checked against the examples of its documentation.

    References
    ----------
    .. [1] Delatte, H. et al. skfolio, ``skfolio.model_selection.WalkForward``.
    .. [2] López de Prado, M. (2018). Advances in Financial Machine Learning, Wiley,
       ch. 7 (purging).
    """
    n = _count(n_bars, "n_bars", 1)
    n_train = _count(train, "train", 2)
    n_test = _count(test, "test", 1)
    n_step = n_test if step is None else _count(step, "step", 1)
    gap = _count(purge, "purge", 0)
    if n_step < n_test:
        raise ConfigError(
            f"step ({n_step} bars) is shorter than test ({n_test} bars): test windows "
            "would overlap and count bars twice out of sample; use step >= test"
        )
    folds: list[Fold] = []
    start = n_train + gap
    while start < n:
        stop = start + n_test
        if stop > n and not partial_test:
            break
        train_stop = start - gap
        train_start = 0 if anchored else train_stop - n_train
        window = slice(start, min(stop, n))
        folds.append(Fold(len(folds) + 1, slice(train_start, train_stop), window))
        start += n_step
    if not folds:
        raise ConfigError(
            f"walk-forward needs train + purge + test = {n_train} + {gap} + {n_test} = "
            f"{n_train + gap + n_test} bars, the data has {n}; shorten the windows"
        )
    return folds


def holdout(n_bars: int, fraction: float = 0.3, purge: int = 0) -> list[Fold]:
    """A single split: the last ``fraction`` of the bars is the test window.

    Parameters
    ----------
    n_bars : int
        Length of the sample.
    fraction : float, default 0.3
        Share of the bars held out at the end, in (0, 1); the test window has
        ``floor(fraction × n_bars + 0.5)`` bars (at least 1).
    purge : int, default 0
        Bars dropped between the train window and the test window.

    Returns
    -------
    list of Fold
        One fold (a list, like :func:`walk_forward`).

    Raises
    ------
    ConfigError
        ``fraction`` outside (0, 1), or fewer than 2 train bars left.
    """
    n = _count(n_bars, "n_bars", 1)
    gap = _count(purge, "purge", 0)
    if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 < fraction < 1:
        raise ConfigError(f"holdout fraction must be in (0, 1), got {fraction!r}")
    n_test = max(1, int(fraction * n + 0.5))
    n_train = n - n_test - gap
    if n_train < 2:
        raise ConfigError(
            f"holdout {fraction:g} of {n} bars with purge {gap} leaves {n_train} train "
            "bars; need at least 2"
        )
    return [Fold(1, slice(0, n_train), slice(n_train + gap, n))]
