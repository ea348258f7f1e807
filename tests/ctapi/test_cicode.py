"""Cicode as ctCicode runs it: parser, operators, built-ins, errors and the function table."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.cicode import (
    BUILTINS,
    CallContext,
    CicodeSyntaxError,
    Functions,
    Value,
    evaluate,
    parse,
    run,
)
from emulator.plant.config import User
from emulator.plant.state import Plant
from emulator.protocol.errors import ProtocolError
from tests.ctapi.helpers import DEMO, NOW

#: One plant for the property tests (they only need a plant, not a fresh one per example).
SHARED_PLANT = Plant(DEMO, now=NOW)


@pytest.fixture
def ctx() -> CallContext:
    return CallContext(Plant(DEMO, now=NOW), NOW + 3723.5, User(name="engineer", password="c"))


@pytest.mark.parametrize(
    ("command", "result"),
    [
        ("Version(3)", "8.40"),
        ("Version(0)", "8"),
        ("version(1)", "40"),
        ("1 + 2 * 3", "7"),
        ("(1 + 2) * 3", "9"),
        ("7 / 2", "3.5"),
        ("-7 MOD 3", "-1"),
        ("2 - -3", "5"),
        ("0x10 + 1", "17"),
        ("1.5e1", "15"),
        ('"abc" + 1', "abc1"),
        ('"a^"b^^"', 'a"b^'),
        ("1 < 2 AND 2 <= 2 AND 3 > 2 AND 3 >= 3 AND 1 <> 2 AND 1 = 1", "1"),
        ("NOT 1 OR 0", "0"),
        ('"abc" = "abc"', "1"),
        ('"2" = 2', "1"),
        ("6 BITAND 3", "2"),
        ("TRUE + FALSE", "1"),
        ("PUMP1_SPEED + 1", "1201"),
        ("CLUSTER1.PUMP1_SPEED.Field.V", "1200"),
        ("TANK_LEVELS[1 + 2]", "50"),
        ("PUMP1_RUN", "1"),
        ('TagRead("PUMP1_SPEED")', "1200"),
        ('TagRead("TANK_LEVELS", 2, "CLUSTER1")', "50.0"),
        ('TagGetValue("BLEND_RATIO")', "0.248"),
        ("Date()", "01/01/2026"),
        ("Date(2)", "2026-01-01"),
        ("Date(1)", "Thursday, 01 January 2026"),
        ("Time()", "01:02:03"),
        ("Time(1)", "01:02"),
        ("TimeCurrent()", str(int(NOW) + 3723)),
        ('StrLeft("hello", 2) + StrRight("hello", 2) + StrMid("hello", 1, 3)', "heloell"),
        ('StrLength("hello")', "5"),
        ('StrSearch(0, "hello", "l") + StrSearch(3, "hello", "l") + StrSearch(0, "a", "z")', "4"),
        ('ProductInfo() + " " + ProductInfo(4) + ProductInfo(9)', "Plant SCADA 8.40"),
        ('StrUpper("ab") + StrLower("CD") + StrTrim("  x  ")', "ABcdx"),
        ('StrToInt("  42abc") + StrToInt("x")', "42"),
        ('StrToReal("2.5") + StrToReal("x")', "2.5"),
        ("IntToStr(7) + RealToStr(3.14159, 6, 2)", "7  3.14"),
        ("Abs(-3) + Abs(-1.5)", "4.5"),
        ("Sqrt(16)", "4"),
        ("Round(2.5) + Round(-2.5) + Round(1.234, 2)", "1.23"),
        ("Max(1, 2) + Min(1, 2)", "3"),
        ("Pow(2, 10)", "1024"),
        ("Round(Sin(0) + Cos(0) + Exp(0) + Ln(1) + Log(100), 6)", "4"),
        ("Round(Pi(), 2)", "3.14"),
        ("RealToInt(2.9) + IntToReal(1)", "3"),
        ("Name() + FullName()", "engineer"),
        ("PUMP2_SPEED = 750", ""),
        ("PUMP2_SPEED = 750; PUMP2_SPEED", "750"),
        ('TagWrite("PUMP2_CMD", 1); PUMP2_CMD', "1"),
        ("Max(Min(Abs(-5), 10), StrLength(IntToStr(123456)))", "6"),
    ],
)
def test_commands_return_their_value_as_text(ctx: CallContext, command: str, result: str) -> None:
    assert run(command, ctx) == result


@pytest.mark.parametrize(
    ("command", "error"),
    [
        ("NoSuchFunction(1)", "unknown_function"),
        ("Version(1, 2)", "invalid_argument"),
        ("StrLeft()", "invalid_argument"),
        ('1 + "abc" * 2', "invalid_argument"),
        ("NO_SUCH_TAG + 1", "tag_not_found"),
        ("TANK_LEVELS[9]", "out_of_range"),
        ("1 / 0", "out_of_range"),
        ("1 MOD 0", "out_of_range"),
        ("Sqrt(-1)", "out_of_range"),
        ("Pow(10, 400)", "out_of_range"),
        ("Ln(0)", "out_of_range"),
        ("2147483647 + 1", "out_of_range"),
        ("Version(9)", "out_of_range"),
        ("PUMP1_SPEED = 9999", "out_of_range"),
        ("(1", "cicode_syntax"),
        ('"abc', "cicode_syntax"),
        ('"^q"', "cicode_syntax"),
        ("1 +", "cicode_syntax"),
        ("", "cicode_syntax"),
        ("1 2", "cicode_syntax"),
        ("A.", "cicode_syntax"),
        ("$", "cicode_syntax"),
        ("(" * 100 + "1" + ")" * 100, "cicode_syntax"),
        ("-" * 100 + "1", "cicode_syntax"),
        ("NOT " * 100 + "1", "cicode_syntax"),
        ("1" * 9000, "cicode_syntax"),
        ("1+" * 4000 + "1", "cicode_syntax"),
        ('"' + "x" * 4000 + '" + "' + "y" * 100 + '"', "out_of_range"),
    ],
)
def test_failures_carry_the_right_error(ctx: CallContext, command: str, error: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        run(command, ctx)
    assert caught.value.error.name == error
    assert caught.value.detail


def test_a_syntax_error_points_at_its_column() -> None:
    with pytest.raises(CicodeSyntaxError, match="column 5"):
        parse("1 + )")


def test_other_engines_register_functions(ctx: CallContext) -> None:
    functions = Functions()

    @functions.register("Twice", min_args=1, summary="(x) 2x")
    def twice(ctx: CallContext, args: list[Value]) -> Value:
        return 2 * int(args[0])

    assert run("Twice(21)", ctx, functions) == "42"
    with pytest.raises(ValueError, match="already registered"):
        functions.register("twice")(twice)
    assert [f.name for f in functions] == ["Twice"]


def test_every_builtin_has_a_summary_for_the_docs() -> None:
    assert len(BUILTINS) >= 30
    assert all(f.summary for f in BUILTINS)


@given(st.text(max_size=60))
def test_any_text_gives_a_result_or_a_protocol_error(command: str) -> None:
    ctx = CallContext(SHARED_PLANT, NOW)
    try:
        assert isinstance(run(command, ctx), str)
    except ProtocolError as exc:
        assert exc.detail


_atoms = st.sampled_from(
    ["1", "2.5", '"s"', "PUMP1_SPEED", "TANK_LEVELS[1]", "Version(3)", "Abs(-2)", "0", "TRUE"]
)
_ops = st.sampled_from(["+", "-", "*", "/", "MOD", "=", "<>", "<", ">=", "AND", "OR", "BITXOR"])


@given(st.lists(st.tuples(_ops, _atoms), max_size=8), _atoms)
def test_expressions_of_valid_parts_evaluate_or_fail_cleanly(
    tail: list[tuple[str, str]], head: str
) -> None:
    ctx = CallContext(SHARED_PLANT, NOW)
    command = head + "".join(f" {op} {atom}" for op, atom in tail)
    try:
        run(command, ctx)
    except ProtocolError as exc:
        # `Tag = ...` at the start of a command is an assignment (a write), as in Cicode.
        allowed = {"invalid_argument", "out_of_range", "tag_read_only", "tag_not_found"}
        assert exc.error.name in allowed


def test_evaluate_compares_where_run_would_assign(ctx: CallContext) -> None:
    assert evaluate("PUMP1_SPEED = 1200", ctx) == 1
    assert evaluate("TANK1_LEVEL > 90 OR PUMP1_FAULT", ctx) == 0
    assert ctx.plant.read("PUMP1_SPEED").value == "1200"
    for bad in ("", "1; 2", "PUMP1_SPEED = "):
        with pytest.raises(ProtocolError) as caught:
            evaluate(bad, ctx)
        assert caught.value.error.name == "cicode_syntax"


_tokens = st.sampled_from(
    [
        *"(),;+-*/=<>[].",
        "MOD",
        "AND",
        "OR",
        "NOT",
        "<>",
        "<=",
        ">=",
        "BITXOR",
        "1",
        "0",
        "2.5",
        "1e308",
        "0x7FFFFFFF",
        '"s"',
        '"^"x"',
        '"PUMP1_SPEED"',
        "PUMP1_SPEED",
        "TANK_LEVELS",
        "PRODUCT_CODE",
        "CLUSTER1",
        "Field",
        "Q",
        "TRUE",
        "Abs",
        "Version",
        "TagRead",
        "TagWrite",
        "StrMid",
        "Round",
        "Pow",
        "Date",
    ]
)


@settings(max_examples=300)
@given(st.lists(_tokens, max_size=25))
def test_token_soup_gives_a_result_or_a_protocol_error(tokens: list[str]) -> None:
    try:
        assert isinstance(run(" ".join(tokens), CallContext(SHARED_PLANT, NOW)), str)
    except ProtocolError as exc:
        assert exc.detail
