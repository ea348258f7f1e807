"""ctypes arguments as CtApi.dll receives them: char* strings, numbers, and result buffers.

Code written for the DLL passes ASCII bytes for strings and `byref(buffer), sizeof(buffer)` for
results (pyctapi's CTAPIWrapper; reference section 7). These helpers read such arguments and
write a result the way the DLL does: a NUL-terminated string, or ERROR_BUFFER_OVERFLOW (111)
when it does not fit, leaving the buffer untouched.
"""

from __future__ import annotations

import ctypes
from typing import Any

from emulator.protocol.errors import BUFFER_TOO_SMALL, INVALID_ARGUMENT, ErrorCode


class ArgumentError(Exception):
    """An argument the DLL could not have used; becomes GetLastError's code, never a crash."""

    def __init__(self, error: ErrorCode, detail: str) -> None:
        super().__init__(detail)
        self.error = error
        self.detail = detail


def _unwrap(value: Any) -> Any:
    """A ctypes simple value (c_int(5), c_char_p(b"x"), c_double(1.0)) as its Python value."""
    if isinstance(value, ctypes._SimpleCData):
        return value.value
    return value


def text(value: Any, name: str, *, optional: bool = False) -> str | None:
    """A `char*` argument: bytes, a char array or c_char_p; None for NULL when `optional`."""
    value = _unwrap(value)
    if isinstance(value, ctypes.Array) and getattr(value, "_type_", None) is ctypes.c_char:
        value = value.value
    if optional and is_null(value):
        value = None
    if value is None:
        if optional:
            return None
        raise ArgumentError(INVALID_ARGUMENT, f"{name} is NULL")
    if isinstance(value, str):
        raise ArgumentError(
            INVALID_ARGUMENT,
            f"{name} is a str; CtApi.dll takes char*: pass {name}.encode('ascii') (bytes)",
        )
    if not isinstance(value, bytes | bytearray):
        raise ArgumentError(INVALID_ARGUMENT, f"{name} must be bytes, not {type(value).__name__}")
    try:
        return bytes(value).split(b"\0", 1)[0].decode("ascii")
    except UnicodeDecodeError:
        raise ArgumentError(INVALID_ARGUMENT, f"{name} is not ASCII: {bytes(value)!r}") from None


def is_null(value: Any) -> bool:
    """NULL as callers pass it: None, or an integer 0 (C#'s IntPtr.Zero, Go's uintptr(0), a VB
    `uint` declared for a pointer; ctapi-behaviour.md "NULL arrives as 0")."""
    value = _unwrap(value)
    return value is None or (type(value) is int and value == 0)


def number(value: Any, name: str) -> int:
    """A DWORD, BOOL or HANDLE argument (a ctypes integer, or None for a NULL handle)."""
    value = _unwrap(value)
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if not isinstance(value, int):
        raise ArgumentError(
            INVALID_ARGUMENT, f"{name} must be an integer, not {type(value).__name__}"
        )
    return value


def real(value: Any, name: str) -> float:
    """A double argument (c_double, or a Python number when argtypes declare it)."""
    value = _unwrap(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ArgumentError(
            INVALID_ARGUMENT, f"{name} must be a number, not {type(value).__name__}"
        )
    return float(value)


def target(buffer: Any) -> Any:
    """The ctypes object behind `byref(obj)`, `pointer(obj)` or `obj` itself; None for NULL."""
    if is_null(buffer):
        return None
    obj = getattr(buffer, "_obj", None)  # byref() gives a CArgObject holding the object
    if obj is not None:
        return obj
    if isinstance(buffer, ctypes._Pointer):
        return buffer.contents if buffer else None
    if isinstance(buffer, ctypes.Array):
        return buffer
    raise ArgumentError(
        INVALID_ARGUMENT,
        f"the result buffer must be byref(buffer) of a ctypes buffer, not {type(buffer).__name__}",
    )


def needs_buffer(buffer: Any, length: Any) -> None:
    """A value buffer that must be there (ctTagRead's sValue): only ctCicode documents a NULL
    result buffer that discards the result."""
    if target(buffer) is None or number(length, "dwLength") == 0:
        raise ArgumentError(INVALID_ARGUMENT, "sValue is NULL or dwLength is 0: give a buffer")


def write(buffer: Any, length: Any, value: str) -> None:
    """Store `value` as a NUL-terminated string; 111 when it does not fit in `length` bytes.

    A NULL buffer or a zero length asks for nothing and gets nothing. The length the caller
    claims is never trusted beyond the real size of its buffer.
    """
    write_bytes(buffer, length, value.encode("ascii", errors="replace") + b"\0")


def write_bytes(buffer: Any, length: Any, data: bytes) -> None:
    """Store `data` as is (a string with its NUL, or a binary value), as `write` does."""
    size = number(length, "dwLength")
    obj = target(buffer)
    if obj is None or size == 0:
        return
    room = min(size, ctypes.sizeof(obj))
    if len(data) > room:
        raise ArgumentError(
            BUFFER_TOO_SMALL, f"the value needs {len(data)} bytes, the buffer has {room}"
        )
    ctypes.memmove(ctypes.addressof(obj), data, len(data))


def write_what_fits(buffer: Any, length: Any, data: bytes, is_text: bool) -> tuple[int, bool]:
    """ctGetProperty's copy (CtAPI 1150521): a string too long for the buffer is cut to what
    fits and NUL-terminated, a binary value that does not fit is not copied. Returns the bytes
    stored, without a string's NUL, and whether all of `data` fitted."""
    size = number(length, "dwLength")
    obj = target(buffer)
    if obj is None or size == 0:
        raise ArgumentError(INVALID_ARGUMENT, "pData is NULL or dwBufferLength is 0")
    room = min(size, ctypes.sizeof(obj))
    if len(data) <= room:
        ctypes.memmove(ctypes.addressof(obj), data, len(data))
        return len(data) - is_text, True
    if not is_text:
        return 0, False
    ctypes.memmove(ctypes.addressof(obj), data[: room - 1] + b"\0", room)
    return room - 1, False


def store(pointer: Any, value: int) -> None:
    """*pointer = value for a HANDLE* or DWORD* argument (byref(c_void_p()), ...); NULL: none."""
    obj = target(pointer)
    if obj is None:
        return
    if not isinstance(obj, ctypes._SimpleCData) or isinstance(obj.value, bytes | str | float):
        raise ArgumentError(
            INVALID_ARGUMENT,
            f"expected byref() of a ctypes integer or c_void_p, not {type(obj).__name__}",
        )
    obj.value = value
