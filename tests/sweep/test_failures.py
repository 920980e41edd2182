"""Invalid trials are skipped with their reason; trials that raise are recorded, never dropped."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
from sweep_support import CONFIGS, base_raw, prepared_sweep

from backtest.data import make_loader
from backtest.errors import ConfigError, DataError
from backtest.strategy import Decision, MarketData
from backtest.sweep import prepare_sweep, run_sweep
from backtest.sweep._types import Trial


def test_invalid_trials_carry_the_config_error() -> None:
    trials: list[dict[str, Any]] = [
        {"strategy.enter": 0.0, "strategy.exit": 0.5},  # exit > enter
        {"strategy.min_hold_periods": 0},
        {"strategy.nope": 1},  # unknown key
        {"strategy.enter.deeper": 1},  # a path through a number
        {"strategy.kind": "no_such_kind"},
        {"signal.components.7.periods": 3},  # no such component
        {"run.frequency": "W"},  # a different calendar
        {"strategy.label": "market"},  # the label of a benchmark
        {"strategy.enter": 0.5},  # the one valid trial
    ]
    result = run_sweep(prepared_sweep("default", None, trials))
    assert list(result.numbers) == [8]
    assert not result.failed
    why = result.invalid
    assert sorted(why) == list(range(8))
    assert why[0] == "binary_rotation: exit (0.5) must be <= enter (0.0)"
    assert "min_hold_periods must be >= 1" in why[1]
    assert "unknown key nope" in why[2]
    assert "strategy.enter is a number (0.0), not a table" in why[3]
    assert "unknown kind 'no_such_kind'" in why[4]
    assert "index 7 is out of range" in why[5]
    assert "run.frequency = 'W' differs" in why[6]
    assert "labels must be unique" in why[7]
    assert all("\n" not in w for w in why.values())  # one line each


def test_a_trial_whose_data_cannot_load_is_invalid() -> None:
    trials = [{"data.assets.S5V1": "embedded:french/NOPE"}, {"strategy.enter": 0.5}]
    result = run_sweep(prepared_sweep("default", "binary_rotation", trials))
    assert list(result.numbers) == [1]
    assert "NOPE" in result.invalid[0]


def test_benchmarks_are_not_swept() -> None:
    path = CONFIGS["default"]
    with pytest.raises(ConfigError, match="benchmarks run once from the base config"):
        prepare_sweep(base_raw("default"), [{"benchmarks.market.asset": "RF"}],
                      source=str(path), base_dir=path.parent, load=make_loader())


def test_an_invalid_base_config_is_fatal() -> None:
    raw = base_raw("default")
    raw["costs"]["fees_bps"] = -1.0
    path = CONFIGS["default"]
    with pytest.raises(ConfigError, match="costs"):
        prepare_sweep(raw, [{}], source=str(path), base_dir=path.parent, load=make_loader())


def test_windows_that_do_not_overlap_are_a_data_error() -> None:
    trials = [{"run.end": "1960-12-31"}, {"run.start": "1990-01-01"}]
    path = CONFIGS["default"]
    with pytest.raises(DataError, match="do not overlap"):
        prepare_sweep(base_raw("default"), trials, source=str(path), base_dir=path.parent,
                      load=make_loader())


@dataclass(frozen=True, kw_only=True)
class _Broken:
    """A strategy that breaks the engine's weight rules, or raises something unexpected."""

    name: ClassVar[str] = "broken"
    how: str = "leverage"

    def decide(self, market: MarketData) -> Decision:
        if self.how == "bug":
            raise ZeroDivisionError("a bug in a strategy")
        weights = pd.DataFrame(0.0, index=market.index, columns=market.prices.columns)
        weights.iloc[:, 0] = 0.8
        weights.iloc[:, 1] = 0.8  # sums to 1.6
        return Decision(weights=weights)


@dataclass(frozen=True, kw_only=True)
class _BrokenBatch(_Broken):
    """The same through decide_batch: the kernel flags it, the engine's message is recorded."""

    @classmethod
    def decide_batch(cls, strategies: Any, market: MarketData) -> Any:
        from backtest.strategy import BatchDecision

        n, k = len(market.index), market.prices.shape[1]
        frame = np.zeros((1, n, k))
        frame[0, :, :2] = 0.8
        if any(s.how == "bug" for s in strategies):
            raise ZeroDivisionError("a bug in a batch")
        return BatchDecision(frames=frame, first=np.zeros(len(strategies), np.int64),
                             second=np.zeros(len(strategies), np.int64),
                             a=np.ones((len(strategies), n)), b=np.zeros((len(strategies), n)),
                             trade=np.ones((len(strategies), n), dtype=bool))


@pytest.mark.parametrize("cls", [_Broken, _BrokenBatch])
def test_trials_that_raise_are_recorded_with_their_error(cls: type) -> None:
    prepared = prepared_sweep("default", "binary_rotation",
                              [{"strategy.enter": 0.5}, {"strategy.enter": 1.0}])
    good = prepared.trials[0]
    broken = [replace(good, number=10, strategy=cls(how="leverage")),
              replace(good, number=11, strategy=cls(how="bug"))]
    trials: tuple[Trial, ...] = (*prepared.trials, *broken)
    result = run_sweep(replace(prepared, trials=trials, n_trials=12))
    assert list(result.numbers) == [0, 1]
    assert result.failed[10].startswith("StrategyError: strategy 'binary_rotation under test': "
                                        "weights on 1948-12-31 sums to more than 1")
    # a batch's own exception keeps its type; a decide's is the one line naming the strategy
    assert (result.failed[11].startswith("ZeroDivisionError: a bug in a batch")
            or result.failed[11].startswith(
                "StrategyError: strategy 'binary_rotation under test' (binary_rotation) raised "
                "ZeroDivisionError while deciding 1948-12-31..2017-03-31: a bug in a strategy"))
    assert ("batch" in result.failed[11]) == (cls is _BrokenBatch)
