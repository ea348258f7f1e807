"""ctGetProperty's DBTYPE conversions."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.compat.buffers import ArgumentError
from emulator.compat.properties import DBTYPE_BOOL, DBTYPE_STR, encode


def test_text_and_numbers() -> None:
    assert encode("PUMP1", DBTYPE_STR, "TAG") == b"PUMP1\0"
    assert encode(True, DBTYPE_STR, "ON") == b"1\0"
    assert encode(1500, 5, "ENG_FULL") == struct.pack("<d", 1500.0)
    assert encode("42", 3, "VALUE") == struct.pack("<i", 42)
    assert encode(2.9, 3, "VALUE") == struct.pack("<i", 2)
    assert encode(True, DBTYPE_BOOL, "ON") == struct.pack("<h", -1)
    assert encode(0, DBTYPE_BOOL, "ON") == struct.pack("<h", 0)


def test_refusals_say_why() -> None:
    with pytest.raises(ArgumentError, match="DBTYPE_STR 129"):
        encode("x", 999, "TAG")
    with pytest.raises(ArgumentError, match="not a number"):
        encode("", 5, "RAW_ZERO")
    with pytest.raises(ArgumentError, match="does not fit"):
        encode(70000, 2, "VALUE")


@given(st.integers(min_value=-(2**31), max_value=2**31 - 1))
def test_i4_round_trips(value: int) -> None:
    assert struct.unpack("<i", encode(value, 3, "V"))[0] == value
