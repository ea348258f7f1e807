"""Arithmetic of tag values for expression generators: a small, safe parser (no eval).

Cicode-style operators: + - * / MOD, = <> < <= > >=, AND OR NOT, parentheses, numbers, tag
names (Cluster.Tag too) and the functions Abs, Min, Max, Sqrt, Sin, Cos, Pow, Round. Names are
case-insensitive, as tag names are in Plant SCADA. True is 1, false is 0.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from emulator.plant.config import TagValue

MAX_LENGTH = 2000
MAX_DEPTH = 50
MAX_OPERATORS = 200


class ExpressionError(ValueError):
    """The text is not a valid expression (at `position`), or it cannot be evaluated."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message if position is None else f"{message} at character {position + 1}")
        self.position = position


_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)"
    r"|(?P<op><=|>=|<>|[-+*/()=<>,]))"
)
_FUNCTIONS: dict[str, tuple[int, int, Callable[..., float]]] = {
    "abs": (1, 1, abs),
    "min": (1, 32, min),
    "max": (1, 32, max),
    "sqrt": (1, 1, math.sqrt),
    "sin": (1, 1, math.sin),
    "cos": (1, 1, math.cos),
    "pow": (2, 2, math.pow),
    "round": (1, 2, lambda x, n=0: round(x, int(n))),
}
_KEYWORDS = {"and", "or", "not", "mod"}
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "=": lambda a, b: a == b,
    "<>": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}

Node = Callable[[Mapping[str, TagValue]], float]


@dataclass(frozen=True)
class Expression:
    text: str
    names: frozenset[str]
    node: Node

    def evaluate(self, values: Mapping[str, TagValue]) -> float:
        try:
            return self.node(values)
        except (ArithmeticError, ValueError) as exc:
            raise ExpressionError(f"{self.text!r} cannot be evaluated: {exc}") from None


def compile_expression(text: str) -> Expression:
    """Parse `text` once; ExpressionError says what is wrong and where."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters")
    parser = _Parser(text)
    node = parser.parse()
    return Expression(text, frozenset(parser.names), node)


def _number(value: TagValue | None) -> float:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise ExpressionError(f"the string {value!r} is not a number") from None
    return 0.0 if value is None else float(value)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []
        self.names: set[str] = set()
        position = 0
        while position < len(text):
            if not text[position:].strip():
                break
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                start = len(text[position:]) - len(text[position:].lstrip()) + position
                raise ExpressionError(f"unexpected {text[start]!r}", start)
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind), match.start(kind)))
            position = match.end()
        self.index = 0
        self.depth = 0
        self.operators = 0

    def parse(self) -> Node:
        if not self.tokens:
            raise ExpressionError("the expression is empty")
        node = self._or()
        if self.index < len(self.tokens):
            _, value, where = self.tokens[self.index]
            raise ExpressionError(f"unexpected {value!r}", where)
        return node

    def _peek(self) -> str | None:
        if self.index >= len(self.tokens):
            return None
        kind, value, _ = self.tokens[self.index]
        return value.casefold() if kind in ("op", "name") else None

    def _take(self, expected: str) -> None:
        if self._peek() != expected:
            where = self.tokens[self.index][2] if self.index < len(self.tokens) else len(self.text)
            raise ExpressionError(f"expected {expected!r}", where)
        self.index += 1

    def _binary(
        self, operators: Mapping[str, Callable[[float, float], float]], operand: Callable[[], Node]
    ) -> Node:
        left = operand()
        while (op := self._peek()) is not None and op in operators:
            self.index += 1
            right = operand()
            left = self._combine(operators[op], left, right)
        return left

    def _combine(self, fn: Callable[[float, float], float], left: Node, right: Node) -> Node:
        self.operators += 1
        if self.operators > MAX_OPERATORS:
            raise ExpressionError(f"the expression has more than {MAX_OPERATORS} operators")
        return lambda v: fn(left(v), right(v))

    def _or(self) -> Node:
        return self._binary({"or": lambda a, b: float(bool(a) or bool(b))}, self._and)

    def _and(self) -> Node:
        return self._binary({"and": lambda a, b: float(bool(a) and bool(b))}, self._not)

    def _not(self) -> Node:
        if self._peek() == "not":
            self.index += 1
            inner = self._nested(self._not)
            return lambda v: float(not inner(v))
        return self._compare()

    def _compare(self) -> Node:
        left = self._additive()
        op = self._peek()
        if op in _COMPARE:
            self.index += 1
            right = self._additive()
            test = _COMPARE[op]
            return lambda v: float(test(left(v), right(v)))
        return left

    def _additive(self) -> Node:
        return self._binary({"+": lambda a, b: a + b, "-": lambda a, b: a - b}, self._term)

    def _term(self) -> Node:
        return self._binary(
            {"*": lambda a, b: a * b, "/": lambda a, b: a / b, "mod": math.fmod}, self._unary
        )

    def _unary(self) -> Node:
        op = self._peek()
        if op in ("-", "+"):
            self.index += 1
            inner = self._nested(self._unary)
            return (lambda v: -inner(v)) if op == "-" else inner
        return self._atom()

    def _nested(self, rule: Callable[[], Node]) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"the expression nests deeper than {MAX_DEPTH} levels")
        try:
            return rule()
        finally:
            self.depth -= 1

    def _atom(self) -> Node:
        if self.index >= len(self.tokens):
            raise ExpressionError("the expression ends too early", len(self.text))
        kind, value, where = self.tokens[self.index]
        self.index += 1
        if kind == "number":
            number = float(value)
            return lambda v: number
        if kind == "name" and value.casefold() not in _KEYWORDS:
            if self._peek() == "(":
                return self._call(value, where)
            key = value.casefold()
            self.names.add(key)
            return lambda v: _number(v.get(key))
        if value == "(":
            inner = self._nested(self._or)
            self._take(")")
            return inner
        raise ExpressionError(f"unexpected {value!r}", where)

    def _call(self, name: str, where: int) -> Node:
        spec = _FUNCTIONS.get(name.casefold())
        if spec is None:
            known = ", ".join(n.capitalize() for n in _FUNCTIONS)
            raise ExpressionError(f"unknown function {name!r} (known: {known})", where)
        low, high, fn = spec
        self._take("(")
        args: list[Node] = []
        if self._peek() != ")":
            args.append(self._nested(self._or))
            while self._peek() == ",":
                self.index += 1
                args.append(self._nested(self._or))
        self._take(")")
        if not low <= len(args) <= high:
            raise ExpressionError(f"{name} takes {low}..{high} arguments, not {len(args)}", where)
        return lambda v: float(fn(*(a(v) for a in args)))
