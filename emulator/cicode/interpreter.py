"""Runs parsed Cicode against the plant: the ctCicode request's engine. Pure (now passed in)."""

from __future__ import annotations

import math

from emulator.cicode.functions import (
    CallContext,
    Functions,
    Value,
    checked_int,
    checked_real,
    error_number,
    to_int,
    to_number,
    to_text,
)
from emulator.cicode.lexer import CicodeSyntaxError
from emulator.cicode.parser import (
    Assign,
    Binary,
    Call,
    Constant,
    Expr,
    TagRef,
    Unary,
    parse,
    parse_expression,
)
from emulator.logs import get_logger
from emulator.protocol.errors import (
    CICODE_SYNTAX,
    INVALID_ARGUMENT,
    OUT_OF_RANGE,
    TAG_NOT_FOUND,
    UNKNOWN_FUNCTION,
    ProtocolError,
)

#: Longest string a command may build (ours: keeps every reply inside one frame).
MAX_STRING = 4096

#: Cicode's predefined labels the subset knows (used when no tag has the name).
LABELS: dict[str, int] = {"TRUE": 1, "FALSE": 0}

_log = get_logger("emulator.cicode")


def run(command: str, ctx: CallContext, functions: Functions) -> str:
    """The result of a command as ctCicode returns it: the last statement's value as text."""
    try:
        statements = parse(command)
    except CicodeSyntaxError as exc:
        raise ProtocolError(CICODE_SYNTAX, str(exc)) from None
    result = ""
    interpreter = _Interpreter(ctx, functions)
    for statement in statements:
        if isinstance(statement, Assign):
            interpreter.assign(statement)
            result = ""
        else:
            result = to_text(interpreter.evaluate(statement))
        if len(result) > MAX_STRING:
            raise ProtocolError(OUT_OF_RANGE, f"a result is at most {MAX_STRING} characters")
    _log.debug("cicode.run", command=command, result=result)
    return result


def evaluate(expression: str, ctx: CallContext, functions: Functions) -> Value:
    """The typed value of one expression (`=` compares, nothing is assigned)."""
    try:
        expr = parse_expression(expression)
    except CicodeSyntaxError as exc:
        raise ProtocolError(CICODE_SYNTAX, str(exc)) from None
    return _Interpreter(ctx, functions).evaluate(expr)


def evaluate_parsed(expr: Expr, ctx: CallContext, functions: Functions) -> Value:
    """The value of an expression parsed once (the scenario's generators, every tick)."""
    return _Interpreter(ctx, functions).evaluate(expr)


def value_of_tag(ctx: CallContext, reference: str) -> Value:
    """A tag's engineering value as a Cicode value (digital as 0/1)."""
    value = ctx.plant.value(reference)
    if isinstance(value, bool):
        return int(value)
    return value


class _Interpreter:
    def __init__(self, ctx: CallContext, functions: Functions) -> None:
        self.ctx = ctx
        self.functions = functions

    def reference(self, ref: TagRef) -> str:
        if ref.index is None:
            return ref.name
        index = to_int(self.evaluate(ref.index), f"the index of {ref.name}")
        if index < 0:
            raise ProtocolError(OUT_OF_RANGE, f"{ref.name}[{index}]: an index starts at 0")
        return f"{ref.name}[{index}]"

    def assign(self, statement: Assign) -> None:
        value = self.evaluate(statement.value)
        user = self.ctx.user.name if self.ctx.user else None
        self.ctx.plant.write(self.reference(statement.target), to_text(value), self.ctx.now, user)

    def evaluate(self, expr: Expr) -> Value:
        match expr:
            case Constant(value):
                return value
            case TagRef():
                return self.tag(expr)
            case Call():
                return self.call(expr)
            case Unary(op, operand):
                return self.unary(op, self.evaluate(operand))
            case Binary(op, left, right):
                return self.binary(op, self.evaluate(left), self.evaluate(right))
        raise AssertionError(f"unknown node {expr!r}")  # pragma: no cover - exhaustive

    def tag(self, ref: TagRef) -> Value:
        try:
            return value_of_tag(self.ctx, self.reference(ref))
        except ProtocolError as exc:
            label = LABELS.get(ref.name.upper())
            if exc.error is TAG_NOT_FOUND and label is not None and ref.index is None:
                return label
            raise

    def call(self, call: Call) -> Value:
        function = self.functions.get(call.name)
        if function is None:
            raise ProtocolError(
                UNKNOWN_FUNCTION,
                f"{call.name}() is not a Cicode function of the emulator "
                "(docs/ctapi.md lists those it has)",
            )
        count = len(call.args)
        if not function.min_args <= count <= function.max_args:
            expected = (
                str(function.min_args)
                if function.min_args == function.max_args
                else f"{function.min_args} to {function.max_args}"
            )
            raise ProtocolError(
                INVALID_ARGUMENT, f"{function.name}() takes {expected} arguments, not {count}"
            )
        args = [self.argument(arg, i in function.names) for i, arg in enumerate(call.args)]
        if not function.returns_error:
            return function.call(self.ctx, args)
        try:
            return function.call(self.ctx, args)
        except ProtocolError as exc:
            # "0 if successful, otherwise an error code" (AlarmAckTag, 1033447): the function
            # ran and failed; ctCicode succeeds with the number as its result.
            _log.debug("cicode.function_failed", function=function.name, error=exc.error.name)
            return error_number(exc)

    def argument(self, arg: Expr, is_name: bool) -> Value:
        """An argument's value; an unquoted name is the name itself where a name is expected,
        and wherever no tag has it (Plant SCADA's conversion of formatted calls)."""
        if isinstance(arg, TagRef) and arg.index is None:
            if is_name:
                return arg.name
            try:
                return self.tag(arg)
            except ProtocolError as exc:
                if exc.error is TAG_NOT_FOUND:
                    return arg.name
                raise
        return self.evaluate(arg)

    def unary(self, op: str, value: Value) -> Value:
        if op == "NOT":
            return 0 if _truth(value) else 1
        number = to_number(value, f"the operand of unary {op}")
        if op == "+":
            return number
        return checked_int(-number) if isinstance(number, int) else -number

    def binary(self, op: str, left: Value, right: Value) -> Value:
        if op == "AND":
            return 1 if _truth(left) and _truth(right) else 0
        if op == "OR":
            return 1 if _truth(left) or _truth(right) else 0
        if op in ("=", "<>", "<", ">", "<=", ">="):
            return 1 if _compare(op, left, right) else 0
        if op == "+" and (isinstance(left, str) or isinstance(right, str)):
            text = to_text(left) + to_text(right)
            if len(text) > MAX_STRING:
                raise ProtocolError(OUT_OF_RANGE, f"a string is at most {MAX_STRING} characters")
            return text
        a = to_number(left, f"the left operand of {op}")
        b = to_number(right, f"the right operand of {op}")
        match op:
            case "+":
                return _arith(a + b)
            case "-":
                return _arith(a - b)
            case "*":
                return _arith(a * b)
            case "/":
                if b == 0:
                    raise ProtocolError(OUT_OF_RANGE, "division by zero")
                return checked_real(a / b)
            case "MOD":
                divisor = to_int(b, "the right operand of MOD")
                if divisor == 0:
                    raise ProtocolError(OUT_OF_RANGE, "MOD by zero")
                return int(math.fmod(to_int(a, "the left operand of MOD"), divisor))
            case "BITAND":
                return to_int(a) & to_int(b)
            case "BITOR":
                return to_int(a) | to_int(b)
            case "BITXOR":
                return to_int(a) ^ to_int(b)
        raise AssertionError(f"unknown operator {op}")  # pragma: no cover - exhaustive


def _arith(value: int | float) -> int | float:
    if isinstance(value, int):
        return checked_int(value)
    return checked_real(value)


def _truth(value: Value) -> bool:
    return to_number(value, "a logical operand") != 0


def _compare(op: str, left: Value, right: Value) -> bool:
    """Two strings compare as text (case-sensitive), anything else as numbers."""
    if isinstance(left, str) and isinstance(right, str):
        order = (left > right) - (left < right)
    else:
        a = to_number(left, f"the left operand of {op}")
        b = to_number(right, f"the right operand of {op}")
        order = (a > b) - (a < b)
    match op:
        case "=":
            return order == 0
        case "<>":
            return order != 0
        case "<":
            return order < 0
        case ">":
            return order > 0
        case "<=":
            return order <= 0
    return order >= 0
