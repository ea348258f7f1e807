"""Expression generators speak Cicode: parsed once by emulator.cicode, evaluated each tick
against the tag values the generator engine holds (never `eval`).

Tags are read by name (case-insensitive, `Cluster.Tag` too); `=` compares; TRUE and FALSE are
Cicode's labels; digital tags read as 1 or 0. Functions that touch the plant by name (TagRead, ...)
are not available here: name the tag in the expression instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from emulator.cicode import BUILTINS, CallContext, CicodeSyntaxError
from emulator.cicode.functions import to_number
from emulator.cicode.interpreter import LABELS, evaluate_parsed
from emulator.cicode.parser import Binary, Call, Expr, TagRef, Unary, parse_expression
from emulator.plant.config import TagValue
from emulator.protocol.errors import TAG_NOT_FOUND, ProtocolError

if TYPE_CHECKING:
    from emulator.plant.state import Plant


class ExpressionError(ValueError):
    """The text is not a Cicode expression, or it cannot be evaluated; the message says why."""


class _Values:
    """What the interpreter reads tags from: the engine's values (keys casefolded)."""

    def __init__(self, values: Mapping[str, TagValue]) -> None:
        self.values = values

    def value(self, reference: str) -> TagValue:
        try:
            return self.values[reference.casefold()]
        except KeyError:
            raise ProtocolError(TAG_NOT_FOUND, f"no tag {reference!r}") from None


def _check_calls(expr: Expr) -> None:
    """Unknown functions and wrong argument counts are errors of the file, not of a tick."""
    match expr:
        case Call(name=name, args=args):
            function = BUILTINS.get(name)
            if function is None:
                raise ExpressionError(f"{name}() is not a Cicode function of the emulator")
            low, high = function.min_args, function.max_args
            if not low <= len(args) <= high:
                expected = str(low) if low == high else f"{low} to {high}"
                raise ExpressionError(
                    f"{function.name}() takes {expected} arguments, not {len(args)}"
                )
            for arg in args:
                _check_calls(arg)
        case TagRef(index=index) if index is not None:
            _check_calls(index)
        case Unary(operand=operand):
            _check_calls(operand)
        case Binary(left=left, right=right):
            _check_calls(left)
            _check_calls(right)


def _names(expr: Expr) -> set[str]:
    match expr:
        case TagRef(name=name, index=index):
            inner = set() if index is None else _names(index)
            return inner if name.upper() in LABELS and index is None else inner | {name.casefold()}
        case Call(args=args):
            return set().union(*(_names(a) for a in args))
        case Unary(operand=operand):
            return _names(operand)
        case Binary(left=left, right=right):
            return _names(left) | _names(right)
    return set()


@dataclass(frozen=True)
class Expression:
    text: str
    #: The tags it reads, casefolded.
    names: frozenset[str]
    node: Expr

    def evaluate(self, values: Mapping[str, TagValue]) -> float:
        """The value as a number, reading tags from `values`."""
        ctx = CallContext(plant=cast("Plant", _Values(values)), now=0.0)
        try:
            return float(
                to_number(evaluate_parsed(self.node, ctx, BUILTINS), "the expression's value")
            )
        except ProtocolError as exc:
            raise ExpressionError(f"{self.text!r} cannot be evaluated: {exc}") from None
        except (AttributeError, TypeError):
            raise ExpressionError(
                f"{self.text!r} cannot be evaluated: a function that reads the plant by name "
                "is not available in a generator; name the tag instead"
            ) from None


def compile_expression(text: str) -> Expression:
    """Parse `text` once; ExpressionError says what is wrong and where."""
    try:
        node = parse_expression(text)
    except CicodeSyntaxError as exc:
        raise ExpressionError(str(exc)) from None
    _check_calls(node)
    return Expression(text, frozenset(_names(node)), node)
