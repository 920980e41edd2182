"""``tune``: sweep, select on in-sample data only, judge on out-of-sample data only.

The library entry point behind ``backtest tune``: :func:`run_tune` takes a parsed
config whose ``[tune]`` section (merged with the command line) describes the
space and the protocol, and returns an immutable :class:`TuneResult`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
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
    deflated_sharpe_ratio,
    neighbour_stability,
    objective_values,
    parse_gate,
    pbo_cscv,
    spa_test,
)
from backtest.sweep import Segment, SweepOptions, prepare_sweep, run_segments, run_sweep
from backtest.tune._document import assemble
from backtest.tune._protocol import (
    in_sample_positions,
    make_folds,
    oos_positions,
    select_per_fold,
    stitch_segments,
)
from backtest.tune._result import TrialTable, TuneResult
from backtest.tune._space import Space, check_space

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


def _metrics(returns: pd.Series, cash: pd.Series, ppy: int) -> dict[str, float]:
    return {k: float(v) for k, v in compute_metrics(returns, cash, periods_per_year=ppy).items()}


def run_tune(
    config: RunConfig,
    *,
    load: Loader,
    options: SweepOptions | None = None,
    baseline: Mapping[str, Any] | None = None,
    tolerance: float = 0.05,
    progress: Callable[[int], None] | None = None,
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
    tolerance : float
        How much worse (in each gated number's units) than the baseline is allowed.
    progress : callable, optional
        Called with the number of trials finished since the last call.

    Returns
    -------
    TuneResult
    """
    section = config.tune
    space = Space.from_specs(section.params, search=section.search, trials=section.trials,
                             seed=section.seed)
    check_space(config, space)
    gates = [parse_gate(text) for text in section.gates]
    trials = space.draw()
    prepared = prepare_sweep(config.raw, [t.params for t in trials], source=config.source,
                             base_dir=Path(config.source).parent, load=load)
    # tune scores trials with vectorized objectives on its own windows: the sweep's
    # per-trial metrics (a third of a sweep's work at daily frequency) would be thrown away
    sweep = run_sweep(prepared, replace(options or SweepOptions(), metrics=False), progress)
    ppy = config.run.ppy
    index, cash = sweep.index, sweep.cash_returns
    label = _benchmark(config, sweep.benchmarks)
    bench = None if label is None else sweep.benchmarks[label]
    folds = make_folds(section, len(index), ppy)

    def values(objective: Objective, window: Any) -> np.ndarray:
        return objective_values(
            sweep.returns[:, window], cash[window], periods_per_year=ppy,
            objective=objective, benchmark=None if bench is None else bench[window])

    selections = select_per_fold(folds, lambda w: values(section.objective, w), sweep.numbers)
    stitched = run_segments(prepared, [Segment(t, a, b) for t, a, b in stitch_segments(selections)])
    oos_returns = stitched.reindex(index[oos_positions(folds)])
    if oos_returns.isna().any():  # the segments cover every test bar by construction
        raise RuntimeError("tune: the stitched series misses out-of-sample bars (a bug)")
    oos_pos = oos_positions(folds)
    is_pos = in_sample_positions(folds, section.purge)
    table = TrialTable.build(trials, sweep, space, section.objective, values, is_pos, oos_pos,
                             with_excess=bench is not None)
    is_best = int(np.nanargmax(np.where(np.isfinite(table.is_objective),
                                        table.is_objective, -np.inf)))
    excess = sweep.returns - cash[None, :]
    statistics = {
        "deflated_sharpe": deflated_sharpe_ratio(
            excess[is_best, is_pos],
            objective_values(sweep.returns[:, is_pos], cash[is_pos], periods_per_year=1,
                             objective="sharpe", benchmark=None)),
        "pbo": pbo_cscv(sweep.returns, cash, periods_per_year=ppy,
                        metric=section.objective, benchmark=bench),
        "spa": None if bench is None else spa_test(bench - cash, excess.T, seed=section.seed),
        "stability": neighbour_stability(
            table.param_frame, table.oos_objective,
            int(np.searchsorted(sweep.numbers, selections[-1].trial)),
            grid=section.search == "grid"),
    }
    cash_s = pd.Series(cash, index=index)
    summary: dict[str, Any] = {
        "is": {"trial": int(sweep.numbers[is_best]),
               **_metrics(pd.Series(sweep.returns[is_best, is_pos], index=index[is_pos]),
                          cash_s.iloc[is_pos], ppy)},
        "oos": _metrics(oos_returns, cash_s.iloc[oos_pos], ppy),
    }
    benchmark = None
    if bench is not None and label is not None:
        b = pd.Series(bench, index=index, name=label)
        summary["benchmark"] = {"label": label,
                                "is": _metrics(b.iloc[is_pos], cash_s.iloc[is_pos], ppy),
                                "oos": _metrics(b.iloc[oos_pos], cash_s.iloc[oos_pos], ppy)}
        benchmark = (label, b.iloc[oos_pos])
    return assemble(
        config=config, space=space, prepared=prepared, sweep=sweep, table=table,
        selections=selections, oos_returns=oos_returns,
        benchmark=benchmark, summary=summary, statistics=statistics,
        positions=(is_pos, oos_pos), gates=gates, baseline=baseline, tolerance=tolerance,
        versions=library_versions(),
    )
