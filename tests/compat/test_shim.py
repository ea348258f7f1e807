"""The ctypes shim, used the way a program written for CtApi.dll uses it (pyctapi's style):
ASCII bytes, create_string_buffer, byref, sizeof, BOOL and handle returns, GetLastError.

Against the in-test server; tests/compat/test_shim_e2e.py runs the same against the emulator.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from ctypes import byref, create_string_buffer, sizeof
from pathlib import Path

import pytest

from emulator.client.loop import BackgroundLoop
from emulator.compat import CtApi, installed
from emulator.protocol import errors as codes
from emulator.protocol.ctapi_flags import CT_OPEN_RECONNECT
from emulator.protocol.errors import citect
from tests.client.fakeserver import FakeCtApi, free_port, ready_file, serving_in

CT_SUCCESS = True
ERROR_BUFFER_OVERFLOW = 111


@pytest.fixture
def server_loop() -> Iterator[BackgroundLoop]:
    loop = BackgroundLoop("fake-server")
    yield loop
    loop.stop()


def test_a_ctapi_program_runs_unchanged(
    server_loop: BackgroundLoop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = FakeCtApi(tags={"PUMP1_SPEED": "1200", "PRODUCT_CODE": "BLEND-A42"})
    with serving_in(server_loop, state) as server:
        monkeypatch.setenv(
            "SCADA_EMU_READY_FILE", str(ready_file(tmp_path / "r.json", server.port))
        )
        with installed():
            # --- from here on, the program as written for Windows ---
            from ctypes import GetLastError, windll  # type: ignore[attr-defined]

            handle = windll.CtApi.ctOpen(b"", b"engineer", b"control", 0)
            assert handle != 0, GetLastError()

            buffer = create_string_buffer(b"0" * 8)
            status = windll.CtApi.ctTagRead(handle, b"PUMP1_SPEED", byref(buffer), sizeof(buffer))
            assert status == CT_SUCCESS
            assert buffer.value.decode("utf-8") == "1200"

            # "BLEND-A42" and its NUL need 10 bytes; the buffer has 9.
            status = windll.CtApi.ctTagRead(handle, b"PRODUCT_CODE", byref(buffer), sizeof(buffer))
            assert status == 0
            assert GetLastError() == ERROR_BUFFER_OVERFLOW
            assert buffer.value == b"1200"

            status = windll.CtApi.ctTagRead(handle, b"NO_SUCH_TAG", byref(buffer), sizeof(buffer))
            assert status == 0
            assert GetLastError() == citect(424)

            assert windll.CtApi.ctClose(handle) == CT_SUCCESS
            assert windll.CtApi.ctTagRead(handle, b"PUMP1_SPEED", byref(buffer), 9) == 0
            assert GetLastError() == 6  # ERROR_INVALID_HANDLE


def test_install_puts_names_back(tmp_path: Path) -> None:
    before = {name: hasattr(ctypes, name) for name in ("windll", "WinDLL", "GetLastError")}
    with installed(CtApi(ready_file=tmp_path / "none.json")) as shim:
        assert ctypes.WinDLL("C:/Program Files/Citect/Bin/CtApi.dll") is shim  # type: ignore[attr-defined]
        assert ctypes.windll.LoadLibrary("ctapi") is shim  # type: ignore[attr-defined]
        with pytest.raises(OSError, match=r"only CtApi\.dll"):
            ctypes.windll.CtUtil32  # type: ignore[attr-defined]  # noqa: B018
    assert {name: hasattr(ctypes, name) for name in before} == before


def test_failures_set_the_thread_last_error(tmp_path: Path) -> None:
    shim = CtApi(ready_file=tmp_path / "missing.json")
    assert shim.ctOpen(b"", b"engineer", b"control", 0) == 0
    assert shim.GetLastError() == 87  # the ready file cannot be read
    assert shim.ctOpen("SCADA-A", "engineer", "control", 0) == 0  # str, not bytes
    assert shim.GetLastError() == codes.INVALID_ARGUMENT.code  # a bad argument: Plant SCADA 274
    errors: list[int] = []

    def other_thread() -> None:
        errors.append(shim.GetLastError())

    import threading

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert errors == [0]  # the last error is per thread, as Win32's is


def test_an_unreachable_computer(tmp_path: Path) -> None:
    path = ready_file(tmp_path / "r.json", free_port())
    shim = CtApi(ready_file=path)
    assert shim.ctOpen(b"NO-SUCH-PC", b"engineer", b"control", 0) == 0
    assert shim.GetLastError() == 53  # ERROR_BAD_NETPATH
    assert shim.ctOpen(b"127.0.0.1", b"engineer", b"control", 0) == 0
    assert shim.GetLastError() == 1225  # ERROR_CONNECTION_REFUSED
    assert shim.ctListNew(12345, 0) == 0
    assert shim.GetLastError() == 6


def test_reconnect_gives_a_handle_while_down(server_loop: BackgroundLoop, tmp_path: Path) -> None:
    port = free_port()
    shim = CtApi(
        ready_file=ready_file(tmp_path / "r.json", port),
        client_options={"retry_first": 0.02, "retry_max": 0.1},
    )
    try:
        handle = shim.ctOpen(b"", b"engineer", b"control", CT_OPEN_RECONNECT)
        assert handle != 0
        buffer = create_string_buffer(16)
        assert shim.ctTagRead(handle, b"A", byref(buffer), sizeof(buffer)) == 0
        assert shim.GetLastError() == 233  # ERROR_PIPE_NOT_CONNECTED
        with serving_in(server_loop, FakeCtApi(), port):
            shim._links[handle].wait_connected(5)
            assert shim.ctTagRead(handle, b"A", byref(buffer), sizeof(buffer)) == 1
            assert buffer.value == b"1"
    finally:
        shim.close_all()


def test_restype_and_errcheck_are_honoured(server_loop: BackgroundLoop, tmp_path: Path) -> None:
    with serving_in(server_loop, FakeCtApi()) as server:
        shim = CtApi(ready_file=ready_file(tmp_path / "r.json", server.port))
        shim.ctOpen.restype = ctypes.c_void_p
        shim.ctTagRead.restype = ctypes.c_bool
        calls: list[tuple[object, ...]] = []

        def check(result: object, func: object, args: tuple[object, ...]) -> object:
            calls.append(args)
            return result

        shim.ctTagRead.errcheck = check
        try:
            handle = shim.ctOpen(b"", b"engineer", b"control", 0)
            assert isinstance(handle, int)
            buffer = create_string_buffer(4)
            assert shim.ctTagRead(handle, b"B", byref(buffer), sizeof(buffer)) is True
            assert len(calls) == 1
            assert shim.ctOpen(b"", b"engineer", b"wrong", 0) is None  # c_void_p(0) is None
        finally:
            shim.close_all()
