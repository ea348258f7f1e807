"""libctapi.so through ctypes.CDLL, the calls of the C suite, against the demo plant."""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from ctypes import byref, c_char_p, c_double, c_uint32, c_void_p, create_string_buffer, sizeof
from pathlib import Path

import pytest

from emulator.protocol.errors import citect
from tests.client.emulator import Running
from tests.client.fakeserver import free_port, ready_file
from tests.native.conftest import LIBRARY

ERROR_INVALID_HANDLE = 6
# a bad argument to a command is a Plant SCADA code, never Win32 (ctapi-behaviour.md)
INVALID_ARGUMENT = 0x10000000 + 274
ERROR_BUFFER_OVERFLOW = 111
ERROR_CONNECTION_REFUSED = 1225


class CTSCALE(ctypes.Structure):
    _pack_ = 1
    _fields_ = [(n, c_double) for n in ("RawZero", "RawFull", "EngZero", "EngFull")]


@pytest.fixture
def lib(demo: Running, monkeypatch: pytest.MonkeyPatch) -> Iterator[ctypes.CDLL]:
    monkeypatch.setenv("SCADA_EMU_READY_FILE", str(demo.ready))
    dll = ctypes.CDLL(str(LIBRARY.parent / "libCtApi.so"))
    dll.ctOpen.restype = c_void_p
    dll.ctOpen.argtypes = [c_char_p, c_char_p, c_char_p, c_uint32]
    for name in ("ctClose",):
        getattr(dll, name).argtypes = [c_void_p]
    dll.ctTagRead.argtypes = [c_void_p, c_char_p, c_void_p, c_uint32]
    dll.ctTagWrite.argtypes = [c_void_p, c_char_p, c_char_p]
    dll.ctCicode.argtypes = [c_void_p, c_char_p, c_uint32, c_uint32, c_void_p, c_uint32, c_void_p]
    dll.ctListNew.restype = c_void_p
    dll.ctListNew.argtypes = [c_void_p, c_uint32]
    dll.GetLastError.restype = c_uint32
    dll.ctEngToRaw.argtypes = [c_void_p, c_double, c_void_p, c_uint32]
    yield dll


def test_open_read_write_cicode_close(lib: ctypes.CDLL) -> None:
    handle = lib.ctOpen(b"", b"engineer", b"control", 0)
    assert handle, lib.GetLastError()
    buffer = create_string_buffer(32)
    assert lib.ctTagRead(handle, b"PRODUCT_CODE", byref(buffer), sizeof(buffer)) == 1
    assert buffer.value == b"BLEND-A42"
    assert lib.ctTagWrite(handle, b"BLEND_RATIO_SP", b"0.25") == 1
    assert lib.ctTagRead(handle, b"BLEND_RATIO_SP", byref(buffer), sizeof(buffer)) == 1
    assert buffer.value == b"0.250"
    assert lib.ctCicode(handle, b"Version(3)", 0, 0, byref(buffer), sizeof(buffer), None) == 1
    assert buffer.value == b"8.40"
    assert lib.ctTagRead(handle, b"NO_SUCH_TAG", byref(buffer), sizeof(buffer)) == 0
    assert lib.GetLastError() == citect(424)
    assert lib.ctClose(handle) == 1
    assert lib.ctTagRead(handle, b"PUMP1_SPEED", byref(buffer), sizeof(buffer)) == 0
    assert lib.GetLastError() == ERROR_INVALID_HANDLE


def test_null_pointers_and_small_buffers(lib: ctypes.CDLL) -> None:
    handle = lib.ctOpen(None, b"engineer", b"control", 0)
    assert handle, lib.GetLastError()
    small = create_string_buffer(b"1200", 9)
    assert lib.ctTagRead(handle, b"PRODUCT_CODE", byref(small), sizeof(small)) == 0
    assert lib.GetLastError() == ERROR_BUFFER_OVERFLOW
    assert small.value == b"1200"
    assert lib.ctTagRead(handle, None, byref(small), sizeof(small)) == 0
    assert lib.GetLastError() == INVALID_ARGUMENT
    assert lib.ctTagRead(handle, b"PUMP1_SPEED", None, 16) == 0
    assert lib.GetLastError() == INVALID_ARGUMENT
    assert lib.ctTagWrite(handle, b"BLEND_RATIO_SP", None) == 0
    assert lib.GetLastError() == INVALID_ARGUMENT
    assert lib.ctClose(handle) == 1


def test_an_emulator_that_is_not_there(
    lib: ctypes.CDLL, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCADA_EMU_READY_FILE", str(ready_file(tmp_path / "r.json", free_port())))
    assert lib.ctOpen(b"", b"engineer", b"control", 0) is None
    assert lib.GetLastError() == ERROR_CONNECTION_REFUSED


def test_scaling_and_a_list_without_a_connection(lib: ctypes.CDLL) -> None:
    scale = CTSCALE(0.0, 32000.0, 0.0, 100.0)
    out = c_double()
    assert lib.ctEngToRaw(byref(out), 50.0, byref(scale), 0) == 1
    assert out.value == 16000.0
    assert lib.ctListNew(None, 0) is None
    assert lib.GetLastError() == ERROR_INVALID_HANDLE
