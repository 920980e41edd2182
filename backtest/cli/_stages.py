"""What a long command is doing, on stderr: a spinner with its stage and elapsed time.

``run``, ``compare``, ``thesis`` and ``report`` take seconds (imports, data, the
backtests, the analysis, the page). On a terminal, once a command has worked for
:data:`AFTER_S` seconds, a transient line shows ``run: backtests (3 of 5) 0:04``;
it is gone when the command prints its results. Never on a pipe or a CI log, never
with ``--quiet``.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

__all__ = ["AFTER_S", "Stages"]

#: Seconds a command works before its stage is shown.
AFTER_S = 1.0


class Stages:
    """A context manager; call it with each stage's name as the command reaches it.

    Parameters
    ----------
    command : str
        The command's name, shown first.
    quiet : bool
        Show nothing.
    total : int
        Number of stages (for "3 of 5"); 0 shows no count.
    console : rich.console.Console, optional
        Where to draw (default: stderr). Nothing is drawn unless it is a terminal.
    """

    def __init__(self, command: str, *, quiet: bool, total: int = 0,
                 console: Any = None, after_s: float = AFTER_S) -> None:
        if console is None:
            from rich.console import Console

            console = Console(stderr=True)
        self.console = console
        self.command, self.total = command, total
        self.stage, self.number = "starting", 0
        self._lock = threading.Lock()
        self._progress: Any = None
        self._task: Any = None
        self._closed = False
        self._timer: threading.Timer | None = None
        if not quiet and console.is_terminal:
            self._timer = threading.Timer(after_s, self._show)
            self._timer.daemon = True
            self._timer.start()

    def __call__(self, stage: str) -> None:
        with self._lock:
            self.stage, self.number = stage, self.number + 1
            if self._progress is not None:
                self._progress.update(self._task, description=self._text())

    def _text(self) -> str:
        count = f" ({self.number} of {self.total})" if self.total and self.number else ""
        return f"{self.command}: {self.stage}{count}"

    def _show(self) -> None:
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        with self._lock:
            if self._closed:
                return
            self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                      TimeElapsedColumn(), console=self.console,
                                      transient=True)
            self._progress.start()
            self._task = self._progress.add_task(self._text(), total=None)

    def close(self) -> None:
        """Remove the line (before the command prints its results)."""
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
            if self._progress is not None:
                self._progress.stop()
                self._progress = None

    def __enter__(self) -> Stages:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
