"""The shim's newer exports and its NULL handling, against the running demo plant.

Sources, per test: ctapi-behaviour.md ("How clients call": NULL as 0, extra arguments, local
ctOpen, ctFindFirstEx 1150515) and the CtAPI reference pages named in each test.
"""

from __future__ import annotations

from collections.abc import Iterator
from ctypes import byref, c_double, c_ulong, c_void_p, create_string_buffer, sizeof

import pytest

from emulator.client.loop import BackgroundLoop
from emulator.compat import CTOVERLAPPED, CtApi
from emulator.compat.scale import CT_SCALE_CLAMP_LIMIT, CT_SCALE_RANGE_CHECK, CTHSCALE, CTSCALE
from emulator.protocol import errors as codes
from emulator.protocol.errors import citect
from tests.client.emulator import Running, running_in

DBTYPE_R8 = 5
DBTYPE_STR = 129
CT_LIST_EVENT = 0x1
ERROR_INVALID_HANDLE = 6
ERROR_NO_MORE_FILES = codes.NO_MORE_RECORDS.code  # a refused find: Plant SCADA (issue 14)
ERROR_OPERATION_ABORTED = 995
ERROR_IO_PENDING = 997
STATUS_PENDING = 0x103


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


def read(dll: CtApi, handle: int, tag: bytes) -> bytes:
    buffer = create_string_buffer(32)
    assert dll.ctTagRead(handle, tag, byref(buffer), sizeof(buffer)), dll.GetLastError()
    return buffer.value


def test_null_as_zero_or_none_and_the_local_computer(shim: CtApi) -> None:
    # ctapi-behaviour.md "NULL arrives as 0" (C# IntPtr.Zero, Go uintptr(0)) and "Local
    # connection" (1150533): NULL or "" for the computer is the local one, SCADA-A here.
    for computer in (None, 0, b""):
        handle = shim.ctOpen(computer, b"engineer", b"control", 0)
        assert handle, (computer, shim.GetLastError())
        assert read(shim, handle, b"PUMP1_SPEED") == b"1200"
        assert shim.ctClose(handle) == 1
    handle = shim.ctOpen(0, b"engineer", b"control", 0)
    record = c_void_p()
    search = shim.ctFindFirst(handle, b"Tag", 0, byref(record), 0)  # szFilter as 0
    assert search, shim.GetLastError()
    assert shim.ctFindNumRecords(search) == 28
    # ctapi-go's CtFindClose passes the handle twice: the extra argument is ignored.
    assert shim.ctFindClose(search, search) == 1
    tag_list = shim.ctListNew(handle, 0)
    tag = shim.ctListAdd(tag_list, b"PUMP1_SPEED")
    assert shim.ctListRead(tag_list, 0) == 1  # pctOverlapped as 0: a plain read
    buffer = create_string_buffer(16)
    assert shim.ctListData(tag, byref(buffer), sizeof(buffer), 0) == 1
    assert buffer.value == b"1200"
    assert shim.ctTagWriteEx(handle, b"BLEND_RATIO_SP", b"0.5", 0) == 1
    assert shim.ctCicode(handle, b"Version(3)", 0, 0, byref(buffer), sizeof(buffer), 0) == 1


def test_too_few_arguments_fail_without_raising(shim: CtApi) -> None:
    assert shim.ctTagRead(1) == 0
    assert shim.GetLastError() == codes.INVALID_ARGUMENT.code  # refused: Plant SCADA 274
    assert shim.ctFindNumRecords() == -1


def test_client_create_open_ex_close_ex_destroy(shim: CtApi) -> None:
    # CtAPI reference ctClientCreate/ctOpenEx/ctCloseEx/ctClientDestroy (1150507, 1150535,
    # 1150505, 1150506): create a handle, open on it, close it without destroying, reopen.
    assert shim.ctSetManagedBinDirectory(b"C:\\Program Files (x86)\\AVEVA Plant SCADA\\Bin") == 1
    assert shim.ctSetManagedBinDirectory(0) == 1
    handle = shim.ctClientCreate()
    assert handle
    assert shim.ctTagRead(handle, b"PUMP1_SPEED", None, 0) == 0
    assert shim.GetLastError() == ERROR_INVALID_HANDLE  # created, not open
    assert shim.ctOpenEx(b"SCADA-A", b"engineer", b"control", 0, handle) == 1
    assert read(shim, handle, b"PUMP1_SPEED") == b"1200"
    assert shim.ctOpenEx(b"SCADA-A", b"engineer", b"control", 0, handle) == 0
    assert shim.GetLastError() == codes.ALREADY_OPEN.code  # refused, the link is fine
    assert shim.ctCloseEx(handle, 0) == 1
    assert shim.ctTagRead(handle, b"PUMP1_SPEED", None, 0) == 0
    assert shim.GetLastError() == ERROR_INVALID_HANDLE
    assert shim.ctOpenEx(None, b"engineer", b"control", 0, handle) == 1  # the same handle again
    assert read(shim, handle, b"PUMP1_SPEED") == b"1200"
    assert shim.ctClientDestroy(handle) == 1  # closes it too
    assert shim.ctOpenEx(None, b"engineer", b"control", 0, handle) == 0
    assert shim.GetLastError() == ERROR_INVALID_HANDLE
    assert shim.ctOpenEx(None, b"engineer", b"control", 0, 12345) == 0  # never created
    assert shim.ctClientDestroy(handle) == 0
    assert shim.GetLastError() == ERROR_INVALID_HANDLE


def test_find_first_ex_restricts_to_a_cluster(shim: CtApi) -> None:
    # ctFindFirstEx(h, table, filter, cluster, &obj, flags) (1150515): NULL or "" = all.
    handle = shim.ctOpen(b"SCADA-A", b"engineer", b"control", 0)
    record = c_void_p()
    for cluster in (None, 0, b"", b"CLUSTER1", b"cluster1"):
        search = shim.ctFindFirstEx(handle, b"Tag", b"TAG=PUMP?_SPEED", cluster, byref(record), 0)
        assert search, (cluster, shim.GetLastError())
        assert shim.ctFindNumRecords(search) == 2
        assert shim.ctFindClose(search) == 1
    search = shim.ctFindFirstEx(handle, b"Tag", b"TAG=PUMP* TAG=*SPEED", b"CLUSTER1", 0, 0)
    assert search, shim.GetLastError()
    assert shim.ctFindNumRecords(search) == 2  # a space-separated filter keeps its terms
    assert shim.ctFindFirstEx(handle, b"Tag", 0, b"CLUSTER9", byref(record), 0) == 0
    assert shim.GetLastError() == ERROR_NO_MORE_FILES


def test_tag_get_property(shim: CtApi) -> None:
    # ctTagGetProperty(h, tag, property, buf, len, type): the Tag table's fields (1150537).
    handle = shim.ctOpen(None, b"engineer", b"control", 0)
    units = create_string_buffer(16)
    assert shim.ctTagGetProperty(
        handle, b"PUMP1_SPEED", b"ENG_UNITS", byref(units), sizeof(units), DBTYPE_STR
    )
    assert units.value == b"rpm"
    full = c_double()
    assert shim.ctTagGetProperty(
        handle, b"CLUSTER1.PUMP1_SPEED", b"eng_full", byref(full), sizeof(full), DBTYPE_R8
    )
    assert full.value == 1500.0
    comment = create_string_buffer(32)
    assert shim.ctTagGetProperty(
        handle, b"PUMP1_SPEED", b"COMMENT", byref(comment), sizeof(comment), DBTYPE_STR
    )
    assert comment.value == b"Pump 1 speed"
    assert not shim.ctTagGetProperty(handle, b"NO_SUCH_TAG", b"COMMENT", comment, 32, DBTYPE_STR)
    assert shim.GetLastError() == citect(424)
    assert not shim.ctTagGetProperty(handle, b"PUMP*", b"COMMENT", comment, 32, DBTYPE_STR)
    assert shim.GetLastError() == citect(274)
    assert not shim.ctTagGetProperty(handle, b"PUMP1_SPEED", b"COLOUR", comment, 32, DBTYPE_STR)
    assert shim.GetLastError() == citect(274)
    short = create_string_buffer(4)
    assert not shim.ctTagGetProperty(handle, b"PUMP1_SPEED", b"COMMENT", short, 4, DBTYPE_STR)
    assert shim.GetLastError() == 111  # ERROR_BUFFER_OVERFLOW


def test_eng_to_raw_and_raw_to_eng() -> None:
    # ctEngToRaw / ctRawToEng(pResult, value, pScale, mode) with CTSCALE (1150512, 1150536);
    # PUMP1_SPEED's scale in the demo plant: raw 0..32000, 0..1500 rpm.
    dll = CtApi()
    scale = CTSCALE(CTHSCALE(0.0, 32000.0), CTHSCALE(0.0, 1500.0))
    result = c_double()
    assert dll.ctEngToRaw(byref(result), c_double(750.0), byref(scale), 0) == 1
    assert result.value == 16000.0
    assert dll.ctRawToEng(byref(result), 8000.0, byref(scale), 0) == 1
    assert result.value == 375.0
    assert dll.ctEngToRaw(byref(result), 3000.0, byref(scale), 0) == 1  # no check: extrapolates
    assert result.value == 64000.0
    assert dll.ctEngToRaw(byref(result), 3000.0, byref(scale), CT_SCALE_RANGE_CHECK) == 0
    assert dll.GetLastError() == citect(257)
    assert dll.ctEngToRaw(byref(result), 3000.0, byref(scale), CT_SCALE_CLAMP_LIMIT) == 1
    assert result.value == 32000.0
    empty = CTSCALE(CTHSCALE(5.0, 5.0), CTHSCALE(0.0, 1.0))
    assert dll.ctRawToEng(byref(result), 5.0, byref(empty), 0) == 0
    assert dll.GetLastError() == codes.INVALID_ARGUMENT.code
    assert dll.ctRawToEng(0, 5.0, byref(scale), 0) == 0


def test_cancel_io_ends_a_pending_list_read(shim: CtApi) -> None:
    # ctCancelIO(h, pctOverlapped) (1150504): the pending call ends with ERROR_OPERATION_ABORTED.
    handle = shim.ctOpen(None, b"engineer", b"control", 0)
    tag_list = shim.ctListNew(handle, CT_LIST_EVENT)
    assert shim.ctListAdd(tag_list, b"BATCH_COUNT")
    assert shim.ctListRead(tag_list, None) == 1
    assert shim.ctCancelIO(handle, None) == 0  # nothing pending
    assert shim.GetLastError() == citect(274)
    overlapped = CTOVERLAPPED()
    assert shim.ctListRead(tag_list, byref(overlapped)) == 0
    assert shim.GetLastError() == ERROR_IO_PENDING
    assert overlapped.dwStatus == STATUS_PENDING
    other = shim.ctOpen(None, b"engineer", b"control", 0)
    assert shim.ctCancelIO(other, byref(overlapped)) == 0  # not that handle's call
    assert shim.ctCancelIO(handle, byref(overlapped)) == 1
    assert overlapped.dwStatus == ERROR_OPERATION_ABORTED
    count = c_ulong()
    assert shim.ctGetOverlappedResult(handle, byref(overlapped), byref(count), 1) == 0
    assert shim.GetLastError() == ERROR_OPERATION_ABORTED
    assert shim.ctCancelIO(handle, byref(overlapped)) == 0
    assert shim.GetLastError() == citect(274)
