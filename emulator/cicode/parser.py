"""Cicode commands as a syntax tree: statements of expressions, calls and tag references. Pure.

Precedence, loosest first: OR; AND; NOT; = <> < > <= >=; + -; * / MOD; BITAND BITOR BITXOR;
unary - +. Documented in docs/ctapi.md ("Cicode").
"""

from __future__ import annotations

from dataclasses import dataclass

from emulator.cicode.lexer import CicodeSyntaxError, Kind, Token, tokenize

#: Deepest nesting of parentheses, calls and prefix operators (a guard, not a Cicode limit).
MAX_DEPTH = 32
#: Longest command accepted, in characters and in tokens (guards, not Cicode limits).
MAX_COMMAND = 8192
MAX_TOKENS = 300

Literal = int | float | str


@dataclass(frozen=True, slots=True)
class Constant:
    value: Literal


#: An argument left empty between commas: the function's default ("" or 0).
EMPTY = Constant("")


@dataclass(frozen=True, slots=True)
class TagRef:
    """A tag read inside an expression: `Cluster.Tag.Element.Item` and an optional index."""

    name: str
    index: Expr | None
    position: int


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Expr, ...]
    position: int


@dataclass(frozen=True, slots=True)
class Unary:
    op: str
    operand: Expr


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: Expr
    right: Expr
    position: int


Expr = Constant | TagRef | Call | Unary | Binary


@dataclass(frozen=True, slots=True)
class Assign:
    """`Tag = expression`: a tag write."""

    target: TagRef
    value: Expr


Statement = Assign | Expr

_COMPARISONS = ("=", "<>", "<", ">", "<=", ">=")


def parse(text: str) -> tuple[Statement, ...]:
    """The statements of a command (separated by ';'); CicodeSyntaxError when it is not one."""
    if len(text) > MAX_COMMAND:
        raise CicodeSyntaxError(f"a command is at most {MAX_COMMAND} characters", MAX_COMMAND)
    return _Parser(tokenize(text)).program()


def parse_expression(text: str) -> Expr:
    """One expression, where `=` always compares (alarm and trend expressions)."""
    if len(text) > MAX_COMMAND:
        raise CicodeSyntaxError(f"an expression is at most {MAX_COMMAND} characters", MAX_COMMAND)
    parser = _Parser(tokenize(text))
    if parser.at_end():
        raise CicodeSyntaxError("the expression is empty", 0)
    expr = parser.expression()
    if not parser.at_end():
        raise parser.error("expected the end of the expression")
    return expr


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        if len(tokens) > MAX_TOKENS + 1:
            raise CicodeSyntaxError(
                f"a command is at most {MAX_TOKENS} tokens (names, numbers, operators)",
                tokens[MAX_TOKENS].position,
            )
        self.tokens = tokens
        self.at = 0
        self.depth = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.at]

    def at_end(self) -> bool:
        return self.token.kind is Kind.END

    def advance(self) -> Token:
        token = self.tokens[self.at]
        if token.kind is not Kind.END:
            self.at += 1
        return token

    def expect(self, op: str) -> Token:
        if not self.token.is_op(op):
            raise self.error(f"expected {op!r}")
        return self.advance()

    def error(self, message: str) -> CicodeSyntaxError:
        token = self.token
        found = "the end" if token.kind is Kind.END else repr(token.text)
        return CicodeSyntaxError(f"{message}, found {found}", token.position)

    def program(self) -> tuple[Statement, ...]:
        statements: list[Statement] = []
        while not self.at_end():
            if self.token.is_op(";"):
                self.advance()
                continue
            statements.append(self.statement())
            if not (self.token.is_op(";") or self.at_end()):
                raise self.error("expected ';' or the end of the command")
        if not statements:
            raise CicodeSyntaxError("the command is empty", 0)
        return tuple(statements)

    def statement(self) -> Statement:
        start = self.at
        if self.token.kind is Kind.NAME:
            target = self.reference_or_call()
            if isinstance(target, TagRef) and self.token.is_op("="):
                self.advance()
                return Assign(target, self.expression())
            self.at = start
        return self.expression()

    def expression(self) -> Expr:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"nested more than {MAX_DEPTH} deep")
        try:
            return self.binary(0)
        finally:
            self.depth -= 1

    _LEVELS: tuple[tuple[str, ...], ...] = (
        ("OR",),
        ("AND",),
        ("NOT",),  # prefix level, handled in binary()
        _COMPARISONS,
        ("+", "-"),
        ("*", "/", "MOD"),
        ("BITAND", "BITOR", "BITXOR"),
    )

    def binary(self, level: int) -> Expr:
        if level == len(self._LEVELS):
            return self.unary()
        ops = self._LEVELS[level]
        if ops == ("NOT",):
            if self.token.is_op("NOT"):
                self.advance()
                self.depth += 1
                if self.depth > MAX_DEPTH:
                    raise self.error(f"nested more than {MAX_DEPTH} deep")
                try:
                    return Unary("NOT", self.binary(level))
                finally:
                    self.depth -= 1
            return self.binary(level + 1)
        left = self.binary(level + 1)
        while self.token.kind is Kind.OP and self.token.text in ops:
            op = self.advance()
            left = Binary(op.text, left, self.binary(level + 1), op.position)
        return left

    def unary(self) -> Expr:
        if self.token.is_op("-", "+"):
            op = self.advance().text
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.error(f"nested more than {MAX_DEPTH} deep")
            try:
                return Unary(op, self.unary())
            finally:
                self.depth -= 1
        return self.primary()

    def primary(self) -> Expr:
        token = self.token
        if token.kind in (Kind.NUMBER, Kind.STRING):
            self.advance()
            assert token.value is not None
            return Constant(token.value)
        if token.is_op("("):
            self.advance()
            inner = self.expression()
            self.expect(")")
            return inner
        if token.kind is Kind.NAME:
            return self.reference_or_call()
        raise self.error("expected a value, a tag or a function call")

    def reference_or_call(self) -> Expr:
        first = self.advance()
        if self.token.is_op("("):
            return self.call(first)
        parts = [first.text]
        while self.token.is_op("."):
            self.advance()
            if self.token.kind is not Kind.NAME:
                raise self.error("expected a name after '.'")
            parts.append(self.advance().text)
        index = None
        if self.token.is_op("["):
            self.advance()
            index = self.expression()
            self.expect("]")
        return TagRef(".".join(parts), index, first.position)

    def call(self, name: Token) -> Call:
        """`Name(a, b)`; an argument left empty (`F(a, , c)`, `F(a, )`) is EMPTY, as Plant
        SCADA's argument conversion takes clients' formatted calls (ctapi-behaviour.md)."""
        self.expect("(")
        args: list[Expr] = []
        if not self.token.is_op(")"):
            args.append(self.argument())
            while self.token.is_op(","):
                self.advance()
                args.append(self.argument())
        self.expect(")")
        while args and args[-1] is EMPTY:  # empty trailing arguments: as if left out
            args.pop()
        return Call(name.text, tuple(args), name.position)

    def argument(self) -> Expr:
        if self.token.is_op(",") or self.token.is_op(")"):
            return EMPTY
        return self.expression()
