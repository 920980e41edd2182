"""A run's thesis, timing, attribution and signal contributions.

The statistics themselves are pure (:mod:`backtest.analysis`); this module
gathers their inputs from a :class:`~backtest.runner.RunResult` and runs the two
honest alternatives of the thesis — always the short-duration sleeve, and the
market — through the same engine, costs and execution lag as the run.

Examples
--------
>>> import backtest
>>> run = backtest.run()  # doctest: +SKIP
>>> thesis = backtest.evaluate_thesis(run)  # doctest: +SKIP
>>> for line in thesis.verdict: print(line)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from backtest.analysis import (
    Attribution,
    BootstrapSettings,
    Concentration,
    MetricsByState,
    RankAgreement,
    Thesis,
    ThesisInputs,
    attribute,
    bar_contributions,
    classify_assets,
    compound,
    concentration,
    largest_contributor,
    metrics_by_state,
    rank_agreement,
    thesis_statistics,
)
from backtest.data.expr import parse_expr
from backtest.engine import BacktestResult, run_backtest
from backtest.errors import ConfigError, DataError
from backtest.regimes import regime_timing
from backtest.runner import RunResult, prepare_market
from backtest.signals import component_contributions, months_to_bars
from backtest.strategies import load_strategy
from backtest.strategy import Decision, MarketData, rebalance_mask

__all__ = [
    "ALWAYS_SHORT",
    "RunAnalysis",
    "alternatives",
    "analyze",
    "bootstrap_settings",
    "evaluate_thesis",
    "metrics_by_regime",
    "without_asset",
    "without_largest_contributor",
]

#: Label of the always-short-sleeve alternative.
ALWAYS_SHORT = "always short"


@dataclass(frozen=True)
class RunAnalysis:
    """Everything issue-9 analysis adds to a run's outputs.

    Attributes
    ----------
    thesis : Thesis or None
        None when the strategy under test has no risk-off state (``skipped`` says so).
    skipped : str or None
    timing : pd.DataFrame
        :func:`backtest.regimes.regime_timing` of the strategy under test (empty
        without a state).
    attribution : dict of str to Attribution
        Per strategy label (the run's strategies, in order).
    contributions, present : pd.DataFrame
        Per component: signed contribution to the composite and presence flag, on
        the run's window (:func:`backtest.signals.component_contributions`).
    by_state : MetricsByState or None
        The headline metrics of the strategy under test and its benchmark per regime
        and per decided state, with the thesis' bootstrap settings
        (:func:`backtest.analysis.metrics_by_state`); None for analyses built by hand.
    """

    thesis: Thesis | None
    skipped: str | None
    timing: pd.DataFrame
    attribution: dict[str, Attribution]
    contributions: pd.DataFrame
    present: pd.DataFrame
    by_state: MetricsByState | None = None


def _market(run: RunResult) -> MarketData:
    return run.market if run.market is not None else prepare_market(run.config, run.dataset)


def alternatives(run: RunResult) -> dict[str, BacktestResult]:
    """The thesis' honest alternatives, executed like the run's strategies (same engine).

    Always the short-duration sleeve (``always_short``, rebalanced monthly) and,
    when ``[thesis] market`` names an asset, buying and holding it.
    """
    cfg, market = run.config, _market(run)
    prices = run.dataset.prices.loc[run.window]
    specs: dict[str, tuple[str, dict[str, str]]] = {ALWAYS_SHORT: ("always_short", {})}
    if cfg.thesis.market is not None:
        specs[f"market ({cfg.thesis.market})"] = ("buy_and_hold", {"asset": cfg.thesis.market})
    out = {}
    for label, (kind, params) in specs.items():
        strategy = load_strategy(kind, params, f"thesis alternative {label!r}")
        out[label] = run_backtest(
            strategy.decide(market), prices, cash=run.dataset.cash, costs=cfg.costs,
            execution_lag=cfg.run.execution_lag, periods_per_year=run.dataset.periods_per_year,
            initial_capital=cfg.run.initial_capital, label=label, kind=kind,
            engine=run.engine,
        )
    return out


def _changes(run: RunResult, expression: str) -> pd.Series:
    """Changes (percentage points) of a macro expression over each bar it describes.

    The data layer shows each value at its publication; the ex-post mechanism
    regression pairs the change over bar ``t`` with the spread of bar ``t``, so the
    known changes are moved back by ``yield_lag_bars`` (no decision uses them).
    """
    level = parse_expr(expression).evaluate(lambda alias: run.dataset.macro[alias])
    return level.diff().shift(-run.config.thesis.yield_lag_bars)


def _duration_ranks(run: RunResult, market: MarketData) -> RankAgreement | None:
    empirical = market.sleeves.empirical
    durations = market.sleeves.durations
    if empirical is None or durations is None:  # only DCF sleeves carry both
        return None
    window = run.window
    dates = window[rebalance_mask(window, "monthly")]
    columns = [c for c in durations.columns if c != run.dataset.cash]
    return rank_agreement(durations[columns], empirical[columns], names=("DCF", "empirical"),
                          dates=dates)


def without_asset(run: RunResult, asset: str) -> BacktestResult:
    """The strategy under test with ``asset``'s target weight held in the cash asset.

    Each decision is kept as it was except that the asset's target weight goes to
    the cash asset; the targets run through the same engine, costs and execution lag
    as the run. Keeping the rest of each decision (rather than re-weighting a sleeve
    over its remaining assets) answers "what did this one asset add", not "what would
    another strategy have done". Bar ``t``'s return uses data up to ``t`` only, as
    the run's does (tested).
    """
    main, cash = run.main, run.dataset.cash
    if asset not in main.targets.columns or asset == cash:
        raise ConfigError(f"without_asset: {asset!r} is not a non-cash asset of the run")
    targets = main.targets.copy()
    traded = targets.notna().any(axis=1)
    moved = targets.loc[traded, asset].fillna(0.0)
    targets.loc[traded, cash] = targets.loc[traded, cash].fillna(0.0) + moved
    targets.loc[traded, asset] = 0.0
    cfg = run.config
    return run_backtest(
        Decision(weights=targets, risk_off=main.risk_off), run.dataset.prices.loc[run.window],
        cash=cash, costs=cfg.costs, execution_lag=cfg.run.execution_lag,
        periods_per_year=run.dataset.periods_per_year,
        initial_capital=cfg.run.initial_capital, label=f"{main.label} without {asset}",
        kind=main.kind, engine=run.engine,
    )


def without_largest_contributor(run: RunResult) -> Concentration | None:
    """The strategy under test's largest contributor, and the strategy without it.

    The contributions are the attribution over the run (wealth-weighted, they add up
    to the compounded net return); the asset with the largest absolute contribution,
    the cash asset excepted, is removed by :func:`without_asset`. None when no asset
    contributed anything.
    """
    main, cash = run.main, run.dataset.cash
    prices = run.dataset.prices.loc[run.window]
    bars = bar_contributions(main.weights, prices.pct_change(fill_method=None), main.returns)
    contributions = compound(bars)
    chosen = largest_contributor(contributions, exclude=(cash,))
    if chosen is None:
        return None
    asset, contribution = chosen
    return concentration(
        strategy=main.label, asset=asset, contribution=contribution,
        total=float(contributions.sum()), returns=main.returns,
        returns_without=without_asset(run, asset).returns, cash=main.cash_returns,
        periods_per_year=run.dataset.periods_per_year,
    )


def _notes(run: RunResult) -> tuple[str, ...]:
    spec, notes = run.config.thesis, []
    if spec.yield_series is None:
        notes.append("Mechanism left out: set [thesis] yield_series and credit_series.")
    if spec.market is None:
        notes.append("Market comparison left out: set [thesis] market = ASSET.")
    return tuple(notes)


def bootstrap_settings(
    run: RunResult, *, reps: int | None = None, seed: int | None = None
) -> BootstrapSettings:
    """The thesis' bootstrap settings: ``[thesis]`` with ``reps`` and ``seed`` overridden."""
    spec = run.config.thesis
    return BootstrapSettings(
        reps=spec.bootstrap_reps if reps is None else reps,
        seed=spec.seed if seed is None else seed,
        confidence=spec.confidence,
        min_bars=spec.min_bars,
    )


def metrics_by_regime(
    run: RunResult, *, reps: int | None = None, seed: int | None = None
) -> MetricsByState:
    """The strategy under test and its benchmark: headline metrics per regime and state.

    CAGR, volatility, Sharpe, Sortino, max drawdown and total return over each catalog
    regime's bars and over the bars after a risk-off / risk-on close of the strategy
    under test, with the thesis' stationary-bootstrap intervals
    (:func:`backtest.analysis.metrics_by_state`).
    """
    main = run.main
    settings = bootstrap_settings(run, reps=reps, seed=seed)
    if settings.reps < 1:
        raise ConfigError(f"metrics by regime: reps must be >= 1, got {settings.reps}")
    subjects = {main.label: main.returns}
    bench = main.benchmark_label
    if bench is not None and bench != main.label and bench in run.results:
        subjects[bench] = run.results[bench].returns
    return metrics_by_state(
        subjects, main.cash_returns, run.catalog,
        state=main.risk_off,
        state_of=main.label, periods_per_year=run.dataset.periods_per_year, settings=settings,
    )


def evaluate_thesis(run: RunResult, *, reps: int | None = None, seed: int | None = None) -> Thesis:
    """Test the thesis on ``run`` (the strategy under test's risk-off state).

    Parameters
    ----------
    run : RunResult
    reps, seed : int, optional
        Override ``[thesis] bootstrap_reps`` and ``seed``.

    Returns
    -------
    Thesis

    Raises
    ------
    ConfigError
        The strategy under test has no risk-off state.
    """
    main, spec = run.main, run.config.thesis
    if main.risk_off is None:
        raise ConfigError(
            f"thesis: the strategy under test {main.label!r} ({main.kind}) has no risk-off "
            "state; use binary_rotation, graded_tilt, duration_targeting or trend_rule"
        )
    settings = bootstrap_settings(run, reps=reps, seed=seed)
    if settings.reps < 1:
        raise ConfigError(f"thesis: reps must be >= 1, got {settings.reps}")
    market = _market(run)
    alts = alternatives(run)
    bars = run.sleeve_returns.iloc[1:]
    inputs = ThesisInputs(
        long=bars["long"],
        short=bars["short"],
        state=main.risk_off,
        composite=run.signal["composite"],
        strategy=main.label,
        strategy_returns=main.returns,
        alternatives={label: r.returns for label, r in alts.items()},
        cash=main.cash_returns,
        yield_change_pp=None if spec.yield_series is None else _changes(run, spec.yield_series),
        credit_change_pp=(None if spec.credit_series is None
                          else _changes(run, spec.credit_series)),
        catalog=run.catalog,
        periods_per_year=run.dataset.periods_per_year,
        settings=settings,
        min_train=months_to_bars(spec.min_train_months, run.dataset.periods_per_year),
        durations=_duration_ranks(run, market),
        notes=_notes(run),
        idea_date=None if run.config.run.idea_date is None else pd.Timestamp(
            run.config.run.idea_date),
        concentration=without_largest_contributor(run),
        asset_classes=classify_assets({
            alias: spec.id for alias, spec in run.config.data.assets.items()
            if alias != run.dataset.cash
        }),
    )
    try:
        return thesis_statistics(inputs)
    except DataError as exc:
        raise DataError(f"thesis of {main.label!r}: {exc}") from None


def analyze(run: RunResult, *, reps: int | None = None, seed: int | None = None) -> RunAnalysis:
    """Thesis, regime timing, attribution and signal contributions of ``run``.

    The thesis is left out (``skipped`` says why) when it cannot be computed: the
    strategy under test has no risk-off state, its state never changes over the
    window, or the window is too short for the statistics. ``backtest thesis``
    turns that reason into its one-line error; ``backtest run`` writes it in the JSON.
    """
    thesis, skipped = None, None
    try:
        thesis = evaluate_thesis(run, reps=reps, seed=seed)
    except (ConfigError, DataError) as exc:  # no state, a state that never changes, too few bars
        skipped = str(exc)
    state = run.main.risk_off
    timing = (regime_timing(state.astype(bool), run.catalog) if state is not None
              else pd.DataFrame())
    prices = run.dataset.prices.loc[run.window]
    asset_returns = prices.pct_change(fill_method=None)
    attribution = {
        label: attribute(r.weights, asset_returns, r.returns, run.catalog)
        for label, r in run.results.items()
    }
    contributions, present = component_contributions(run.config.signal, run.signal)
    return RunAnalysis(thesis, skipped, timing, attribution, contributions, present,
                       by_state=metrics_by_regime(run, reps=reps, seed=seed))

