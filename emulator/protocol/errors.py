"""Every error code the emulator returns: one table, each code with its meaning and source.

CtAPI reports Win32 codes, and Plant SCADA's own codes offset by ERROR_USER_DEFINED_BASE
(ctapi.h; Plant SCADA help "CtAPI error codes"). A Win32 code means the connection is in
trouble; a Plant SCADA code means the connection is fine and the command was invalid.
Several rows may share one number; `name` is the unique, stable key the wire protocol carries.
Documented in docs/protocol.md ("Errors").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ERROR_USER_DEFINED_BASE = 0x10000000


def citect(number: int) -> int:
    """A Plant SCADA error number as GetLastError reports it (ctapi.h CT_TO_WIN32_ERROR)."""
    return ERROR_USER_DEFINED_BASE + number


def is_citect_error(code: int) -> bool:
    """ctapi.h IsCitectError: the code is a Plant SCADA error, not a Win32 one."""
    return code > ERROR_USER_DEFINED_BASE


@dataclass(frozen=True, slots=True)
class ErrorCode:
    code: int
    name: str
    message: str
    source: str

    def wire(self, detail: str | None = None) -> dict[str, Any]:
        """The `error` object of a reply frame."""
        return {
            "code": self.code,
            "name": self.name,
            "message": f"{self.message}: {detail}" if detail else self.message,
        }


_WINERROR = "Win32 winerror.h"
_OURS = "emulator (ours to decide)"

# --- Protocol level: the framing and the request envelope -------------------------------------
BAD_FRAME = ErrorCode(
    13, "bad_frame", "The frame is not a JSON object on one UTF-8 line", f"{_WINERROR}; {_OURS}"
)
FRAME_TOO_LARGE = ErrorCode(
    13, "frame_too_large", "The frame exceeds the size limit", f"{_WINERROR}; {_OURS}"
)
BAD_REQUEST = ErrorCode(
    87,
    "invalid_parameter",
    "The request has a missing or invalid field",
    f"{_WINERROR} ERROR_INVALID_PARAMETER",
)
UNKNOWN_REQUEST = ErrorCode(
    50,
    "unknown_request",
    "This process does not serve that request",
    f"{_WINERROR} ERROR_NOT_SUPPORTED",
)
INTERNAL_ERROR = ErrorCode(
    31,
    "internal_error",
    "The emulator failed while serving the request",
    f"{_WINERROR} ERROR_GEN_FAILURE",
)
TOO_MANY_CONNECTIONS = ErrorCode(
    71,
    "too_many_connections",
    "No more connections can be made to this listener at this time",
    f"{_WINERROR} ERROR_REQ_NOT_ACCEP; CtAPI [CtAPI]MaxConnections",
)
IDLE_TIMEOUT = ErrorCode(
    1460, "idle_timeout", "The connection was idle too long", f"{_WINERROR} ERROR_TIMEOUT"
)

# --- CtAPI (Win32 codes the reference names) ---------------------------------------------------
BUFFER_TOO_SMALL = ErrorCode(
    111,
    "buffer_too_small",
    "The result does not fit in the caller's buffer",
    f"{_WINERROR} ERROR_BUFFER_OVERFLOW; CtAPI ctTagRead",
)
NOT_CONNECTED = ErrorCode(
    233,
    "not_connected",
    "Not connected or not logged in",
    f"{_WINERROR} ERROR_PIPE_NOT_CONNECTED; CtAPI ctOpen",
)

ALL: tuple[ErrorCode, ...] = tuple(
    value for value in list(globals().values()) if isinstance(value, ErrorCode)
)
BY_NAME: dict[str, ErrorCode] = {e.name: e for e in ALL}


class ProtocolError(Exception):
    """A request failed with a code from this table; handlers raise it, the codec replies."""

    def __init__(self, error: ErrorCode, detail: str | None = None) -> None:
        super().__init__(detail or error.message)
        self.error = error
        self.detail = detail
