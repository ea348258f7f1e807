"""A CtAPI program, in the spirit of pyctapi's CTAPIAdapter, against the real emulator.

The adapter below is written as it would be for Windows: it only ever touches ctypes'
`windll.CtApi` and `GetLastError`; emulator.compat.installed() is the one line that differs.
Run on 2073 (mode 0, encryption "unencrypted") and on 3073 (CT_OPEN_CRYPT).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from ctypes import byref, c_double, c_ulong, c_void_p, create_string_buffer, sizeof
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

from emulator.client.loop import BackgroundLoop
from emulator.compat import CT_TAGVALUE_ITEMS, CTOVERLAPPED, installed
from emulator.protocol import errors as codes
from emulator.protocol.errors import citect
from tests.client.emulator import Running, encrypted_only, running_in

CT_SUCCESS = True
CT_OPEN_CRYPT = 0x1
CT_OPEN_READ_ONLY = 0x4
CT_LIST_EVENT = 0x1
CT_LIST_EVENT_NEW = 0x1
ERROR_USER_DEFINED_BASE = 0x10000000
ERROR_IO_INCOMPLETE = 996
ERROR_IO_PENDING = 997
STATUS_PENDING = 0x103


def is_citect_error(code: int) -> bool:
    return code > ERROR_USER_DEFINED_BASE


class CtApiCallError(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class Adapter:
    """What a CtAPI program does with the DLL (pyctapi's CTAPIAdapter, in spirit)."""

    def __init__(self, host: str, user: str, password: str, mode: int = 0) -> None:
        from ctypes import GetLastError, windll  # type: ignore[attr-defined]

        self.dll: Any = windll.CtApi
        self.last_error: Any = GetLastError
        self.args = (host.encode("ascii"), user.encode("ascii"), password.encode("ascii"), mode)
        self.lists: dict[str, int] = {}
        self.tags: dict[str, int] = {}

    def __enter__(self) -> Adapter:
        self.connection = self.dll.ctOpen(*self.args)
        if self.connection == 0:
            raise CtApiCallError(self.last_error())
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for handle in self.lists.values():
            self.dll.ctListFree(handle)
        self.dll.ctClose(self.connection)

    def check(self, status: int) -> None:
        if status != CT_SUCCESS:
            raise CtApiCallError(self.last_error())

    def read_tag(self, tag: str, size: int = 8) -> str:
        buffer = create_string_buffer(b"0" * size)
        self.check(
            self.dll.ctTagRead(self.connection, tag.encode("ascii"), byref(buffer), sizeof(buffer))
        )
        return str(buffer.value.decode("utf-8"))

    def read_tag_ex(self, tag: str) -> tuple[str, CT_TAGVALUE_ITEMS]:
        buffer = create_string_buffer(32)
        items = CT_TAGVALUE_ITEMS()
        self.check(
            self.dll.ctTagReadEx(
                self.connection, tag.encode("ascii"), byref(buffer), sizeof(buffer), byref(items)
            )
        )
        return buffer.value.decode("ascii"), items

    def write_tag_ex(self, tag: str, value: object) -> None:
        self.check(
            self.dll.ctTagWriteEx(
                self.connection, tag.encode("ascii"), str(value).encode("ascii"), None
            )
        )

    def write_tag(self, tag: str, value: object) -> None:
        self.check(
            self.dll.ctTagWrite(self.connection, tag.encode("ascii"), str(value).encode("ascii"))
        )

    def call_function(self, command: str) -> str:
        buffer = create_string_buffer(b"0" * 256)
        self.check(
            self.dll.ctCicode(
                self.connection, command.encode("ascii"), 0, 0, byref(buffer), sizeof(buffer), None
            )
        )
        return str(buffer.value.decode("utf-8"))

    def create_tag_list(self, name: str, mode: int = 0) -> None:
        handle = self.dll.ctListNew(self.connection, mode)
        if handle == 0:
            raise CtApiCallError(self.last_error())
        self.lists[name] = handle

    def add_tag_to_list(self, name: str, tag: str, deadband: float | None = None) -> None:
        if deadband is None:
            handle = self.dll.ctListAdd(self.lists[name], tag.encode("ascii"))
        else:
            handle = self.dll.ctListAddEx(
                self.lists[name], tag.encode("ascii"), False, 500, c_double(deadband)
            )
        if handle == 0:
            raise CtApiCallError(self.last_error())
        self.tags[tag] = handle

    def refresh_list(self, name: str) -> None:
        self.check(self.dll.ctListRead(self.lists[name], None))

    def value_from_list(self, tag: str) -> str:
        buffer = create_string_buffer(b"0" * 16)
        self.check(self.dll.ctListData(self.tags[tag], byref(buffer), sizeof(buffer), 0))
        return str(buffer.value.decode("utf-8"))

    def next_event(self, name: str, mode: int = 0) -> str | None:
        changed = self.dll.ctListEvent(self.lists[name], mode)
        if changed == 0:
            return None
        return next(tag for tag, handle in self.tags.items() if handle == changed)

    def write_tag_list(self, tag: str, value: object) -> None:
        self.check(self.dll.ctListWrite(self.tags[tag], str(value).encode("ascii"), None))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """The demo plant in a loop thread of its own, shared by this module's tests."""
    loop = BackgroundLoop("emulator")
    try:
        with running_in(loop, tmp_path_factory.mktemp("demo")) as emulator:
            yield emulator
    finally:
        loop.stop()


#: (encryption configured for the shim, ctOpen mode): the plain port, then the encrypted one.
PORTS = pytest.mark.parametrize(
    ("encryption", "mode"), [("unencrypted", 0), ("mixed", CT_OPEN_CRYPT)], ids=["2073", "3073"]
)


@PORTS
def test_read_write_version_and_short_buffer(demo: Running, encryption: str, mode: int) -> None:
    with (
        installed(ready_file=demo.ready, encryption=encryption),
        Adapter("SCADA-A", "engineer", "control", mode) as ct,
    ):
        assert ct.read_tag("PUMP1_SPEED") == "1200"
        ct.write_tag("BLEND_RATIO_SP", 0.5)
        assert ct.read_tag("BLEND_RATIO_SP") == "0.500"
        assert ct.call_function("Version(3)")
        assert ct.read_tag("PRODUCT_CODE", size=16) == "BLEND-A42"
        with pytest.raises(CtApiCallError) as short:
            ct.read_tag("PRODUCT_CODE")  # 9 bytes: the value and its NUL need 10
        assert short.value.code == 111
        with pytest.raises(CtApiCallError) as missing:
            ct.read_tag("NO_SUCH_TAG")
        assert is_citect_error(missing.value.code)
        assert missing.value.code - ERROR_USER_DEFINED_BASE == 424
        value, items = ct.read_tag_ex("TANK1_LEVEL")
        assert value == "62.0"
        assert items.dwLength == sizeof(CT_TAGVALUE_ITEMS)
        assert items.bQualityGeneral == 3  # QUAL_GOOD
        unix = (items.nTimestamp - 116_444_736_000_000_000) / 10_000_000  # FILETIME
        assert abs(unix - time.time()) < 3600
        ct.write_tag_ex("BLEND_RATIO_SP", 0.25)
        assert ct.read_tag("BLEND_RATIO_SP") == "0.250"


@PORTS
def test_tag_list_with_events(demo: Running, encryption: str, mode: int) -> None:
    with (
        installed(ready_file=demo.ready, encryption=encryption),
        Adapter("127.0.10.1", "engineer", "control", mode) as ct,
    ):
        ct.create_tag_list("pumps", CT_LIST_EVENT)
        ct.add_tag_to_list("pumps", "BATCH_COUNT")
        ct.add_tag_to_list("pumps", "TANK1_HIGH_SP", deadband=1.0)
        ct.add_tag_to_list("pumps", "NO_SUCH_TAG")
        ct.refresh_list("pumps")
        high = ct.value_from_list("TANK1_HIGH_SP")
        assert high == ct.read_tag("TANK1_HIGH_SP")
        with pytest.raises(CtApiCallError) as missing:
            ct.value_from_list("NO_SUCH_TAG")
        assert missing.value.code == citect(424)
        while ct.next_event("pumps", CT_LIST_EVENT_NEW) is not None:
            pass
        batches = int(ct.value_from_list("BATCH_COUNT")) + 1
        ct.write_tag_list("BATCH_COUNT", batches)
        ct.write_tag("TANK1_HIGH_SP", float(high) + 0.5)  # within the deadband: no event
        ct.refresh_list("pumps")
        assert ct.next_event("pumps") == "BATCH_COUNT"
        assert ct.next_event("pumps") is None
        assert ct.value_from_list("BATCH_COUNT") == str(batches)


@PORTS
def test_bad_password_and_read_only(demo: Running, encryption: str, mode: int) -> None:
    with installed(ready_file=demo.ready, encryption=encryption):
        with pytest.raises(CtApiCallError) as refused, Adapter("SCADA-A", "engineer", "nope", mode):
            pass
        assert refused.value.code == citect(274)
        with Adapter("SCADA-A", "engineer", "control", mode | CT_OPEN_READ_ONLY) as ct:
            assert ct.read_tag("PUMP1_SPEED")
            with pytest.raises(CtApiCallError) as denied:
                ct.write_tag("PUMP1_SPEED", 5)
            assert denied.value.code == codes.ACCESS_DENIED.code  # refused: a Plant SCADA code
            with pytest.raises(CtApiCallError):
                ct.call_function("Version(3)")


def test_plaintext_against_an_encrypted_only_computer(tmp_path: Path) -> None:
    loop = BackgroundLoop("emulator")
    try:
        with (
            running_in(loop, tmp_path, encrypted_only()) as secure,
            installed(ready_file=secure.ready, encryption="unencrypted"),
        ):
            with (
                pytest.raises(CtApiCallError) as refused,
                Adapter("SECURE-PC", "engineer", "control"),
            ):
                pass
            assert refused.value.code == 1225  # ERROR_CONNECTION_REFUSED
            with Adapter("SECURE-PC", "engineer", "control", CT_OPEN_CRYPT) as ct:
                assert ct.read_tag("X") == "5"
    finally:
        loop.stop()


@PORTS
def test_an_overlapped_list_read_completes_on_a_change(
    demo: Running, encryption: str, mode: int
) -> None:
    with (
        installed(ready_file=demo.ready, encryption=encryption),
        Adapter("SCADA-A", "engineer", "control", mode) as ct,
    ):
        from ctypes import GetLastError  # type: ignore[attr-defined]

        ct.create_tag_list("fast", CT_LIST_EVENT)
        handle = ct.dll.ctListAddEx(ct.lists["fast"], b"PUMP2_SPEED", False, 0, c_double(0))
        ct.tags["PUMP2_SPEED"] = handle
        ct.refresh_list("fast")
        overlapped = CTOVERLAPPED()
        assert ct.dll.ctListRead(ct.lists["fast"], byref(overlapped)) == 0
        assert GetLastError() == ERROR_IO_PENDING
        assert overlapped.dwStatus == STATUS_PENDING  # ctHasOverlappedIoCompleted is false
        count = c_ulong(99)
        status = ct.dll.ctGetOverlappedResult(ct.connection, byref(overlapped), byref(count), 0)
        assert status == 0
        assert GetLastError() == ERROR_IO_INCOMPLETE
        speed = int(ct.read_tag("PUMP2_SPEED", size=16))
        ct.write_tag("PUMP2_SPEED", speed + 10)
        status = ct.dll.ctGetOverlappedResult(ct.connection, byref(overlapped), byref(count), 1)
        assert status == CT_SUCCESS
        assert (overlapped.dwStatus, count.value) == (0, 0)
        assert ct.next_event("fast") == "PUMP2_SPEED"
        assert ct.value_from_list("PUMP2_SPEED") == str(speed + 10)


DBTYPE_R8 = 5
DBTYPE_STR = 129
CT_FIND_SCROLL_FIRST = 3
ERROR_NO_MORE_FILES = codes.NO_MORE_RECORDS.code  # a Plant SCADA code (issue 14)


@PORTS
def test_find_tags_and_read_their_properties(demo: Running, encryption: str, mode: int) -> None:
    with (
        installed(ready_file=demo.ready, encryption=encryption),
        Adapter("SCADA-A", "engineer", "control", mode) as ct,
    ):
        from ctypes import GetLastError  # type: ignore[attr-defined]

        dll, length = ct.dll, c_ulong()
        record = c_void_p()
        search = dll.ctFindFirst(ct.connection, b"Tag", b"TAG=PUMP?_SPEED", byref(record), 0)
        assert search != 0, GetLastError()
        names = []
        while True:
            name = create_string_buffer(64)
            assert dll.ctGetProperty(
                record, b"TAG", byref(name), sizeof(name), byref(length), DBTYPE_STR
            )
            names.append(name.value)
            if not dll.ctFindNext(search, byref(record)):
                assert GetLastError() == ERROR_NO_MORE_FILES
                break
        assert names == [b"PUMP1_SPEED", b"PUMP2_SPEED"]
        # without the NUL: clients slice the buffer with it (ctapi-rs; CtAPI 1150521)
        assert length.value == len(b"PUMP2_SPEED")
        full = c_double()
        assert dll.ctGetProperty(
            record, b"eng_full", byref(full), sizeof(full), byref(length), DBTYPE_R8
        )
        assert (full.value, length.value) == (1500.0, 8)
        short = create_string_buffer(4)
        assert not dll.ctGetProperty(
            record, b"COMMENT", byref(short), sizeof(short), byref(length), DBTYPE_STR
        )
        assert GetLastError() == 111
        assert dll.ctFindNumRecords(search) == 2
        assert dll.ctFindScroll(search, CT_FIND_SCROLL_FIRST, 0, byref(record)) == 1
        assert dll.ctFindClose(search) == CT_SUCCESS
        assert dll.ctFindNumRecords(search) == -1
        assert GetLastError() == codes.UNKNOWN_HANDLE.code
        assert dll.ctFindFirst(ct.connection, b"Tag", b"TAG=NOTHING*", byref(record), 0) == 0
        assert GetLastError() == ERROR_NO_MORE_FILES
