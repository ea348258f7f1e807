"""The demo plant for the conformance suite, and its two backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulator.client.loop import BackgroundLoop
from tests.client.emulator import Running, running_in
from tests.native.conftest import LIBRARY


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    loop = BackgroundLoop("conformance")
    try:
        with running_in(loop, tmp_path_factory.mktemp("demo")) as emulator:
            yield emulator
    finally:
        loop.stop()


@pytest.fixture(scope="module")
def native_library() -> str:
    if not LIBRARY.exists():
        pytest.fail("native/build/libctapi.so is missing: run `make native` (make test does)")
    return str(LIBRARY)
