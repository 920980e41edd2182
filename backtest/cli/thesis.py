"""``backtest thesis``: the verdict, with confidence intervals, timing and attribution."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from backtest.cli._options import QuietOption, SetOption
from backtest.cli._stages import Stages
from backtest.errors import ConfigError

__all__ = ["register"]


def thesis(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Argument(help="Run config (default: strategies/duration_rotation.toml)."),
    ] = None,
    reps: Annotated[
        int | None,
        typer.Option("--reps", help="Bootstrap resamples (default: [thesis] bootstrap_reps)."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", min=0, max=2**63 - 1,
                                 help="Bootstrap seed (default: [thesis] seed).")
    ] = None,
    json_file: Annotated[
        Path | None,
        typer.Option("--json", help="Also write the run's JSON result (with the thesis) here."),
    ] = None,
    overrides: SetOption = None,
    quiet: QuietOption = False,
) -> None:
    """Test the thesis: the spread by signal state with CIs, its prediction, the mechanism.

    Prints a verdict generated from the numbers, the question first (do the sleeves
    differ in duration, and did the spread fall per 100 bp of yield and credit), then
    the spread after risk-off vs risk-on closes, the predictive regression
    (out-of-sample R2), the split at [run] idea_date, the largest contributor and the
    strategy without it, the spread per decade and per regime with bootstrap CIs and
    Holm-adjusted p-values, regime timing and the top contributors.

    Example:

        backtest thesis strategies/duration_rotation.toml --reps 1000 --seed 0
    """
    import backtest
    from backtest.cli._thesis_tables import thesis_report
    from backtest.cli.run import _loader
    from backtest.config._thesis import MAX_BOOTSTRAP_REPS
    from backtest.evaluate import analyze

    if reps is not None and not 50 <= reps <= MAX_BOOTSTRAP_REPS:
        raise ConfigError(f"--reps must be between 50 (percentile intervals need resamples) and "
                          f"{MAX_BOOTSTRAP_REPS:,}, got {reps}")
    with Stages("thesis", quiet=quiet, total=4) as stage:
        # the kernel, tested equal to vectorbt, spares vectorbt's ~2 s import; the
        # conventions (and --json) name it
        result = backtest.run(config, overrides=overrides or (), load=_loader(ctx),
                              progress=stage, engine="kernel")
        stage("the thesis's statistics")
        analysis = analyze(result, reps=reps, seed=seed)
    if analysis.thesis is None:
        raise ConfigError(analysis.skipped or "thesis: the strategy under test has no state")
    from backtest.cli._tables import make_console

    console = make_console()  # no markup in user text; a closed pipe exits 0
    console.print(thesis_report(analysis, result.main.label, result.conventions()))
    if json_file is not None:
        from backtest.report import to_json, write_json

        when = datetime.now(UTC)
        write_json(json_file, to_json(result, generated_at=when, analysis=analysis))
        console.print(f"wrote {json_file}")


def register(app: typer.Typer) -> None:
    """Add the command to the main app."""
    app.command()(thesis)
