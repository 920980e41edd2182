"""The report package's only filesystem access: atomic text writes."""

from __future__ import annotations

import os
from pathlib import Path

from backtest._atomic import write_atomic
from backtest.errors import BacktestError

__all__ = ["write_text_atomic"]


def write_text_atomic(path: str | os.PathLike[str], text: str, what: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through a temp file in the same directory.

    The temp file is renamed over ``path`` with :func:`os.replace` only once it is
    complete, so a failed write never leaves a truncated file behind. Parent
    directories are created.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file.
    text : str
        Content.
    what : str
        What is written (``"report"``, ``"JSON result"``), for the error message.

    Returns
    -------
    Path
        The destination.

    Raises
    ------
    BacktestError
        The directory cannot be created or the file cannot be written.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, text.encode("utf-8"))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise BacktestError(f"cannot write {what} {target}: {reason}") from exc
    return target
