"""Options several commands share, declared once so their names and help agree."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["SetOption"]

#: ``--set section.key=value``, repeatable: config overrides (``backtest.config`` paths).
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a config value: section.key=value (TOML value), "
                               "repeatable."),
]
