"""Every trial of a sweep equals `backtest run` with its overrides and the common window.

A random sample of trials of every strategy kind (the four signal-driven kinds
through decide_batch, the benchmark kinds through the generic decide path), on the
embedded default config and on the synthetic config, with signal parameters,
costs and the execution lag swept too: returns to 1e-10, every metric to 1e-10,
and the benchmarks of the base config.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pytest
from sweep_support import KIND_PARAMS, SIGNAL_PARAMS, prepared_sweep, random_trials, run_config

from backtest.errors import ConfigError
from backtest.sweep import run_sweep

CASES = [(config, kind) for config in ("default", "synthetic") for kind in KIND_PARAMS]


@pytest.mark.parametrize(("config", "kind"), CASES)
def test_sampled_trials_equal_backtest_run(config: str, kind: str) -> None:
    rng = np.random.default_rng(zlib.crc32(f"{config}/{kind}".encode()))  # reproducible
    trials = random_trials(rng, config, kind, 10)
    prepared = prepared_sweep(config, kind, trials)
    result = run_sweep(prepared)
    assert len(result.numbers) + len(result.invalid) + len(result.failed) == len(trials)
    assert not result.failed, result.failed
    assert len(result.numbers) >= 2, result.invalid
    batched = kind in ("binary_rotation", "graded_tilt", "duration_targeting", "trend_rule")
    sample = rng.choice(result.numbers, size=2 if batched else 1, replace=False)
    for number in sample:
        row = int(np.flatnonzero(result.numbers == number)[0])
        run = run_config(config, kind, trials[number], result.window)
        main = run.main
        assert main.returns.index.equals(result.index)
        np.testing.assert_allclose(result.returns[row], main.returns.to_numpy(), rtol=0,
                                   atol=1e-10)
        np.testing.assert_allclose(result.metrics.loc[number].to_numpy(),
                                   main.stats()[result.metrics.columns].to_numpy(),
                                   rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(result.cash_returns, main.cash_returns.to_numpy(), atol=0)
    for number, why in list(result.invalid.items())[:2]:
        with pytest.raises(ConfigError) as info:
            run_config(config, kind, trials[number], None)
        assert str(info.value) == why or why in str(info.value)


@pytest.mark.parametrize("config", ["default", "synthetic"])
def test_benchmarks_are_the_base_configs_run_once(config: str) -> None:
    trials = [{"strategy.enter": 1.0, "run.execution_lag": 0, "costs.fees_bps": 0.0}]
    result = run_sweep(prepared_sweep(config, None, trials))
    base = run_config(config, None, {}, result.window)
    assert list(result.benchmarks) == list(base.results)[1:]
    for label, returns in result.benchmarks.items():
        np.testing.assert_allclose(returns, base.results[label].returns.to_numpy(), atol=1e-12)


def test_the_common_window_is_the_intersection_of_the_trials_windows() -> None:
    # a longer look-back starts later: every trial runs on the latest start
    trials: list[dict[str, Any]] = [{"signal.components.0.periods": p} for p in (3, 12, 36)]
    prepared = prepared_sweep("default", None, trials)
    own = [run_config("default", None, t, None).window for t in trials]
    assert prepared.window[0] == str(max(w[0] for w in own).date())
    assert prepared.window[1] == str(min(w[-1] for w in own).date())
    assert len(prepared.markets) == 3  # one market per distinct signal
    assert prepared.index[0] == max(w[0] for w in own)


def test_signal_parameters_are_swept(config: str = "default") -> None:
    trials = [{"signal.components.0.periods": p, "strategy.enter": 0.5} for p in (6, 24)]
    trials += [{"signal.components.credit_spread_12m_change.min_periods": 36}]
    result = run_sweep(prepared_sweep(config, None, trials))
    assert len(result.numbers) == 3
    assert not np.array_equal(result.returns[0], result.returns[1])  # a different signal
    for row, number in enumerate(result.numbers):
        main = run_config(config, None, trials[number], result.window).main
        np.testing.assert_allclose(result.returns[row], main.returns.to_numpy(), atol=1e-10)


def test_sweep_parameters_reach_every_kind() -> None:
    # the helper really sweeps each kind's parameters and a signal parameter
    for kind, params in KIND_PARAMS.items():
        assert params, kind
    assert SIGNAL_PARAMS["default"] and SIGNAL_PARAMS["synthetic"]


def test_metrics_against_the_runs_benchmark() -> None:
    # beta, alpha, IR and TE are measured against run.benchmark (by default the first
    # buy_and_hold of one asset), run with the trial's own costs and lag
    trials: list[dict[str, Any]] = [
        {}, {"run.benchmark": "sixty_forty"}, {"run.benchmark": "none"},
        {"costs.fees_bps": 40.0, "run.execution_lag": 0},
    ]
    prepared = prepared_sweep("default", None, trials)
    used = [t.benchmark for t in prepared.trials]
    assert used[0] != used[1] != used[3] != used[0] and used[2] is None  # market, 60/40, none,
    # and the market run again with the fourth trial's costs and lag
    result = run_sweep(prepared)
    for number in result.numbers:
        main = run_config("default", None, trials[number], result.window).main
        want = main.stats()[result.metrics.columns].to_numpy()
        np.testing.assert_allclose(result.metrics.loc[number].to_numpy(), want, rtol=1e-12,
                                   atol=1e-12)
        assert np.isnan(result.metrics.loc[number, "beta"]) == (number == 2)
