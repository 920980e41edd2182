"""docs/examples/quickstart.ipynb, executed by nbclient in a kernel of this Python (offline).

The kernelspec is written to a temporary ``JUPYTER_PATH``, so the test needs no
``ipykernel install`` and passes on a fresh machine with the ``dev`` extra.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

nbclient = pytest.importorskip("nbclient", reason="the dev extra (nbclient) is not installed")
nbformat = pytest.importorskip("nbformat")
pytest.importorskip("ipykernel")

from backtest.report._notebook import BUNDLE_MARKER  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "examples" / "quickstart.ipynb"
KERNEL = "dcf-regime-tests"


def _kernelspec(home: Path) -> None:
    spec = home / "kernels" / KERNEL
    spec.mkdir(parents=True)
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "dcf-regime tests", "language": "python",
        "env": {"PYTHONPATH": path},
    }))


def _html(cell: dict) -> str:
    return "".join(str(o.get("data", {}).get("text/html", "")) for o in cell.get("outputs", []))


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, float]:
    home = tmp_path_factory.mktemp("jupyter")
    work = tmp_path_factory.mktemp("work")
    _kernelspec(home)
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(home)
    try:
        nb = nbformat.read(NOTEBOOK, as_version=4)
        client = nbclient.NotebookClient(nb, timeout=120, kernel_name=KERNEL,
                                         resources={"metadata": {"path": str(work)}})
        started = time.perf_counter()
        client.execute()
        return nb, time.perf_counter() - started
    finally:
        if old is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = old


def test_every_cell_runs_without_error_in_under_a_minute(executed) -> None:
    nb, seconds = executed
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", "".join(out.get("traceback", []))
    assert seconds < 60, f"the notebook took {seconds:.0f} s"


def test_results_show_metrics_conventions_and_one_plotly_bundle(executed) -> None:
    nb, _ = executed
    pages = [_html(c) for c in nb.cells if c.cell_type == "code"]
    fragments = [p for p in pages if 'class="dcf-regime"' in p]
    assert len(fragments) == 3  # the run, the comparison, the tune
    for page in fragments:
        assert '<table class="metrics">' in page and "Sharpe" in page
        assert "periods_per_year=12" in page and "execution lag 1 bar" in page
        assert "risk-free = per-bar return of the cash asset RF" in page
        assert "fees 10 bps + slippage 5 bps" in page or "fees 50 bps" in page
        assert "embedded:french/RF" in page  # the data sources
    everything = "".join(pages)
    assert everything.count(f'{BUNDLE_MARKER}="1"') == 1  # plotly.js once, in the first
    assert f'{BUNDLE_MARKER}="1"' in fragments[0]
    assert "Comparison of 2 runs" in fragments[1] and "fees 50 bps" in fragments[1]
    assert "Tune:" in fragments[2] and "out of sample" in fragments[2]
    report = pages[-1]
    assert report.startswith("<iframe srcdoc=") and "&lt;html" in report
