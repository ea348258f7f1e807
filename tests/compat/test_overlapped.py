"""CTOVERLAPPED bookkeeping: dwStatus follows the operation; GetOverlappedResult tells or waits."""

from __future__ import annotations

from concurrent.futures import Future
from ctypes import byref, c_ulong, c_void_p

import pytest

from emulator.client.errors import CtApiError
from emulator.compat.buffers import ArgumentError, store
from emulator.compat.overlapped import (
    CTOVERLAPPED,
    STATUS_PENDING,
    Pending,
    completed,
)
from emulator.protocol.errors import LIST_BUSY


def test_status_follows_the_operation() -> None:
    pending = Pending()
    overlapped = CTOVERLAPPED()
    future: Future[object] = Future()
    pending.start(byref(overlapped), future)
    assert overlapped.dwStatus == STATUS_PENDING
    with pytest.raises(ArgumentError) as incomplete:
        pending.result(byref(overlapped), wait=False)
    assert incomplete.value.error.code == 996
    future.set_result({})
    assert overlapped.dwStatus == 0
    pending.result(byref(overlapped), wait=True)
    pending.result(byref(overlapped), wait=False)  # collected: complete


def test_a_failed_operation_reports_its_code() -> None:
    pending = Pending()
    overlapped = CTOVERLAPPED()
    future: Future[object] = Future()
    pending.start(byref(overlapped), future)
    future.set_exception(CtApiError.of(LIST_BUSY))
    assert overlapped.dwStatus == LIST_BUSY.code
    with pytest.raises(CtApiError):
        pending.result(byref(overlapped), wait=True)


def test_foreign_and_null_structures() -> None:
    pending = Pending()
    with pytest.raises(ArgumentError, match="NULL"):
        pending.result(None, wait=True)
    stranger = CTOVERLAPPED(dwStatus=STATUS_PENDING)
    with pytest.raises(ArgumentError, match="no operation"):
        pending.result(byref(stranger), wait=True)
    done = CTOVERLAPPED(dwStatus=STATUS_PENDING)
    completed(byref(done))
    assert done.dwStatus == 0
    completed(None)
    count = c_ulong(7)
    store(byref(count), 0)
    assert count.value == 0
    handle = c_void_p()
    store(byref(handle), 42)
    assert handle.value == 42
    store(None, 1)
    with pytest.raises(ArgumentError, match="ctypes integer"):
        store(byref((c_ulong * 2)()), 1)
