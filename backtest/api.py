"""The library entry points the CLI is a shell around."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from backtest.config import RunConfig, load_config
from backtest.data import make_loader
from backtest.data.dataset import Loader
from backtest.runner import RunResult
from backtest.runner import run as run_config

if TYPE_CHECKING:
    from backtest.evaluate import RunAnalysis

__all__ = ["run", "write_outputs"]


def run(
    config: str | Path | RunConfig | None = None,
    *,
    overrides: Sequence[str] = (),
    load: Loader | None = None,
    progress: Callable[[str], None] | None = None,
) -> RunResult:
    """Run a config (a path, a parsed :class:`RunConfig`, or ``None`` for the default).

    ``load`` fetches series; the default reads local sources directly and remote
    ones through the cache at ``./data/cache`` (see :func:`backtest.data.make_loader`).
    ``progress`` is called with each stage's name as it starts ("data", "signal and
    sleeves", "backtests").
    """
    cfg = config if isinstance(config, RunConfig) else load_config(config, overrides)
    return run_config(cfg, load=load or make_loader(), progress=progress)


def write_outputs(
    runs: Sequence[RunResult],
    *,
    html: str | Path | None = None,
    json_path: str | Path | None = None,
    generated_at: datetime | None = None,
    analyses: Sequence[RunAnalysis] | None = None,
) -> list[Path]:
    """Write the HTML report and/or the JSON result of ``runs``.

    Both come from the same JSON documents (:func:`backtest.report.to_json`), so
    ``backtest report`` on the JSON renders the same HTML. The JSON is the run's
    document for one run, a compare document (``{"runs": [...]}``) for several.
    Each run is analysed (:func:`backtest.evaluate.analyze`: thesis, regime timing,
    attribution, signal contributions) unless ``analyses`` (one per run) are given.
    """
    from backtest.evaluate import analyze
    from backtest.report import (
        build_context,
        compare_document,
        render_html,
        to_json,
        write_json,
        write_report,
    )

    written = []
    when = generated_at or datetime.now(UTC)
    analyses = list(analyses) if analyses is not None else [analyze(run) for run in runs]
    documents = [to_json(run, generated_at=when, analysis=analysis)
                 for run, analysis in zip(runs, analyses, strict=True)]
    if html is not None:
        write_report(Path(html), render_html(build_context(documents)))
        written.append(Path(html))
    if json_path is not None:
        payload = documents[0] if len(documents) == 1 else compare_document(documents)
        write_json(Path(json_path), payload)
        written.append(Path(json_path))
    return written
