"""The thesis, tested: every statistic of ``backtest thesis`` from plain series (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from backtest.analysis._bootstrap import (
    FloatArray,
    IntArray,
    Interval,
    bootstrap_interval,
    expected_block_length,
    rng_for,
)
from backtest.analysis._concentration import Concentration
from backtest.analysis._evidence import AssetClass
from backtest.analysis._mechanism import Mechanism, mechanism
from backtest.analysis._predictive import Predictive, predictive_regression
from backtest.analysis._ranks import RankAgreement
from backtest.analysis._sharpe import SharpeComparison, sharpe_differences
from backtest.analysis._split import IdeaSplit, idea_split
from backtest.analysis._spread import (
    BootstrapSettings,
    PeriodSpread,
    StateSpread,
    decade_spreads,
    regime_spreads,
    state_spread,
)
from backtest.errors import DataError
from backtest.regimes import Regime, regime_masks

__all__ = ["Thesis", "ThesisInputs", "thesis_statistics"]


@dataclass(frozen=True, kw_only=True)
class ThesisInputs:
    """Everything the thesis statistics read, aligned on the bars of one run.

    Attributes
    ----------
    long, short : pd.Series
        Sleeve returns per bar (the run's bars after the first), decimal.
    state : pd.Series
        Risk-off state decided at each close, on the run's window (first bar included).
    composite : pd.Series
        The composite at each close of the window.
    strategy : str
        Label of the strategy whose state is tested.
    strategy_returns : pd.Series
        Its net returns per bar.
    alternatives : mapping of str to pd.Series
        Net returns of the honest alternatives (always short, the market).
    cash : pd.Series
        The cash asset's return per bar.
    yield_change_pp, credit_change_pp : pd.Series or None
        Changes (percentage points) paired with each bar's spread (the caller aligns
        them for publication lags); None when the config names no series.
    catalog : sequence of Regime
    periods_per_year : int
    settings : BootstrapSettings
    min_train : int
        Bars of history before the first out-of-sample forecast.
    durations : RankAgreement or None
        DCF vs empirical duration ranks, when the sleeves compute both.
    notes : tuple of str
        What was left out and why (shown with the verdict).
    idea_date : pd.Timestamp or None
        When the idea was formed (``[run] idea_date``): the headline statistics are
        also computed before and after it.
    concentration : Concentration or None
        The largest single contributor to the strategy's return and the strategy
        without it (run by the caller through the engine).
    asset_classes : mapping of asset class to asset aliases
        What the run holds, for the counter-evidence (empty: the general reference).
    """

    long: pd.Series
    short: pd.Series
    state: pd.Series
    composite: pd.Series
    strategy: str
    strategy_returns: pd.Series
    alternatives: Mapping[str, pd.Series]
    cash: pd.Series
    yield_change_pp: pd.Series | None
    credit_change_pp: pd.Series | None
    catalog: Sequence[Regime]
    periods_per_year: int
    settings: BootstrapSettings
    min_train: int
    durations: RankAgreement | None = None
    notes: tuple[str, ...] = ()
    idea_date: pd.Timestamp | None = None
    concentration: Concentration | None = None
    asset_classes: Mapping[AssetClass, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Thesis:
    """The thesis statistics of one run.

    Attributes
    ----------
    strategy : str
        The strategy whose risk-off state was tested.
    settings : BootstrapSettings
    periods_per_year : int
    start, end : pd.Timestamp
        First and last bar of the spread.
    state : StateSpread
    predictive : Predictive
    mechanism : Mechanism or None
    decades, regimes : list of PeriodSpread
    sharpe : list of SharpeComparison
    durations : RankAgreement or None
    notes : tuple of str
    durations_mean : Interval or None
        The mean of ``durations.rho`` with its stationary-bootstrap interval (the
        dates' correlations are persistent: resampled in blocks); None without at
        least 8 dates.
    idea : IdeaSplit or None
        The evidence before and after ``[run] idea_date``.
    concentration : Concentration or None
    asset_classes : mapping of asset class to asset aliases
    verdict : tuple of str
        Plain-language lines generated from the numbers above
        (:func:`backtest.analysis.write_verdict`).
    """

    strategy: str
    settings: BootstrapSettings
    periods_per_year: int
    start: pd.Timestamp
    end: pd.Timestamp
    state: StateSpread
    predictive: Predictive
    mechanism: Mechanism | None
    decades: list[PeriodSpread]
    regimes: list[PeriodSpread]
    sharpe: list[SharpeComparison]
    durations: RankAgreement | None
    notes: tuple[str, ...] = ()
    durations_mean: Interval | None = None
    idea: IdeaSplit | None = None
    concentration: Concentration | None = None
    asset_classes: Mapping[AssetClass, tuple[str, ...]] = field(default_factory=dict)
    verdict: tuple[str, ...] = field(default=())


def _mean_rho(rho: pd.Series, settings: BootstrapSettings) -> Interval | None:
    """The mean rank correlation over the dates, with a stationary-bootstrap interval."""
    values = rho.to_numpy(dtype=np.float64)
    if len(values) < 8:
        return None

    def statistic(pos: IntArray) -> FloatArray:
        return np.asarray(values[pos].mean(axis=1), dtype=np.float64)

    return bootstrap_interval(statistic, len(values), reps=settings.reps,
                              rng=rng_for(settings.seed, "duration ranks"),
                              confidence=settings.confidence,
                              block_length=expected_block_length(values))


def thesis_statistics(inputs: ThesisInputs) -> Thesis:
    """Compute every statistic of the thesis (see docs/thesis.md).

    Bar ``t``'s spread (long minus short over ``(t-1, t]``) is paired with the
    state and the composite known at the close of ``t-1``.

    Parameters
    ----------
    inputs : ThesisInputs

    Returns
    -------
    Thesis
        With the verdict lines filled in.

    Raises
    ------
    DataError
        Sleeve returns missing inside the window, or a state that never changes.
    """
    from backtest.analysis._verdict import write_verdict

    spread = (inputs.long - inputs.short).rename("spread")
    if spread.isna().any():
        raise DataError("the sleeve returns have missing bars inside the window")
    state_before = inputs.state.shift(1).reindex(spread.index)
    composite_before = inputs.composite.shift(1).reindex(spread.index)
    keep = state_before.notna() & composite_before.notna()
    spread, state_before = spread[keep], state_before[keep].astype(bool)
    composite_before = composite_before[keep]
    if len(spread) < 3:  # a window where the state or the composite is never known
        raise DataError(f"only {len(spread)} bars have a known state and composite; the "
                        "thesis needs more")
    settings, ppy = inputs.settings, inputs.periods_per_year
    mech = None
    if inputs.yield_change_pp is not None and inputs.credit_change_pp is not None:
        mech = mechanism(spread, inputs.yield_change_pp, inputs.credit_change_pp,
                         confidence=settings.confidence)
    index = pd.DatetimeIndex(spread.index)
    masks = list(zip(inputs.catalog, regime_masks(index, inputs.catalog), strict=True))
    thesis = Thesis(
        strategy=inputs.strategy,
        settings=settings,
        periods_per_year=ppy,
        start=index[0],
        end=index[-1],
        state=state_spread(spread, state_before, periods_per_year=ppy, settings=settings),
        predictive=predictive_regression(spread, composite_before, min_train=inputs.min_train),
        mechanism=mech,
        decades=decade_spreads(spread, state_before, periods_per_year=ppy, settings=settings),
        regimes=regime_spreads(inputs.long[keep], inputs.short[keep], masks, settings=settings,
                               periods_per_year=ppy),
        sharpe=sharpe_differences(
            inputs.strategy_returns.rename(inputs.strategy), inputs.alternatives,
            inputs.cash, periods_per_year=ppy, settings=settings,
        ) if inputs.alternatives else [],
        durations=inputs.durations,
        notes=inputs.notes,
        durations_mean=(None if inputs.durations is None
                        else _mean_rho(inputs.durations.rho, settings)),
        idea=None if inputs.idea_date is None else idea_split(
            spread, state_before, idea_date=inputs.idea_date,
            strategy=inputs.strategy_returns.rename(inputs.strategy),
            alternatives=inputs.alternatives, cash=inputs.cash, periods_per_year=ppy,
            settings=settings,
        ),
        concentration=inputs.concentration,
        asset_classes=dict(inputs.asset_classes),
    )
    return replace(thesis, verdict=write_verdict(thesis))
