"""Linear series arithmetic for configs: spreads, sums and unit scaling.

An expression is a sum of terms ``[c*]NAME[*c]`` or ``NAME/c`` joined by `` + `` or
`` - `` (spaces around ``+`` and ``-`` are required, because ``-`` also appears
inside names such as ``french:Portfolios_Formed_on_BE-ME/Hi10``). Examples::

    fred:BAA10Y
    fred:DGS10 - fred:DFII10
    fred:WALCL - fred:WTREGEN - fred:RRPONTSYD*1000     (millions of USD; RRP is billions)
    BAA - AAA                                           (aliases, in signal specs)

Each name is evaluated point-in-time on its own, so a spread is known only once
both legs are known.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from backtest.errors import ConfigError

__all__ = ["LinearExpr", "parse_expr"]

_SPLIT = re.compile(r"\s+([+-])\s+")
_NUM = r"[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?"
_TERM = re.compile(
    rf"^(?:(?P<pre>{_NUM})\s*\*\s*)?(?P<name>[^\s*]+?)(?:\s*(?P<op>[*/])\s*(?P<post>{_NUM}))?$"
)


@dataclass(frozen=True)
class LinearExpr:
    """``sum(coef * series)`` over named series; ``terms`` is ((name, coef), ...)."""

    text: str
    terms: tuple[tuple[str, float], ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Distinct series names in order of appearance."""
        return tuple(dict.fromkeys(name for name, _ in self.terms))

    def evaluate(self, lookup: Callable[[str], pd.Series]) -> pd.Series:
        """Combine the series that ``lookup(name)`` returns (aligned; NaN propagates)."""
        total: pd.Series | None = None
        for name, coef in self.terms:
            part = lookup(name) * coef
            total = part if total is None else total + part
        assert total is not None
        total.name = self.text
        return total


def parse_expr(text: str) -> LinearExpr:
    """Parse a linear series expression.

    Examples
    --------
    >>> parse_expr("fred:WALCL - fred:RRPONTSYD*1000").terms
    (('fred:WALCL', 1.0), ('fred:RRPONTSYD', -1000.0))
    """
    pieces = _SPLIT.split(" " + text.strip() + " ")
    if not text.strip():
        raise ConfigError("empty series expression")
    signs = ["+", *pieces[1::2]]
    terms = []
    for sign, raw in zip(signs, pieces[0::2], strict=True):
        m = _TERM.match(raw.strip())
        if m is None or m["name"] in "+-":
            raise ConfigError(
                f"cannot parse term {raw.strip()!r} in series expression {text!r}; "
                "write e.g. 'fred:DGS10 - fred:DFII10' or 'fred:RRPONTSYD*1000' "
                "(spaces around + and -)"
            )
        coef = float(m["pre"] or 1.0)
        if m["post"]:
            post = float(m["post"])
            if m["op"] == "/" and post == 0:
                raise ConfigError(f"series expression {text!r}: {raw.strip()!r} divides by 0")
            coef = coef * post if m["op"] == "*" else coef / post
        if not math.isfinite(coef) or coef == 0:
            raise ConfigError(f"series expression {text!r}: the coefficient of {m['name']!r} is "
                              f"{coef!r}; it must be a finite number other than 0")
        terms.append((m["name"], coef if sign == "+" else -coef))
    return LinearExpr(text.strip(), tuple(terms))
