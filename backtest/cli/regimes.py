"""``backtest regimes``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

__all__ = ["register"]


def regimes(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Argument(help="With a config: also run it and show the signal's hits."),
    ] = None,
    catalog: Annotated[
        Path | None,
        typer.Option("--catalog", help="Regime catalog TOML (default: data/regimes.toml)."),
    ] = None,
) -> None:
    """List the historical regime catalog, and the signal's timing if a config is given.

    Example:

        backtest regimes strategies/duration_rotation.toml
    """
    from backtest.cli._tables import make_console
    from backtest.config import default_catalog_path, load_config
    from backtest.regimes import load_catalog

    console = make_console()
    cfg = load_config(config) if config is not None else None
    path = catalog or (cfg.regimes_catalog if cfg is not None else default_catalog_path())
    entries = load_catalog(path)
    table = Table(title=f"Regime catalog ({path}, {len(entries)} episodes)", title_justify="left")
    for col in ("Regime", "Kind", "Start", "End", "Description", "Reference"):
        table.add_column(col)
    for r in entries:
        table.add_row(r.name, str(r.kind), f"{r.start:%Y-%m-%d}", f"{r.end:%Y-%m-%d}",
                      r.description, r.reference)
    console.print(table)
    if cfg is not None:
        import backtest
        from backtest.cli._tables import regime_summary
        from backtest.cli.run import _loader, run_documents
        from backtest.report import run_from_document

        result = backtest.run(cfg, load=_loader(ctx))
        console.print(regime_summary(run_from_document(run_documents([result])[0]),
                                     width=console.width))


def register(app: typer.Typer) -> None:
    """Add the command to the main app."""
    app.command()(regimes)
