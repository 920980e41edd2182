"""The ``backtest`` command: a thin Typer shell around the library.

One error boundary: a :class:`~backtest.errors.BacktestError` becomes one line on
stderr and exit code 1 (``--debug`` re-raises it with the traceback). Usage errors
exit 2. Anything else is a bug and crashes loudly. Heavy imports (pandas,
vectorbt) happen inside commands so ``backtest --help`` stays fast.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from backtest import __version__
from backtest.errors import BacktestError, StaleDataWarning

if TYPE_CHECKING:
    from backtest.data.dataset import Loader

__all__ = ["State", "app", "main"]


@dataclass
class State:
    """Options shared by every command (set by the root callback)."""

    debug: bool = False
    offline: bool = False
    data_dir: str | None = None
    env_data_dir: str | None = None
    csv_root: Path | None = None
    fred_api_key: str | None = None
    mirror: Path | None = None

    def loader(self) -> Loader:
        """The series loader these options describe."""
        from backtest.data import make_loader

        return make_loader(
            offline=self.offline,
            data_dir=self.data_dir,
            env_data_dir=self.env_data_dir,
            csv_root=self.csv_root,
            fred_api_key=self.fred_api_key,
            mirror=self.mirror,
        )


class _ErrorBoundary(TyperGroup):
    # Typer vendors its own click, so the boundary prints the line itself and
    # exits through Typer's public `Exit` rather than raising click.ClickException.
    # Our warnings (stale cache data, ...) are shown as one line each, too.
    def invoke(self, ctx: Any) -> Any:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", StaleDataWarning)
            try:
                return super().invoke(ctx)
            except BacktestError as exc:
                state = ctx.find_object(State)
                if state is not None and state.debug:
                    raise
                typer.echo(f"Error: {exc}", err=True)
                raise typer.Exit(1) from None
            finally:
                for w in caught:
                    if issubclass(w.category, StaleDataWarning):
                        typer.echo(f"Warning: {w.message}", err=True)
                    else:  # not ours: shown as Python shows it (formatted directly:
                        # warnings.showwarning would append to `caught` while we iterate it)
                        text = warnings.formatwarning(w.message, w.category, w.filename, w.lineno)
                        typer.echo(text, err=True, nl=False)


app = typer.Typer(
    cls=_ErrorBoundary,
    help="Backtest duration rotation against the cost of capital.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dcf-regime {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    offline: Annotated[
        bool, typer.Option("--offline", help="Read only the cache; never touch the network.")
    ] = False,
    data_dir: Annotated[
        str | None,
        typer.Option("--data-dir", help="Cache root (default: $BACKTEST_DATA, then ./data/cache)."),
    ] = None,
    csv_dir: Annotated[
        Path | None,
        typer.Option("--csv-dir", help="Root of csv: series ids (default: current directory)."),
    ] = None,
    mirror: Annotated[
        Path | None,
        typer.Option(
            "--mirror",
            help=(
                "Serve fred:, yahoo: and french: ids from a local directory laid out like "
                "../shared/data (DIR/macro/ID.csv, DIR/assets/TICKER.csv, "
                "DIR/assets/FILE_monthly.csv). Runs read it directly (no network, no "
                "cache); `data fetch` copies from it into the cache."
            ),
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Backtest duration rotation against the cost of capital.

    Example:

        backtest run                      # the default strategy on the embedded data

        backtest --mirror ../shared/data run strategies/etf_rotation.toml
    """
    ctx.obj = State(
        debug=debug,
        offline=offline,
        data_dir=data_dir,
        # the only two environment variables, read once, here at the edge
        env_data_dir=os.environ.get("BACKTEST_DATA"),
        csv_root=csv_dir,
        fred_api_key=os.environ.get("FRED_API_KEY"),
        mirror=mirror,
    )


def state(ctx: typer.Context) -> State:
    """The shared options of this invocation."""
    obj = ctx.find_object(State)
    return obj if obj is not None else State()


def main() -> None:
    """Console-script entry point."""
    app()


def _register() -> None:
    from backtest.cli import data, regimes, run, signal, thesis, tune

    run.register(app)
    tune.register(app)
    regimes.register(app)
    thesis.register(app)
    signal.register(app)
    data.register(app)


_register()
