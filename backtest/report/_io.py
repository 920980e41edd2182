"""The report package's only filesystem access: atomic text writes."""

from __future__ import annotations

import errno
import os
import stat
import sys
import time
from pathlib import Path

from backtest._atomic import write_atomic
from backtest.errors import BacktestError

__all__ = ["write_text_atomic"]

#: Seconds a named pipe may go without a reader before the write is an error.
FIFO_WAIT_S = 10.0


def write_text_atomic(path: str | os.PathLike[str], text: str, what: str) -> Path:
    """Write ``text`` (UTF-8) to ``path``: whole or not at all, and never *over* what is there.

    What stands at ``path`` decides how:

    * nothing, or a regular file: a temp file in the same directory, renamed over
      ``path`` with :func:`os.replace` once complete (a failed write never leaves a
      truncated file); parent directories are created;
    * a symbolic link: its final target is written that way, and the link stays;
    * a device, a FIFO or a socket (``/dev/null``, ``/dev/stdout``, a named pipe),
      or ``-`` (standard output): written to directly, as a stream (renaming over a
      device would replace it with a file: issue 18, as root in a CI container); a
      named pipe that no process opens for reading within :data:`FIFO_WAIT_S` is an
      error, not a wait for ever;
    * a directory: an error.

    Parameters
    ----------
    path : str or os.PathLike
        Destination.
    text : str
        Content.
    what : str
        What is written (``"report"``, ``"JSON result"``), for the error message.

    Returns
    -------
    Path
        The destination as given.

    Raises
    ------
    BacktestError
        A directory, or the file cannot be written (one line, with the reason).
    """
    target = Path(path)
    try:
        if str(path) == "-":
            sys.stdout.write(text)
            sys.stdout.flush()
            return target
        try:
            mode = target.stat().st_mode  # follows links
        except FileNotFoundError:
            mode = None
        if mode is not None and stat.S_ISDIR(mode):
            raise BacktestError(f"cannot write {what} {target}: it is a directory")
        if mode is not None and stat.S_ISFIFO(mode):
            with os.fdopen(_open_fifo(target, what), "w", encoding="utf-8") as handle:
                handle.write(text)
            return target
        if mode is not None and not stat.S_ISREG(mode):  # a device or socket
            with target.open("w", encoding="utf-8") as handle:
                handle.write(text)
            return target
        final = Path(os.path.realpath(target)) if target.is_symlink() else target
        final.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(final, text.encode("utf-8"))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise BacktestError(f"cannot write {what} {target}: {reason}") from exc
    return target


def _open_fifo(target: Path, what: str) -> int:
    """A blocking write descriptor of a named pipe, once a reader has it open.

    ``open(O_WRONLY)`` on a pipe without a reader waits for ever (a hang); opened
    non-blocking it fails with ENXIO instead, so the wait is bounded.
    """
    deadline = time.monotonic() + FIFO_WAIT_S
    while True:
        try:
            fd = os.open(target, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno != errno.ENXIO:
                raise
            if time.monotonic() > deadline:
                raise BacktestError(f"cannot write {what} {target}: no process opened the "
                                    f"named pipe for reading within {FIFO_WAIT_S:.0f} s"
                                    ) from None
            time.sleep(0.05)
            continue
        os.set_blocking(fd, True)
        return fd
