"""The report renders its figures in a real, offline browser (headless Chromium).

Skipped when Chromium is not installed (``apt-get install chromium``), except
under ``.ci/run``, which installs it and sets ``BACKTEST_REQUIRE_BROWSER=1`` so
that a missing browser fails instead of silently skipping the check.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from backtest.report import build_context, render_html, write_report

pytestmark = pytest.mark.slow

CHROMIUM = next(
    (p for p in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"),
                 shutil.which("google-chrome")) if p and Path(p).exists()),
    None,
)


def dump_dom(page: Path, profile: Path) -> subprocess.CompletedProcess[str]:
    """Load ``page`` with networking features off and return the DOM after scripts ran."""
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--disable-default-apps", "--enable-logging=stderr",
            "--v=0", f"--user-data-dir={profile}", "--virtual-time-budget=10000",
            "--dump-dom", page.as_uri(),
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )


REQUIRED = bool(os.environ.get("BACKTEST_REQUIRE_BROWSER"))


@pytest.mark.skipif(CHROMIUM is None and not REQUIRED,
                    reason="Chromium is not installed (apt-get install chromium)")
def test_every_figure_renders_offline(run: Any, tmp_path: Path) -> None:
    if CHROMIUM is None:
        pytest.fail("BACKTEST_REQUIRE_BROWSER is set but Chromium is not installed")
    page = tmp_path / "report.html"
    write_report(page, render_html(build_context([run], generated_at="now", versions={})))
    done = dump_dom(page, tmp_path / "profile")
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    figures = dom.count('class="plotly-graph-div')
    assert figures == 5
    # plotly draws one main-svg pair per rendered figure; none may be left empty
    assert dom.count('class="main-svg"') >= figures
    assert "Uncaught" not in done.stderr, done.stderr[-2000:]
