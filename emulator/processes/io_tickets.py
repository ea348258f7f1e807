"""A CtAPI write that waits for the I/O server of another process, and the interface through
which server processes reach those servers (emulator.processes.io_routes implements it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from emulator.protocol.errors import ErrorCode


@dataclass(slots=True)
class Ticket:
    """A write queued for the remote I/O server that serves its tag."""

    server: str
    tag: str
    value: str
    user: str | None
    done: bool = False
    #: Why it failed (None: acknowledged by the server).
    error: tuple[ErrorCode, str] | None = None


class RemoteIo(Protocol):
    """What the CtAPI process and the scenario generators ask of the I/O routes."""

    def submit(self, tag: str, value: str, user: str | None) -> Ticket | None:
        """A ticket when a remote I/O server serves the tag; None: write to the plant here."""
        ...

    def follows(self, name: str) -> bool:
        """Whether the tag's value comes from another process now."""
        ...
