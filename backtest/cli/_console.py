"""The one Rich console the commands print through.

User text reaches the terminal in many places — cache notes, series ids, config
labels, regime names and descriptions from a user's catalog — and Rich would read
``[/bold]`` in it as markup (a ``MarkupError`` crash) and ``:smile:`` as an emoji.
So every console the CLI creates renders strings literally: ``markup=False`` and
``emoji=False`` apply to every string it prints, table cells and titles included.
Our own styling, where wanted, is given as :class:`rich.text.Text` or table
styles, never as markup in a string.

A closed pipe (``backtest data list | head``) raises :class:`BrokenPipeError`,
which the CLI boundary turns into a quiet exit 0 (Rich's default is exit code 1).
"""

from __future__ import annotations

import errno

from rich.console import Console

__all__ = ["CliConsole"]


class CliConsole(Console):
    """A :class:`rich.console.Console` that prints user strings literally.

    Parameters
    ----------
    stderr : bool
        Print to stderr instead of stdout.
    width : int or None
        Columns; ``None`` for the terminal's.
    """

    def __init__(self, *, stderr: bool = False, width: int | None = None) -> None:
        super().__init__(stderr=stderr, markup=False, emoji=False, highlight=False, width=width)

    def on_broken_pipe(self) -> None:
        """Stop printing and let the CLI boundary end the command with exit code 0."""
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, "the reader of the output went away")
