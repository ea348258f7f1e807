"""CtAPI's bit flags, as ctapi.h names them (reference section 5; docs/protocol.md).

One table for both sides: the CtAPI handler checks them, the client and the shim send them.
"""

from __future__ import annotations

from enum import IntFlag


class OpenMode(IntFlag):
    """ctOpen's `nMode`."""

    NO_OPTION = 0x0
    CRYPT = 0x1
    RECONNECT = 0x2
    READ_ONLY = 0x4
    BATCH = 0x8
    EXTENDED = 0x10
    WINDOWSUSER = 0x20


class ListMode(IntFlag):
    """ctListNew's `dwMode`."""

    NONE = 0x0
    EVENT = 0x1
    LIGHTWEIGHT_MODE = 0x2


class ListEventMode(IntFlag):
    """ctListEvent's `dwMode`."""

    NONE = 0x0
    NEW = 0x1
    STATUS = 0x2


CT_OPEN_CRYPT = OpenMode.CRYPT
CT_OPEN_RECONNECT = OpenMode.RECONNECT
CT_OPEN_READ_ONLY = OpenMode.READ_ONLY
CT_OPEN_BATCH = OpenMode.BATCH
CT_OPEN_EXTENDED = OpenMode.EXTENDED
CT_OPEN_WINDOWSUSER = OpenMode.WINDOWSUSER
CT_LIST_EVENT = ListMode.EVENT
CT_LIST_LIGHTWEIGHT_MODE = ListMode.LIGHTWEIGHT_MODE
CT_LIST_EVENT_NEW = ListEventMode.NEW
CT_LIST_EVENT_STATUS = ListEventMode.STATUS
