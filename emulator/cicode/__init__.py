"""Cicode, as far as ctCicode needs it: a parser, an interpreter and a table of built-ins.

`run(command, ctx)` runs a ctCicode command (statements; `Tag = value` writes) and returns text;
`evaluate(expression, ctx)` gives the typed value of one expression (`=` compares), for alarm
and trend expressions. `BUILTINS` is the table other engines extend with
`@BUILTINS.register(...)`. Documented in docs/ctapi.md ("Cicode").
"""

from __future__ import annotations

from emulator.cicode.builtins import BUILTINS
from emulator.cicode.functions import CallContext, Function, Functions, Value
from emulator.cicode.interpreter import evaluate as evaluate_with
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
    "evaluate",
    "parse",
    "run",
]


def run(command: str, ctx: CallContext, functions: Functions = BUILTINS) -> str:
    """The result of a Cicode command as ctCicode returns it; ProtocolError when it fails."""
    return run_with(command, ctx, functions)


def evaluate(expression: str, ctx: CallContext, functions: Functions = BUILTINS) -> Value:
    """The typed value of one Cicode expression; ProtocolError when it fails."""
    return evaluate_with(expression, ctx, functions)
