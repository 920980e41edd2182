"""``tune``: parameter sweeps judged out of sample, with overfitting statistics and gates.

In three lines::

    from backtest.tune import run_tune, tune_config
    cfg = tune_config("strategies/duration_rotation.toml", params=["strategy.enter=-1:1:0.25"])
    result = run_tune(cfg, load=backtest.data.make_loader())   # result.exit_code, .trials

See docs/tune.md ("Tune and its statistics") for the protocol and the statistics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backtest.config import RunConfig, default_config_path, parse_config, read_config
from backtest.errors import ConfigError
from backtest.tune._space import Parameter, Space, Trial, check_space, parse_param, parse_spec

if TYPE_CHECKING:
    from backtest.sweep import SweepOptions
    from backtest.tune._check import check_tune
    from backtest.tune._result import TuneResult, flatten_numbers
    from backtest.tune._run import run_tune

# the sweep, the statistics and the engine load on first use: a bad config, parameter
# or gate is refused before them (backtest.tune._check)
_LAZY = {
    "SweepOptions": "backtest.sweep",
    "TuneResult": "backtest.tune._result",
    "flatten_numbers": "backtest.tune._result",
    "run_tune": "backtest.tune._run",
    "check_tune": "backtest.tune._check",
}

__all__ = [
    "Parameter",
    "Space",
    "SweepOptions",
    "Trial",
    "TuneResult",
    "check_space",
    "check_tune",
    "flatten_numbers",
    "parse_param",
    "parse_spec",
    "run_tune",
    "tune_config",
]


def tune_config(
    path: str | Path | None = None,
    *,
    overrides: Sequence[str] = (),
    params: Sequence[str] = (),
    tune: Mapping[str, Any] | None = None,
    gates: Sequence[str] = (),
) -> RunConfig:
    """Read a run config and merge command-line tuning options into its ``[tune]`` section.

    Parameters
    ----------
    path : str, Path or None
        The run config (``None`` = the default config).
    overrides : sequence of str
        ``--set`` overrides of the run itself.
    params : sequence of str
        ``--param PATH=SPEC``; each replaces the ``[tune.params]`` entry of the same path.
    tune : mapping, optional
        Other ``[tune]`` keys from the command line (``search``, ``trials``, ``seed``,
        ``objective``, ``benchmark``, ``holdout``, ``walk_forward``, ``heatmap``,
        ``placebo``); a
        value of ``None`` leaves the file's value.
    gates : sequence of str
        ``--gate`` expressions; when any is given they replace the file's gates.
    """
    source = Path(path) if path is not None else default_config_path()
    raw = read_config(source, overrides)
    section = raw.setdefault("tune", {})
    table = section.setdefault("params", {}) if isinstance(section, dict) else None
    if not isinstance(section, dict) or not isinstance(table, dict):
        raise ConfigError(f"{source}: [tune] and [tune.params] must be tables")
    for item in params:
        key, spec = parse_param(item)
        table[key] = spec
    for key, value in (tune or {}).items():
        if value is None:
            continue
        if key == "walk_forward" and value is False:
            section.pop("walk_forward", None)
        elif key == "walk_forward" and isinstance(value, Mapping):
            merged = dict(section.get("walk_forward") or {})
            merged.update({k: v for k, v in value.items() if v is not None})
            section["walk_forward"] = merged
        else:
            section[key] = value
    if gates:
        section["gates"] = list(gates)
    return parse_config(raw, source=str(source), base=source.parent)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'backtest.tune' has no attribute {name!r}")
