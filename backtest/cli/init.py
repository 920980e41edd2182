"""``backtest init DIR``: write a team repository (config, plugin strategy, CI workflow)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]


def init(
    directory: Annotated[Path, typer.Argument(help="Where to write the repository "
                                                   "(created if missing).")] = Path(),
    source: Annotated[str | None, typer.Option(
        "--source", help="The pip requirement the workflow installs dcf-regime with (default: "
                         "this version, dcf-regime==X.Y.Z; or a git ref, 'dcf-regime @ "
                         "git+https://github.com/ORG/dcf-regime@vX.Y.Z').")] = None,
) -> None:
    """Write a repository that tunes its own strategy in CI; never overwrite a file.

    It holds strategies/tune.toml (a config with a [tune] section and calibrated gates),
    strategies/my_rules.py (a strategy of your own), .github/workflows/tune.yml,
    requirements/dcf-regime.lock, a README and a .gitignore. Files that exist are kept.

    Example:

        backtest init my-strategies --source "dcf-regime @ git+https://github.com/ORG/dcf-regime@v0.1.0"
    """
    from backtest.scaffold import write_scaffold

    report = write_scaffold(directory, source=source)
    for path in report.written:
        typer.echo(f"wrote {path}")
    for path in report.kept:
        typer.echo(f"kept {path} (it exists; not overwritten)")
    if report.written:
        typer.echo(f"next: cd {directory} && backtest tune strategies/tune.toml "
                   "(README.md says how to install and what the gates mean)")


def register(app: typer.Typer) -> None:
    """Add the command to the main app."""
    app.command()(init)
