"""Options several commands share, declared once so their names and help agree."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["QuietOption", "SetOption", "VerboseOption"]

#: ``--set section.key=value``, repeatable: config overrides (``backtest.config`` paths).
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a config value: section.key=value (TOML value), "
                               "repeatable."),
]

#: ``--quiet``: no progress line on stderr (results and errors still print).
QuietOption = Annotated[
    bool, typer.Option("--quiet", help="No progress line on stderr while the command works.")
]

#: ``--verbose``: every config key that differs between the runs, not the first 8.
VerboseOption = Annotated[
    bool, typer.Option("--verbose", help="List every config key that differs between the "
                                         "runs (default: the first 8 and how many more).")
]
