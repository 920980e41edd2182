"""The ``backtest`` command: a thin Typer shell around the library.

One error boundary: a :class:`~backtest.errors.BacktestError` becomes one line on
stderr and exit code 1 (``--debug`` re-raises it with the traceback). Usage errors
exit 2. A command's own documented exit code (``tune``: 3, a gate failed;
``signal``: 4, the state is unknown) is a ``typer.Exit`` raised after the command
has printed its output; it passes through unchanged. Anything else is a bug and
crashes loudly. Warnings are shown once each, one line each, after the command. A
closed pipe (``backtest data list | head``) ends any command quietly with exit code
0: the reader has what it wanted (``signal`` keeps its 4: the state is still
unknown). Heavy imports (pandas, vectorbt) happen inside commands so ``backtest
--help`` stays fast.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from backtest import __version__
from backtest.errors import BacktestError, BacktestWarning

if TYPE_CHECKING:
    from backtest.data.dataset import Loader

__all__ = ["State", "app", "discard_output", "hoist_global_options", "main", "one_line"]


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


#: Options of the root command, which users also write after the command's name.
_GLOBAL_FLAGS = frozenset({"--debug", "--offline"})
_GLOBAL_VALUES = frozenset({"--data-dir", "--csv-dir", "--mirror"})


def hoist_global_options(args: list[str], commands: set[str]) -> list[str]:
    """``backtest run --mirror DIR cfg`` as ``backtest --mirror DIR run cfg``.

    The global options belong before the command; written after it they are moved
    there (no command has options of these names). ``--`` ends the scan.
    """
    position, i = None, 0
    while i < len(args):  # the command: the first name that is not a global option's value
        if args[i] in _GLOBAL_VALUES:
            i += 2
            continue
        if args[i] in commands:
            position = i
            break
        i += 1
    if position is None:
        return args
    head, tail = args[: position + 1], args[position + 1:]
    moved: list[str] = []
    kept: list[str] = []
    i = 0
    while i < len(tail):
        arg = tail[i]
        name = arg.split("=", 1)[0]
        if arg == "--":
            kept += tail[i:]
            break
        if arg in _GLOBAL_FLAGS or (name in _GLOBAL_VALUES and "=" in arg):
            moved.append(arg)
        elif arg in _GLOBAL_VALUES and i + 1 < len(tail):
            moved += tail[i: i + 2]
            i += 1
        else:
            kept.append(arg)
        i += 1
    return [*head[:position], *moved, head[position], *kept]


class _ErrorBoundary(TyperGroup):
    # Typer vendors its own click, so the boundary prints the line itself and
    # exits through Typer's public `Exit` rather than raising click.ClickException.
    # Warnings are recorded while the command runs and shown once each, one line
    # each, after it ends (see `_warnings_shown_once`).
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(list(args), set(self.commands)))

    def invoke(self, ctx: Any) -> Any:
        try:
            with _warnings_shown_once(ctx):
                result = super().invoke(ctx)
                sys.stdout.flush()  # a closed pipe shows up here, not at interpreter exit
            return result
        except BacktestError as exc:
            if _debug(ctx):
                raise
            message = one_line(str(exc))
            with contextlib.suppress(BrokenPipeError):
                _report_to_ci(ctx.invoked_subcommand or "", message)
                typer.echo(f"Error: {message}", err=True)
            raise typer.Exit(1) from None
        except BrokenPipeError:
            discard_output()
            raise typer.Exit(0) from None


def _report_to_ci(command: str, message: str) -> None:
    """Inside GitHub Actions, an error is also an annotation and a short job summary.

    So a job that failed on a bad config says why on the run's page, not only in its
    log. A summary that cannot be written changes nothing (the error line still shows).
    """
    from backtest._ci import annotation, append_summary, error_markdown, in_github_actions

    if not in_github_actions(os.environ):
        return
    typer.echo(annotation(f"backtest {command}".strip(), message))
    step = os.environ.get("GITHUB_STEP_SUMMARY")
    if step:
        append_summary(step, error_markdown(command, message))


def discard_output() -> None:
    """The reader of stdout went away (``| head``): send what is left to /dev/null.

    Python would otherwise report the failed final flush at exit ("Exception
    ignored ... BrokenPipeError", exit code 120).
    """
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(OSError, ValueError, AttributeError):
                    os.dup2(devnull, stream.fileno())
        finally:
            os.close(devnull)


def _debug(ctx: Any) -> bool:
    found = ctx.find_object(State)
    return found is not None and found.debug


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines included) turned into one space."""
    return " ".join(text.split())


@contextlib.contextmanager
def _warnings_shown_once(ctx: Any) -> Iterator[None]:
    """Record the warnings raised inside; print each distinct one once, after the block.

    They are printed only after ``catch_warnings`` has ended: showing a warning while
    it records would append to the very list being shown, a loop that never ends
    (issue 11). The project's own warnings (:class:`BacktestWarning`) are one
    ``Warning: ...`` line; a dependency's warning is one line naming its category
    and origin (``--debug`` shows Python's usual two-line form).
    """
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", BacktestWarning)
            yield
    finally:
        seen: set[tuple[type[Warning], str]] = set()
        for w in caught:
            key = (w.category, str(w.message))
            if key not in seen:
                seen.add(key)
                typer.echo(_warning_text(w, debug=_debug(ctx)), err=True)


def _warning_text(w: warnings.WarningMessage, *, debug: bool) -> str:
    if issubclass(w.category, BacktestWarning):
        return f"Warning: {one_line(str(w.message))}"
    if debug:
        return warnings.formatwarning(w.message, w.category, w.filename, w.lineno).rstrip()
    origin = f"{Path(w.filename).name}:{w.lineno}"
    return f"Warning: {one_line(str(w.message))} ({w.category.__name__} from {origin})"


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
    """Console-script entry point.

    Output that Click writes before any command runs (``--help``, ``--version``) is
    flushed here, so a closed pipe after it also exits 0 quietly.
    """
    code: Any = 0
    try:
        app()
    except SystemExit as exc:
        code = exc.code
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the command's output met a closed pipe only at the end
        discard_output()
    if code == 1 and type(sys.stdout).__name__ == "PacifyFlushWrapper":
        # Click's own handler met a closed pipe before any command ran (--help, --version)
        discard_output()
        code = 0
    _exit(code)


def _exit(code: Any) -> NoReturn:
    """End the process once the command is done: Python's exit handlers, then ``_exit``.

    The interpreter's own teardown after that (unloading modules, C++ static
    destructors) is skipped on purpose: a native library's thread left running then
    (pyarrow's, under load) aborted about 1 command in 40 *after* its output was
    complete ("terminate called without an active exception", exit 134, issue 18).
    Everything Python-level still runs: the atexit handlers (temporary directories,
    multiprocessing's and Dask's clean-ups, logging) and the flush of both streams.
    """
    status = code if isinstance(code, int) else (0 if code is None else 1)
    if not isinstance(code, int) and code is not None:
        with contextlib.suppress(Exception):
            sys.stderr.write(f"{code}\n")
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(status)


def _register() -> None:
    from backtest.cli import data, init, regimes, run, signal, thesis, tune

    init.register(app)
    run.register(app)
    tune.register(app)
    regimes.register(app)
    thesis.register(app)
    signal.register(app)
    data.register(app)


_register()
