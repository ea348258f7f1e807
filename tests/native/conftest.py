"""The native CtAPI library (native/, docs/native.md) against the demo plant on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.client.loop import BackgroundLoop
from tests.client.emulator import Running, running_in

NATIVE = Path(__file__).resolve().parents[2] / "native" / "build"
LIBRARY = NATIVE / "libctapi.so"
SUITE = NATIVE / "test_ctapi"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """The demo plant in a loop thread of its own, shared by this module's tests."""
    if not LIBRARY.exists() or not SUITE.exists():
        pytest.fail("native/build is missing: run `make native` (make test does)")
    loop = BackgroundLoop("emulator")
    try:
        with running_in(loop, tmp_path_factory.mktemp("demo")) as emulator:
            yield emulator
    finally:
        loop.stop()


def read_through_python(demo: Running, tag: str) -> str:
    """A tag's value as the Python shim (emulator.compat) reads it from the same plant."""
    from ctypes import byref, create_string_buffer, sizeof

    from emulator.compat import CtApi

    api = CtApi(ready_file=demo.ready)
    try:
        handle = api.ctOpen(b"", b"engineer", b"control", 0)
        assert handle, api.GetLastError()
        value = create_string_buffer(64)
        assert api.ctTagRead(handle, tag.encode(), byref(value), sizeof(value)), api.GetLastError()
        api.ctClose(handle)
        return value.value.decode()
    finally:
        api.close_all()
