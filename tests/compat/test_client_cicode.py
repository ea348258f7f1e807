"""The Cicode alarm functions as clients call them through ctCicode, against the demo plant.

Sources: ctapi-behaviour.md "Cicode through ctCicode": AlarmAckTag(tag, cluster) 1033447 ("0 if
successful, otherwise an error code"), AlarmDisableTag(tag, cluster, endTime, comment) 1033461
(comment at most 200 characters), AlarmEnableTag(tag, cluster, bAcknowledge) 1033471,
AlarmClearTag; Shutdown never stops the emulator. Issue 14 item 3.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from ctypes import byref, create_string_buffer, sizeof

import pytest

from emulator.client.loop import BackgroundLoop
from emulator.compat import CtApi
from emulator.protocol import errors
from tests.client.emulator import Running, running_in

ALARM = "PUMP1_FAULT_ALM"


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


def until(check: Callable[[], bool], what: str, within: float = 10.0) -> None:
    """Poll with a deadline (the plant scan runs on its own clock)."""
    deadline = time.monotonic() + within
    pause = threading.Event()
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        pause.wait(0.02)


def test_alarm_functions_as_clients_call_them(shim: CtApi) -> None:
    h = shim.ctOpen(b"", b"engineer", b"control", 0)
    assert h, shim.GetLastError()

    def cicode(command: str) -> str:
        buf = create_string_buffer(64)
        status = shim.ctCicode(h, command.encode(), 0, 0, byref(buf), sizeof(buf), None)
        assert status == 1, (command, shim.GetLastError())  # ctCicode itself succeeds
        return buf.value.decode()

    def read(tag: str) -> str:
        buf = create_string_buffer(64)
        assert shim.ctTagRead(h, tag.encode(), byref(buf), sizeof(buf)) == 1, shim.GetLastError()
        return buf.value.decode()

    assert cicode("TagWrite(PUMP1_FAULT, 1)") == "0"
    until(lambda: read(f"{ALARM}.On") == "1", "the alarm to go on")
    assert read(f"{ALARM}.Ack") == "0"
    # unquoted names and an empty trailing argument, as formatted calls send them
    assert cicode(f"AlarmAckTag({ALARM}, )") == "0"
    assert read(f"{ALARM}.Ack") == "1"
    assert cicode(f'AlarmAckTag("{ALARM}", "CLUSTER1")') == "0"
    # failures are results: 424 for an unknown alarm or a wrong cluster
    assert cicode('AlarmAckTag("NO_SUCH_ALM")') == "424"
    assert cicode(f'AlarmAckTag("{ALARM}", "CLUSTER9")') == "424"
    long_comment = "x" * 201
    assert cicode(f'AlarmDisableTag("{ALARM}", "", 0, "{long_comment}")') == "274"
    assert read(f"{ALARM}.Disabled") == "0"
    assert cicode(f'AlarmDisableTag("{ALARM}", "", 0, "pump in maintenance")') == "0"
    assert read(f"{ALARM}.Disabled") == "1"
    now = int(cicode("TimeCurrent()"))
    assert cicode(f'AlarmDisableTag("{ALARM}", "", {now - 10}, "")') == "274"  # end time past
    assert cicode(f'AlarmDisableTag("{ALARM}", "", {now + 3600}, "")') == "0"  # already so
    assert cicode(f'AlarmEnableTag("{ALARM}", "", 1)') == "0"
    assert read(f"{ALARM}.Disabled") == "0"
    assert (read(f"{ALARM}.On"), read(f"{ALARM}.Ack")) == ("1", "1")  # acknowledged at once
    assert cicode(f"AlarmClearTag({ALARM})") == "274"  # still on
    assert cicode("TagWrite(PUMP1_FAULT, 0)") == "0"
    until(lambda: read(f"{ALARM}.On") == "0", "the alarm to go off")
    assert cicode(f"AlarmClearTag({ALARM})") == "0"
    # Shutdown refuses with its documented number, and the emulator keeps serving
    refused = str(errors.SHUTDOWN_REFUSED.code - errors.ERROR_USER_DEFINED_BASE)
    assert cicode("Shutdown()") == refused
    assert read("PUMP1_SPEED")
    assert shim.ctClose(h) == 1
