"""The shim from several threads: a handle freed twice at once is freed, and nothing raises."""

from __future__ import annotations

import threading

from emulator.compat.ctapi import TRUE, CtApi, _List

TIMEOUT = 5.0


class _SlowFree:
    """A client whose first list_free waits until the test lets it go on."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def list_free(self, server: int) -> None:
        if not self.entered.is_set():
            self.entered.set()
            self.release.wait(TIMEOUT)


def test_two_threads_freeing_one_list_both_succeed() -> None:
    shim = CtApi()
    client = _SlowFree()
    shim._links[1] = client  # type: ignore[assignment]
    shim._lists[7] = _List(link=1, server=70)
    results: list[object] = []
    first = threading.Thread(target=lambda: results.append(shim.ctListFree(7)))
    first.start()
    assert client.entered.wait(TIMEOUT)
    assert shim.ctListFree(7) == TRUE  # while the first is inside list_free
    client.release.set()
    first.join(TIMEOUT)
    assert results == [TRUE] and not shim._lists
