"""The wire framing: one JSON object per line (NDJSON), with a hard frame-size limit. Sans-IO.

Like h11, the decoder takes bytes and gives messages; it never touches a socket or a clock.
Documented in docs/protocol.md ("Framing").
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from emulator.protocol.errors import BAD_FRAME, FRAME_TOO_LARGE, NO_REQUEST, ErrorCode

Message = dict[str, Any]

#: Largest frame (JSON text plus its newline) either side may send.
MAX_FRAME_SIZE = 64 * 1024

PROTOCOL_VERSION = 1

#: The first byte of a TLS record carrying a handshake (a ClientHello): never the start of JSON.
TLS_HANDSHAKE = 0x16

#: Blank input between frames: whitespace, newlines included.
_BLANK = re.compile(rb"\s*")

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()


class FrameError(Exception):
    """The peer sent bytes that are not a frame; the connection cannot recover."""

    def __init__(self, error: ErrorCode, detail: str) -> None:
        super().__init__(detail)
        self.error = error
        self.detail = detail


def encode(message: Message) -> bytes:
    """One frame: compact JSON and a newline."""
    return _encoder.encode(message) + b"\n"


def decode_line(line: bytes | bytearray | memoryview) -> Message:
    """One frame's JSON text (no newline) as a message; FrameError when it is not one."""
    try:
        value = _decoder.decode(line)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:
        raise FrameError(BAD_FRAME, f"not valid JSON: {exc}") from None
    except RecursionError:
        raise FrameError(BAD_FRAME, "JSON nested too deeply") from None
    if not isinstance(value, dict):
        raise FrameError(BAD_FRAME, f"a frame must be a JSON object, not {type(value).__name__}")
    return value


class FrameDecoder:
    """Accumulates received bytes and yields whole frames.

    Blank lines and a trailing carriage return are tolerated, so a person can type frames
    into `nc` or `openssl s_client`; but no more than a frame's worth of blank input in a row
    (`no_request`), so a stream of newlines cannot keep the server busy for nothing.
    """

    __slots__ = ("_begun", "_blank", "_buffer", "_failed", "_scanned", "max_frame_size")

    def __init__(self, max_frame_size: int = MAX_FRAME_SIZE) -> None:
        self.max_frame_size = max_frame_size
        self._buffer = bytearray()
        self._scanned = 0
        self._failed = False
        self._begun = False
        #: Bytes of blank lines since the last frame.
        self._blank = 0

    def feed(self, data: bytes) -> None:
        self._buffer += data

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a whole frame."""
        return len(self._buffer)

    def next_frame(self) -> Message | None:
        """The next whole frame, or None until more bytes arrive. Raises FrameError."""
        if self._failed:
            raise FrameError(BAD_FRAME, "the decoder already failed")
        if not self._begun and self._buffer:
            self._begun = True
            if self._buffer[0] == TLS_HANDSHAKE:
                self._failed = True
                raise FrameError(
                    BAD_FRAME,
                    "a TLS handshake on a plain port: connect without TLS here, or use the "
                    "encrypted CtAPI port (3073)",
                )
        while True:
            if not self._scanned and self._buffer[:1].isspace():
                self._skip_blank()
            end = self._buffer.find(b"\n", self._scanned)
            if end < 0:
                self._scanned = len(self._buffer)
                if self._scanned >= self.max_frame_size:
                    self._failed = True
                    raise FrameError(
                        FRAME_TOO_LARGE,
                        f"no newline within {self.max_frame_size} bytes",
                    )
                return None
            if end + 1 > self.max_frame_size:
                self._failed = True
                raise FrameError(
                    FRAME_TOO_LARGE,
                    f"frame of {end + 1} bytes exceeds the limit of {self.max_frame_size}",
                )
            line = self._buffer[:end].rstrip()  # a trailing \r too
            del self._buffer[: end + 1]
            self._scanned = 0
            self._blank = 0
            try:
                return decode_line(line)
            except FrameError:
                self._failed = True
                raise

    def _skip_blank(self) -> None:
        """Drop the blank input before a frame in one step; too much of it in a row fails."""
        match = _BLANK.match(self._buffer)
        size = match.end() if match else 0
        del self._buffer[:size]
        self._blank += size
        if self._blank > self.max_frame_size:
            self._failed = True
            raise FrameError(
                NO_REQUEST, f"{self._blank} bytes of blank input with no request: send requests"
            )

    def frames(self) -> list[Message]:
        """Every whole frame now buffered (stops at, and raises, the first bad one)."""
        out: list[Message] = []
        while (frame := self.next_frame()) is not None:
            out.append(frame)
        return out
