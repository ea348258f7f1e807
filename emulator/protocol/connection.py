"""One server-side connection as a sans-IO state machine: bytes in, bytes out.

It owns what every process speaks alike (the hello frame, `ping`, the envelope's errors, a
broken frame) and hands every other request to the process's handler. The runtime feeds it what
the socket received and writes what it returns; it never touches a socket or a clock.
Documented in docs/protocol.md ("Hello and ping", "Errors").
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from emulator import __version__
from emulator.logs import get_logger
from emulator.processes.base import Handler, Job, Outcome, Peer
from emulator.protocol.errors import INTERNAL_ERROR, RESULT_TOO_LARGE, ProtocolError
from emulator.protocol.framing import (
    MAX_FRAME_SIZE,
    PROTOCOL_VERSION,
    FrameDecoder,
    FrameError,
    Message,
    encode,
)
from emulator.protocol.messages import event, failed, ok, parse_request, request_id
from emulator.protocol.pages import Pages, split

EMULATOR_NAME = "plant-scada-emulator"

#: The requests every process answers itself: a ping, and the next page of a large result.
PING = "ping"
MORE = "more"

_log = get_logger("emulator.connection")


#: A message made ready to send: its frame (perhaps over the limit), its pages, or what
#: encoding it raised.
Prepared = bytes | list[Message] | Exception


def prepare(message: Message, limit: int) -> Prepared:
    """Encode `message`, in pages when it is a reply over `limit` (pure: any thread)."""
    try:
        frame = encode(message)
    except Exception as exc:
        return exc
    if len(frame) <= limit or message.get("ok") is not True:
        return frame
    return split(message, limit) or frame


@dataclass(slots=True)
class Pending:
    """A request whose work runs off the serving loop: `run` it in a worker, then give its
    outcome to `ServerConnection.finish` back on the loop (replies keep their order). The
    worker encodes the replies too, in pages where they are large."""

    rid: Any
    op: str
    job: Job
    limit: int
    seconds: float = 0.0
    prepared: list[Prepared] | None = None

    def run(self) -> Outcome:
        """The job's work; its exceptions are its outcome (safe to call in any thread)."""
        started = time.perf_counter()
        try:
            replies = self.job.work()
            self.prepared = [prepare(m, self.limit) for m in replies]
            return replies
        except Exception as exc:
            return exc
        finally:
            self.seconds = time.perf_counter() - started


class ServerConnection:
    """The protocol of one accepted connection, in front of one handler."""

    def __init__(
        self, handler: Handler, peer: Peer, *, max_frame_size: int = MAX_FRAME_SIZE
    ) -> None:
        self.handler = handler
        self.peer = peer
        self.max_frame_size = max_frame_size
        self._decoder = FrameDecoder(max_frame_size)
        self._should_close = False
        self._closed = False
        self._paused = False
        #: Whole frames received so far (the runtime's request timeout watches it move).
        self.frames = 0
        #: Requests but pings and pages answered: a process without a login of its own counts
        #: as logged in from the first (`logged_in`).
        self.requests = 0
        #: Whether the last turn left whole frames unanswered (its budget, or a pending job).
        self.more = False
        self._pages = Pages()
        offload = getattr(handler, "offload", None)
        self._offload = offload if callable(offload) else None
        self._log = _log.bind(
            computer=peer.endpoint.computer,
            process=peer.endpoint.process,
            peer=f"{peer.host}:{peer.port}",
        )

    @property
    def should_close(self) -> bool:
        """True once the connection must close after the bytes already returned are written."""
        return self._should_close

    @property
    def logged_in(self) -> bool:
        """Whether the peer has logged in: the handler's word (CtAPI's `open`), else whether it
        has made a request of the process's own (docs/security.md, "Slots")."""
        own = getattr(self.handler, "logged_in", None)
        return self.requests > 0 if own is None else bool(own)

    @property
    def buffered(self) -> int:
        """Bytes of a frame begun but not yet whole."""
        return self._decoder.buffered

    def hello(self) -> bytes:
        """The first frame, sent on connect: who this process is, then the handler's own fields."""
        endpoint = self.peer.endpoint
        fields: dict[str, Any] = {
            "emulator": EMULATOR_NAME,
            "version": __version__,
            "protocol": PROTOCOL_VERSION,
            "computer": endpoint.computer,
            "process": endpoint.process,
            "type": str(endpoint.type),
            "cluster": endpoint.cluster,
            "mode": endpoint.mode,
            "tls": self.peer.tls_version is not None,
            "max_frame_size": self.max_frame_size,
        }
        try:
            fields.update(self.handler.hello())
        except Exception as exc:
            return self._crashed(None, exc, "hello")
        return self._encode([event("hello", **fields)])

    def receive_data(self, data: bytes, now: float) -> bytes:
        """Replies to every whole frame in `data`, jobs run inline; b"": the peer closed."""
        self.feed(data)
        out: list[bytes] = []
        while True:
            for item in self.turn(now):
                out.append(item if isinstance(item, bytes) else self.finish(item, item.run(), now))
            self._paused = False  # inline, a held answer is out as soon as it is made
            if not self.more:
                return b"".join(out)

    def feed(self, data: bytes) -> None:
        """Bytes received; b"" means the peer closed its side."""
        if not data:
            self._should_close = True
        elif not self._should_close:
            self._decoder.feed(data)

    @property
    def paused(self) -> bool:
        """True while the turn ended early (`pause`): whole frames may wait in the buffer."""
        return self._paused

    def pause(self) -> None:
        """End this turn after the current frame: the rest of the buffer waits for `resume`
        (a failed login's answer is held, and the next guess must not be checked before it)."""
        self._paused = True

    def resume(self) -> None:
        """The frames that waited since `pause` may be answered again (the next `turn`)."""
        self._paused = False

    def turn(self, now: float, budget: int | None = None) -> list[bytes | Pending]:
        """Replies to the buffered whole frames, at most `budget` of them, up to and including
        the first whose work runs off the loop (a Pending to `run`, then `finish`). `more` says
        whether frames were left for the next turn."""
        out: list[bytes | Pending] = []
        self.more = False
        handled = 0
        while not self._should_close:
            if self._paused or (budget is not None and handled >= budget):
                self.more = True
                break
            try:
                frame = self._decoder.next_frame()
            except FrameError as exc:
                self._log.warning(
                    "protocol.error", error=exc.error.name, detail=exc.detail, action="close"
                )
                out.append(encode(failed(None, exc.error, exc.detail)))
                self._should_close = True
                break
            if frame is None:
                break
            self.frames += 1
            handled += 1
            reply = self._request(frame, now)
            out.append(reply)
            if isinstance(reply, Pending):
                self.more = True
                break
        return out

    def finish(self, pending: Pending, outcome: Outcome, now: float) -> bytes:
        """The replies to a job that ran off the loop."""
        if pending.job.done is not None:
            pending.job.done(outcome, pending.seconds)
        if isinstance(outcome, ProtocolError):
            self._log.debug("request.failed", op=pending.op, error=outcome.error.name)
            return encode(failed(pending.rid, outcome.error, outcome.detail))
        if isinstance(outcome, Exception):
            return self._crashed(pending.rid, outcome, pending.op)
        if pending.prepared is None or len(pending.prepared) != len(outcome):
            return self._encode(outcome, pending.rid)
        return self._emit(outcome, pending.prepared, pending.rid)

    def poll(self, now: float) -> bytes:
        """Pushes the handler has due now."""
        if self._should_close:
            return b""
        try:
            return self._encode(self.handler.poll(now))
        except Exception as exc:
            return self._crashed(None, exc, "poll")

    def next_wakeup(self, now: float) -> float | None:
        if self._should_close:
            return None
        try:
            return self.handler.next_wakeup(now)
        except Exception as exc:
            self._log.exception("handler.failed", during="next_wakeup", error=repr(exc))
            return None

    def closing(self, reason: str) -> bytes:
        """The last frame before the server closes the connection on its own (stop, shutdown)."""
        self._should_close = True
        return encode(event("closing", reason=reason))

    def close(self) -> None:
        """Release the handler's resources; safe to call more than once."""
        self._should_close = True
        if self._closed:
            return
        self._closed = True
        try:
            self.handler.close()
        except Exception as exc:
            self._log.exception("handler.failed", during="close", error=repr(exc))

    def _request(self, frame: Message, now: float) -> bytes | Pending:
        try:
            rid, op = parse_request(frame)
        except ProtocolError as exc:
            self._log.info("protocol.error", error=exc.error.name, detail=exc.detail)
            return encode(failed(request_id(frame), exc.error, exc.detail))
        if op == PING:
            return encode(ok(rid, now=now))
        try:
            if op == MORE:
                return encode(self._pages.next(rid, frame.get("cursor")))
            job = None if self._offload is None else self._offload(frame, now)
            if job is not None:
                self.requests += 1
                return Pending(rid, op, job, self.max_frame_size)
            replies = self.handler.handle(frame, now)
            self.requests += 1
        except ProtocolError as exc:
            # Debug: a client's mistakes are its own, and a busy one must not flood the log.
            self._log.debug("request.failed", op=op, error=exc.error.name)
            return encode(failed(rid, exc.error, exc.detail))
        except Exception as exc:
            return self._crashed(rid, exc, op)
        return self._encode(replies, rid)

    def _encode(self, messages: list[Message], rid: Any = None) -> bytes:
        return self._emit(messages, [prepare(m, self.max_frame_size) for m in messages], rid)

    def _emit(self, messages: list[Message], prepared: list[Prepared], rid: Any) -> bytes:
        """The frames of prepared messages: a large reply's first page, an error for what
        cannot be sent."""
        out: list[bytes] = []
        for message, frame in zip(messages, prepared, strict=True):
            if isinstance(frame, Exception):
                return b"".join(out) + self._crashed(rid, frame, "encode")
            if isinstance(frame, list):
                self._log.debug("protocol.reply_paged", pages=len(frame))
                out.append(encode(self._pages.first(frame)))
            elif len(frame) > self.max_frame_size:
                out.append(self._too_large(message, len(frame), rid))
            else:
                out.append(frame)
        return b"".join(out)

    def _too_large(self, message: Message, size: int, rid: Any) -> bytes:
        self._log.warning("protocol.reply_too_large", size=size, limit=self.max_frame_size)
        return encode(
            failed(
                message.get("id", rid),
                RESULT_TOO_LARGE,
                f"one item of the reply ({size} bytes) exceeds the frame limit "
                f"of {self.max_frame_size}",
            )
        )

    def _crashed(self, rid: Any, exc: Exception, during: str) -> bytes:
        """A handler bug: answer internal_error, log it with its traceback, close."""
        self._log.exception("handler.failed", during=during, error=repr(exc), action="close")
        self._should_close = True
        return encode(failed(rid, INTERNAL_ERROR, type(exc).__name__))
