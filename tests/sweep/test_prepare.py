"""Parsing a sweep's trials: the shared sections parsed once equal each trial parsed whole."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sweep_support import CONFIGS, KIND_PARAMS, base_raw, random_trials

from backtest.config import parse_config, set_path
from backtest.config._overrides import plain
from backtest.data import make_loader
from backtest.errors import ConfigError
from backtest.strategies import load_strategy
from backtest.sweep._prepare import _keys, _parse_trial, _Parsed


def _whole(raw: dict[str, Any], params: dict[str, Any], path: Path) -> Any:
    """What the trial was before memoizing: every override applied, one full parse."""
    full = plain(raw)
    for key, value in params.items():
        set_path(full, key, plain(value))
    config = parse_config(full, source=str(path), base=path.parent)
    spec = config.strategy
    load_strategy(spec.kind, spec.params, f"strategy {spec.label!r}", base_dir=config.base_dir)
    if spec.label in {b.label for b in config.benchmarks}:
        raise ConfigError("strategy labels must be unique (strategy.label and benchmark names)")
    return config


def _outcome(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except ConfigError as exc:
        return f"{type(exc).__name__}: {exc}"


@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("kind", sorted(KIND_PARAMS))
def test_memoized_sections_equal_a_whole_parse(config: str, kind: str) -> None:
    path = CONFIGS[config]
    raw = base_raw(config, kind)
    base = parse_config(plain(raw), source=str(path), base=path.parent)
    parsed_base = _Parsed(-1, base, None, *_keys(base))
    trials = random_trials(np.random.default_rng(7), config, kind, 40)
    # invalid shared sections and invalid strategies, alone and together
    trials += [{"costs.fees_bps": -1.0}, {"costs.fees_bps": -1.0, "strategy.rebalance": "hourly"},
               {"signal.components.0.standardize": "nope"}, {"strategy.rebalance": "hourly"},
               {"run.execution_lag": 1, "strategy.label": "market"}]
    sections: dict[str, Any] = {}
    for number, params in enumerate(trials):
        memo = _outcome(_parse_trial, number, parsed_base, params, str(path), path.parent,
                        sections)
        alone = _outcome(_parse_trial, number, parsed_base, params, str(path), path.parent)
        whole = _outcome(_whole, raw, params, path)
        if isinstance(whole, str):  # the same problems, in the same words, as run says them
            assert isinstance(memo, str) and isinstance(alone, str), params
            assert memo == alone, params
            assert memo.split(": ", 1)[1] in whole or whole.split(": ", 1)[1] in memo, params
            continue
        assert not isinstance(memo, str), (params, memo)
        assert memo.config == whole and memo.config.config_hash == whole.config_hash, params
        assert (memo.dataset_key, memo.market_key) == _keys(whole)
        assert memo.config == alone.config and type(memo.strategy) is type(alone.strategy)
    distinct = {json.dumps([(k, v) for k, v in t.items() if not k.startswith("strategy.")])
                for t in trials if any(not k.startswith("strategy.") for k in t)}
    assert len(sections) == len(distinct)


def test_a_grid_parses_its_shared_sections_once_per_distinct_value(monkeypatch) -> None:
    import backtest.sweep._prepare as prepare

    calls = []
    real = prepare.parse_config
    monkeypatch.setattr(prepare, "parse_config", lambda *a, **k: calls.append(1) or real(*a, **k))
    trials = [{"signal.components.0.periods": periods, "strategy.enter": enter}
              for periods in (6, 12, 24) for enter in np.linspace(0.0, 1.0, 30)]
    path = CONFIGS["default"]
    prepared = prepare.prepare_sweep(base_raw("default"), trials, source=str(path),
                                     base_dir=path.parent, load=make_loader())
    assert len(prepared.trials) == 90 and len(prepared.markets) == 3
    assert len(calls) == 1 + 3  # the base config, then one per look-back
