r"""A griffe extension: the reST markup of numpydoc docstrings, shown as Markdown.

The library's docstrings follow numpydoc, written for Sphinx: cross-reference roles
(``:func:`backtest.stats.tied```), ``:math:`` roles, ``.. math::`` blocks and
``.. [1]`` references. mkdocstrings renders docstrings as Markdown, where those would
show as literal text. This rewrites them when the API page is built, and only there;
the sources stay valid numpydoc:

* a role becomes inline code: ``:class:`~backtest.strategy.Decision``` -> `Decision`,
  ``:func:`backtest.stats.tied``` -> `backtest.stats.tied`, ``:math:`\gamma``` -> `\gamma`;
* a ``.. math::`` block becomes a fenced block of its LaTeX (nothing renders math
  without loading a script from the network, which this site never does);
* ``.. [1] text`` becomes ``[1] text``.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|attr|data|mod|obj|exc|const|math):`(~?)([^`]+)`")
_MATH = re.compile(r"^(?P<indent>\s*)\.\. math::\s*(?P<first>.*)$")
_CITATION = re.compile(r"^(\s*)\.\. (\[\w+\])")


def _role(match: re.Match[str]) -> str:
    tilde, target = match.group(1), match.group(2)
    if tilde:
        target = target.rsplit(".", 1)[-1]
    return f"`{target}`"


def _math_blocks(lines: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(lines):
        found = _MATH.match(lines[i])
        if not found:
            out.append(lines[i])
            i += 1
            continue
        indent = found["indent"]
        body = [found["first"].strip()] if found["first"].strip() else []
        i += 1
        while i < len(lines):
            line = lines[i]
            inside = line.startswith(indent) and len(line) - len(line.lstrip()) > len(indent)
            ahead = next((x for x in lines[i:] if x.strip()), "")
            more = len(ahead) - len(ahead.lstrip()) > len(indent) if ahead else False
            if inside or (not line.strip() and more):
                body.append(line.strip())
                i += 1
            else:
                break
        while body and not body[-1]:
            body.pop()
        out += [f"{indent}```text", *(f"{indent}{b}" for b in body), f"{indent}```"]
    return out


def to_markdown(text: str) -> str:
    """A numpydoc docstring with its reST markup rewritten as Markdown."""
    lines = _math_blocks(text.splitlines())
    lines = [_CITATION.sub(r"\1\2", _ROLE.sub(_role, line)) for line in lines]
    return "\n".join(lines)


class RstMarkup(griffe.Extension):
    """Rewrite every docstring's reST markup when griffe loads it."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrite ``obj``'s docstring in place."""
        if obj.docstring is not None:
            obj.docstring.value = to_markdown(obj.docstring.value)
