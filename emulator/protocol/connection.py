"""One server-side connection as a sans-IO state machine: bytes in, bytes out.

It owns what every process speaks alike (the hello frame, `ping`, the envelope's errors, a
broken frame) and hands every other request to the process's handler. The runtime feeds it what
the socket received and writes what it returns; it never touches a socket or a clock.
Documented in docs/protocol.md ("Hello and ping", "Errors").
"""

from __future__ import annotations

from typing import Any

from emulator import __version__
from emulator.logs import get_logger
from emulator.processes.base import Handler, Peer
from emulator.protocol.errors import INTERNAL_ERROR, ProtocolError
from emulator.protocol.framing import (
    MAX_FRAME_SIZE,
    PROTOCOL_VERSION,
    FrameDecoder,
    FrameError,
    Message,
    encode,
)
from emulator.protocol.messages import event, failed, ok, parse_request, request_id

EMULATOR_NAME = "plant-scada-emulator"

#: The only request every process answers itself.
PING = "ping"

_log = get_logger("emulator.connection")


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
        """Replies to every whole frame in `data`; b"" means the peer closed its side."""
        if self._should_close:
            return b""
        if not data:
            self._should_close = True
            return b""
        self._decoder.feed(data)
        return self._drain(now)

    @property
    def paused(self) -> bool:
        """True while the turn ended early (`pause`): whole frames may wait in the buffer."""
        return self._paused

    def pause(self) -> None:
        """End this turn after the current frame: the rest of the buffer waits for `resume`
        (a failed login's answer is held, and the next guess must not be checked before it)."""
        self._paused = True

    def resume(self, now: float) -> bytes:
        """Replies to the frames that waited since `pause`."""
        self._paused = False
        return self._drain(now)

    def _drain(self, now: float) -> bytes:
        out: list[bytes] = []
        while not self._should_close and not self._paused:
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
            out.append(self._request(frame, now))
        return b"".join(out)

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

    def _request(self, frame: Message, now: float) -> bytes:
        try:
            rid, op = parse_request(frame)
        except ProtocolError as exc:
            self._log.info("protocol.error", error=exc.error.name, detail=exc.detail)
            return encode(failed(request_id(frame), exc.error, exc.detail))
        if op == PING:
            return encode(ok(rid, now=now))
        try:
            replies = self.handler.handle(frame, now)
        except ProtocolError as exc:
            # Debug: a client's mistakes are its own, and a busy one must not flood the log.
            self._log.debug("request.failed", op=op, error=exc.error.name)
            return encode(failed(rid, exc.error, exc.detail))
        except Exception as exc:
            return self._crashed(rid, exc, op)
        return self._encode(replies, rid)

    def _encode(self, messages: list[Message], rid: Any = None) -> bytes:
        out: list[bytes] = []
        for message in messages:
            try:
                frame = encode(message)
            except Exception as exc:
                return b"".join(out) + self._crashed(rid, exc, "encode")
            if len(frame) > self.max_frame_size:
                self._log.error(
                    "protocol.reply_too_large", size=len(frame), limit=self.max_frame_size
                )
                frame = encode(
                    failed(
                        message.get("id", rid),
                        INTERNAL_ERROR,
                        f"the reply of {len(frame)} bytes exceeds the frame limit",
                    )
                )
            out.append(frame)
        return b"".join(out)

    def _crashed(self, rid: Any, exc: Exception, during: str) -> bytes:
        """A handler bug: answer internal_error, log it with its traceback, close."""
        self._log.exception("handler.failed", during=during, error=repr(exc), action="close")
        self._should_close = True
        return encode(failed(rid, INTERNAL_ERROR, type(exc).__name__))
