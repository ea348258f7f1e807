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
    create_string_buffer,
    sizeof,
    windll,
)
from typing import Any

ERROR_USER_DEFINED_BASE = 0x10000000
CT_SUCCESS = True


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

    def error(self) -> int:
        return int(GetLastError())


def buffer(size: int) -> Array[c_char]:
    return create_string_buffer(b"0" * size)
