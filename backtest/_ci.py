"""What a command shows a CI runner (GitHub Actions): annotations and job summaries.

Light on purpose (the standard library only): the CLI's error boundary uses it for
every command, before any heavy import. Every user-supplied name is HTML-escaped:
GitHub renders raw HTML in Markdown summaries, and JUnit viewers render messages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

__all__ = ["annotation", "append_summary", "error_markdown", "escape_html", "in_github_actions"]

_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")


def escape_html(text: str) -> str:
    """Every ``<`` that could open a tag, a comment or a declaration as ``&lt;``.

    A name a user wrote (``<img onerror=...>``) then shows as text in any viewer that
    renders raw HTML, while comparisons stay readable (``pbo <= 0.5``: a ``<`` before
    a space, a digit or ``=`` opens nothing, in HTML or in CommonMark).
    """
    return _TAG_OPEN.sub("&lt;", text)


def _command_text(text: str) -> str:
    """The workflow-command encoding of a message (its HTML escaped first)."""
    return escape_html(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def annotation(title: str, message: str, level: str = "error") -> str:
    """A GitHub Actions workflow command: ``::error title=...::message``."""
    return f"::{level} title={_command_text(title).replace(',', '%2C')}::{_command_text(message)}"


def error_markdown(command: str, message: str) -> str:
    """The short job summary of a command that ended in an error (exit 1)."""
    return (f"## backtest {escape_html(command)} — ❌ ERROR\n\n{escape_html(message)}\n\n"
            "No result was produced: the line above says what to fix.\n")


def in_github_actions(env: Mapping[str, str]) -> bool:
    """True inside a GitHub Actions job."""
    return env.get("GITHUB_ACTIONS") == "true"


def append_summary(path: str | Path, text: str) -> str | None:
    """Append ``text`` to a job summary file; the reason it could not be, or None."""
    try:
        with Path(path).open("a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        return f"cannot append to the job summary {path}: {exc.strerror or exc}"
    return None
