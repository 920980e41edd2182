"""The shared returns matrix: workers on this machine write their rows in place.

Whichever way rows come back (written in place, sent because the file is not there
or is another's, no shared memory at all) the sweep's bits are the same, and no
file is left behind — after a sweep, a failed start or a killed client.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sweep.test_executors import TRIALS, _assert_identical
from sweep_support import prepared_sweep

from backtest.sweep import SweepOptions, run_sweep
from backtest.sweep import _shared as shared
from backtest.sweep._executors import evaluate_shared
from backtest.sweep._shared import RowsHandle, SharedRows, write_rows

SHM = Path("/dev/shm")
needs_shm = pytest.mark.skipif(not SHM.is_dir(), reason="no /dev/shm on this system")


def _prepared():  # type: ignore[no-untyped-def]
    return prepared_sweep("synthetic", "binary_rotation", TRIALS)


def _ours() -> set[str]:
    return {p.name for p in SHM.glob(f"{shared._PREFIX}{os.getpid()}-*")}


@needs_shm
def test_rows_written_by_a_worker_are_the_rows_it_would_send() -> None:
    prepared = _prepared()
    matrix = SharedRows.create((len(prepared.trials), len(prepared.index) - 1))
    assert matrix is not None
    try:
        chunk = (1, 3, 4, 9, 10)  # 10 fails at run time: no row for it
        sent = evaluate_shared(prepared, chunk, True, None)
        written = evaluate_shared(prepared, chunk, True, matrix.handle)
        assert written.written and written.returns.shape == (len(sent.numbers), 0)
        assert not sent.written and np.array_equal(sent.numbers, written.numbers)
        rows = [next(p for p in chunk if prepared.trials[p].number == n) for n in sent.numbers]
        assert matrix.array[rows].tobytes() == sent.returns.tobytes()
        assert written.metrics.tobytes() == sent.metrics.tobytes()
        assert written.failed == sent.failed
    finally:
        matrix.close()
    assert not _ours()


@needs_shm
def test_a_worker_without_the_file_or_with_another_one_sends_its_rows(tmp_path: Path) -> None:
    prepared = _prepared()
    matrix = SharedRows.create((len(prepared.trials), len(prepared.index) - 1))
    assert matrix is not None
    try:
        elsewhere = RowsHandle(str(tmp_path / "not-here.f8"), matrix.handle.token,
                               matrix.handle.shape)
        impostor = RowsHandle(matrix.handle.path, b"x" * 16, matrix.handle.shape)
        for handle in (elsewhere, impostor):  # another machine; another machine's /dev/shm
            result = evaluate_shared(prepared, (0, 1), True, handle)
            assert not result.written and result.returns.shape[0] == 2
        assert not write_rows(impostor, np.array([0]), np.zeros((1, matrix.handle.shape[1])))
    finally:
        matrix.close()


@needs_shm
@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_sweeps_through_shared_memory_or_without_it_give_identical_bits(
        executor: str, monkeypatch: pytest.MonkeyPatch) -> None:
    reference = run_sweep(_prepared())
    options = SweepOptions(executor=executor, workers=2, chunk_trials=3)  # type: ignore[arg-type]
    made: list[SharedRows | None] = []
    create = SharedRows.create

    def spy(shape, directory=shared._DIRECTORY):  # type: ignore[no-untyped-def]
        made.append(create(shape, directory))
        return made[-1]

    monkeypatch.setattr(SharedRows, "create", staticmethod(spy))
    _assert_identical(reference, run_sweep(_prepared(), options))
    assert made and made[0] is not None  # the rows did go through shared memory
    monkeypatch.setattr(SharedRows, "create", staticmethod(lambda *a, **k: None))
    _assert_identical(reference, run_sweep(_prepared(), options))  # and without it
    assert not _ours()


def test_full_or_missing_shared_memory_is_a_fallback_not_an_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert SharedRows.create((4, 5), tmp_path / "missing") is None

    def full(fd: int, offset: int, length: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "posix_fallocate", full)
    assert SharedRows.create((4, 5), tmp_path) is None
    assert list(tmp_path.iterdir()) == []  # nothing half-made is left


def test_a_matrix_reserves_its_space_and_is_removed_on_close(tmp_path: Path) -> None:
    matrix = SharedRows.create((3, 1000), tmp_path)
    assert matrix is not None
    assert matrix.path.stat().st_size >= 3 * 1000 * 8  # reserved up front: no SIGBUS later
    matrix.array[:] = 1.5
    matrix.close()
    assert not matrix.path.exists()
    assert float(matrix.array.sum()) == 4500.0  # still mapped here until freed


def test_a_killed_clients_matrix_is_removed_by_the_next_sweep(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    orphan = tmp_path / f"{shared._PREFIX}{dead}-0123456789abcdef.f8"
    orphan.write_bytes(b"\0" * 64)
    mine = tmp_path / f"{shared._PREFIX}{os.getpid()}-fedcba9876543210.f8"
    mine.write_bytes(b"\0" * 64)
    matrix = SharedRows.create((1, 1), tmp_path)
    assert matrix is not None
    matrix.close()
    assert not orphan.exists() and mine.exists()  # a live process's file is never touched
