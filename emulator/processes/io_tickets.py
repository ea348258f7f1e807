"""A write that waits for the I/O server of another process, and the interface through which
server processes reach those servers (emulator.processes.io_routes implements it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from emulator.protocol.errors import ErrorCode
from emulator.protocol.messages import RequestId, failed, ok

Message = dict[str, Any]


@dataclass(slots=True)
class Ticket:
    """A write queued for one remote I/O server."""

    server: str
    tag: str
    value: str
    user: str | None
    #: A copy of a write done by the serving server, for another server of the tag (its
    #: standby): the receiver applies it and sends it no further.
    replica: bool = False
    done: bool = False
    #: Why it failed (None: acknowledged by the server).
    error: tuple[ErrorCode, str] | None = None


@dataclass(frozen=True, slots=True)
class Waiting:
    """A request answered once its tickets are done: a write sent to the serving server
    (`strict`: it fails as it failed there), or a write done here waiting for its replicas
    (acknowledged whatever they got: a peer that refused or went has what it has)."""

    rid: RequestId
    tickets: tuple[Ticket, ...]
    strict: bool

    @property
    def done(self) -> bool:
        return all(t.done for t in self.tickets)

    def error(self) -> tuple[ErrorCode, str] | None:
        if not self.strict:
            return None
        return next((t.error for t in self.tickets if t.error is not None), None)


class RemoteIo(Protocol):
    """What the CtAPI and I/O processes and the scenario generators ask of the I/O routes."""

    def submit(self, tag: str, value: str, user: str | None) -> Ticket | None:
        """A ticket when a remote I/O server serves the tag; None: write to the plant here."""
        ...

    def replicate(self, tag: str, value: str, user: str | None) -> list[Ticket]:
        """Replicas of a write done here for the tag's remote servers that are up."""
        ...

    def follows(self, name: str) -> bool:
        """Whether the tag's value comes from another process now."""
        ...

    @property
    def ready(self) -> bool:
        """Whether the tags served here have caught up from the reachable peers."""
        ...


def answered(waiting: list[Waiting]) -> list[Message]:
    """The replies of the requests at the head of `waiting` that are done (removed from it),
    in the order they were asked."""
    out = []
    while waiting and waiting[0].done:
        head = waiting.pop(0)
        error = head.error()
        out.append(ok(head.rid) if error is None else failed(head.rid, *error))
    return out
