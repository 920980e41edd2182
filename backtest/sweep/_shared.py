"""The sweep's returns matrix in shared memory, written in place by workers on this machine.

A chunk's returns are most of what a worker sends back: 10,000 trials of 16,000
daily bars are 1.3 GB, pickled, sent through a pipe or a socket, unpickled and
copied into the matrix — CPU on the client, which on a small machine is a core the
workers need. Workers on the client's machine instead write their rows straight
into the matrix, a file in ``/dev/shm`` that the client maps, and send back only
the metrics. A worker elsewhere (a remote Dask cluster) cannot open the file and
sends its rows back as before; a worker that can open a file of that name but not
this one (another machine's ``/dev/shm``) is told apart by a random token in the
file's header. Either way the numbers are the same bits.

The file is reserved in full when it is made (``posix_fallocate``): a full
``/dev/shm`` is a refusal at the start, after which the sweep falls back to sending
rows, never a ``SIGBUS`` halfway. It is removed when the sweep ends (the client's
mapping stays valid until the matrix is freed); one left by a killed client is
removed by the next sweep.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

__all__ = ["RowsHandle", "SharedRows", "alive", "write_rows"]

Floats = npt.NDArray[np.float64]

_DIRECTORY = Path("/dev/shm")
_PREFIX = "dcf-regime-rows-"
_HEADER = 4096  # the token, then the matrix at a page boundary
_TOKEN_BYTES = 16


@dataclass(frozen=True)
class RowsHandle:
    """What a worker needs to find the matrix (small, pickled with every task)."""

    path: str
    token: bytes
    shape: tuple[int, int]


class SharedRows:
    """A C-ordered float64 matrix backed by a file in shared memory.

    Use :meth:`create` (None when shared memory is unavailable or full); ``array``
    is the matrix, ``handle`` goes to the workers, :meth:`close` removes the file.
    """

    def __init__(self, path: Path, handle: RowsHandle, array: Floats) -> None:
        self.path = path
        self.handle = handle
        self.array = array

    @classmethod
    def create(cls, shape: tuple[int, int], directory: Path = _DIRECTORY) -> SharedRows | None:
        """A matrix of ``shape`` in ``directory``, or None if it cannot be made there."""
        _remove_orphans(directory)
        nbytes = int(np.prod(shape)) * 8
        path = directory / f"{_PREFIX}{os.getpid()}-{secrets.token_hex(8)}.f8"
        token = secrets.token_bytes(_TOKEN_BYTES)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError:
            return None
        try:
            try:
                os.posix_fallocate(fd, 0, _HEADER + max(nbytes, 1))
                os.pwrite(fd, token, 0)
            finally:
                os.close(fd)
            if nbytes == 0:
                array: Floats = np.empty(shape)
            else:
                mapped = np.memmap(path, dtype=np.float64, mode="r+", offset=_HEADER,
                                   shape=shape)
                array = mapped.view(np.ndarray)  # a plain array; the mapping lives on
        except (OSError, ValueError):
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        return cls(path, RowsHandle(str(path), token, shape), array)

    def close(self) -> None:
        """Remove the file; the matrix stays readable here until it is freed."""
        with contextlib.suppress(OSError):
            self.path.unlink()


def write_rows(handle: RowsHandle, rows: npt.NDArray[np.int64], values: Floats) -> bool:
    """In a worker: ``values`` into ``rows`` of the shared matrix; False if it is not here."""
    try:
        with Path(handle.path).open("r+b") as file:
            if file.read(_TOKEN_BYTES) != handle.token:
                return False
            mapped = np.memmap(file, dtype=np.float64, mode="r+", offset=_HEADER,
                               shape=handle.shape)
            try:
                mapped[rows] = values
            finally:
                del mapped  # unmapped now: the worker keeps none of the client's pages
    except (OSError, ValueError):
        return False
    return True


def _remove_orphans(directory: Path) -> None:
    """Delete matrices whose process no longer exists (it was killed mid-sweep)."""
    try:
        found = list(directory.glob(f"{_PREFIX}*.f8"))
    except OSError:
        return
    for path in found:
        pid = path.name[len(_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not alive(int(pid)):
            with contextlib.suppress(OSError):
                path.unlink()


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists (a file named after a dead one is an orphan)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, another user's
        return True
    return True
