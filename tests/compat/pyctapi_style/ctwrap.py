"""A ctypes wrapper written as for Windows, in pyctapi's style (gaynertechnical/pyctapi
pyctapi/pyctapi.py: the platform check at import, four Citect DLLs loaded by path, every call
through `windll.CtApi`). Never imported by the test process: `scada-emu pyctapi` runs it."""

import platform

if platform.system() != "Windows":
    raise OSError

from ctypes import (  # type: ignore[attr-defined, unused-ignore]
    CDLL,
    Array,
    GetLastError,
    byref,
    c_char,
    c_void_p,
    create_string_buffer,
    pointer,
    sizeof,
    windll,
)
from typing import Any

ERROR_USER_DEFINED_BASE = 0x10000000
CT_SUCCESS = True
DBTYPE_STR = 129


def is_citect_error(status: int) -> bool:
    return status > ERROR_USER_DEFINED_BASE


class Wrapper:
    def __init__(self, dll_path: str) -> None:
        CDLL(dll_path + "/CiDebugHelp")
        CDLL(dll_path + "/CtUtil32")
        CDLL(dll_path + "/Ct_ipc")
        CDLL(dll_path + "/CtApi")
        self.dll: Any = windll.CtApi

    def open(self, host: str, user: str, password: str, mode: int = 0) -> int:
        return int(self.dll.ctOpen(host.encode(), user.encode(), password.encode(), mode))

    def close(self, connection: int) -> bool:
        return bool(self.dll.ctClose(connection))

    def tag_read(self, connection: int, tag: str, buff: Array[c_char]) -> bool:
        return bool(self.dll.ctTagRead(connection, tag.encode(), byref(buff), sizeof(buff)))

    def cicode(self, connection: int, function: str, buff: Array[c_char]) -> bool:
        command = function.encode()
        return bool(self.dll.ctCicode(connection, command, 0, 0, byref(buff), sizeof(buff), None))

    def search(self, connection: int, table: str) -> list[dict[str, str]]:
        """Every record of a table or query, as dictionaries named by the field metadata."""
        record = c_void_p()
        found = self.dll.ctFindFirst(connection, table.encode(), None, pointer(record), 0)
        rows: list[dict[str, str]] = []
        while found:
            count = int(self.field(record, "object.fields.count"))
            names = [self.field(record, f"object.fields({n}).name") for n in range(1, count + 1)]
            rows.append({name: self.field(record, name) for name in names})
            if not self.dll.ctFindNext(found, pointer(record)):
                break
        if found:
            self.dll.ctFindClose(found)
        return rows

    def field(self, record: c_void_p, name: str) -> str:
        value = buffer(256)
        self.dll.ctGetProperty(record, name.encode(), byref(value), sizeof(value), None, DBTYPE_STR)
        return value.value.decode()

    def error(self) -> int:
        return int(GetLastError())


def buffer(size: int) -> Array[c_char]:
    return create_string_buffer(b"0" * size)
