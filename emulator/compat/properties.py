"""ctGetProperty's result types: a record's value as the DBTYPE the caller asks for.

ctGetProperty(hObject, szName, pData, dwBufferLength, &dwResultLength, dwType) takes the OLE DB
type of ctapi.h's DBTYPEENUM; the shim serves the text and number types. Pure.
"""

from __future__ import annotations

import struct

from emulator.compat.buffers import ArgumentError
from emulator.protocol.errors import INVALID_ARGUMENT

PropertyValue = str | int | float | bool

DBTYPE_STR = 129
DBTYPE_BOOL = 11

#: DBTYPE number -> (struct format, name) for the binary types (little-endian, as on Windows).
BINARY: dict[int, tuple[str, str]] = {
    2: ("<h", "DBTYPE_I2"),
    3: ("<i", "DBTYPE_I4"),
    4: ("<f", "DBTYPE_R4"),
    5: ("<d", "DBTYPE_R8"),
    DBTYPE_BOOL: ("<h", "DBTYPE_BOOL"),
    16: ("<b", "DBTYPE_I1"),
    17: ("<B", "DBTYPE_UI1"),
    18: ("<H", "DBTYPE_UI2"),
    19: ("<I", "DBTYPE_UI4"),
    20: ("<q", "DBTYPE_I8"),
    21: ("<Q", "DBTYPE_UI8"),
}


def as_text(value: PropertyValue) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def encode(value: PropertyValue, dbtype: int, name: str) -> bytes:
    """The bytes ctGetProperty stores for `value` as `dbtype` (DBTYPE_STR: text and its NUL)."""
    if dbtype == DBTYPE_STR:
        return as_text(value).encode("ascii", errors="replace") + b"\0"
    if dbtype not in BINARY:
        known = ", ".join(f"{n} {code}" for code, (_, n) in sorted(BINARY.items()))
        raise ArgumentError(
            INVALID_ARGUMENT, f"dwType {dbtype}: use DBTYPE_STR 129 or one of {known}"
        )
    layout, type_name = BINARY[dbtype]
    try:
        number = float(value)
    except ValueError:
        raise ArgumentError(
            INVALID_ARGUMENT, f"property {name} is {value!r}, not a number for {type_name}"
        ) from None
    if dbtype == DBTYPE_BOOL:
        return struct.pack(layout, -1 if number else 0)  # VARIANT_BOOL
    try:
        if layout in ("<f", "<d"):
            return struct.pack(layout, number)
        return struct.pack(layout, int(number))
    except (struct.error, OverflowError):
        raise ArgumentError(
            INVALID_ARGUMENT, f"property {name} = {value!r} does not fit {type_name}"
        ) from None
