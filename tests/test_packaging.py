"""Packaging: one import name, dependencies with upper bounds, a lock that satisfies them."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def _pins(lock: Path) -> dict[str, list[str]]:
    """Package -> pinned versions in a pip-compile style lock (one per environment marker)."""
    pins: dict[str, list[str]] = {}
    for line in lock.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", line)
        if match:
            pins.setdefault(match[1].lower().replace("_", "-"), []).append(match[2])
    return pins


@pytest.mark.parametrize(("lock", "extra"), [("runtime.lock", None), ("dev.lock", "dev")])
def test_the_lock_pins_every_dependency_within_its_bounds(lock: str, extra: str | None) -> None:
    path = REPO / "requirements" / lock
    text = path.read_text()
    pins = _pins(path)
    wanted = list(PYPROJECT["project"]["dependencies"])
    if extra:
        wanted += PYPROJECT["project"]["optional-dependencies"][extra]
    for spec in wanted:
        req = Requirement(spec.split("#")[0].strip())
        name = req.name.lower().replace("_", "-")
        assert name in pins, f"{name} is not in {lock}: run `make lock`"
        for version in pins[name]:
            assert req.specifier.contains(version, prereleases=True), (name, version, lock)
    hashed = [line for line in text.splitlines() if "--hash=sha256:" in line]
    assert len(hashed) >= len(pins)  # every pinned file is hashed (pip --require-hashes)
    assert "dcf-regime" not in pins  # the lock holds the dependencies, not the package


@pytest.mark.parametrize("name", ["numpy", "pandas", "numba", "vectorbt"])
def test_dependencies_known_to_break_at_a_major_version_are_bounded(name: str) -> None:
    spec = next(Requirement(d.split("#")[0].strip()) for d in PYPROJECT["project"]["dependencies"]
                if Requirement(d.split("#")[0].strip()).name == name)
    assert any(s.operator == "<" for s in spec.specifier), spec


def test_the_package_finds_one_top_level_name() -> None:
    assert PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"] == ["backtest*"]
    assert not (REPO / "strategies" / "__init__.py").exists()  # configs and a plugin, no package


def test_every_repository_config_ships_with_the_package() -> None:
    # strategies/tune.toml and my_rules.py are the scaffold's own (backtest init writes
    # them, links keep them the same files); every other config ships in backtest/configs
    scaffold = REPO / "backtest" / "scaffold" / "template" / "strategies"
    linked = {p.name for p in (REPO / "strategies").iterdir()
              if p.is_symlink() and p.resolve().parent == scaffold}
    assert linked == {"tune.toml", "my_rules.py"}
    shipped = {p.name for p in (REPO / "backtest" / "configs").glob("*.toml")}
    assert shipped == {p.name for p in (REPO / "strategies").glob("*.toml")} - linked
    for path in (REPO / "backtest" / "configs").glob("*.toml"):
        assert path.is_symlink() and path.resolve() == (REPO / "strategies" / path.name).resolve()
