"""Extra report sections: one JSON key, one builder, one partial template.

The core report does not know every key a run document may carry. A section
names the top-level JSON key it renders, a pure builder that turns the runs that
have it into plain context data, and a partial template under
``backtest/report/templates/`` that the page includes after the core sections.
Adding a section is one new module (builder + partial) and one line in
:data:`SECTIONS`; the core context builder and template stay untouched.

Examples
--------
A thesis section (issue 9) would be::

    # backtest/report/_thesis_section.py
    def build(runs: Sequence[RunData], comparison: Comparison) -> dict[str, Any]:
        return {"rows": [... run.document["thesis"] ...]}

    # here
    SECTIONS = (Section(key="thesis", template="_thesis.html.j2", build=build),)

and ``templates/_thesis.html.j2`` renders ``section`` (the builder's dict) and may
use the macros of ``_macros.html.j2``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from backtest.report._thesis_section import build as build_thesis

if TYPE_CHECKING:
    from backtest.report._compare import Comparison
    from backtest.report._runs import RunData

__all__ = ["SECTIONS", "Section", "build_sections"]


@dataclass(frozen=True)
class Section:
    """A report section fed by one top-level key of the run documents.

    Attributes
    ----------
    key : str
        Top-level JSON key; the section is built when at least one run has it.
    template : str
        Partial template (a file in ``backtest/report/templates``).
    build : callable
        ``build(runs_with_the_key, comparison) -> dict`` of plain data (pure); any
        figure it makes goes in a ``figures`` dict of :func:`figure_json` strings.
    """

    key: str
    template: str
    build: Callable[[Sequence[RunData], Comparison], Mapping[str, Any]]


#: Registered sections, rendered in this order after the core sections.
SECTIONS: tuple[Section, ...] = (
    Section(key="thesis", template="_thesis.html.j2", build=build_thesis),  # issue 9
)


def build_sections(comparison: Comparison,
                   sections: Sequence[Section] = SECTIONS) -> list[dict[str, Any]]:
    """Context of every registered section some run has data for."""
    out = []
    for section in sections:
        runs = [run for run in comparison.runs if section.key in run.document]
        if runs:
            out.append({"key": section.key, "template": section.template,
                        "section": dict(section.build(runs, comparison))})
    return out
