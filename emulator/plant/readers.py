"""How the alarm, trends and reports engines read the plant: tag values and Cicode expressions.

The engines take plain callables so they stay testable without a Plant; these build them from
one. A tag with bad quality, or a name the plant does not know, reads as None (the alarm's
.ComBreak, a BAD trend sample, #COM in a report).
"""

from __future__ import annotations

from collections.abc import Callable

from emulator import cicode
from emulator.cicode.interpreter import evaluate_parsed
from emulator.cicode.parser import Expr, parse_expression
from emulator.plant.alarms import ExpressionEvaluator
from emulator.plant.config import TagValue
from emulator.plant.state import QUAL_BAD, Plant, TagState
from emulator.protocol.errors import ProtocolError

__all__ = ["cicode_expressions", "plant_stamps", "plant_values"]


def plant_values(plant: Plant) -> Callable[[str], TagValue | None]:
    """Engineering values by tag reference; None when unknown or of bad quality."""

    held: dict[str, TagState] = {}  # bare tag names, looked up once

    def read(name: str) -> TagValue | None:
        state = held.get(name)
        if state is not None:  # a bare tag name reads as value(name) does, without a lookup
            plant.fresh(state)
            return None if state.current_quality().general == QUAL_BAD else plant.value_of(state)
        plant.keep((name,))  # the engines' references are configured: a fixed set
        try:
            if plant.tag(name).current_quality().general == QUAL_BAD:
                return None
            value = plant.value(name)
        except ProtocolError:
            return None
        if "." not in name and "[" not in name:
            held[name] = plant.tag(name)
        return value

    return read


def plant_stamps(plant: Plant) -> Callable[[str], int | None]:
    """Each tag reference's change count (TagState.version: every value, quality or mode
    change bumps it); None when the plant does not know it."""

    held: dict[str, TagState] = {}  # the alarms' configured tags: a fixed set

    def stamp(name: str) -> int | None:
        state = held.get(name)
        if state is None:
            try:
                state = held[name] = plant.named(name)  # no reference parsed: 10k alarms
            except ProtocolError:
                return None
        return plant.fresh(state).version

    return stamp


def cicode_expressions(
    plant: Plant, functions: cicode.Functions = cicode.BUILTINS
) -> ExpressionEvaluator:
    """An advanced alarm's expression evaluated by the Cicode interpreter; None when it fails.

    An expression only reads: `TAG = 1` compares (cicode.evaluate), it never writes the tag as
    a ctCicode command (cicode.run) would. Each expression is parsed once, not at every scan:
    they are the alarms' configured expressions, a fixed set.
    """
    parsed: dict[str, Expr | None] = {}

    def evaluate(expression: str, now: float) -> TagValue | None:
        if expression not in parsed:
            try:
                parsed[expression] = parse_expression(expression)
            except cicode.CicodeSyntaxError:
                parsed[expression] = None
        expr = parsed[expression]
        if expr is None:
            return None
        try:
            return evaluate_parsed(expr, cicode.CallContext(plant, now), functions)
        except ProtocolError:
            return None

    return evaluate
