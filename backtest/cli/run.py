"""``backtest run``, ``backtest compare`` and ``backtest report``."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from backtest.cli._options import QuietOption, SetOption, VerboseOption
from backtest.cli._stages import Stages
from backtest.errors import BacktestError, ConfigError, ResultFileError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.console import Console

    from backtest.config import RunConfig
    from backtest.data.dataset import Loader
    from backtest.report import RunData

__all__ = ["checked_config", "register", "run_documents"]

_NO_HTML_HELP = "Write no HTML report (JSON and terminal tables only)."


def _loader(ctx: typer.Context) -> Loader:
    from backtest.cli import state

    return state(ctx).loader()


def checked_config(path: Path | None, overrides: Sequence[str]) -> RunConfig:
    """A run config parsed and its strategies built, before anything heavy is imported.

    Every error of the file is found here (``backtest.config`` reports them all at
    once), answered in about the time numpy and pandas take to import.
    """
    from backtest.config import load_config
    from backtest.strategies import load_strategy

    config = load_config(path, overrides)
    for spec in config.strategies:
        load_strategy(spec.kind, spec.params, spec.path, base_dir=config.base_dir)
    return config


def run_documents(results: list[Any]) -> list[dict[str, Any]]:
    """The JSON documents of fresh runs, stamped now (the report and the JSON share them).

    Each run is analysed first (:func:`backtest.evaluate.analyze`: thesis, regime timing,
    attribution, signal contributions), so its document has the keys of schema 1.2.
    """
    from backtest.evaluate import analyze
    from backtest.report import to_json

    when = datetime.now(UTC)
    return [to_json(r, generated_at=when, analysis=analyze(r)) for r in results]


def _show(console: Console, runs: list[RunData], *, regimes: bool, verbose: bool = True) -> None:
    from backtest.cli._tables import DIFFERS_SHOWN, differs_table, metrics_tables, regime_summary
    from backtest.report import compare_runs

    comparison = compare_runs(runs)
    console.print(metrics_tables(comparison, console.width))
    differs = differs_table(comparison, console.width, None if verbose else DIFFERS_SHOWN)
    if differs is not None:
        console.print(differs)
    if regimes:
        for run, labels in zip(comparison.runs, comparison.labels, strict=True):
            console.print(regime_summary(run, labels[run.main], console.width))


def _html_page(runs: list[RunData]) -> str:
    from backtest.report import build_context, render_html

    return render_html(build_context(runs))


def _write_page(path: Path, page: str) -> Path:
    from backtest.report import write_report

    return write_report(path, page)


def _write_html(path: Path, runs: list[RunData]) -> Path:
    return _write_page(path, _html_page(runs))


def run(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Argument(
            help="Run config (default: ./strategies/duration_rotation.toml if the working "
            "directory has one, else the packaged default; the command says which)."
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Directory for the HTML and JSON.")] = Path(
        "reports"
    ),
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Write the JSON result here instead.")
    ] = None,
    overrides: SetOption = None,
    no_html: Annotated[bool, typer.Option("--no-html", help=_NO_HTML_HELP)] = False,
    quiet: QuietOption = False,
) -> None:
    """Run a strategy and its benchmarks; print metrics; write HTML and JSON.

    Example:

        backtest run strategies/duration_rotation.toml --set costs.fees_bps=20 --no-html
    """
    import backtest
    from backtest.cli._tables import make_console
    from backtest.config import check_overrides, find_default_config
    from backtest.report import run_from_document, write_json

    which = None
    if config is None:  # say which default is used: on success first, on failure in the error
        check_overrides(overrides or ())
        config, which = find_default_config(Path.cwd())
    with Stages("run", quiet=quiet, total=5 if no_html else 6) as stage:
        try:
            parsed = checked_config(config, overrides or ())  # before the engine is imported
            result = backtest.run(parsed, load=_loader(ctx), progress=stage)
        except BacktestError as exc:
            if which is not None:
                exc.args = (f"{exc} ({which})",)
            raise
        name = result.config.run.name
        stage("analysis")
        documents = run_documents([result])
        runs = [run_from_document(documents[0])]
        paths = []
        if not no_html:
            stage("report")
            paths.append(_write_html(out / f"{name}.html", runs))
        stage("JSON")
        paths.append(write_json(json_file or out / f"{name}.json", documents[0]))
    console = make_console()
    if which is not None:
        console.print(which, soft_wrap=True)
    _show(console, runs, regimes=True)
    for path in paths:
        console.print(f"wrote {path}")


def compare(
    ctx: typer.Context,
    configs: Annotated[list[Path], typer.Argument(help="Two or more run configs.")],
    report: Annotated[
        Path, typer.Option("--report", help="HTML report comparing every strategy.")
    ] = Path("reports/compare.html"),
    json_file: Annotated[
        Path | None,
        typer.Option("--json", help="Write every run in one schema-versioned JSON file."),
    ] = None,
    overrides: SetOption = None,
    no_html: Annotated[bool, typer.Option("--no-html", help=_NO_HTML_HELP)] = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Run several configs and compare all their strategies in one HTML report.

    Example:

        backtest compare strategies/duration_rotation.toml other.toml --report reports/compare.html
    """
    import backtest
    from backtest.cli._tables import make_console
    from backtest.report import compare_document, compare_runs, run_from_document, write_json

    if not configs:
        raise ConfigError("compare needs at least one config")
    from backtest.config import check_overrides

    check_overrides(overrides or (), configs)
    parsed = [checked_config(c, overrides or ()) for c in configs]  # all, before any run
    load = _loader(ctx)
    written = []
    with Stages("compare", quiet=quiet) as stage:
        results = []
        for i, one in enumerate(parsed):
            results.append(backtest.run(one, load=load, progress=lambda name, i=i: stage(
                f"run {i + 1} of {len(parsed)}: {name}")))
        stage("analysis")
        documents = run_documents(results)
        runs = [run_from_document(d, f"run {i + 1}") for i, d in enumerate(documents)]
        if not no_html:
            stage("report")
            written.append(_write_html(report, runs))
        if json_file is not None:
            stage("JSON")
            written.append(write_json(json_file, compare_document(documents)))
    warnings = compare_runs(runs).warnings()
    if len(configs) == 1:
        warnings.insert(0, "compare got one config: nothing to compare it with")
    if warnings:
        typer.echo("Warning: compare: " + "; ".join(warnings), err=True)
    console = make_console()
    _show(console, runs, regimes=False, verbose=verbose)
    for path in written:
        console.print(f"wrote {path}")


def report(
    results: Annotated[
        list[Path], typer.Argument(help="Saved JSON results (run --json or compare --json files).")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML file to write.")] = Path(
        "reports/report.html"
    ),
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Render the HTML report of saved JSON results, without re-running anything.

    Several files (or a compare file) make one comparison. The page equals the one
    written when the results were made. Tune results (tune --json) render the tune
    report; several of them (e.g. the CI artifacts of successive commits) one page of
    each gated number over time.

    Example:

        backtest report reports/duration_rotation.json reports/other.json -o reports/both.html

        backtest report tune-1.json tune-2.json tune-3.json -o reports/gates.html
    """
    from backtest.cli._tables import make_console
    from backtest.report import compare_runs, read_results

    with _damaged_files_are_one_line(results), Stages("report", quiet=quiet) as stage:
        stage("reading")
        tune_docs = _tune_documents(results)
        if tune_docs is not None:
            from backtest.report._io import write_text_atomic
            from backtest.tune._html import render_tune_history, render_tune_html

            stage("page")
            page = (render_tune_html(tune_docs[0]) if len(tune_docs) == 1 else
                    render_tune_history(tune_docs, [p.name for p in results]))
            written = write_text_atomic(output, page, "report")
            stage.close()
            typer.echo(f"wrote {written}")
            return
        runs = read_results(results)
        warnings = compare_runs(runs).warnings()
        console = make_console()
        from rich.console import Console

        console_for_check = Console(file=io.StringIO(), width=console.width)
        _show(console_for_check, runs, regimes=False, verbose=verbose)  # whole, before a line
        stage("page")
        page = _html_page(runs)
    if warnings:
        typer.echo("Warning: report: " + "; ".join(warnings), err=True)
    _show(console, runs, regimes=False, verbose=verbose)
    console.print(f"wrote {_write_page(output, page)}")


@contextlib.contextmanager
def _damaged_files_are_one_line(paths: list[Path]) -> Iterator[None]:
    """A file whose values do not match its schema fails as one line, not a traceback.

    The core of a result is validated field by field before anything is drawn
    (:func:`backtest.report._runs.run_from_document`); this catches what a damaged or
    hostile file can still break deeper down (a thesis field of the wrong type),
    naming the files. Our own documents render (tested); --debug shows the traceback.
    """
    try:
        yield
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, ZeroDivisionError,
            OverflowError, RecursionError) as exc:
        names = ", ".join(str(p) for p in paths)
        raise ResultFileError(f"{names}: cannot be rendered: a value does not have the type or "
                              f"range its schema gives it ({type(exc).__name__}: {exc}); "
                              "re-make the result with backtest run --json") from exc


def _tune_documents(paths: list[Path]) -> list[dict[str, Any]] | None:
    """The files' tune documents when every file is one (None when none is); else an error."""
    from backtest._jsonio import read_json
    from backtest.errors import ResultFileError
    from backtest.tune._result import SCHEMA_VERSION

    docs = [read_json(path, "result file") for path in paths]
    tune = [isinstance(d, dict) and d.get("kind") == "tune" for d in docs]
    if not any(tune):
        return None
    if not all(tune):
        raise ResultFileError("report: give either tune results or run/compare results, not "
                              "both (a tune result is a search, not a run)")
    for path, doc in zip(paths, docs, strict=True):
        schema = str(doc.get("schema_version", "none"))
        if schema.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
            raise ResultFileError(f"{path}: tune schema {schema} cannot be reported; this "
                                  f"version reads {SCHEMA_VERSION}")
        missing = [k for k in ("gates", "config", "data", "exit_code", "generated_by")
                   if k not in doc]
        if missing:
            raise ResultFileError(f"{path}: not a complete tune result (missing "
                                  f"{', '.join(missing)})")
    return docs


def register(app: typer.Typer) -> None:
    """Add the commands to the main app."""
    app.command()(run)
    app.command()(compare)
    app.command()(report)
