"""Cicode text as tokens. Pure. The subset is documented in docs/ctapi.md ("Cicode")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    NUMBER = "number"
    STRING = "string"
    NAME = "name"
    OP = "operator"
    END = "end of command"


#: Words that are operators, not names (case-insensitive, as all of Cicode).
KEYWORDS = frozenset({"AND", "OR", "NOT", "MOD", "BITAND", "BITOR", "BITXOR"})

#: Cicode's escape character in strings is the caret: ^" ^^ ^n ^t ^r.
_ESCAPES = {'"': '"', "^": "^", "n": "\n", "t": "\t", "r": "\r", "'": "'"}

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    |(?P<hex>0[xX][0-9A-Fa-f]+)
    |(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<op><>|<=|>=|[-+*/=<>(),;.\[\]])
    """,
    re.VERBOSE,
)


class CicodeSyntaxError(Exception):
    """The text is not Cicode of the supported subset; `position` is a 0-based column."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at column {position + 1})")
        self.position = position


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str
    position: int
    value: int | float | str | None = None

    def is_op(self, *ops: str) -> bool:
        return self.kind is Kind.OP and self.text in ops


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        if text[position] == '"':
            value, position = _string(text, position)
            tokens.append(Token(Kind.STRING, value, position, value))
            continue
        match = _TOKEN.match(text, position)
        if match is None:
            raise CicodeSyntaxError(f"unexpected character {text[position]!r}", position)
        kind = match.lastgroup
        word = match.group()
        if kind == "hex":
            tokens.append(Token(Kind.NUMBER, word, position, int(word, 16)))
        elif kind == "number":
            number: int | float = float(word) if any(c in word for c in ".eE") else int(word)
            tokens.append(Token(Kind.NUMBER, word, position, number))
        elif kind == "name":
            upper = word.upper()
            if upper in KEYWORDS:
                tokens.append(Token(Kind.OP, upper, position))
            else:
                tokens.append(Token(Kind.NAME, word, position))
        elif kind == "op":
            tokens.append(Token(Kind.OP, word, position))
        position = match.end()
    tokens.append(Token(Kind.END, "", len(text)))
    return tokens


def _string(text: str, start: int) -> tuple[str, int]:
    out: list[str] = []
    position = start + 1
    while position < len(text):
        char = text[position]
        if char == '"':
            return "".join(out), position + 1
        if char == "^" and position + 1 < len(text):
            escaped = _ESCAPES.get(text[position + 1].lower())
            if escaped is None:
                raise CicodeSyntaxError(
                    f'unknown escape ^{text[position + 1]} (use ^" ^^ ^n ^t ^r)', position
                )
            out.append(escaped)
            position += 2
            continue
        out.append(char)
        position += 1
    raise CicodeSyntaxError('a string is not closed: add the closing "', start)
