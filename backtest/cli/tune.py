"""``backtest tune``: sweep, select in sample, judge out of sample, gate → exit code."""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from backtest.cli._options import SetOption
from backtest.errors import BacktestError, BacktestWarning, ConfigError

if TYPE_CHECKING:
    from backtest.tune import TuneResult

__all__ = ["register"]

_EXIT_GATE = 3
_EXIT_INTERRUPTED = 130
_PROGRESS_AFTER_S = 2.0  # a bar appears only for sweeps that take longer than this


def _parse_bytes(text: str | None) -> int | None:
    """``"4GB"``, ``"512MB"``, ``"2GiB"`` or a number of bytes."""
    if text is None:
        return None
    units = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9,
             "KIB": 2**10, "MIB": 2**20, "GIB": 2**30}
    raw = text.strip().upper().replace(" ", "")
    number = raw.rstrip("KMGIB")
    unit = raw[len(number):]
    try:
        value = float(number) * units[unit]
    except (ValueError, KeyError):
        raise ConfigError(f"--max-memory {text!r}: expected e.g. 4GB, 512MB or bytes") from None
    if not math.isfinite(value) or not 0 < value <= 2**50:  # NaN, inf, 0, above a PiB
        raise ConfigError(f"--max-memory {text!r}: expected a size above 0 and up to 1 PiB "
                          "(e.g. 4GB)")
    return int(value)


#: Searches this large say so at once, with an estimate once one can be measured.
_LARGE = 2_000


class _Progress:
    """What a tune shows while it works: a bar with ETA per phase, or one-line estimates.

    On a terminal a Rich bar appears once a phase has run for a couple of seconds (at
    once for a large search). Otherwise (a CI log, ``--quiet``) a large search prints
    one line when it starts and one estimate per phase, after 5 % of it, on stderr.
    """

    def __init__(self, quiet: bool, n_trials: int) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self.live = not quiet and self.console.is_terminal
        self.large = n_trials >= _LARGE
        self.bar: Any = None
        self.task: Any = None
        self.phase = ""
        self.done = 0
        self.started = time.monotonic()
        self.estimated = False
        if self.large:
            typer.echo(f"tune: {n_trials:,} trials to prepare and run; this can take a while "
                       "(progress and an estimate follow)", err=True)

    def __call__(self, phase: str, n: int, total: int) -> None:
        if phase != self.phase:
            self._new_phase(phase, total)
        self.done += n
        elapsed = time.monotonic() - self.started
        if self.live and self.bar is None and (self.large or elapsed > _PROGRESS_AFTER_S):
            self._start_bar(total)
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done, total=total)
        elif self.large and not self.estimated and self.done >= 0.05 * total and elapsed > 0:
            self.estimated = True
            rest = elapsed * (total - self.done) / self.done
            typer.echo(f"tune: {self.phase}: {self.done:,} of {total:,} in {elapsed:.0f} s; "
                       f"about {_duration(rest)} to go", err=True)

    def _new_phase(self, phase: str, total: int) -> None:
        self.stop()
        self.phase, self.done, self.started, self.estimated = phase, 0, time.monotonic(), False

    def _start_bar(self, total: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(TextColumn(f"tune: {self.phase}"), BarColumn(),
                            MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("ETA"),
                            TimeRemainingColumn(), console=self.console, transient=True)
        self.bar.start()
        self.task = self.bar.add_task(self.phase, total=total)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def _write_outputs(result: TuneResult, *, json_file: Path | None, summary: Path | None,
                   junit: Path | None, report: Path | None, heatmap: tuple[str, ...],
                   env: dict[str, str]) -> list[Path]:
    """Write every requested output atomically; append the summary to the step summary."""
    from datetime import UTC, datetime

    from backtest._ci import append_summary
    from backtest.report._io import write_text_atomic
    from backtest.tune._outputs import to_junit, to_markdown

    doc = result.to_json(generated_at=datetime.now(UTC).isoformat(timespec="seconds"))
    written = []
    if json_file is not None:
        text = json.dumps(doc, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
        written.append(write_text_atomic(json_file, text + "\n", "tune JSON"))
    markdown = to_markdown(doc)
    step = env.get("GITHUB_STEP_SUMMARY")
    # a summary that cannot be written is a warning: the exit code stays the gates'
    if summary is not None and not (step and Path(step).resolve() == summary.resolve()):
        try:
            written.append(write_text_atomic(summary, markdown, "tune summary"))
        except BacktestError as exc:
            warnings.warn(f"{exc}; the gates' results are in the log", BacktestWarning,
                          stacklevel=2)
    if step:
        problem = append_summary(step, markdown)
        if problem is not None:
            warnings.warn(f"{problem}; the gates' results are in the log", BacktestWarning,
                          stacklevel=2)
    if junit is not None:
        written.append(write_text_atomic(junit, to_junit(doc), "JUnit file"))
    if report is not None:
        from backtest.tune._html import render_tune_html

        written.append(write_text_atomic(report, render_tune_html(doc, heatmap=heatmap),
                                         "tune report"))
    return written


def _summary_on_error(command: Callable[..., None]) -> Callable[..., None]:
    """An error (exit 1) also lands in ``--summary FILE``: a CI job shows why it failed."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except BacktestError as exc:  # the boundary prints the line itself
            summary = kwargs.get("summary")
            if summary is not None:
                from backtest._ci import error_markdown
                from backtest.report._io import write_text_atomic

                with contextlib.suppress(BacktestError):  # the first error is the one to see
                    write_text_atomic(summary, error_markdown(
                        "tune", " ".join(str(exc).split())), "tune summary")
            raise

    return run


@_summary_on_error
def tune(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Argument(
        help="Run config with an optional [tune] section (default: "
             "strategies/duration_rotation.toml).")] = None,
    params: Annotated[list[str] | None, typer.Option(
        "--param", help="PATH=SPEC to sweep: start:stop:step (inclusive), a,b,c, or one "
                        "value; repeatable; wins over [tune.params].")] = None,
    search: Annotated[str | None, typer.Option(
        "--search", help="grid (every combination) or random.")] = None,
    trials: Annotated[int | None, typer.Option(
        "--trials", help="Random search: number of combinations.")] = None,
    seed: Annotated[int | None, typer.Option(
        "--seed", help="Seed of the random search and the bootstraps.")] = None,
    objective: Annotated[str | None, typer.Option(
        "--objective", help="sharpe | sortino | calmar | cagr | excess (over --benchmark).")
    ] = None,
    benchmark: Annotated[str | None, typer.Option(
        "--benchmark", help="Benchmark label to judge against (default: the first).")] = None,
    holdout: Annotated[float | None, typer.Option(
        "--holdout", help="Share of bars at the end kept out of sample (no walk-forward).")
    ] = None,
    walk_forward: Annotated[bool | None, typer.Option(
        "--walk-forward/--no-walk-forward",
        help="Walk-forward folds (lengths from --train/--test/--step or [tune.walk_forward]).")
    ] = None,
    train: Annotated[str | None, typer.Option(
        "--train", help="Walk-forward train length: bars (120) or months (120m).")] = None,
    test: Annotated[str | None, typer.Option("--test", help="Test length (bars or 36m).")
                    ] = None,
    step: Annotated[str | None, typer.Option(
        "--step", help="Step between folds (default: --test).")] = None,
    purge: Annotated[int | None, typer.Option(
        "--purge", help="Bars left out between each train window and its test window.")
    ] = None,
    anchored: Annotated[bool | None, typer.Option(
        "--anchored/--rolling", help="Expanding (anchored) or rolling train windows.")] = None,
    gates: Annotated[list[str] | None, typer.Option(
        "--gate", help="Gate expression, e.g. 'oos.sharpe >= 0.3'; repeatable; replaces "
                       "[tune] gates.")] = None,
    baseline: Annotated[Path | None, typer.Option(
        "--baseline", help="A previous tune --json; a gated number worse by more than "
                           "--tolerance fails.")] = None,
    tolerance: Annotated[list[str] | None, typer.Option(
        "--tolerance", help="Allowed worsening against --baseline: 0.05 (in each number's "
                            "units), 10% (of the baseline's value), or per number "
                            "(oos.sharpe=0.05, pbo=20%); repeatable; default 0.05.")] = None,
    json_file: Annotated[Path | None, typer.Option("--json", help="Write the JSON here.")
                         ] = None,
    summary: Annotated[Path | None, typer.Option(
        "--summary", help="Write a Markdown job summary (also appended to "
                          "$GITHUB_STEP_SUMMARY when set).")] = None,
    junit: Annotated[Path | None, typer.Option(
        "--junit", help="Write JUnit XML, one test case per gate.")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write the HTML report.")
                      ] = None,
    heatmap: Annotated[str | None, typer.Option(
        "--heatmap", help="Two parameters for the report's heatmap: PATH_X,PATH_Y.")] = None,
    executor: Annotated[str, typer.Option(
        "--executor", help="local (one process) | processes | dask.")] = "local",
    workers: Annotated[int | None, typer.Option(
        "--workers", help="Processes or Dask workers (default: all cores).")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Dask scheduler address (tcp://host:8786); none starts a local "
                            "cluster.")] = None,
    connect_timeout: Annotated[float, typer.Option(
        "--connect-timeout", min=0.1, max=3600,
        help="Seconds to reach --scheduler and hear it answer as a Dask scheduler.")] = 10.0,
    max_memory: Annotated[str | None, typer.Option(
        "--max-memory", help="Memory budget of the sweep (e.g. 4GB; default: a quarter of "
                             "RAM, at most 4 GB).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
    placebo: Annotated[int | None, typer.Option(
        "--placebo", min=0, max=1000,
        help="Re-run the whole search on N placebo signals (circular shifts of the composite "
             "by at least 3 years: same values and persistence, no timing) and report where "
             "the real result falls: placebo.p, placebo.pass_rate; wins over [tune] "
             "placebo.")] = None,
    overrides: SetOption = None,
) -> None:
    """Sweep parameters, select in sample, judge out of sample; gates set the exit code.

    Exit codes: 0 every gate passed; 3 a gate or baseline check failed; 1 user error;
    2 usage.

    Example:

        backtest tune --param strategy.enter=-1:1:0.25 --param strategy.exit=-0.5,0
        --walk-forward --train 120m --test 36m --gate 'oos.sharpe >= 0.3'
        --gate 'pbo <= 0.5' --json reports/tune.json --summary reports/tune.md
    """
    lengths = {"train": train, "test": test, "step": step, "anchored": anchored}
    if not walk_forward and any(v is not None for v in lengths.values()):
        raise ConfigError("--train/--test/--step/--anchored need --walk-forward")
    # --walk-forward: on, with these lengths over the file's; --no-walk-forward or
    # --holdout alone: off; neither: as the file says
    wf: Any = (lengths if walk_forward
               else False if walk_forward is False or holdout is not None else None)
    from backtest.cli import state
    from backtest.stats import parse_tolerances
    from backtest.tune import check_tune, tune_config

    tolerances = parse_tolerances(tolerance or ())
    cfg = tune_config(
        config, overrides=overrides or (), params=params or (), gates=gates or (),
        tune={"search": search, "trials": trials, "seed": seed, "objective": objective,
              "benchmark": benchmark, "holdout": holdout, "purge": purge,
              "walk_forward": wf, "heatmap": heatmap.split(",") if heatmap else None,
              "placebo": placebo},
    )
    if executor not in ("local", "processes", "dask"):
        raise ConfigError(f"--executor {executor!r}: valid: local, processes, dask")
    # a bad space, strategy or gate answers now, before the heavy imports
    space, _, n_placebo = check_tune(cfg)
    base = _read_baseline(baseline)
    from backtest.tune import SweepOptions, run_tune

    options = SweepOptions(executor=executor,  # type: ignore[arg-type]
                           workers=workers, scheduler=scheduler,
                           connect_timeout_s=connect_timeout,
                           max_memory=_parse_bytes(max_memory))
    progress = _Progress(quiet, len(space.draw()) * (1 + n_placebo))
    try:
        result = run_tune(cfg, load=state(ctx).loader(), options=options, baseline=base,
                          tolerance=tolerances, progress=progress)
    except KeyboardInterrupt:
        progress.stop()
        typer.echo("tune interrupted: no output written", err=True)
        raise typer.Exit(_EXIT_INTERRUPTED) from None
    finally:
        progress.stop()
    paths = _write_outputs(result, json_file=json_file, summary=summary, junit=junit,
                           report=report, heatmap=tuple(cfg.tune.heatmap),
                           env=dict(os.environ))
    _print(result, paths)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def _read_baseline(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    from backtest._jsonio import read_json

    doc = read_json(path, "--baseline")  # bounded: /dev/zero is refused, not read forever
    if not isinstance(doc, dict) or doc.get("kind") != "tune":
        raise ConfigError(f"--baseline {path}: not a `backtest tune --json` document")
    from backtest.tune._result import SCHEMA_VERSION

    schema = str(doc.get("schema_version", "none"))
    if schema.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise ConfigError(f"--baseline {path}: schema {schema} cannot be compared with this "
                          f"version's {SCHEMA_VERSION}; make a new baseline")
    return doc


def _print(result: TuneResult, paths: list[Path]) -> None:
    from rich.console import Console

    from backtest.tune._outputs import github_annotations

    doc = result.document
    out = Console(markup=False, highlight=False)
    out.print(doc["verdict"])
    for g in doc["gates"]:
        out.print(f"gate {g['message']}")
    base = doc.get("baseline")
    for check in (base or {}).get("checks", []):
        out.print(f"baseline {check['message']}")
    if base and not (base["config_match"] and base["data_match"]):
        what = [w for w, ok in (("config", base["config_match"]), ("data", base["data_match"]))
                if not ok]
        out.print(f"note: the baseline comes from a different {' and '.join(what)}")
    for path in paths:
        out.print(f"wrote {path}")
    for line in result.failures:
        typer.echo(line, err=True)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for line in github_annotations(doc):
            sys.stdout.write(line + "\n")


def register(app: typer.Typer) -> None:
    """Add the command to the main app."""
    app.command()(tune)
