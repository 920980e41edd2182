"""``tune``: sweep, select on in-sample data only, judge on out-of-sample data only.

The library entry point behind ``backtest tune``: :func:`run_tune` takes a parsed
config whose ``[tune]`` section (merged with the command line) describes the
space and the protocol, and returns an immutable :class:`TuneResult`.

One function judges a search (:func:`_judge`): the real one, and with
``placebo=N`` each of N placebo searches (:mod:`backtest.tune._placebo`) — the same
folds, selection and statistics on the same sweep, so a placebo differs from the
real search in its signal's timing and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from backtest.config import Objective, RunConfig
from backtest.data.dataset import Loader
from backtest.errors import ConfigError
from backtest.metrics import compute_metrics
from backtest.runner import library_versions
from backtest.stats import (
    DeflatedSharpe,
    Fold,
    Gate,
    Tolerances,
    deflated_sharpe_ratio,
    effective_trials,
    first_best,
    neighbour_stability,
    objective_values,
    parse_tolerances,
    pbo_cscv,
    spa_test,
)
from backtest.stats._arrays import BATCH_ELEMENTS, as_selector, row_batches
from backtest.sweep import (
    PreparedSweep,
    Segment,
    SweepOptions,
    prepare_sweep,
    prestart_workers,
    run_segments,
    run_sweep,
)
from backtest.tune._check import check_tune
from backtest.tune._document import PlaceboSearch, assemble, reads_placebo
from backtest.tune._placebo import PlaceboPlan, placebo_rows, with_placebos
from backtest.tune._protocol import (
    FoldSelection,
    in_sample_positions,
    make_folds,
    oos_positions,
    select_per_fold,
    stitch_segments,
)
from backtest.tune._result import TrialTable, TuneResult

__all__ = ["run_tune"]


def _benchmark(config: RunConfig, returns: Mapping[str, np.ndarray]) -> str | None:
    label = config.tune.benchmark
    if label is None:
        return next(iter(returns), None)
    if label not in returns:
        raise ConfigError(
            f"tune.benchmark: {label!r} is not a benchmark of the config; "
            f"benchmarks: {', '.join(returns) or 'none'}"
        )
    return label


def _params(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())


def _metrics(returns: pd.Series, cash: pd.Series, ppy: int) -> dict[str, float]:
    return {k: float(v) for k, v in compute_metrics(returns, cash, periods_per_year=ppy).items()}


@dataclass(frozen=True, eq=False)
class _Context:
    """What every search of one tune shares: the sweep's bars, cash, benchmark and folds."""

    config: RunConfig
    prepared: PreparedSweep
    index: pd.DatetimeIndex
    cash: np.ndarray
    label: str | None
    bench: np.ndarray | None
    folds: list[Fold]
    is_pos: np.ndarray
    oos_pos: np.ndarray
    n_trials: int

    @property
    def ppy(self) -> int:
        return self.config.run.ppy

    def values(self, returns: np.ndarray, objective: Objective, window: Any) -> np.ndarray:
        """The objective of every row on ``window``, a block of rows at a time.

        A window that is a run of bars is a slice (a view, not a copy), and the
        temporaries are one block's: the statistics after a sweep stay within the
        memory it planned for (each row's value does not depend on the blocks).
        """
        window = as_selector(window)
        cash = self.cash[window]
        bench = None if self.bench is None else self.bench[window]
        out = np.empty(returns.shape[0])
        for rows in row_batches(returns.shape[0], len(cash)):
            out[rows] = objective_values(returns[rows, window], cash, periods_per_year=self.ppy,
                                         objective=objective, benchmark=bench)
        return out


@dataclass(frozen=True, eq=False)
class _Judged:
    """One search judged: the numbers gates read, and (the real search) what the document shows."""

    numbers: dict[str, Any]
    selections: list[FoldSelection]
    oos_returns: pd.Series
    statistics: dict[str, Any]
    table: TrialTable | None


def statistics_bytes(n_trials: int, n_bars: int, reps: int = 1000) -> int:
    """Memory the statistics after a sweep of ``n_trials`` need at most (bytes).

    Kept out of ``--max-memory``'s share for the sweep (``SweepOptions.reserve``): the
    SPA's bootstrap counts (``reps × T``) and one block of trial rows, the sample of
    up to 2,000 rows and its correlations behind N_eff, a block of temporaries of the
    objectives, PBO's per-block summaries, and the per-trial tables of the document.
    The returns matrix itself is the sweep's (it is viewed, never copied, after it).
    """
    row = max(n_bars, 1) * 8
    sample = min(n_trials, 2000)
    spa = 2 * reps * row + 3 * BATCH_ELEMENTS * 8
    effective = sample * row + 3 * sample * sample * 8
    objectives = 4 * BATCH_ELEMENTS * 8
    pbo = n_trials * 16 * 6 * 8 * 2
    tables = n_trials * 4096  # the trial list, as numbers then as JSON
    return spa + effective + objectives + pbo + tables


def _needs(gates: list[Gate]) -> set[str]:
    """The statistics a placebo search computes: those the (non-placebo) gates read."""
    return {name.split(".")[0] for gate in gates for name in gate.names}


def _deflated(ctx: _Context, returns: np.ndarray, oos_returns: pd.Series,
              n_run: int) -> DeflatedSharpe:
    """The deployed selection's deflated Sharpe: the stitched out-of-sample series.

    Measured in excess of the benchmark (of cash without one), against every trial
    run (``n_run``: failed and flat ones included), with the trials' Sharpe dispersion
    on the same bars and reference, and SR0 from the effective number of independent
    trials (:func:`backtest.stats.effective_trials`, from the trials' excess returns
    over the whole window).
    """
    reference = ctx.cash if ctx.bench is None else ctx.bench
    label = "cash" if ctx.bench is None else f"benchmark {ctx.label!r}"
    oos = as_selector(ctx.oos_pos)
    against = reference[oos]
    trial_sharpes = np.empty(returns.shape[0])  # each trial over the same reference, per bar
    for rows in row_batches(returns.shape[0], len(against)):
        trial_sharpes[rows] = objective_values(returns[rows, oos], against, periods_per_year=1,
                                               objective="sharpe")
    return deflated_sharpe_ratio(
        oos_returns.to_numpy() - against, trial_sharpes, n_trials=max(n_run, 1),
        effective=effective_trials(returns, relative_to=reference), reference=label)


def _judge(ctx: _Context, k: int, numbers_of: np.ndarray, returns: np.ndarray,
           params: pd.DataFrame, *, table: TrialTable | None,
           needs: set[str] | None, n_run: int) -> _Judged:
    """Select per fold, stitch the out-of-sample series, compute the search's statistics.

    ``k`` is the search (0 the real one, k >= 1 the k-th placebo); ``returns`` its
    trials' rows and ``numbers_of`` their numbers within the search; ``params`` the
    swept parameters by trial number. ``needs`` (placebos) limits the statistics to
    those the gates read; None computes everything. ``n_run``: trials run (failed
    included), the N of the deflated Sharpe.
    """
    section, ppy, offset = ctx.config.tune, ctx.ppy, k * ctx.n_trials
    selections = select_per_fold(
        ctx.folds, lambda w: ctx.values(returns, section.objective, w), numbers_of)
    segments = [Segment(offset + t, a, b) for t, a, b in stitch_segments(selections)]
    stitched = run_segments(ctx.prepared, segments)
    oos_returns = stitched.reindex(ctx.index[ctx.oos_pos])
    if oos_returns.isna().any():  # the segments cover every test bar by construction
        raise RuntimeError("tune: the stitched series misses out-of-sample bars (a bug)")
    index, cash_s = ctx.index, pd.Series(ctx.cash, index=ctx.index)
    is_pos, oos_pos = ctx.is_pos, ctx.oos_pos
    is_objective = (table.is_objective if table is not None
                    else ctx.values(returns, section.objective, is_pos))
    is_best = first_best(is_objective)  # ties within 1e-12 go to the lowest trial
    summary: dict[str, Any] = {
        "is": {"trial": int(numbers_of[is_best]),
               **_metrics(pd.Series(returns[is_best, is_pos], index=index[is_pos]),
                          cash_s.iloc[is_pos], ppy)},
        "oos": _metrics(oos_returns, cash_s.iloc[oos_pos], ppy),
    }
    if ctx.bench is not None and ctx.label is not None:
        b = pd.Series(ctx.bench, index=index, name=ctx.label)
        summary["benchmark"] = {"label": ctx.label,
                                "is": _metrics(b.iloc[is_pos], cash_s.iloc[is_pos], ppy),
                                "oos": _metrics(b.iloc[oos_pos], cash_s.iloc[oos_pos], ppy)}

    def want(name: str) -> bool:
        return needs is None or name in needs

    statistics: dict[str, Any] = {"deflated_sharpe": None, "pbo": None, "spa": None,
                                  "spa_all": None, "stability": None}
    if want("dsr"):
        statistics["deflated_sharpe"] = _deflated(ctx, returns, oos_returns, n_run)
    if want("pbo"):
        statistics["pbo"] = pbo_cscv(returns, ctx.cash, periods_per_year=ppy,
                                     metric=section.objective, benchmark=ctx.bench)
    if want("spa") and ctx.bench is not None:
        # the differentials (r_k - cash) - (b - cash) are r_k - b: the trials go in as they
        # are (a view of the returns, not an excess copy), against the benchmark's returns
        oos = as_selector(oos_pos)
        statistics["spa"] = spa_test(ctx.bench[oos], returns[:, oos].T, seed=section.seed)
        if needs is None:  # the all-bars version, for the record (in- and out-of-sample)
            statistics["spa_all"] = spa_test(ctx.bench, returns.T, seed=section.seed)
    if want("stability"):
        oos_objective = (table.oos_objective if table is not None
                         else ctx.values(returns, section.objective, oos_pos))
        statistics["stability"] = neighbour_stability(
            params.loc[numbers_of], oos_objective,
            int(np.searchsorted(numbers_of, selections[-1].trial)),
            grid=section.search == "grid")
    return _Judged(numbers=summary, selections=selections, oos_returns=oos_returns,
                   statistics=statistics, table=table)


def run_tune(
    config: RunConfig,
    *,
    load: Loader,
    options: SweepOptions | None = None,
    baseline: Mapping[str, Any] | None = None,
    tolerance: float | Tolerances = 0.05,
    progress: Callable[[str, int, int], None] | None = None,
    placebo: int | None = None,
) -> TuneResult:
    """Sweep ``config.tune``'s space and judge the selection out of sample.

    Parameters
    ----------
    config : RunConfig
        The base config; its ``tune`` section (merged with the command line)
        gives the space, search, objective, protocol and gates.
    load : Loader
        Fetches series (through the cache for remote sources).
    options : SweepOptions, optional
        Executor, workers, memory budget.
    baseline : mapping, optional
        A previous ``tune --json`` document to compare the gated numbers against.
    tolerance : float or Tolerances
        How much worse than the baseline a gated number may get: absolute, in its own
        units (a float), or per number and possibly relative
        (:func:`backtest.stats.parse_tolerances`).
    progress : callable, optional
        Called as ``progress(phase, done, total)``: ``phase`` is "parsing", then
        "preparing markets" (``total`` = the trials), then "running" (``total`` =
        every trial, placebos included); ``done`` counts the trials finished since
        the last call.
    placebo : int, optional
        Re-run the whole search on this many placebo signals (circular shifts of the
        composite, :mod:`backtest.tune._placebo`) and report where the real result
        falls among them (``placebo.p``); 0: none; default: ``[tune] placebo``.

    Returns
    -------
    TuneResult
    """
    section = config.tune
    space, gates, placebo = check_tune(config, placebo=placebo)  # before anything heavy
    if not isinstance(tolerance, Tolerances):
        tolerance = parse_tolerances([str(tolerance)])
    trials = space.draw()
    prestart_workers(options or SweepOptions())  # they start while the sweep is prepared
    report = progress or (lambda phase, done, total: None)
    prepared = prepare_sweep(config.raw, [t.params for t in trials], source=config.source,
                             base_dir=Path(config.source).parent, load=load,
                             progress=lambda phase, n: report(phase, n, len(trials)))
    if not prepared.trials:  # say why, rather than fail later on empty folds
        number, why = next(iter(prepared.invalid.items()))
        raise ConfigError(f"tune: every one of the {len(trials)} trials is invalid; trial "
                          f"{number} ({_params(trials[number].params)}): {why}")
    plan: PlaceboPlan | None = None
    swept = prepared
    if placebo:
        swept, plan = with_placebos(prepared, placebo, seed=section.seed)
    # tune scores trials with vectorized objectives on its own windows: the sweep's
    # per-trial metrics (a third of a sweep's work at daily frequency) would be thrown away
    n_swept = len(swept.trials)
    reserve = partial(statistics_bytes, n_bars=len(swept.index))
    sweep = run_sweep(swept, replace(options or SweepOptions(), metrics=False, reserve=reserve),
                      lambda n: report("running", n, n_swept))
    label = _benchmark(config, sweep.benchmarks)
    folds = make_folds(section, len(sweep.index), config.run.ppy)
    ctx = _Context(config=config, prepared=swept, index=sweep.index, cash=sweep.cash_returns,
                   label=label, bench=None if label is None else sweep.benchmarks[label],
                   folds=folds, is_pos=in_sample_positions(folds, section.purge),
                   oos_pos=oos_positions(folds), n_trials=len(trials))
    rows, numbers_of = placebo_rows(sweep.numbers, len(trials), 0)
    rows = as_selector(rows)  # the real search's rows are a run: a view, not a copy
    if numbers_of.size == 0:
        number, why = min((n, e) for n, e in sweep.failed.items() if n < len(trials))
        raise ConfigError(f"tune: every trial failed while running; trial {number} "
                          f"({_params(trials[number].params)}): {why}")
    real_sweep = replace(sweep, numbers=numbers_of, returns=sweep.returns[rows],
                         failed={n: e for n, e in sweep.failed.items() if n < len(trials)})
    table = TrialTable.build(trials, real_sweep, space, section.objective,
                             lambda o, w: ctx.values(real_sweep.returns, o, w), ctx.is_pos,
                             ctx.oos_pos, with_excess=ctx.bench is not None)
    n_run = len(trials) - len(prepared.invalid)  # every trial run, failed and flat included
    real = _judge(ctx, 0, numbers_of, real_sweep.returns, table.param_frame, table=table,
                  needs=None, n_run=n_run)
    placebos: list[PlaceboSearch] = []
    if plan is not None:
        needs = _needs([g for g in gates if not reads_placebo(g)])
        for k in range(1, plan.n + 1):
            k_rows, k_numbers = placebo_rows(sweep.numbers, len(trials), k)
            failed = sum(1 for n in sweep.failed if k * len(trials) <= n < (k + 1) * len(trials))
            if k_rows.size == 0:  # every trial of this placebo failed: it is judged undefined
                placebos.append(PlaceboSearch(plan.shifts[k - 1], None, None, failed))
                continue
            judged = _judge(ctx, k, k_numbers, sweep.returns[as_selector(k_rows)],
                            table.param_frame,
                            table=None, needs=needs, n_run=n_run)
            placebos.append(PlaceboSearch(plan.shifts[k - 1], judged.numbers,
                                          judged.statistics, failed))
    return assemble(
        config=config, space=space, prepared=prepared, sweep=real_sweep,
        table=table, selections=real.selections, oos_returns=real.oos_returns,
        benchmark=None if ctx.bench is None or label is None else (
            label, pd.Series(ctx.bench, index=ctx.index, name=label).iloc[ctx.oos_pos]),
        summary=real.numbers, statistics=real.statistics,
        positions=(ctx.is_pos, ctx.oos_pos), gates=gates, baseline=baseline,
        tolerance=tolerance, versions=library_versions(),
        placebo=None if plan is None else (plan, placebos),
    )
