"""ctapi.h's CT_TAGVALUE_ITEMS, which ctTagReadEx fills: the quality parts and timestamps.

The layout is ctapi.h's (packed to 1 byte). ctapi.h does not say in what unit the 64-bit
timestamps are; the shim writes Windows FILETIME units (100 ns since 1601-01-01 UTC), the
format of Windows timestamps of that width **(ours to decide)**.
"""

from __future__ import annotations

import ctypes
from typing import Any

from emulator.client.session import TagValue
from emulator.compat.buffers import target

#: 100-ns intervals between 1601-01-01 and 1970-01-01 (UTC).
FILETIME_EPOCH = 116_444_736_000_000_000


class CT_TAGVALUE_ITEMS(ctypes.Structure):  # noqa: N801 (ctapi.h's name)
    _pack_ = 1
    _fields_ = [
        ("dwLength", ctypes.c_uint32),
        ("nTimestamp", ctypes.c_uint64),
        ("nValueTimestamp", ctypes.c_uint64),
        ("nQualityTimestamp", ctypes.c_uint64),
        ("bQualityGeneral", ctypes.c_ubyte),
        ("bQualitySubstatus", ctypes.c_ubyte),
        ("bQualityLimit", ctypes.c_ubyte),
        ("bQualityExtendedSubstatus", ctypes.c_ubyte),
        ("nQualityDatasourceErrorCode", ctypes.c_uint),
        ("bOverride", ctypes.c_ubyte),
        ("bControlMode", ctypes.c_ubyte),
    ]


def filetime(seconds: float) -> int:
    """UTC seconds since 1970 as FILETIME units."""
    return max(0, FILETIME_EPOCH + round(seconds * 10_000_000))


def fill(items: Any, value: TagValue) -> None:
    """Store `value`'s quality and timestamps in the caller's CT_TAGVALUE_ITEMS (NULL: none)."""
    obj = target(items)
    if obj is None:
        return
    quality = value.quality
    ours = CT_TAGVALUE_ITEMS(
        ctypes.sizeof(CT_TAGVALUE_ITEMS),
        filetime(value.timestamp),
        filetime(value.value_timestamp),
        filetime(value.quality_timestamp),
        quality.general,
        quality.substatus,
        quality.limit,
        quality.extended_substatus,
        quality.datasource_error,
        int(quality.override),
        int(quality.control_inhibit),
    )
    size = min(ctypes.sizeof(ours), ctypes.sizeof(obj))
    ctypes.memmove(ctypes.addressof(obj), ctypes.addressof(ours), size)
