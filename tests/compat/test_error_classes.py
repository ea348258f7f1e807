"""Errors in the right class (issue 14 item 2).

Source: the CtAPI error codes page as ctapi-behaviour.md "Error classes" reads it: a Win32 code
means the link is inoperative (close and reopen), a Plant SCADA code (ERROR_USER_DEFINED_BASE +
n) means the link is fine and the command was refused. Codes clients test for: 424 tag not found,
25 "no valid data yet" (pyctapi adapter.value_from_list), 274 invalid argument, 111 buffer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from ctypes import byref, c_void_p, create_string_buffer, sizeof

import pytest

from emulator.client.loop import BackgroundLoop
from emulator.compat import CtApi
from emulator.protocol import errors
from emulator.protocol.errors import citect, is_citect_error
from tests.client.emulator import Running, running_in

#: A refused command: the link is fine (Plant SCADA codes).
REFUSED = {
    "login_failed",
    "already_open",
    "access_denied",
    "tag_not_found",
    "tag_read_only",
    "invalid_argument",
    "out_of_range",
    "cicode_syntax",
    "unknown_function",
    "list_busy",
    "not_read",
    "unknown_handle",
    "server_unavailable",
    "no_more_records",
    "report_not_found",
    "shutdown_refused",
    "no_pages",
}
#: The link is lost or not open, or Win32 codes CtAPI itself documents (111; overlapped I/O).
WIN32 = {
    "not_connected",
    "invalid_handle",
    "computer_not_found",
    "connection_lost",
    "connection_refused",
    "tls_failed",
    "timeout",
    "encryption_unavailable",
    "buffer_too_small",
    "io_pending",
    "io_incomplete",
    "operation_aborted",
}


def test_every_ctapi_error_has_its_class_and_a_source() -> None:
    for name in REFUSED:
        error = errors.BY_NAME[name]
        assert is_citect_error(error.code), (name, error.code)
        assert error.source, name
    for name in WIN32:
        error = errors.BY_NAME[name]
        assert not is_citect_error(error.code), (name, error.code)
        assert "winerror.h" in error.source, name
    # the numbers clients test for (pyctapi, ctapi-behaviour.md)
    assert errors.TAG_NOT_FOUND.code == citect(424)
    assert errors.NOT_READ.code == citect(25)
    assert errors.INVALID_ARGUMENT.code == citect(274)
    assert errors.BUFFER_TOO_SMALL.code == 111
    # our own numbers sit in their own block and never share a number with a documented one
    ours = [e for e in errors.ALL if e.code >= citect(errors.OURS_BASE)]
    assert len({e.code for e in ours}) == len(ours)
    assert all("of our own" in e.source for e in ours)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    loop = BackgroundLoop("emulator")
    try:
        with running_in(loop, tmp_path_factory.mktemp("demo")) as emulator:
            yield emulator
    finally:
        loop.stop()


@pytest.fixture
def shim(demo: Running) -> Iterator[CtApi]:
    dll = CtApi(ready_file=demo.ready, encryption="unencrypted")
    yield dll
    dll.close_all()


def test_refused_commands_are_plant_scada_codes_and_the_link_stays(shim: CtApi) -> None:
    # ctapi-behaviour.md "Error classes": read-only tag, unknown Cicode function, read-only
    # link, list value not read yet, bad argument: Plant SCADA codes, never Win32 ones.
    h = shim.ctOpen(b"", b"engineer", b"control", 0)
    assert h, shim.GetLastError()
    buf = create_string_buffer(64)
    refusals: list[tuple[Callable[[], int], errors.ErrorCode]] = [
        (lambda: shim.ctTagWrite(h, b"TANK1_LEVEL", b"1"), errors.TAG_READ_ONLY),
        (lambda: shim.ctTagRead(h, b"NO_SUCH_TAG", byref(buf), 64), errors.TAG_NOT_FOUND),
        (
            lambda: shim.ctCicode(h, b"NoSuchFunction()", 0, 0, byref(buf), 64, None),
            errors.UNKNOWN_FUNCTION,
        ),
        (lambda: shim.ctTagWrite(h, b"PUMP1_SPEED", b"fast"), errors.INVALID_ARGUMENT),
        (lambda: shim.ctListNew(h, 0x40), errors.INVALID_ARGUMENT),
        (lambda: shim.ctListData(999_999, byref(buf), 64, 0), errors.UNKNOWN_HANDLE),
        (lambda: shim.ctFindNext(999_999, byref(c_void_p())), errors.UNKNOWN_HANDLE),
        (lambda: shim.ctFindFirst(h, b"NoTable", None, 0, 0), errors.INVALID_ARGUMENT),
        (lambda: shim.ctTagRead(h), errors.INVALID_ARGUMENT),  # too few arguments
    ]
    for call, expected in refusals:
        assert call() == 0
        code = shim.GetLastError()
        assert (code, is_citect_error(code)) == (expected.code, True), expected.name
        # the link is fine after each: a read works
        assert shim.ctTagRead(h, b"PUMP1_SPEED", byref(buf), sizeof(buf)) == 1
    tags = shim.ctListNew(h, 0)
    tag = shim.ctListAdd(tags, b"PUMP1_SPEED")
    assert shim.ctListData(tag, byref(buf), sizeof(buf), 0) == 0  # before the first read
    assert shim.GetLastError() == citect(25)
    read_only = shim.ctOpen(b"", b"engineer", b"control", 0x4)  # CT_OPEN_READ_ONLY
    assert shim.ctTagWrite(read_only, b"PUMP1_SPEED", b"5") == 0
    assert shim.GetLastError() == errors.ACCESS_DENIED.code
    assert is_citect_error(shim.GetLastError())
    # a handle that is not open: the link class (close and reopen)
    assert shim.ctClose(h) == 1
    assert shim.ctTagRead(h, b"PUMP1_SPEED", byref(buf), sizeof(buf)) == 0
    assert shim.GetLastError() == 6
