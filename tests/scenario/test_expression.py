from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.scenario.expression import ExpressionError, compile_expression


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7.0),
        ("(1 + 2) * 3", 9.0),
        ("-2 + 5", 3.0),
        ("7 MOD 4", 3.0),
        ("FLOW_IN - flow_out", 25.0),
        ("Cluster1.Level / 2", 10.0),
        ("FLOW_IN > 100 AND NOT PUMP", 1.0),
        ("FLOW_IN = 120", 1.0),
        ("FLOW_IN = 1 OR FLOW_OUT <> 95", 0.0),
        ("Max(1, FLOW_OUT) + Abs(-1) + Min(4, 2)", 98.0),
        ("TRUE + FALSE + PUMP", 1.0),
        ("Round(Sqrt(2), 2) + Pow(2, 3)", 9.41),
        ("Sin(0) + Cos(0)", 1.0),
        ("1e2 + .5", 100.5),
    ],
)
def test_evaluates(text: str, expected: float) -> None:
    values = {"flow_in": 120.0, "flow_out": 95.0, "pump": False, "cluster1.level": 20}
    assert compile_expression(text).evaluate(values) == pytest.approx(expected)


def test_names_are_the_tags_read() -> None:
    assert compile_expression("A + b * Max(C, 1) + TRUE").names == {"a", "b", "c"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("1 +", "found the end"),
        ("(1 + 2", "expected '\\)'"),
        ("1 + $", "unexpected character '\\$' \\(at column 5\\)"),
        ("Foo(1)", "Foo\\(\\) is not a Cicode function"),
        ("Max(1)", "Max\\(\\) takes 2 arguments, not 1"),
        ("Round(1, 2, 3)", "Round\\(\\) takes 1 to 2 arguments, not 3"),
        ("Abs(Foo(1))", "Foo"),
        ("1 2", "expected the end of the expression"),
        ("(" * 60 + "1" + ")" * 60, "deep"),
        ("+".join(["1"] * 300), "at most 300 tokens"),
        ("x" * 9000, "at most 8192 characters"),
    ],
)
def test_bad_expressions_say_what_and_where(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        compile_expression(text)


def test_runtime_errors_are_expression_errors() -> None:
    with pytest.raises(ExpressionError, match="cannot be evaluated"):
        compile_expression("1 / A").evaluate({"a": 0})
    with pytest.raises(ExpressionError, match="cannot be evaluated"):
        compile_expression("A * 1").evaluate({"a": "text"})
    with pytest.raises(ExpressionError, match="name the tag instead"):
        compile_expression('TagRead("A")').evaluate({"a": 1})


@given(st.text(max_size=40))
def test_any_text_compiles_or_fails_cleanly(text: str) -> None:
    try:
        compiled = compile_expression(text)
    except ExpressionError:
        return
    try:
        result = compiled.evaluate({})
    except ExpressionError:
        return
    assert isinstance(result, float)


@given(st.integers(-1000, 1000), st.integers(-1000, 1000), st.integers(1, 1000))
def test_arithmetic_matches_python(a: int, b: int, c: int) -> None:
    assert compile_expression(f"{a} + {b} * {c} - ({a} / {c})").evaluate({}) == pytest.approx(
        a + b * c - (a / c)
    )
    assert math.isfinite(compile_expression(f"{a} MOD {c}").evaluate({}))
