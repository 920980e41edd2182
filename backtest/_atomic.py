"""Atomic file writes: the one way this package replaces a file on disk."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["write_atomic"]


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new file, never half.

    Writes a temp file in the same directory, fsyncs it, ``os.replace``s it over
    ``path`` and fsyncs the directory. On any failure (disk full, a kill between
    steps) the temp file is removed and ``path`` is untouched. ``OSError`` propagates;
    callers turn it into a one-line user error.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # noqa: PTH101 - mkstemp makes 0600; outputs are meant to be read
        os.replace(tmp, path)  # noqa: PTH105 - fault-injection tests patch os.replace
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise
    with contextlib.suppress(OSError):  # directory fsync is not supported everywhere
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
