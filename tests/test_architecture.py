"""The dependency rules of STYLE.md Part 4, enforced on the source tree."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "backtest").rglob("*.py"))
PURE = ("signals", "duration", "regimes", "metrics")
NETWORK = {"requests", "urllib", "http", "yfinance", "socket"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_only_the_engine_adapter_imports_vectorbt() -> None:
    importers = [_rel(p) for p in SOURCES if any(m.split(".")[0] == "vectorbt" for m in _imports(p))]
    assert importers == ["backtest/engine/_vbt.py"]


@pytest.mark.parametrize("package", PURE)
def test_pure_packages_do_no_io_and_import_no_outer_layer(package: str) -> None:
    allowed_internal = ("backtest.errors", "backtest._typing", "backtest._fields", "backtest.data.expr",
                        "backtest.signals", "backtest.duration", "backtest.regimes",
                        "backtest.metrics")
    for path in (ROOT / "backtest" / package).rglob("*.py"):
        for module in _imports(path):
            top = module.split(".")[0]
            assert top not in NETWORK, f"{_rel(path)} imports {module}"
            if top == "backtest":
                assert module.startswith(allowed_internal), f"{_rel(path)} imports {module}"


def test_network_code_lives_only_in_data() -> None:
    for path in SOURCES:
        if _rel(path).startswith("backtest/data/"):
            continue
        bad = {m for m in _imports(path) if m.split(".")[0] in NETWORK}
        assert not bad, f"{_rel(path)} imports {bad}"


def test_nothing_imports_the_cli_and_strategies_do_not_import_engine() -> None:
    for path in SOURCES:
        rel = _rel(path)
        if rel.startswith("backtest/cli/") or rel == "backtest/__main__.py":
            continue
        assert not any(m.startswith("backtest.cli") for m in _imports(path)), rel
        if rel.startswith("backtest/strategies/"):
            assert not any(m.startswith(("backtest.engine", "backtest.report")) for m in _imports(path)), rel


def test_cli_help_does_not_import_vectorbt() -> None:
    code = ("import sys; from typer.testing import CliRunner; from backtest.cli import app; "
            "r = CliRunner().invoke(app, ['--help']); assert r.exit_code == 0; "
            f"print(sorted(m for m in {('pandas', *HEAVY)!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_strategy_contract_does_not_import_the_implementations() -> None:
    # the runner looks kinds up (load_strategy); the contract and the config layer
    # stay below the strategies package that imports them
    for rel in ("backtest/strategy.py", *sorted(
            p.relative_to(ROOT).as_posix() for p in (ROOT / "backtest" / "config").rglob("*.py"))):
        assert not any(m.startswith("backtest.strategies") for m in _imports(ROOT / rel)), rel
    code = ("import sys; import backtest.strategy, backtest.config; "
            "print('backtest.strategies' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_figures_live_with_the_report_and_stay_pure() -> None:
    assert not (ROOT / "backtest" / "figures.py").exists()
    for name in ("figures.py", "_figbase.py", "_fig_analysis.py", "_fig_signal.py", "_embed.py"):
        path = ROOT / "backtest" / "report" / name
        tops = {m.split(".")[0] for m in _imports(path)}
        assert not tops & (NETWORK | {"os", "shutil", "subprocess"}), f"{name}: {tops}"
        assert not any(m.startswith(("backtest.engine", "backtest.runner", "backtest.cli"))
                       for m in _imports(path)), name


def test_analysis_is_pure_and_uses_only_the_chosen_statistics_libraries() -> None:
    # backtest.analysis: numpy/pandas/scipy, arch (bootstrap), statsmodels (Newey-West);
    # the pure statistics of backtest.stats (block lengths); no engine, data, report or
    # CLI; the orchestration lives in backtest/evaluate.py
    third_party = {"numpy", "pandas", "scipy", "arch", "statsmodels"}
    internal = ("backtest.errors", "backtest._typing", "backtest.regimes", "backtest.signals",
                "backtest.metrics", "backtest.analysis", "backtest.stats")
    for path in (ROOT / "backtest" / "analysis").rglob("*.py"):
        for module in _imports(path):
            top = module.split(".")[0]
            if top == "backtest":
                assert module.startswith(internal), f"{_rel(path)} imports {module}"
            else:
                assert top in third_party | {"__future__", "collections", "dataclasses",
                                             "functools", "math", "statistics", "typing",
                                             "re", "warnings",
                                             "zlib"}, f"{_rel(path)} imports {module}"


#: What the quick commands must not import (issue 16: imports were most of every command).
HEAVY = ("vectorbt", "numba", "arch", "plotly", "dask", "distributed")
#: Nor these: metrics' and downloads' dependencies (``signal`` reads the cache).
LIGHT_ALSO = ("empyrical", "yfinance", "scipy", "statsmodels", "requests", "jinja2")


@pytest.mark.parametrize("args", [
    ["signal", "--asof", "2010-06-30"],  # macro series only: no prices, no engine
    ["signal", "strategies/synthetic_rotation.toml"],
    ["run", "--set", "run.nmae='x'"],  # a config error
    ["tune", "--set", "strategy.kind='nope'"],
    ["thesis", "--set", "costs.fees_bps=-1"],
], ids=["signal", "signal-synthetic", "run-config-error", "tune-config-error",
        "thesis-config-error"])
def test_quick_commands_import_no_engine_statistics_report_or_dask(args) -> None:
    code = ("import sys; from typer.testing import CliRunner; from backtest.cli import app; "
            f"r = CliRunner().invoke(app, {args!r}); "
            "assert r.exit_code in (0, 1, 4), r.output; "
            f"print(sorted(m for m in {HEAVY + LIGHT_ALSO!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT)
    assert out.stdout.strip() == "[]"


def _importers(top: str) -> list[str]:
    return [_rel(p) for p in SOURCES if any(m.split(".")[0] == top for m in _imports(p))]


def test_empyrical_yfinance_and_arch_are_imported_where_they_are_needed_only() -> None:
    # empyrical's formulas are ours (metrics/_formulas.py; empyrical is the tests' reference),
    # yfinance is the yahoo provider's, and arch is left to the SPA's reference method
    # (``method="arch"``); the bootstrap draws arch's indices without it (stats/_stationary.py)
    assert _importers("empyrical") == []
    assert _importers("yfinance") == ["backtest/data/yahoo.py"]
    assert _importers("arch") == ["backtest/stats/_spa.py"]


#: What ``thesis`` and ``run`` without a report do not import (issue 16), besides
#: ``HEAVY``'s Dask: empyrical (and through it yfinance), arch (and matplotlib through
#: it), Jinja2 (no report). vectorbt itself brings scipy, scikit-learn, plotly, numba
#: and requests.
NOT_BY_THE_ENGINE_COMMANDS = ("empyrical", "yfinance", "arch", "matplotlib", "jinja2", "dask",
                              "distributed")


#: ``thesis`` runs on the project's kernel (numba), not vectorbt: neither vectorbt nor
#: what vectorbt alone brings (plotly, scikit-learn).
NOT_BY_THESIS = ("vectorbt", "plotly", "sklearn")


@pytest.mark.parametrize(("args", "absent"), [
    (["thesis", "--quiet"], NOT_BY_THE_ENGINE_COMMANDS + NOT_BY_THESIS),
    (["run", "--no-html", "--quiet"], NOT_BY_THE_ENGINE_COMMANDS),
], ids=["thesis", "run-no-html"])
def test_thesis_and_run_import_what_they_use_only(args, absent, tmp_path) -> None:
    # quantstats is a dev-only dependency that vectorbt imports when it is installed (and
    # yfinance, matplotlib, statsmodels with it); blocked here, the process sees the
    # packages of an install from the wheel
    argv = [*args, "--out", str(tmp_path)] if args[0] == "run" else args
    code = ("import sys; sys.modules['quantstats'] = None; "
            "from typer.testing import CliRunner; from backtest.cli import app; "
            f"r = CliRunner().invoke(app, {argv!r}); "
            "assert r.exit_code == 0, r.output; "
            f"print(sorted(m for m in {absent!r} "
            "if sys.modules.get(m) is not None))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT)
    assert out.stdout.strip().splitlines()[-1] == "[]"
