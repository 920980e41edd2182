"""``backtest run`` and ``backtest compare``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from backtest.errors import ConfigError

if TYPE_CHECKING:
    from backtest.data.dataset import Loader

__all__ = ["register"]

_SET_HELP = "Override a config value: section.key=value (TOML value), repeatable."


def _loader(ctx: typer.Context) -> Loader:
    from backtest.cli import state

    return state(ctx).loader()


def run(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Argument(help="Run config (default: strategies/duration_rotation.toml)."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Directory for the HTML and JSON.")] = Path(
        "reports"
    ),
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Write the JSON result here instead.")
    ] = None,
    overrides: Annotated[list[str] | None, typer.Option("--set", help=_SET_HELP)] = None,
) -> None:
    """Run a strategy and its benchmarks; print metrics; write HTML and JSON.

    Example:

        backtest run strategies/duration_rotation.toml --set costs.fees_bps=20
    """
    import backtest
    from backtest.cli._tables import metrics_table, regime_summary

    result = backtest.run(config, overrides=overrides or (), load=_loader(ctx))
    name = result.config.run.name
    paths = backtest.write_outputs(
        [result], html=out / f"{name}.html", json_path=json_file or out / f"{name}.json"
    )
    console = Console()
    console.print(metrics_table([result]))
    console.print(regime_summary(result))
    for path in paths:
        console.print(f"wrote {path}")


def compare(
    ctx: typer.Context,
    configs: Annotated[list[Path], typer.Argument(help="Two or more run configs.")],
    report: Annotated[
        Path, typer.Option("--report", help="HTML report comparing every strategy.")
    ] = Path("reports/compare.html"),
    overrides: Annotated[list[str] | None, typer.Option("--set", help=_SET_HELP)] = None,
) -> None:
    """Run several configs and compare all their strategies in one HTML report.

    Example:

        backtest compare strategies/duration_rotation.toml other.toml --report reports/compare.html
    """
    import backtest
    from backtest.cli._tables import metrics_table

    if not configs:
        raise ConfigError("compare needs at least one config")
    load = _loader(ctx)
    runs = [backtest.run(c, overrides=overrides or (), load=load) for c in configs]
    backtest.write_outputs(runs, html=report)
    console = Console()
    console.print(metrics_table(runs))
    console.print(f"wrote {report}")


def register(app: typer.Typer) -> None:
    """Add the commands to the main app."""
    app.command()(run)
    app.command()(compare)
