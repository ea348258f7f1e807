"""Cicode, as far as ctCicode needs it: a parser, an interpreter and a table of built-ins.

`run(command, ctx)` evaluates a command against the plant; `BUILTINS` is the table other
engines extend with `@BUILTINS.register(...)`. Documented in docs/ctapi.md ("Cicode").
"""

from __future__ import annotations

from emulator.cicode.builtins import BUILTINS
from emulator.cicode.functions import CallContext, Function, Functions, Value
from emulator.cicode.interpreter import run as run_with
from emulator.cicode.lexer import CicodeSyntaxError
from emulator.cicode.parser import parse

__all__ = [
    "BUILTINS",
    "CallContext",
    "CicodeSyntaxError",
    "Function",
    "Functions",
    "Value",
    "parse",
    "run",
]


def run(command: str, ctx: CallContext, functions: Functions = BUILTINS) -> str:
    """The result of a Cicode command as ctCicode returns it; ProtocolError when it fails."""
    return run_with(command, ctx, functions)
