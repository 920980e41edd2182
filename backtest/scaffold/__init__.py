"""``backtest init DIR``: a research team's repository that tunes its own strategy in CI.

The files come from ``template/`` beside this module (shipped in the wheel):

=================================  ============================================
in the new repository              what it is
=================================  ============================================
``strategies/tune.toml``           a run config with its ``[tune]`` section and
                                   calibrated gates
``strategies/my_rules.py``         a strategy of the team's own (``kind =
                                   "my_rules:CalmTilt"``)
``.github/workflows/tune.yml``     the CI workflow (from :func:`render_workflow`)
``requirements/dcf-regime.lock``   dcf-regime's dependencies, pinned and hashed
``README.md``, ``.gitignore``      how to use it; what not to commit
=================================  ============================================

This repository's own ``.github/workflows/tune.yml`` is rendered from the same
template (tested equal), so the example and the scaffold never drift apart.
Nothing is ever overwritten: a file that exists is kept and reported.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from backtest import __version__
from backtest.errors import ConfigError

__all__ = ["FILES", "ScaffoldReport", "default_source", "render_workflow", "write_scaffold"]

TEMPLATE = Path(__file__).resolve().parent / "template"
#: Template file -> path in the new repository.
FILES: dict[str, str] = {
    "strategies/tune.toml": "strategies/tune.toml",
    "strategies/my_rules.py": "strategies/my_rules.py",
    "workflow/tune.yml": ".github/workflows/tune.yml",
    "requirements/dcf-regime.lock": "requirements/dcf-regime.lock",
    "README.md": "README.md",
    "gitignore": ".gitignore",
}
_LOCK = "requirements/dcf-regime.lock"
_CONFIGS = ("strategies/tune.toml",)


def default_source() -> str:
    """The pip requirement that installs this very version: ``dcf-regime==X.Y.Z``."""
    return f"dcf-regime=={__version__}"


def _check_source(source: str) -> None:
    if not source.strip() or any(c in source for c in "\"\n\r$`\\"):
        raise ConfigError(f"--source {source!r}: expected a pip requirement such as "
                          "'dcf-regime==0.1.0' or 'dcf-regime @ git+https://host/org/"
                          "dcf-regime@v0.1.0' (no quotes, $, backquotes or line breaks)")


def render_workflow(*, source: str, lock: str = _LOCK,
                    configs: Sequence[str] = _CONFIGS) -> str:
    """The workflow file for a repository that installs dcf-regime with ``source``.

    Parameters
    ----------
    source : str
        A pip requirement pinning dcf-regime (a version or a git ref; ``.`` in this
        repository, which installs its own checkout).
    lock : str
        The lock of dcf-regime's dependencies, relative to the repository.
    configs : sequence of str
        The run configs of the job matrix.
    """
    _check_source(source)
    text = (TEMPLATE / "workflow" / "tune.yml").read_text(encoding="utf-8")
    matrix = "[" + ", ".join(configs) + "]"
    return (text.replace("@SOURCE@", source).replace("@LOCK@", lock)
            .replace("@CONFIGS@", matrix).replace("@VERSION@", __version__))


@dataclass(frozen=True)
class ScaffoldReport:
    """What :func:`write_scaffold` did: files written, and files that existed and were kept."""

    written: tuple[Path, ...]
    kept: tuple[Path, ...]


def _content(template: str, source: str) -> bytes:
    if template == "workflow/tune.yml":
        return render_workflow(source=source).encode()
    text = (TEMPLATE / template).read_bytes()
    if template == "README.md":
        return text.decode().replace("@SOURCE@", source).replace("@VERSION@", __version__).encode()
    return text


def _create(path: Path, data: bytes) -> bool:
    """Write ``path`` whole or not at all, only if it does not exist; False if it does.

    The bytes go to a temporary file first, which is then hard-linked to ``path``:
    ``link`` fails on an existing name, so nothing is ever overwritten, and a full disk
    leaves no half-written file behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        tmp.chmod(0o644)  # mkstemp makes it private; these are ordinary files
        try:
            path.hardlink_to(tmp)  # link(2): fails on an existing name
        except FileExistsError:
            return False
        return True
    finally:
        tmp.unlink()


def write_scaffold(directory: str | Path, *, source: str | None = None) -> ScaffoldReport:
    """Write a team repository into ``directory`` (created if missing); never overwrite.

    Raises
    ------
    ConfigError
        ``directory`` is a file, or a file cannot be written (one line, the path).
    """
    root = Path(directory)
    source = default_source() if source is None else source
    _check_source(source)
    if root.exists() and not root.is_dir():
        raise ConfigError(f"init: {root} exists and is not a directory")
    written, kept = [], []
    for template, target in FILES.items():
        path = root / target
        if path.exists() or path.is_symlink():
            kept.append(path)
            continue
        try:
            if not _create(path, _content(template, source)):
                kept.append(path)
                continue
        except OSError as exc:
            raise ConfigError(f"init: cannot write {path}: {exc.strerror or exc}") from None
        written.append(path)
    return ScaffoldReport(tuple(written), tuple(kept))
