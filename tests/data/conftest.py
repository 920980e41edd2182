"""Fixtures for the data-layer tests: payload files, the shared real data, fake HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """The recorded payloads in tests/fixtures."""
    return REPO / "tests" / "fixtures"


@dataclass
class FakeResponse:
    status_code: int = 200
    content: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class FakeSession:
    """Replays outcomes in order: a FakeResponse is returned, an exception raised."""

    outcomes: list[FakeResponse | BaseException]
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def get(self, url: str, *, params: Mapping[str, str] | None = None, timeout: float) -> Any:
        self.calls.append((url, dict(params or {})))
        if not self.outcomes:
            raise AssertionError(f"unexpected extra request to {url}")
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


@pytest.fixture
def session() -> Callable[..., FakeSession]:
    """Build a FakeSession: ``session(FakeResponse(...), requests.Timeout(), ...)``."""

    def make(*outcomes: FakeResponse | BaseException | Iterable[Any]) -> FakeSession:
        return FakeSession(list(outcomes))  # type: ignore[arg-type]

    return make


@pytest.fixture
def respond() -> type[FakeResponse]:
    """The FakeResponse class: ``respond(503, b"", {"Retry-After": "2"})``."""
    return FakeResponse


@pytest.fixture
def sleeps() -> list[float]:
    """Record the waits instead of sleeping (pass ``sleeps.append`` as ``sleep``)."""
    return []
