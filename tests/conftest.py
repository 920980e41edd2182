"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data beside the checkout (``$BACKTEST_SHARED_DATA`` or ``../shared/data``)."""
    root = Path(os.environ.get("BACKTEST_SHARED_DATA") or REPO / ".." / "shared" / "data")
    if not root.is_dir():
        pytest.skip(f"shared real data not found at {root} (set BACKTEST_SHARED_DATA)")
    return root.resolve()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-snapshots", action="store_true", default=False,
        help="rewrite the stored snapshots (tests/analysis/snapshots/) from the current "
             "output instead of comparing against them; review the diff before committing",
    )
