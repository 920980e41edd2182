"""The sweep's specs and results: frozen dataclasses, no logic beyond validation."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from backtest.config import CostModel, RunConfig
from backtest.data.dataset import SeriesInfo
from backtest.errors import ConfigError
from backtest.strategy import MarketData

__all__ = [
    "EXECUTORS",
    "Executor",
    "MarketSlot",
    "PreparedSweep",
    "Segment",
    "SweepOptions",
    "SweepResult",
    "Trial",
    "check_scheduler_address",
]

#: Where chunks of trials run: this process, a local process pool, or Dask.
Executor = Literal["local", "processes", "dask"]
EXECUTORS: tuple[str, ...] = ("local", "processes", "dask")

Floats = npt.NDArray[np.float64]


#: Address schemes of dask.distributed's comms.
_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx", "inproc")
#: ``host``, ``host:port``, ``[ipv6]`` or ``[ipv6]:port`` (parsed here, not by urllib: the
#: only network code lives in backtest.data).
_HOST_PORT = re.compile(r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<host>[^:/\[\]\s]*))"
                        r"(?::(?P<port>[^/]*))?")


def check_scheduler_address(address: str) -> None:
    """``tcp://host:8786`` and its kin; anything else is one line before any connection.

    Raises
    ------
    ConfigError
        No scheme, a scheme Dask does not speak (``http://``), no host, or a port that
        is not a number from 1 to 65535.
    """
    text = address.strip()
    where = f"--scheduler {address!r}"
    scheme, sep, rest = text.partition("://")
    if not sep or scheme not in _SCHEMES:
        raise ConfigError(f"{where}: expected a Dask scheduler address such as "
                          f"tcp://host:8786 (schemes: {', '.join(_SCHEMES)})")
    if scheme == "inproc":
        return
    match = _HOST_PORT.fullmatch(rest.rstrip("/"))
    if match is None or not (match["host"] or match["ipv6"]):
        raise ConfigError(f"{where}: no host (e.g. tcp://127.0.0.1:8786)")
    port = match["port"]
    if port is not None and not (port.isdigit() and 1 <= int(port) <= 65535):
        raise ConfigError(f"{where}: the port must be a number from 1 to 65535")


@dataclass(frozen=True)
class SweepOptions:
    """How a sweep runs; never what it computes (results are identical for any options).

    Parameters
    ----------
    executor : {"local", "processes", "dask"}
        ``local``: this process. ``processes``: a local pool of ``workers``
        processes. ``dask``: a ``dask.distributed`` cluster — the one at
        ``scheduler``, or a ``LocalCluster`` of ``workers`` processes.
    workers : int or None
        Processes for ``processes`` and a local Dask cluster; default: all cores.
    scheduler : str or None
        Address of a running Dask scheduler (``tcp://host:8786``); ``dask`` only.
    max_memory : int or None
        Bytes the sweep may use on this machine (the retained returns matrix,
        every process's chunk and the processes themselves); default
        ``min(RAM / 4, 4 GiB)``.
    chunk_trials : int or None
        Force the number of trials per task (default: sized from ``max_memory``).
    start_timeout_s : float
        Seconds to start a local cluster or reach ``scheduler`` and a worker.
    metrics : bool
        Compute every trial's metrics (``SweepResult.metrics``); they are more than
        half of a sweep's work at daily frequency. ``False``: returns only, and
        ``metrics`` has no columns.
    connect_timeout_s : float
        Seconds to reach the Dask scheduler at ``scheduler`` and hear it answer as one
        (a refused port, a wrong host or a listener that is not Dask is one line after
        at most this long).
    reserve : int or callable
        Bytes of ``max_memory`` the caller keeps for what follows the sweep (``tune``'s
        statistics), or a function of the number of trials giving them (then a refusal
        says how many trials would fit); the sweep plans its chunks within the rest.
    returns : bool
        Keep every trial's returns (``SweepResult.returns``, ``n_trials × n_bars × 8``
        bytes, sent back by workers elsewhere). ``False``: metrics only — workers send
        no series, nothing is retained per bar, and the memory budget holds far more
        trials; ``returns`` then has no columns. Needs ``metrics``.
    """

    executor: Executor = "local"
    workers: int | None = None
    scheduler: str | None = None
    max_memory: int | None = None
    chunk_trials: int | None = None
    start_timeout_s: float = 60.0
    metrics: bool = True
    connect_timeout_s: float = 10.0
    reserve: int | Callable[[int], int] = 0
    returns: bool = True

    def __post_init__(self) -> None:
        if self.executor not in EXECUTORS:
            raise ConfigError(
                f"unknown executor {self.executor!r}; valid: {', '.join(EXECUTORS)}"
            )
        for name in ("workers", "max_memory", "chunk_trials"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or value < 1):
                raise ConfigError(f"sweep option {name} must be a positive integer, got {value}")
        if not self.start_timeout_s > 0:
            raise ConfigError(f"start_timeout_s must be > 0, got {self.start_timeout_s}")
        if self.scheduler is not None and self.executor != "dask":
            raise ConfigError("a scheduler address needs the dask executor (--executor dask)")
        if self.scheduler is not None:
            check_scheduler_address(self.scheduler)
        if not 0 < self.connect_timeout_s <= 3600:
            raise ConfigError(f"connect timeout must be in (0, 3600] s, got "
                              f"{self.connect_timeout_s}")
        if not (self.returns or self.metrics):
            raise ConfigError("a sweep with neither returns nor metrics computes nothing; "
                              "keep one (returns=True or metrics=True)")


@dataclass(frozen=True)
class Segment:
    """Follow trial ``trial``'s decisions on decision rows ``first``..``last`` (inclusive).

    Rows are positions on the sweep's common price window (``PreparedSweep.index``).
    """

    trial: int
    first: int
    last: int


@dataclass(frozen=True, eq=False)
class MarketSlot:
    """One distinct market (data, signal, sleeves) on the common window.

    Attributes
    ----------
    market : MarketData
        What the strategies see; ``market.index`` is the common window.
    close : ndarray, shape (n_bars, n_assets)
        Prices on the window (C-contiguous, what the kernel reads).
    cash_col : int
        Column of the cash asset.
    cash_returns : pd.Series
        The cash asset's return on every bar after the first.
    """

    market: MarketData
    close: Floats
    cash_col: int
    cash_returns: pd.Series


@dataclass(frozen=True)
class Trial:
    """A valid trial: its strategy, its market and its engine settings."""

    number: int
    market: int
    strategy: Any
    label: str
    kind: str
    costs: CostModel
    execution_lag: int
    initial_capital: float
    periods_per_year: int
    benchmark: int | None = None  # position in PreparedSweep.benchmark_returns


@dataclass(frozen=True, eq=False)
class PreparedSweep:
    """Everything a sweep needs, loaded and computed once; shipped once per worker.

    Attributes
    ----------
    config : RunConfig
        The base config with the common window applied (``run.start``/``run.end``).
    window : tuple of str
        ``(run.start, run.end)`` applied to every trial, ISO dates.
    index : pd.DatetimeIndex
        The common price window (``n_bars`` dates); returns are on ``index[1:]``.
    markets : tuple of MarketSlot
    trials : tuple of Trial
        The valid trials, by ascending number.
    invalid : mapping of int to str
        Trial number → why its config or strategy could not be built.
    benchmarks : mapping of str to ndarray
        The base config's benchmarks, label → returns on ``index[1:]``.
    cash_returns : ndarray
        The base config's cash asset's returns on ``index[1:]``.
    n_trials : int
        Number of trials asked for (valid and invalid).
    benchmark_returns : tuple of pd.Series
        The benchmarks trials are measured against (beta, alpha, information
        ratio, tracking error), one per distinct market, engine setting and label.
    fingerprint : str
        The base dataset's fingerprint (sha256 of every input value and date).
    sources : tuple of SeriesInfo
        The base dataset's series (alias, id, lag, first/last date...).
    conventions : mapping
        The conventions of the base config on the common window (as in a run's JSON).
    """

    config: RunConfig
    window: tuple[str, str]
    index: pd.DatetimeIndex
    markets: tuple[MarketSlot, ...]
    trials: tuple[Trial, ...]
    invalid: Mapping[int, str]
    benchmarks: Mapping[str, Floats]
    cash_returns: Floats
    n_trials: int
    fingerprint: str
    sources: tuple[SeriesInfo, ...]
    conventions: Mapping[str, Any]
    benchmark_returns: tuple[pd.Series, ...] = ()

    def trial(self, number: int) -> Trial:
        """The valid trial ``number``; ConfigError if it is invalid or unknown."""
        for trial in self.trials:
            if trial.number == number:
                return trial
        why = self.invalid.get(number)
        raise ConfigError(
            f"trial {number} is invalid ({why})" if why is not None
            else f"trial {number} does not exist (0..{self.n_trials - 1})"
        )


@dataclass(frozen=True, eq=False)
class SweepResult:
    """N trials' exact net returns and metrics on one common window.

    Attributes
    ----------
    index : pd.DatetimeIndex
        Dates of the returns: the common window minus its first bar.
    window : tuple of str
        The ``run.start`` / ``run.end`` applied to every trial.
    numbers : ndarray of int64, shape (n_ok,)
        Trial numbers (positions in the ``trials`` given), ascending.
    returns : ndarray of float64, shape (n_ok, n_bars)
        Net returns (no columns when ``SweepOptions.returns`` is False); row ``i`` is
        trial ``numbers[i]``, equal to what
        ``backtest run`` gives with the trial's parameters and the window.
    metrics : pd.DataFrame
        Shape (n_ok, n_metrics), index = trial numbers: every
        :class:`~backtest.metrics.Metric`, computed as ``BacktestResult.stats()``.
    cash_returns : ndarray, shape (n_bars,)
        The cash asset's returns (the risk-free rate of Sharpe and Sortino).
    benchmarks : mapping of str to ndarray
        The base config's benchmarks, label → returns, each run once.
    invalid : mapping of int to str
        Trial number → why it was skipped (its config or strategy cannot be built).
    failed : mapping of int to str
        Trial number → ``"ExcType: message"`` raised while running it.
    """

    index: pd.DatetimeIndex
    window: tuple[str, str]
    numbers: npt.NDArray[np.int64]
    returns: Floats
    metrics: pd.DataFrame
    cash_returns: Floats
    benchmarks: Mapping[str, Floats]
    invalid: Mapping[int, str]
    failed: Mapping[int, str]
