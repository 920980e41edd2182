"""Strategies of your own: ``kind = "module:Class"`` beside the config, entry points, errors.

Each test writes its plugin module into a temporary directory under a name of its own
(modules are cached per process by name).
"""

from __future__ import annotations

import json
import textwrap
import tomllib
from itertools import count
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import backtest
from backtest.cli import app
from backtest.data import make_loader
from backtest.errors import ConfigError, StrategyError
from backtest.runner import load_strategy
from backtest.strategies import ENTRY_POINT_GROUP, entry_point_kinds, resolve_kind
from backtest.sweep import SweepOptions, prepare_sweep, run_sweep

REPO = Path(__file__).resolve().parents[2]
DEFAULT = REPO / "strategies" / "duration_rotation.toml"
_IDS = count()

# A per-bar re-implementation of the built-in binary rotation (enter = exit, every bar).
ROTATION = '''
from dataclasses import dataclass
from typing import ClassVar

from backtest.signals import regime_state
from backtest.strategy import SwitchLevels


@dataclass(frozen=True, kw_only=True)
class BarRotation:
    name: ClassVar[str] = "bar_rotation"
    enter: float = 0.0

    def risk_off_state(self, composite):
        return regime_state(composite, enter=self.enter, exit=None, min_hold=1)

    def switch_levels(self):
        return SwitchLevels(self.enter, self.enter, 1)

    def decide_bar(self, view):
        off = bool(self.risk_off_state(view.signal["composite"]).iloc[-1])
        return (view.short if off else view.long).to_dict()
'''

# The example's tilt, per bar; TiltBatch adds the batch form the sweep kernel reads.
TILT = '''
import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from backtest.strategy import BatchDecision


@dataclass(frozen=True, kw_only=True)
class Tilt:
    name: ClassVar[str] = "tilt"
    calm: float = 0.0
    width: float = 1.0

    def decide_bar(self, view):
        z = view.composite
        if math.isnan(z):
            return None
        off = min(1.0, max(0.0, (z - self.calm) / self.width))
        return (view.long * (1.0 - off) + view.short * off).to_dict()


@dataclass(frozen=True, kw_only=True)
class TiltBatch(Tilt):
    name: ClassVar[str] = "tilt_batch"

    @classmethod
    def decide_batch(cls, strategies, market):
        z = market.signal["composite"].reindex(market.index).to_numpy()
        calm = np.array([s.calm for s in strategies])[:, None]
        width = np.array([s.width for s in strategies])[:, None]
        off = np.minimum(1.0, np.maximum(0.0, (z[None, :] - calm) / width))
        frames = np.stack([market.sleeve("long").to_numpy(), market.sleeve("short").to_numpy()])
        n = len(strategies)
        return BatchDecision(frames=frames, first=np.zeros(n, dtype=np.int64),
                             second=np.ones(n, dtype=np.int64), a=1.0 - off, b=off,
                             trade=np.broadcast_to(~np.isnan(z), off.shape).copy())
'''


def _plugin(tmp_path: Path, source: str) -> str:
    """Write ``source`` as a uniquely named module in ``tmp_path``; return its name."""
    name = f"plugin_{next(_IDS)}_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return name


def _config(tmp_path: Path, kind: str, params: dict[str, Any] | None = None,
            name: str = "plugin") -> Path:
    """The default config with its strategy replaced by ``kind``, written beside the plugin."""
    text = DEFAULT.read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    head, _, tail = text.partition("[strategy]")
    rest = tail[tail.index("[benchmarks.market]"):]
    table = "\n".join(f"{k} = {json.dumps(v)}" for k, v in (params or {}).items())
    path = tmp_path / f"{name}.toml"
    path.write_text(f'{head}[strategy]\nkind = "{kind}"\nlabel = "under test"\n{table}\n\n{rest}',
                    encoding="utf-8")
    assert raw["strategy"]["kind"] == "binary_rotation"
    return path


def test_a_per_bar_plugin_equals_the_builtin_it_reimplements(tmp_path: Path) -> None:
    module = _plugin(tmp_path, ROTATION)
    ours = backtest.run(_config(tmp_path, f"{module}:BarRotation", {"enter": 0.25}))
    builtin = backtest.run(DEFAULT, overrides=["strategy.enter=0.25"])
    a, b = ours.main, builtin.main
    np.testing.assert_allclose(a.returns.to_numpy(), b.returns.to_numpy(), rtol=0, atol=1e-12)
    pd.testing.assert_series_equal(a.risk_off.rename(None), b.risk_off.rename(None))
    assert b.returns.std() > 0  # the comparison is not between two flat series


def test_kind_module_class_is_imported_from_the_configs_directory(tmp_path, monkeypatch) -> None:
    module = _plugin(tmp_path, ROTATION)
    config = _config(tmp_path, f"{module}:BarRotation")
    monkeypatch.chdir(REPO)  # elsewhere: the config's directory is what counts
    result = CliRunner().invoke(app, ["run", str(config), "--no-html", "--out",
                                      str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "under test" in result.output


def test_the_repositorys_example_plugin_runs() -> None:
    cls = resolve_kind("my_rules:CalmTilt", base_dir=REPO / "strategies", where="strategy")
    assert cls.name == "calm_tilt"
    with pytest.raises(ConfigError, match=r"strategy.width: .*> 0|width must be > 0"):
        load_strategy("my_rules:CalmTilt", {"width": 0.0}, base_dir=REPO / "strategies")


@pytest.mark.parametrize(("kind", "message"), [
    ("no_such_module_xyz:Thing", "no module 'no_such_module_xyz'"),
    ("{module}:Missing", "has no class 'Missing'"),
    ("{module}:NOT_A_CLASS", "is not a class"),
    ("{module}:Plain", "is not a dataclass"),
    ("{module}:NoDecide", "has neither decide"),
    ("{module}:", "is not 'module:Class'"),
    ("binary_rotaton", "did you mean 'binary_rotation'"),
])
def test_a_bad_kind_is_one_line_naming_what_is_wrong(tmp_path, kind, message) -> None:
    module = _plugin(tmp_path, '''
        from dataclasses import dataclass
        NOT_A_CLASS = 3
        class Plain:
            def decide(self, market): ...
        @dataclass(frozen=True)
        class NoDecide:
            x: int = 1
    ''')
    config = _config(tmp_path, kind.format(module=module))
    result = CliRunner().invoke(app, ["run", str(config), "--no-html", "--out",
                                      str(tmp_path / "out")])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: strategy"), result.output
    assert message in lines[0]


def test_a_module_that_raises_on_import_is_one_line(tmp_path) -> None:
    module = _plugin(tmp_path, "raise RuntimeError('broken on purpose')\n")
    result = CliRunner().invoke(app, ["run", str(_config(tmp_path, f"{module}:X")), "--no-html",
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: strategy: '{module}:X': importing '{module}' raised RuntimeError: "
        "broken on purpose")


def test_a_plugin_that_raises_names_itself_and_the_bar(tmp_path) -> None:
    module = _plugin(tmp_path, '''
        from dataclasses import dataclass
        from typing import ClassVar
        import pandas as pd

        @dataclass(frozen=True)
        class Fragile:
            name: ClassVar[str] = "fragile"
            def decide_bar(self, view):
                if view.date >= pd.Timestamp("1990-05-31"):
                    raise ZeroDivisionError("division by zero")
                return view.long.to_dict()
    ''')
    config = _config(tmp_path, f"{module}:Fragile")
    result = CliRunner().invoke(app, ["run", str(config), "--no-html", "--out",
                                      str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: strategy 'under test' ({module}:Fragile) raised ZeroDivisionError on the close "
        "of 1990-05-31: division by zero")
    debug = CliRunner().invoke(app, ["--debug", "run", str(config), "--no-html", "--out",
                                     str(tmp_path / "out")])
    assert isinstance(debug.exception, StrategyError)
    assert isinstance(debug.exception.__cause__, ZeroDivisionError)  # --debug keeps the cause


def test_a_whole_window_plugin_that_raises_is_one_line(tmp_path) -> None:
    module = _plugin(tmp_path, '''
        from dataclasses import dataclass
        @dataclass(frozen=True)
        class Broken:
            def decide(self, market):
                return {}["missing"]
    ''')
    with pytest.raises(StrategyError, match=r"raised KeyError while deciding 19\d\d-\d\d-\d\d\.\."):
        backtest.run(_config(tmp_path, f"{module}:Broken"))


@pytest.mark.parametrize(("body", "message"), [
    ("return 3", "expected a mapping of asset to weight"),
    ("return {'NOPE': 1.0}", "'NOPE' on the close of"),
    ("return {'S5V1': 'lots'}", "is not a number: 'lots'"),
    ("return {'S5V1': 0.8, 'S1V1': 0.8}", "sums to more than 1"),
])
def test_bad_weights_from_a_plugin_are_one_line(tmp_path, body, message) -> None:
    module = _plugin(tmp_path, f'''
        from dataclasses import dataclass
        @dataclass(frozen=True)
        class Odd:
            def decide_bar(self, view):
                {body}
    ''')
    with pytest.raises(StrategyError, match=message):
        backtest.run(_config(tmp_path, f"{module}:Odd"))


def test_an_entry_point_registers_a_kind(tmp_path, monkeypatch) -> None:
    # an installed package: its module, and dist-info metadata naming the entry point
    package = f"ep_pkg_{next(_IDS)}"
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text(textwrap.dedent(ROTATION))
    info = tmp_path / f"{package}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nteam_rotation = {package}:BarRotation\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    entry_point_kinds.cache_clear()
    try:
        config = _config(tmp_path / package, "team_rotation", {"enter": 0.25})
        ours = backtest.run(config)
        builtin = backtest.run(DEFAULT, overrides=["strategy.enter=0.25"])
        np.testing.assert_allclose(ours.main.returns.to_numpy(),
                                   builtin.main.returns.to_numpy(), rtol=0, atol=1e-12)
        with pytest.raises(ConfigError, match="did you mean 'team_rotation'"):
            resolve_kind("team_rotaton", base_dir=None, where="strategy")
    finally:
        entry_point_kinds.cache_clear()


def _tune(tmp_path: Path, kind: str, executor: str = "local") -> dict[str, Any]:
    config = _config(tmp_path, kind, name=f"tune_{kind.split(':')[1]}_{executor}")
    out = tmp_path / f"{config.stem}.json"
    result = CliRunner().invoke(app, [
        "tune", str(config), "--param", "strategy.calm=-0.5,0,0.5", "--param",
        "strategy.width=0.5,2", "--holdout", "0.3", "--quiet", "--json", str(out),
        "--executor", executor, "--workers", "2"])
    assert result.exit_code in (0, 3), result.output
    return json.loads(out.read_text())


def test_tune_sweeps_a_plugin_the_same_with_or_without_the_batch_form(tmp_path) -> None:
    module = _plugin(tmp_path, TILT)
    per_trial = _tune(tmp_path, f"{module}:Tilt")
    batched = _tune(tmp_path, f"{module}:TiltBatch")
    assert per_trial["trials"]["evaluated"] == batched["trials"]["evaluated"] == 6
    for a, b in zip(per_trial["trials"]["list"], batched["trials"]["list"], strict=True):
        assert a["params"] == b["params"]
        assert a["is"] == b["is"] and a["oos"] == b["oos"]  # the same bits
    assert per_trial["series"]["oos"] == batched["series"]["oos"]


@pytest.mark.parametrize("cls", ["Tilt", "TiltBatch"])
def test_each_swept_trial_of_a_plugin_is_what_backtest_run_gives(tmp_path, cls) -> None:
    module = _plugin(tmp_path, TILT)
    config = _config(tmp_path, f"{module}:{cls}")
    raw = tomllib.loads(config.read_text())
    trials = [{"strategy.calm": c, "strategy.width": w} for c in (-0.5, 0.5) for w in (0.5, 2.0)]
    prepared = prepare_sweep(raw, trials, source=str(config), base_dir=tmp_path,
                             load=make_loader(offline=True))
    sweep = run_sweep(prepared, SweepOptions())
    assert sorted(sweep.numbers) == [0, 1, 2, 3] and not sweep.failed
    window = (str(prepared.index[0].date()), str(prepared.index[-1].date()))  # price bars
    for row, number in enumerate(sweep.numbers):
        trial = trials[int(number)]
        run = backtest.run(config, overrides=[*(f"{k}={v}" for k, v in trial.items()),
                                              f"run.start={window[0]}", f"run.end={window[1]}"])
        np.testing.assert_allclose(sweep.returns[row], run.main.returns.to_numpy(),
                                   rtol=0, atol=1e-10)  # the kernel equals vectorbt to 1e-10
    assert np.ptp(sweep.returns.sum(axis=1)) > 0  # the trials differ: the check can fail


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_a_plugin_from_the_configs_directory_runs_in_worker_processes(tmp_path, executor) -> None:
    module = _plugin(tmp_path, TILT)
    local = _tune(tmp_path, f"{module}:Tilt")
    remote = _tune(tmp_path, f"{module}:Tilt", executor)
    assert remote["trials"]["failed"] == 0
    assert [t["oos"] for t in remote["trials"]["list"]] == [t["oos"] for t in local["trials"]["list"]]
