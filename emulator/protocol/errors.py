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

#: Plant SCADA numbers of our own start here: Plant SCADA publishes no per-function list
#: (reference section 5), so a refused command with no documented number gets one from this
#: block, clear of the numbers the help and client code name (25, 257, 274, 424).
OURS_BASE = 0x1000


def ours(n: int) -> int:
    """The n-th Plant SCADA error number of our own, as GetLastError reports it."""
    return citect(OURS_BASE + n)


_OURS_CITECT = (
    "emulator: a Plant SCADA code of our own (docs/ctapi.md 'Error codes': a refused command "
    "is a Plant SCADA code, a Win32 code only for a lost or unopened link)"
)

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
REQUEST_TIMEOUT = ErrorCode(
    1460,
    "request_timeout",
    "The request did not arrive whole in time",
    f"{_WINERROR} ERROR_TIMEOUT; {_OURS} (a half-open client cannot hold a connection)",
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

# --- CtAPI sessions, tags, Cicode and tag lists (emulator.processes.ctapi) --------------------
_CICODE_ERRORS = "Plant SCADA 'Cicode and General Errors' (docs.aveva.com .../page/1130208.html)"
LOGIN_FAILED = ErrorCode(
    citect(274),
    "login_failed",
    "The user name or password is not valid",
    "Citect KB via 'How do I translate Citect error messages?': ctOpen reports 274 for a wrong "
    "user name or password; one answer for unknown user, wrong and blank password (ours)",
)
ALREADY_OPEN = ErrorCode(
    ours(1),
    "already_open",
    "The session is already open",
    f"{_OURS_CITECT}; was Win32 1247 ERROR_ALREADY_INITIALIZED",
)
ENCRYPTION_UNAVAILABLE = ErrorCode(
    5,
    "encryption_unavailable",
    "CT_OPEN_CRYPT needs the encrypted CtAPI port",
    f"{_WINERROR} ERROR_ACCESS_DENIED; reference sections 4-5; {_OURS}",
)
ENCRYPTION_REQUIRED = ErrorCode(
    5,
    "encryption_required",
    "This computer accepts encrypted connections only",
    f"{_WINERROR} ERROR_ACCESS_DENIED; reference section 4 (encrypted-only); {_OURS}",
)
ACCESS_DENIED = ErrorCode(
    ours(2),
    "access_denied",
    "The session is read-only: no writes and no Cicode",
    f"CtAPI CT_OPEN_READ_ONLY (reference section 5); ctapi-behaviour.md 'Error classes' (a "
    f"write on a read-only link is a Plant SCADA code); {_OURS_CITECT}",
)
TAG_NOT_FOUND = ErrorCode(
    citect(424),
    "tag_not_found",
    "The tag does not exist",
    "Plant SCADA 424 as client code in the wild treats it (reference section 5)",
)
TAG_READ_ONLY = ErrorCode(
    ours(3),
    "tag_read_only",
    "The tag or element cannot be written",
    f"CtAPI ctTagWrite 'only read/write elements'; ctapi-behaviour.md 'Error classes' (a write "
    f"to a read-only tag is a Plant SCADA code); {_OURS_CITECT}",
)
INVALID_ARGUMENT = ErrorCode(
    citect(274),
    "invalid_argument",
    "An invalid argument was passed",
    f"{_CICODE_ERRORS} 274 'Invalid argument passed' (title as remembered, not re-checked)",
)
OUT_OF_RANGE = ErrorCode(
    citect(257),
    "out_of_range",
    "Value is out of range",
    f"{_CICODE_ERRORS} 257 'Value is out of range'",
)
CICODE_SYNTAX = ErrorCode(
    citect(274),
    "cicode_syntax",
    "The Cicode command does not parse",
    f"{_CICODE_ERRORS} 274 'Invalid argument passed'; {_OURS}",
)
UNKNOWN_FUNCTION = ErrorCode(
    ours(4),
    "unknown_function",
    "The emulator has no Cicode function of that name",
    f"ctapi-behaviour.md 'Error classes' (an unknown Cicode function is a Plant SCADA code); "
    f"{_OURS_CITECT}",
)
LIST_BUSY = ErrorCode(
    ours(5),
    "list_busy",
    "The list already has a pending read",
    f"CtAPI ctListRead 'one pending read per list' (reference section 5); {_OURS_CITECT}",
)
NOT_READ = ErrorCode(
    citect(25),
    "not_read",
    "The tag has no valid data yet: call ctListRead first",
    "CtAPI ctListData (1150525) GENERIC_INVALID_DATA before the first ctListRead; Plant SCADA 25 "
    "as pyctapi tests it ('no valid data yet', adapter.value_from_list, commit 3179214)",
)
UNKNOWN_HANDLE = ErrorCode(
    ours(6),
    "unknown_handle",
    "No such list, tag, search or record handle",
    f"{_OURS_CITECT}; the CtAPI connection handle itself is Win32 6 (invalid_handle)",
)

# --- Server processes: alarm, trends, reports, I/O, alarm database, ODBC; CtAPI find ---------
SERVER_UNAVAILABLE = ErrorCode(
    ours(7),
    "server_unavailable",
    "No server of the cluster that serves this request is running (#COM)",
    f"reference section 3 (#COM; service resumes by itself); the CtAPI link is fine, so a "
    f"Plant SCADA code; {_OURS_CITECT}; was Win32 1722",
)
NO_MORE_RECORDS = ErrorCode(
    ours(8),
    "no_more_records",
    "There are no more records in the search",
    f"CtAPI ctFindFirst (nothing matches), ctFindNext/ctFindPrev past either end; "
    f"{_OURS_CITECT}; was Win32 18",
)
REPORT_NOT_FOUND = ErrorCode(
    ours(9),
    "report_not_found",
    "The report does not exist",
    f"{_OURS_CITECT}; was Win32 2",
)
NOT_LOCAL = ErrorCode(
    5,
    "not_local",
    "This process serves its own computer only",
    f"{_WINERROR} ERROR_ACCESS_DENIED; reference section 1 (5482 needs no external access)",
)
SQL_ERROR = ErrorCode(
    87,
    "sql_error",
    "The SQL statement is not valid",
    f"{_WINERROR} ERROR_INVALID_PARAMETER; {_OURS}",
)
SQL_READ_ONLY = ErrorCode(
    19,
    "sql_read_only",
    "The ODBC server is read-only: only SELECT statements run",
    f"{_WINERROR} ERROR_WRITE_PROTECT; {_OURS}",
)

# --- Client side: raised by emulator.client and the CtAPI shim, never sent by a server ---------
COMPUTER_NOT_FOUND = ErrorCode(
    53,
    "computer_not_found",
    "The computer was not found",
    f"{_WINERROR} ERROR_BAD_NETPATH; {_OURS}",
)
CONNECTION_LOST = ErrorCode(
    64,
    "connection_lost",
    "The connection to the computer was lost",
    f"{_WINERROR} ERROR_NETNAME_DELETED; {_OURS}",
)
CONNECTION_REFUSED = ErrorCode(
    1225,
    "connection_refused",
    "The remote computer refused the network connection",
    f"{_WINERROR} ERROR_CONNECTION_REFUSED",
)
TLS_FAILED = ErrorCode(
    1236,
    "tls_failed",
    "The encrypted connection could not be established",
    f"{_WINERROR} ERROR_CONNECTION_ABORTED; reference section 4; {_OURS}",
)
TIMEOUT = ErrorCode(
    1460,
    "timeout",
    "The computer did not answer in time",
    f"{_WINERROR} ERROR_TIMEOUT",
)
INVALID_HANDLE = ErrorCode(
    6,
    "invalid_handle",
    "The handle is invalid",
    f"{_WINERROR} ERROR_INVALID_HANDLE: the CtAPI connection handle is not open (close and "
    "reopen); list, tag, search and point handles are unknown_handle",
)
IO_PENDING = ErrorCode(
    997,
    "io_pending",
    "Overlapped I/O operation is in progress",
    f"{_WINERROR} ERROR_IO_PENDING; CtAPI CTOVERLAPPED calls (the shim)",
)
IO_INCOMPLETE = ErrorCode(
    996,
    "io_incomplete",
    "Overlapped I/O event is not in a signaled state",
    f"{_WINERROR} ERROR_IO_INCOMPLETE; CtAPI ctGetOverlappedResult (the shim)",
)
OPERATION_ABORTED = ErrorCode(
    995,
    "operation_aborted",
    "The I/O operation has been aborted",
    f"{_WINERROR} ERROR_OPERATION_ABORTED; an overlapped call ended by ctCancelIO (the shim)",
)
SHUTDOWN_REFUSED = ErrorCode(
    ours(10),
    "shutdown_refused",
    "Shutdown() does not stop the emulator: stop it with scada-emu or its control API",
    f"ctapi-behaviour.md (Shutdown: refuse with a documented code); {_OURS_CITECT}",
)
NO_PAGES = ErrorCode(
    ours(11),
    "no_pages",
    "The emulator has no graphics pages to display",
    f"ctapi-behaviour.md (PageDisplay: no pages here, document what it returns); {_OURS_CITECT}",
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
