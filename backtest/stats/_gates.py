"""Gate expressions such as ``oos.sharpe - benchmark.oos.sharpe >= 0``.

A small recursive-descent parser over a fixed grammar; nothing is ever evaluated
as Python (no ``eval``, no ``ast``), so a gate string from a CI file can do
nothing but compare numbers::

    gate       := sum COMPARE sum          COMPARE: >= <= > < == !=
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | primary
    primary    := NUMBER | NAME | "(" sum ")"
    NAME       := letter or _, then letters, digits, _; dot-separated segments
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal, cast

from backtest.errors import ConfigError

__all__ = [
    "Binary",
    "Gate",
    "GateOutcome",
    "Name",
    "Negate",
    "Number",
    "parse_gate",
]

Comparison = Literal[">=", "<=", ">", "<", "==", "!="]
_Arithmetic = Literal["+", "-", "*", "/"]
_TOKEN: Final = re.compile(
    r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_]\w*(?:\.\w+)*)"
    r"|(?P<compare>>=|<=|==|!=|>|<)"
    r"|(?P<symbol>[-+*/()]))",
    re.ASCII,
)
_MAX_LENGTH: Final = 1000
_MAX_DEPTH: Final = 64
_PRECEDENCE: Final = {"+": 1, "-": 1, "*": 2, "/": 2}
_COMPARE: Final = {
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


@dataclass(frozen=True)
class Number:
    """A literal."""

    value: float

    def render(self) -> str:
        """Text that parses back to this node."""
        return repr(self.value)

    def evaluate(self, values: Mapping[str, float]) -> float:
        """The value."""
        return self.value


@dataclass(frozen=True)
class Name:
    """A dotted metric path, looked up in the values."""

    path: str

    def render(self) -> str:
        """Text that parses back to this node."""
        return self.path

    def evaluate(self, values: Mapping[str, float]) -> float:
        """The value of the path (NaN for None)."""
        value = values[self.path]
        return math.nan if value is None else float(value)


@dataclass(frozen=True)
class Negate:
    """Unary minus."""

    operand: Expr

    def render(self) -> str:
        """Text that parses back to this node."""
        inner = self.operand.render()
        return f"-({inner})" if isinstance(self.operand, Binary) else f"-{inner}"

    def evaluate(self, values: Mapping[str, float]) -> float:
        """Minus the operand."""
        return -self.operand.evaluate(values)


@dataclass(frozen=True)
class Binary:
    """``left op right`` with op one of + - * /."""

    op: _Arithmetic
    left: Expr
    right: Expr

    def render(self) -> str:
        """Text that parses back to this node (parentheses only where needed)."""
        level = _PRECEDENCE[self.op]
        left, right = self.left.render(), self.right.render()
        if isinstance(self.left, Binary) and _PRECEDENCE[self.left.op] < level:
            left = f"({left})"
        if isinstance(self.right, Binary) and _PRECEDENCE[self.right.op] <= level:
            right = f"({right})"
        return f"{left} {self.op} {right}"

    def evaluate(self, values: Mapping[str, float]) -> float:
        """IEEE arithmetic; ``x / 0`` is NaN (undefined), never an exception."""
        a, b = self.left.evaluate(values), self.right.evaluate(values)
        if self.op == "+":
            return a + b
        if self.op == "-":
            return a - b
        if self.op == "*":
            return a * b
        return a / b if b != 0 else math.nan


Expr = Number | Name | Negate | Binary


def _names(node: Expr) -> set[str]:
    if isinstance(node, Name):
        return {node.path}
    if isinstance(node, Negate):
        return _names(node.operand)
    if isinstance(node, Binary):
        return _names(node.left) | _names(node.right)
    return set()


@dataclass(frozen=True)
class GateOutcome:
    """The verdict of one gate or baseline check.

    Attributes
    ----------
    text : str
        The gate as written (or ``"<name> vs baseline"``).
    passed : bool
        True when the comparison holds with both sides defined.
    lhs, rhs : float
        The evaluated sides (for a baseline check: the current value and the
        worst value the tolerance allows).
    message : str
        One line saying what was compared and why it passed or failed.
    """

    text: str
    passed: bool
    lhs: float
    rhs: float
    message: str


@dataclass(frozen=True)
class Gate:
    """A parsed gate: ``left op right``."""

    text: str
    left: Expr
    op: Comparison
    right: Expr

    @property
    def names(self) -> frozenset[str]:
        """Metric paths the gate reads."""
        return frozenset(_names(self.left) | _names(self.right))

    def render(self) -> str:
        """Canonical text (parses back to an equal gate)."""
        return f"{self.left.render()} {self.op} {self.right.render()}"

    def validate(self, valid: Iterable[str]) -> None:
        """Raise :class:`ConfigError` if the gate reads a name not in ``valid``."""
        known = sorted(set(valid))
        for name in sorted(self.names - set(known)):
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"gate {self.text!r}: unknown name {name!r}{hint}; valid names: {', '.join(known)}"
            )

    def evaluate(self, values: Mapping[str, float]) -> GateOutcome:
        """Evaluate both sides with ``values`` and compare.

        Raises
        ------
        ConfigError
            A name of the gate is not in ``values`` (the message lists the valid ones).
        """
        self.validate(values.keys())
        lhs, rhs = self.left.evaluate(values), self.right.evaluate(values)
        undefined = [side for side, v in (("left", lhs), ("right", rhs)) if math.isnan(v)]
        if undefined:
            nan_names = sorted(n for n in self.names if math.isnan(Name(n).evaluate(values)))
            what = ", ".join(nan_names) if nan_names else f"the {' and '.join(undefined)} side"
            verb = "are" if len(nan_names) > 1 else "is"
            message = f"failed: {self.text}: {what} {verb} undefined (NaN)"
            return GateOutcome(self.text, False, lhs, rhs, message)
        passed = bool(_COMPARE[self.op](lhs, rhs))
        verdict = "passed" if passed else "failed"
        relation = self.op if passed else f"is not {self.op}"
        message = f"{verdict}: {self.text} ({lhs:.6g} {relation} {rhs:.6g})"
        return GateOutcome(self.text, passed, lhs, rhs, message)


class _Parser:
    """Recursive descent over the token list; every error is one ConfigError line."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []
        self.position = 0
        self.depth = 0
        self._tokenize()

    def fail(self, message: str, column: int | None = None) -> ConfigError:
        where = len(self.text) + 1 if column is None else column + 1
        return ConfigError(f"gate {self.text!r}: {message} at column {where}")

    def _tokenize(self) -> None:
        at = 0
        while at < len(self.text):
            if self.text[at:].strip() == "":
                break
            match = _TOKEN.match(self.text, at)
            if match is None or match.end() == at:
                start = at + len(self.text[at:]) - len(self.text[at:].lstrip())
                raise self.fail(f"unexpected {self.text[start]!r}", start)
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind), match.start(kind)))
            at = match.end()

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, *texts: str) -> str | None:
        token = self.peek()
        if token is not None and token[1] in texts:
            self.position += 1
            return token[1]
        return None

    def gate(self) -> Gate:
        left = self.sum()
        token = self.peek()
        if token is None or token[0] != "compare":
            column = None if token is None else token[2]
            raise self.fail("expected a comparison (>=, <=, >, <, ==, !=)", column)
        self.position += 1
        op = cast(Comparison, token[1])
        right = self.sum()
        token = self.peek()
        if token is not None:
            if token[0] == "compare":
                raise self.fail(f"only one comparison is allowed, found {token[1]!r}", token[2])
            raise self.fail(f"unexpected {token[1]!r}", token[2])
        return Gate(self.text, left, op, right)

    def sum(self) -> Expr:
        node = self.product()
        while (op := self.take("+", "-")) is not None:
            node = Binary(cast(_Arithmetic, op), node, self.product())
        return node

    def product(self) -> Expr:
        node = self.unary()
        while (op := self.take("*", "/")) is not None:
            node = Binary(cast(_Arithmetic, op), node, self.unary())
        return node

    def unary(self) -> Expr:
        self.enter()
        node = Negate(self.unary()) if self.take("-") else self.primary()
        self.depth -= 1
        return node

    def enter(self) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise self.fail(f"nested deeper than {_MAX_DEPTH} levels", None)

    def primary(self) -> Expr:
        token = self.peek()
        if token is None:
            raise self.fail("expected a number, a name or '('")
        kind, text, column = token
        self.position += 1
        if kind == "number":
            return Number(float(text))
        if kind == "name":
            return Name(text)
        if text == "(":
            node = self.sum()
            if self.take(")") is None:
                following = self.peek()
                raise self.fail("expected ')'", None if following is None else following[2])
            return node
        raise self.fail(f"expected a number, a name or '(' but found {text!r}", column)


def parse_gate(text: str) -> Gate:
    """Parse a gate expression such as ``"oos.sharpe - benchmark.oos.sharpe >= 0"``.

    Parameters
    ----------
    text : str
        Numbers, dotted names, ``+ - * /``, unary minus, parentheses and exactly one
        comparison (``>= <= > < == !=``); at most 1,000 characters and 64 levels
        of nesting.

    Returns
    -------
    Gate
        Evaluate it with :meth:`Gate.evaluate`; names are checked then.

    Raises
    ------
    ConfigError
        Anything outside the grammar, as one line naming the column.
    """
    if not isinstance(text, str):
        raise ConfigError(f"a gate must be a string, got {type(text).__name__}")
    if len(text) > _MAX_LENGTH:
        raise ConfigError(f"gate is longer than {_MAX_LENGTH} characters")
    if "\n" in text or "\r" in text:
        raise ConfigError("a gate must be one line")
    if not text.strip():
        raise ConfigError("empty gate: write e.g. 'oos.sharpe >= 0.3'")
    return _Parser(text).gate()
