"""The memory budget: chunks sized from max_memory; a sweep that cannot fit says how many would."""

from __future__ import annotations

import pytest
from sweep_support import prepared_sweep

from backtest.errors import BacktestError
from backtest.sweep import SweepOptions, run_sweep
from backtest.sweep._memory import (
    MAX_CHUNK,
    WORKER_BASE,
    bytes_per_trial,
    current_rss,
    default_max_memory,
    fixed_scratch,
    plan_chunks,
)

GIB = 1 << 30
SIZE = {"n_bars": 16_000, "n_calendar": 26_000, "n_assets": 5}


def test_default_budget_is_a_quarter_of_ram_at_most_4_gib() -> None:
    assert 0 < default_max_memory() <= 4 * GIB


def test_rss_is_measured() -> None:
    assert 50 << 20 < current_rss() < 64 * GIB


@pytest.mark.parametrize("workers", [0, 2])
def test_the_chunk_fits_the_budget(workers: int) -> None:
    budget = 3 * GIB
    executor = "dask" if workers else "local"
    plan = plan_chunks(n_trials=10_000, workers=workers, budget=budget, remote=False,
                       executor=executor, reserve=300 << 20, **SIZE)
    assert plan.retained == 10_000 * 15_999 * 8
    used = ((300 << 20) + plan.retained + workers * (WORKER_BASE + fixed_scratch(16_000, 5))
            + max(workers, 1) * plan.chunk * plan.per_trial + 3 * 8 * 16_000 * plan.chunk)
    assert used <= budget
    assert 1 <= plan.chunk <= MAX_CHUNK


def test_the_chunk_does_not_grow_with_the_number_of_trials() -> None:
    budget = 8 * GIB
    sizes = [plan_chunks(n_trials=n, workers=2, budget=budget, remote=False,
                         executor="processes", **SIZE).chunk
             for n in (10_000, 20_000, 40_000)]
    assert sizes[0] == sizes[1] == sizes[2] == MAX_CHUNK


def test_a_tight_budget_makes_smaller_chunks() -> None:
    roomy = plan_chunks(n_trials=1000, workers=0, budget=2 * GIB,
                        remote=False, executor="local", **SIZE)
    tight = plan_chunks(n_trials=1000, workers=0, budget=400 * (1 << 20),
                        remote=False, executor="local", **SIZE)
    assert tight.chunk < roomy.chunk
    assert tight.chunk * bytes_per_trial(16_000, 26_000, 5) < 400 * (1 << 20)


def test_too_many_trials_for_the_budget_is_one_clear_error() -> None:
    budget = 200 * (1 << 20)
    with pytest.raises(BacktestError) as info:
        plan_chunks(n_trials=100_000, workers=0, budget=budget, remote=False, executor="local",
                    **SIZE)
    message = str(info.value)
    assert "\n" not in message
    assert "100000 trials x 16000 bars (11.92 GiB)" in message
    fits = int(message.split("about ")[1].split(" trials fit")[0])
    assert 0 < fits < 2000  # ~150 MB of rows of 128 kB


def test_a_forced_chunk_must_fit() -> None:
    with pytest.raises(BacktestError, match="at most"):
        plan_chunks(n_trials=10, workers=0, budget=300 * (1 << 20),
                    remote=False, executor="local", forced=10_000, **SIZE)


def test_run_sweep_refuses_a_budget_it_cannot_keep() -> None:
    prepared = prepared_sweep("default", None, [{"strategy.enter": 0.5}])
    with pytest.raises(BacktestError, match="max_memory"):
        run_sweep(prepared, SweepOptions(max_memory=1 << 20))


def test_the_budget_counts_what_the_sweep_adds_not_what_the_process_holds() -> None:
    # issue 16: in a process that had grown (a notebook), a 0.12 GiB sweep was refused
    grown = bytearray(1 << 30)  # this process now holds a GiB more
    grown[::4096] = b"x" * len(grown[::4096])  # touched: resident
    plan = plan_chunks(n_trials=1000, workers=0, budget=400 << 20, remote=False,
                       executor="local", **SIZE)
    assert plan.chunk >= 1
    del grown


def test_the_reserve_shrinks_what_the_sweep_may_use() -> None:
    free = plan_chunks(n_trials=1000, workers=0, budget=600 << 20, remote=False,
                       executor="local", **SIZE)
    kept = plan_chunks(n_trials=1000, workers=0, budget=600 << 20, remote=False,
                       executor="local", reserve=300 << 20, **SIZE)
    assert kept.chunk < free.chunk
    with pytest.raises(BacktestError, match="for the statistics after it"):
        plan_chunks(n_trials=1000, workers=0, budget=200 << 20, remote=False,
                    executor="local", reserve=150 << 20, **SIZE)


def test_the_refusal_says_exactly_how_many_trials_fit_with_their_statistics() -> None:
    # the bench asks for 10x too many trials and runs the count the refusal names: that
    # count must plan, and one more must not (the statistics grow with the trials)
    def statistics(n: int) -> int:
        return 300 << 20 if n else 0  # a fixed block once there is a trial, plus per trial
    budget = 1 << 30
    with pytest.raises(BacktestError) as info:
        plan_chunks(n_trials=100_000, workers=2, budget=budget, remote=False,
                    executor="processes", reserve=statistics, **SIZE)
    fits = int(str(info.value).split("about ")[1].split(" trials fit")[0])
    assert fits > 0
    plan_chunks(n_trials=fits, workers=2, budget=budget, remote=False, executor="processes",
                reserve=statistics, **SIZE)
    with pytest.raises(BacktestError):
        plan_chunks(n_trials=fits + 1, workers=2, budget=budget, remote=False,
                    executor="processes", reserve=statistics, **SIZE)


def test_metrics_only_keeps_no_returns_and_fits_far_more_trials() -> None:
    budget = 200 * (1 << 20)  # 100,000 trials' returns (11.9 GiB) are refused above
    plan = plan_chunks(n_trials=100_000, workers=0, budget=budget, remote=False,
                       executor="local", keep_returns=False, **SIZE)
    assert plan.retained == 0 and plan.chunk >= 1
    with pytest.raises(BacktestError) as info:  # the workers alone cannot fit: said so
        plan_chunks(n_trials=100_000, workers=2, budget=budget, remote=False,
                    executor="processes", keep_returns=False, **SIZE)
    assert "cannot hold the workers and one chunk" in str(info.value)
