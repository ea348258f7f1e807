"""Plant SCADA format strings: parsing, rounding, padding, units."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.plant.format import Format, FormatError, plain


@pytest.mark.parametrize(
    ("text", "value", "shown"),
    [
        ("####.##", 2.675, "2.68"),
        ("####.##", -2.675, "-2.68"),
        ("###.#", 42.5, "42.5"),
        ("####", 1199.5, "1200"),
        ("#", 12345.0, "12345"),
        ("#.###", 0.248, "0.248"),
        ("000.#", 5.25, "005.3"),
        ("000", -7.0, "-007"),
        ("###.#", -0.01, "0.0"),
        ("###.# EU", 42.46, "42.5 A"),
        ("##EU", 3.0, "3 A"),
    ],
)
def test_numbers_show_as_the_format_says(text: str, value: float, shown: str) -> None:
    assert Format.parse(text).number(value, "A") == shown


@pytest.mark.parametrize("text", ["", "abc", "##.", ".##", "#.#.#", "##,##", "# #", "%5.2f"])
def test_a_bad_format_says_how_to_write_one(text: str) -> None:
    with pytest.raises(FormatError, match="per digit"):
        Format.parse(text)


def test_a_format_is_at_most_40_digits_and_15_decimals() -> None:
    Format.parse("#" * 40 + "." + "#" * 15)
    for text in ("#" * 41, "#." + "#" * 16):
        with pytest.raises(FormatError, match="too wide"):
            Format.parse(text)


def test_plain_cuts_trailing_zeros() -> None:
    assert plain(62.0) == "62"
    assert plain(0.248) == "0.248"
    assert plain(-1e-9) == "0"
    assert plain(1.5, 0) == "2"


finite = st.floats(min_value=-1e15, max_value=1e15, allow_nan=False)


@given(finite, st.integers(min_value=0, max_value=6))
def test_a_formatted_number_reads_back_within_half_a_last_digit(
    value: float, decimals: int
) -> None:
    fmt = Format.parse("#" * 4 + ("." + "#" * decimals if decimals else ""))
    shown = fmt.number(value)
    assert math.isclose(float(shown), value, abs_tol=0.5 * 10**-decimals + abs(value) * 1e-15)
    if decimals:
        assert len(shown.split(".")[1]) == decimals
    else:
        assert "." not in shown


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_plain_never_fails_on_a_finite_number(value: float) -> None:
    assert math.isclose(float(plain(value)), value, abs_tol=1e-6, rel_tol=1e-9)
