"""The exceptions of the client: every failure carries the CtAPI error code and its stable name.

CtAPI tells two kinds of failure apart (reference section 5): a Win32 code means the link is in
trouble (close and reopen), a Plant SCADA code means the link is fine and the command was
invalid. `CtApiConnectionError` is the first kind raised by the client itself; replies the server
refuses become `CtApiError` with the server's code, name and message.
"""

from __future__ import annotations

from typing import Any

from emulator.protocol.errors import (
    BY_NAME,
    ERROR_USER_DEFINED_BASE,
    ErrorCode,
    is_citect_error,
)


class CtApiError(Exception):
    """A CtAPI call failed: `code` as GetLastError would report it, `name` from the error table."""

    def __init__(self, code: int, name: str, message: str) -> None:
        super().__init__(f"{message} (error {code}, {name})")
        self.code = code
        self.name = name
        self.message = message

    @classmethod
    def of(cls, error: ErrorCode, detail: str | None = None) -> CtApiError:
        """An error of the shared table, with what went wrong in this case."""
        message = f"{error.message}: {detail}" if detail else error.message
        return cls(error.code, error.name, message)

    @classmethod
    def from_wire(cls, error: Any) -> CtApiError:
        """The `error` object of a failed reply; a malformed one is reported as such."""
        if not isinstance(error, dict):
            return CtApiError(31, "internal_error", f"the server sent a malformed error: {error!r}")
        code = error.get("code")
        name = error.get("name")
        message = error.get("message")
        if not isinstance(code, int) or isinstance(code, bool):
            code = 31
        name = name if isinstance(name, str) else "unknown"
        message = message if isinstance(message, str) else "no message"
        error_type = CtApiConnectionError if name in _CONNECTION_NAMES else CtApiError
        return error_type(code, name, message)

    @property
    def is_citect(self) -> bool:
        """True for a Plant SCADA error (the command was invalid, the link is fine)."""
        return is_citect_error(self.code)

    @property
    def citect_number(self) -> int | None:
        """The Plant SCADA error number without the 0x10000000 offset (e.g. 424), or None."""
        return self.code - ERROR_USER_DEFINED_BASE if self.is_citect else None

    @property
    def known(self) -> ErrorCode | None:
        """The row of the shared error table this error names, when there is one."""
        return BY_NAME.get(self.name)


class CtApiConnectionError(CtApiError):
    """The link failed (refused, lost, timed out, TLS refused): close and reopen."""


class CtApiCertificateError(CtApiConnectionError):
    """The client refused the server's certificate: never a reason to fall back to plain text."""


#: Names the server uses for link-level failures (the link itself is unusable afterwards).
_CONNECTION_NAMES = frozenset(
    {"bad_frame", "frame_too_large", "too_many_connections", "idle_timeout"}
)
