"""Atomic file writes: the one way this package replaces a file on disk.

A temp file is written beside the target and ``os.replace``d over it, so readers
see the old or the new file, never half. While it is written the temp file is
held under an exclusive ``flock``: a process killed mid-write leaves a temp file
whose lock died with it, and :func:`sweep_temp_files` can tell such leftovers
(removed) from a write in progress in another process (kept). Where ``fcntl`` is
missing (Windows) a temp file counts as a leftover once it is an hour old.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["TEMP_SUFFIX", "sweep_temp_files", "write_atomic"]

#: Temp files are ``.<target name>.<random>.tmp`` in the target's directory.
TEMP_SUFFIX = ".tmp"
_UNLOCKED_AGE_S = 3600.0


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new file, never half.

    Writes a temp file in the same directory (locked while written), fsyncs it,
    ``os.replace``s it over ``path`` and fsyncs the directory. On any failure (disk
    full, a kill between steps) the temp file is removed and ``path`` is untouched;
    after a ``kill -9`` the temp file stays until :func:`sweep_temp_files`.
    ``OSError`` propagates; callers turn it into a one-line user error.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    handle = os.fdopen(fd, "wb")
    try:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # "in progress" until closed
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # noqa: PTH101 - mkstemp makes 0600; outputs are meant to be read
        os.replace(tmp, path)  # noqa: PTH105 - fault-injection tests patch os.replace
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise
    finally:
        handle.close()
    with contextlib.suppress(OSError):  # directory fsync is not supported everywhere
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _abandoned(path: Path) -> bool:
    """True if no live process is writing ``path`` (its writer's lock is gone)."""
    if fcntl is None:  # pragma: no cover - Windows
        return time.time() - path.stat().st_mtime > _UNLOCKED_AGE_S
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # also releases the lock just taken
    return True


def sweep_temp_files(folder: Path) -> list[Path]:
    """Remove the temp files that killed writers left in ``folder``; return them."""
    removed = []
    for path in folder.glob(f".*{TEMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            if path.is_file() and _abandoned(path):
                path.unlink()
                removed.append(path)
    return removed
