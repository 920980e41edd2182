"""The library entry points the CLI is a shell around."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from backtest.config import RunConfig, load_config
from backtest.data import make_loader
from backtest.data.dataset import Loader
from backtest.engine.result import Engine
from backtest.runner import RunResult
from backtest.runner import run as run_config

if TYPE_CHECKING:
    from backtest.evaluate import RunAnalysis
    from backtest.report._notebook import ReportView

__all__ = ["CompareResult", "compare", "run", "write_outputs"]


def run(
    config: str | Path | RunConfig | None = None,
    *,
    overrides: Sequence[str] = (),
    load: Loader | None = None,
    progress: Callable[[str], None] | None = None,
    engine: Engine = "vectorbt",
) -> RunResult:
    """Run a config (a path, a parsed :class:`RunConfig`, or ``None`` for the default).

    ``load`` fetches series; the default reads local sources directly and remote
    ones through the cache at ``./data/cache`` (see :func:`backtest.data.make_loader`).
    ``progress`` is called with each stage's name as it starts ("data", "signal and
    sleeves", "backtests"). ``engine``: ``"vectorbt"`` (the engine of record) or
    ``"kernel"``, the project's numba kernel, tested equal to it (1e-10) for every
    strategy kind; :func:`backtest.engine.run_backtest`.
    """
    cfg = config if isinstance(config, RunConfig) else load_config(config, overrides)
    return run_config(cfg, load=load or make_loader(), progress=progress, engine=engine)


class CompareResult:
    """Several runs compared: every strategy of every run, labelled ``"run / label"``.

    What ``backtest compare`` prints and reports, for a notebook or a script.
    Jupyter shows the conventions of each run, the metrics and a growth chart
    (``_repr_html_``); :meth:`report` is the full comparison page.

    Attributes
    ----------
    runs : tuple of RunResult
        In the order given.
    """

    def __init__(self, runs: Sequence[RunResult]) -> None:
        from backtest.errors import ConfigError

        if not runs:
            raise ConfigError("compare needs at least one config or result")
        self.runs = tuple(runs)
        self._documents: list[dict[str, Any]] | None = None

    def _parsed(self) -> list[Any]:
        from backtest.report._notebook import parsed, run_documents

        if self._documents is None:
            self._documents = run_documents(self.runs, analyse=False)
        return parsed(self._documents)

    def metrics(self) -> pd.DataFrame:
        """Shape (n_strategies, n_metrics): by display label, benchmarks shared by runs once."""
        from backtest.report import compare_runs

        comparison = compare_runs(self._parsed())
        return pd.DataFrame({e.label: dict(e.data.metrics) for e in comparison.entries}).T

    def warnings(self) -> list[str]:
        """One line per group of identical runs (same effective config and data)."""
        from backtest.report import compare_runs

        return compare_runs(self._parsed()).warnings()

    def report(self, *, title: str | None = None) -> ReportView:
        """The full comparison report, shown inline by Jupyter (``.save(path)`` writes it).

        Each run is analysed first (thesis, regime timing, attribution), as
        ``backtest compare`` does.
        """
        from backtest.report._notebook import full_report, run_documents

        return full_report(run_documents(self.runs, analyse=True), title=title)

    def _repr_html_(self) -> str:
        from backtest.report._notebook import runs_fragment

        return runs_fragment(self._parsed())

    def __repr__(self) -> str:
        names = ", ".join(r.config.run.name for r in self.runs)
        return f"<CompareResult of {len(self.runs)} runs: {names}>"


def compare(
    configs: Sequence[str | Path | RunConfig | RunResult],
    *,
    overrides: Sequence[str] = (),
    load: Loader | None = None,
) -> CompareResult:
    """Run several configs (or take finished runs) and compare them, as ``backtest compare``.

    Parameters
    ----------
    configs : sequence of path, RunConfig or RunResult
        A :class:`RunResult` is used as it is; the others are run (``overrides``
        apply to the paths).
    overrides : sequence of str
        ``--set`` overrides for every config given as a path.
    load : Loader, optional
        As for :func:`run`.
    """
    loader = load or make_loader()
    runs = [c if isinstance(c, RunResult) else run(c, overrides=overrides, load=loader)
            for c in configs]
    return CompareResult(runs)


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
