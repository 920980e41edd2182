"""``[thesis]``: what ``backtest thesis`` tests the strategy against, and how."""

from __future__ import annotations

from dataclasses import dataclass

from backtest.data.expr import parse_expr
from backtest.errors import ConfigError

__all__ = ["ThesisSpec"]


#: The most bootstrap resamples a thesis may ask for: each resample holds a copy of
#: the bar positions (20,000 x 16,000 daily bars is 2.6 GB); more do not move a 95%
#: percentile interval at the precision reported.
MAX_BOOTSTRAP_REPS = 20_000


@dataclass(frozen=True, kw_only=True)
class ThesisSpec:
    """``[thesis]``: the mechanism's series, the market, and the bootstrap.

    Parameters
    ----------
    yield_series : str or None
        Macro alias (or expression) of a yield in PERCENT; the spread is regressed
        on its changes (per 100 bp). None: the mechanism is left out (said so).
    credit_series : str or None
        Macro alias (or expression) of a credit spread in percentage points.
    yield_lag_bars : int
        Bars by which the series, as known at a close, trail the bar they describe
        (their publication lag on the run calendar: 1 for daily H.15 yields and for
        monthly averages, 0 for same-close data such as the synthetic market). The
        ex-post mechanism regression pairs the spread of bar ``t`` with the change
        over bar ``t``, published ``yield_lag_bars`` bars later.
    market : str or None
        Asset alias of the market: the second honest alternative (buy and hold).
        None: the market comparison is left out (said so).
    bootstrap_reps : int
        Stationary-bootstrap resamples per interval.
    seed : int
        Seed of every bootstrap.
    confidence : float
        Two-sided coverage of every interval.
    min_bars : int
        A decade or regime with fewer bars gets no interval ("too short").
    min_train_months : int
        History before the first out-of-sample forecast, in months (bars of the
        run calendar: ``round(months * periods_per_year / 12)``).
    """

    yield_series: str | None = None
    credit_series: str | None = None
    yield_lag_bars: int = 1
    market: str | None = None
    bootstrap_reps: int = 1000
    seed: int = 0
    confidence: float = 0.95
    min_bars: int = 12
    min_train_months: int = 60

    def __post_init__(self) -> None:
        for key in ("yield_series", "credit_series"):
            value = getattr(self, key)
            if value is not None:
                parse_expr(value)
        if (self.yield_series is None) != (self.credit_series is None):
            raise ConfigError("thesis: give both yield_series and credit_series, or neither")
        if self.yield_lag_bars < 0:
            raise ConfigError(f"thesis.yield_lag_bars must be >= 0, got {self.yield_lag_bars}")
        if not 0 <= self.seed < 2**63:
            raise ConfigError(f"thesis.seed must be an integer from 0 to 2**63 - 1, got "
                              f"{self.seed}")
        if not 50 <= self.bootstrap_reps <= MAX_BOOTSTRAP_REPS:
            raise ConfigError(
                f"thesis.bootstrap_reps must be between 50 (percentile intervals need "
                f"resamples) and {MAX_BOOTSTRAP_REPS:,} (memory grows with resamples x bars), "
                f"got {self.bootstrap_reps}"
            )
        if not 0.5 <= self.confidence < 1.0:
            raise ConfigError(f"thesis.confidence must be in [0.5, 1), got {self.confidence}")
        if self.min_bars < 4:
            raise ConfigError(f"thesis.min_bars must be >= 4, got {self.min_bars}")
        if self.min_train_months < 1:
            raise ConfigError(
                f"thesis.min_train_months must be >= 1, got {self.min_train_months}"
            )
