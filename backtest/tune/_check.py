"""Everything about a tune that can be wrong before a trial runs, checked first and fast.

A bad space, parameter path, strategy kind or parameter, gate (grammar or name),
heatmap axis or placebo count is refused here, before the sweep, the statistics and
the engine are even imported: an answer in about the time Python takes to import
numpy and pandas, not after a sweep.
"""

from __future__ import annotations

from backtest.config import RunConfig
from backtest.errors import ConfigError
from backtest.stats import Gate, parse_gate
from backtest.strategies import load_strategy
from backtest.tune._result import check_gate_names
from backtest.tune._space import Space, check_space

__all__ = ["check_tune"]


def check_tune(config: RunConfig, *, placebo: int | None = None) -> tuple[Space, list[Gate], int]:
    """The space, the parsed gates and the placebo count of ``config``'s ``[tune]``.

    Raises
    ------
    ConfigError
        The first thing that is wrong, as one line.
    """
    section = config.tune
    placebo = section.placebo if placebo is None else placebo
    for spec in config.strategies:
        load_strategy(spec.kind, spec.params, spec.path, base_dir=config.base_dir)
    space = Space.from_specs(section.params, search=section.search, trials=section.trials,
                             seed=section.seed)
    check_space(config, space)
    gates = [parse_gate(text) for text in section.gates]
    check_gate_names(gates, benchmark=bool(config.benchmarks), placebo=placebo > 0)
    unknown = [axis for axis in section.heatmap if axis not in space.paths]
    if unknown:
        raise ConfigError(f"--heatmap {', '.join(unknown)}: not a swept parameter; swept: "
                          f"{', '.join(space.paths)}")
    return space, gates, placebo
