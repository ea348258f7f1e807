"""ctapi.h's CTOVERLAPPED: CtAPI's asynchronous calls, as the shim runs them.

A call given a CTOVERLAPPED either completes at once (its `dwStatus` is set to 0) or, for
`ctListRead`, is left pending: the call returns FALSE with ERROR_IO_PENDING (997), `dwStatus`
reads STATUS_PENDING until the read completes (`ctHasOverlappedIoCompleted` is ctapi.h's macro
for `dwStatus != STATUS_PENDING`), and `ctGetOverlappedResult` waits for it or tells. The event
handle `hEvent` is a Windows object the shim cannot signal; it is left alone.
"""

from __future__ import annotations

import ctypes
import threading
from concurrent.futures import CancelledError, Future
from typing import Any

from emulator.client.errors import CtApiError
from emulator.compat.buffers import ArgumentError, target
from emulator.protocol.errors import (
    INTERNAL_ERROR,
    INVALID_ARGUMENT,
    IO_INCOMPLETE,
    OPERATION_ABORTED,
)

#: NTSTATUS STATUS_PENDING (ntstatus.h), what `dwStatus` reads while an operation runs.
STATUS_PENDING = 0x103


class CTOVERLAPPED(ctypes.Structure):
    _pack_ = 1
    _fields_ = [
        ("dwStatus", ctypes.c_uint32),
        ("dwLength", ctypes.c_uint32),
        ("pData", ctypes.c_void_p),
        ("OffsetHigh", ctypes.c_uint32),
        ("hEvent", ctypes.c_void_p),
    ]


def _status_of(obj: Any) -> ctypes.c_uint32:
    """The first DWORD of the caller's object (a CTOVERLAPPED's `dwStatus`, a DWORD)."""
    if ctypes.sizeof(obj) < ctypes.sizeof(ctypes.c_uint32):
        raise ArgumentError(INVALID_ARGUMENT, "the argument is too small for a DWORD")
    return ctypes.c_uint32.from_address(ctypes.addressof(obj))


def _length_of(obj: Any) -> ctypes.c_uint32 | None:
    """The second DWORD (a CTOVERLAPPED's `dwLength`), when the object has one."""
    if ctypes.sizeof(obj) < 2 * ctypes.sizeof(ctypes.c_uint32):
        return None
    return ctypes.c_uint32.from_address(ctypes.addressof(obj) + ctypes.sizeof(ctypes.c_uint32))


def completed(overlapped: Any, length: int = 0) -> None:
    """A call that finished at once: mark its CTOVERLAPPED (if any) complete, `dwLength` the
    length of its result (0 for a call with none), as the reference has it."""
    obj = target(overlapped)
    if obj is not None:
        _status_of(obj).value = 0
        if (field := _length_of(obj)) is not None:
            field.value = length


class Pending:
    """The overlapped operations in flight, by the address of their CTOVERLAPPED."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._futures: dict[int, Future[Any]] = {}
        self._owners: dict[int, int] = {}  # CTOVERLAPPED address -> the ctOpen handle

    def start(self, overlapped: Any, future: Future[Any], owner: int = 0) -> None:
        """Track `future` under the caller's CTOVERLAPPED; dwStatus follows it."""
        obj = target(overlapped)
        assert obj is not None, "only calls given a CTOVERLAPPED are pending"
        status = _status_of(obj)
        status.value = STATUS_PENDING
        with self._lock:
            self._futures[ctypes.addressof(obj)] = future
            self._owners[ctypes.addressof(obj)] = owner

        length = _length_of(obj)

        def done(finished: Future[Any], keep: Any = obj) -> None:
            # `keep` holds the caller's structure alive until its status is written.
            if length is not None:
                length.value = 0  # a list read has no result of its own to measure
            status.value = _code(finished)

        future.add_done_callback(done)

    def result(self, overlapped: Any, wait: bool) -> int:
        """ctGetOverlappedResult: the result's length when done (waiting if asked); raise its
        error."""
        obj = target(overlapped)
        if obj is None:
            raise ArgumentError(INVALID_ARGUMENT, "pctOverlapped is NULL")
        with self._lock:
            future = self._futures.get(ctypes.addressof(obj))
        if future is None:
            if _status_of(obj).value == STATUS_PENDING:
                raise ArgumentError(
                    INVALID_ARGUMENT, "no operation of this shim uses that CTOVERLAPPED"
                )
            field = _length_of(obj)
            return 0 if field is None else field.value  # completed at once, or collected
        if not future.done() and not wait:
            raise ArgumentError(IO_INCOMPLETE, "the operation is still pending")
        try:
            future.result()
            field = _length_of(obj)
            return 0 if field is None else field.value
        except CancelledError:
            raise CtApiError.of(OPERATION_ABORTED, "ctCancelIO cancelled it") from None
        finally:
            with self._lock:
                self._futures.pop(ctypes.addressof(obj), None)
                self._owners.pop(ctypes.addressof(obj), None)

    def cancel(self, owner: int, overlapped: Any) -> int:
        """ctCancelIO: cancel `owner`'s pending operations (only `overlapped`'s, if given);
        how many were cancelled. Their dwStatus becomes ERROR_OPERATION_ABORTED (995)."""
        obj = target(overlapped)
        address = None if obj is None else ctypes.addressof(obj)
        with self._lock:
            chosen = [
                future
                for key, future in self._futures.items()
                if self._owners.get(key) == owner and address in (None, key) and not future.done()
            ]
        return sum(1 for future in chosen if future.cancel())


def _code(future: Future[Any]) -> int:
    """The GetLastError code an overlapped operation ended with (0: success)."""
    try:
        error = future.exception()
    except CancelledError:
        return OPERATION_ABORTED.code
    if error is None:
        return 0
    if isinstance(error, CtApiError):
        return error.code
    return INTERNAL_ERROR.code
