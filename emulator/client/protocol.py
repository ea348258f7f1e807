"""The client side of the wire protocol as a sans-IO state machine: requests out, events in.

It numbers requests so a caller may pipeline, matches each reply to its request by id, and tells
the hello frame and server pushes apart from replies. The connection (emulator.client.connection)
moves the bytes; this module never touches a socket.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.client.errors import CtApiConnectionError, CtApiError
from emulator.protocol.errors import BAD_FRAME
from emulator.protocol.framing import FrameDecoder, FrameError, Message, encode


@dataclass(frozen=True, slots=True)
class Hello:
    """The first frame of every connection: who the server process is."""

    fields: Message


@dataclass(frozen=True, slots=True)
class Reply:
    """The answer to request `id`: its fields on success, else `error`."""

    id: int
    message: Message
    error: CtApiError | None


@dataclass(frozen=True, slots=True)
class Push:
    """A frame the server sent on its own (it carries "event", not "id")."""

    message: Message


@dataclass(frozen=True, slots=True)
class Fatal:
    """The server refused the connection as a whole (e.g. an error reply without an id)."""

    error: CtApiError


Event = Hello | Reply | Push | Fatal


class ClientProtocol:
    """Request numbering and reply matching for one connection."""

    def __init__(self, max_frame_size: int | None = None) -> None:
        self._decoder = FrameDecoder() if max_frame_size is None else FrameDecoder(max_frame_size)
        self._next_id = 1
        self._outstanding: set[int] = set()
        self.hello: Hello | None = None
        self._fatal = False

    @property
    def outstanding(self) -> frozenset[int]:
        """Ids of requests sent and not answered yet."""
        return frozenset(self._outstanding)

    def request(self, op: str, fields: dict[str, Any]) -> tuple[int, bytes]:
        """A new request frame and the id its reply will carry."""
        if "id" in fields or "op" in fields:
            raise ValueError("'id' and 'op' are set by the client, not passed as fields")
        rid = self._next_id
        self._next_id += 1
        self._outstanding.add(rid)
        return rid, encode({"id": rid, "op": op, **fields})

    def forget(self, rid: int) -> None:
        """The caller no longer waits for `rid` (cancelled); a late reply is then dropped."""
        self._outstanding.discard(rid)

    def feed(self, data: bytes) -> None:
        """Bytes received from the server; `next_event` gives what they complete."""
        self._decoder.feed(data)

    def next_event(self) -> Event | None:
        """The next event of the bytes fed so far, or None until more arrive."""
        if self._fatal:
            return None
        while True:
            try:
                frame = self._decoder.next_frame()
            except FrameError as exc:
                self._fatal = True
                return Fatal(CtApiConnectionError(exc.error.code, exc.error.name, exc.detail))
            if frame is None:
                return None
            event = self._classify(frame)
            if isinstance(event, Fatal):
                self._fatal = True
            if event is not None:
                return event

    def receive(self, data: bytes) -> list[Event]:
        """Every event the bytes complete; a broken stream ends in a Fatal event."""
        self.feed(data)
        events: list[Event] = []
        while (event := self.next_event()) is not None:
            events.append(event)
        return events

    def _classify(self, frame: Message) -> Event | None:
        if "event" in frame and "id" not in frame:
            if frame["event"] == "hello" and self.hello is None:
                self.hello = Hello(frame)
                return self.hello
            return Push(frame)
        rid = frame.get("id")
        ok = frame.get("ok")
        if not isinstance(ok, bool):
            return Fatal(
                CtApiConnectionError(
                    BAD_FRAME.code, BAD_FRAME.name, f"a reply without a boolean 'ok': {frame!r}"
                )
            )
        error = None if ok else CtApiError.from_wire(frame.get("error"))
        if rid is None and error is not None:
            # The server could not read our frame at all: nothing can be matched any more.
            return Fatal(error)
        if not isinstance(rid, int) or isinstance(rid, bool) or rid not in self._outstanding:
            return None  # a reply to a request we gave up on
        self._outstanding.discard(rid)
        return Reply(rid, frame, error)
