"""How the shim reads ctypes arguments and writes result buffers, as CtApi.dll does."""

from __future__ import annotations

import ctypes

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.compat.buffers import ArgumentError, number, real, text, write


@given(
    value=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126)),
    size=st.integers(1, 40),
)
def test_a_value_fits_with_its_nul_or_the_buffer_is_untouched(value: str, size: int) -> None:
    buffer = ctypes.create_string_buffer(b"x" * (size - 1))
    assert ctypes.sizeof(buffer) == size
    if len(value) + 1 <= size:
        write(ctypes.byref(buffer), ctypes.sizeof(buffer), value)
        assert buffer.value == value.encode()
    else:
        with pytest.raises(ArgumentError) as error:
            write(ctypes.byref(buffer), ctypes.sizeof(buffer), value)
        assert error.value.error.code == 111
        assert buffer.raw == b"x" * (size - 1) + b"\0"


def test_buffer_forms_and_lengths() -> None:
    buffer = ctypes.create_string_buffer(16)
    write(buffer, 16, "direct")
    assert buffer.value == b"direct"
    write(ctypes.pointer(buffer), ctypes.c_ulong(16), "pointer")
    assert buffer.value == b"pointer"
    write(None, 16, "ignored")  # a NULL buffer asks for nothing
    write(ctypes.byref(buffer), 0, "ignored")
    assert buffer.value == b"pointer"
    with pytest.raises(ArgumentError) as claimed:
        write(ctypes.byref(buffer), 1000, "x" * 20)  # the claimed length is not trusted
    assert claimed.value.error.code == 111
    with pytest.raises(ArgumentError, match="byref"):
        write(b"bytes are immutable", 16, "x")


def test_string_arguments() -> None:
    assert text(b"PUMP1_SPEED", "sTag") == "PUMP1_SPEED"
    assert text(ctypes.c_char_p(b"A"), "sTag") == "A"
    assert text(ctypes.create_string_buffer(b"B", 10), "sTag") == "B"
    assert text(None, "sComputer", optional=True) is None
    with pytest.raises(ArgumentError, match=r"encode\('ascii'\)"):
        text("PUMP1_SPEED", "sTag")
    with pytest.raises(ArgumentError, match="NULL"):
        text(None, "sTag")
    with pytest.raises(ArgumentError, match="not ASCII"):
        text("é".encode(), "sTag")
    with pytest.raises(ArgumentError, match="bytes"):
        text(5, "sTag")


def test_number_arguments() -> None:
    assert number(ctypes.c_ulong(7), "dwMode") == 7
    assert number(None, "hList") == 0
    assert number(True, "bRaw") == 1
    assert real(ctypes.c_double(0.5), "dDeadband") == 0.5
    assert real(2, "dDeadband") == 2.0
    with pytest.raises(ArgumentError):
        number("1", "dwMode")
    with pytest.raises(ArgumentError):
        real(b"1", "dDeadband")
