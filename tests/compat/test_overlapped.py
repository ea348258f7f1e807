"""CTOVERLAPPED bookkeeping: dwStatus follows the operation; GetOverlappedResult tells or waits."""

from __future__ import annotations

from concurrent.futures import Future
from ctypes import byref, c_ulong

import pytest

from emulator.client.errors import CtApiError
from emulator.compat.buffers import ArgumentError
from emulator.compat.overlapped import (
    CTOVERLAPPED,
    STATUS_PENDING,
    Pending,
    completed,
    store_dword,
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
    store_dword(byref(count), 0)
    assert count.value == 0
    with pytest.raises(ArgumentError, match="too small"):
        store_dword(byref((c_ulong * 0)()), 1)
