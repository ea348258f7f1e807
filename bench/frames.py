"""Request frames built once before a run, so the generator never encodes while it measures.

Every target gets its frames from here: CtAPI tag reads (NDJSON lines, as docs/protocol.md
describes), the same lines for the echo limit, and Modbus/TCP read-holding-registers frames for
pymodbus. Pure: no sockets.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import msgspec

#: Distinct request ids per connection before the ids repeat (the ring is laid out twice).
RING_SIZE = 1024

#: The demo plant's tag the benchmark reads, and the user it logs in as (emulator/data/demo.toml).
DEMO_TAG = "PUMP1_SPEED"
DEMO_USER = "engineer"
DEMO_PASSWORD = "control"  # noqa: S105 - the demo plant's published password

#: CtAPI ops (docs/protocol.md "CtAPI requests"): log in, then read one tag.
CTAPI_OPEN_OP = "open"
CTAPI_READ_OP = "tag.read"

#: Modbus/TCP: MBAP header (transaction, protocol 0, length, unit) then the PDU.
MODBUS_UNIT = 1
MODBUS_READ_HOLDING_REGISTERS = 3
#: A reply to "read 1 holding register": 7-byte MBAP + function + byte count + 2 data bytes.
MODBUS_REPLY_SIZE = 11
MODBUS_EXCEPTION_BIT = 0x80

_encoder = msgspec.json.Encoder()


class FrameRing:
    """N request frames laid out twice in one buffer: any run of k <= N frames is one slice.

    Closed loop sends exactly as many frames as replies arrived; taking them is two list lookups
    and a memoryview slice, with no per-request encoding or joining.
    """

    __slots__ = ("buffer", "count", "offsets")

    def __init__(self, frames: list[bytes]) -> None:
        if not frames:
            raise ValueError("a frame ring needs at least one frame")
        self.count = len(frames)
        doubled = frames + frames
        self.buffer = memoryview(b"".join(doubled))
        offsets = [0]
        for frame in doubled:
            offsets.append(offsets[-1] + len(frame))
        self.offsets = offsets

    def take(self, position: int, k: int) -> tuple[memoryview, int]:
        """Frames position..position+k-1 (k <= count) and the position after them."""
        end = position + k
        view = self.buffer[self.offsets[position] : self.offsets[end]]
        return view, end - self.count if end >= self.count else end

    @property
    def first(self) -> bytes:
        return bytes(self.buffer[self.offsets[0] : self.offsets[1]])


def ctapi_line(rid: int, op: str, **fields: object) -> bytes:
    """One NDJSON request frame, compact like the emulator's own encoder."""
    return _encoder.encode({"id": rid, "op": op, **fields}) + b"\n"


def ctapi_open(user: str = DEMO_USER, password: str = DEMO_PASSWORD) -> bytes:
    """The login frame every benchmark session sends once after the hello."""
    return ctapi_line(0, CTAPI_OPEN_OP, user=user, password=password)


def tag_reads(tag: str = DEMO_TAG, count: int = RING_SIZE) -> FrameRing:
    """Tag-read frames with ids 1..count."""
    return FrameRing([ctapi_line(rid, CTAPI_READ_OP, tag=tag) for rid in range(1, count + 1)])


def echo_reply(request: bytes) -> bytes:
    """The echo limit's fixed reply: a JSON line exactly as long as the request line."""
    body = b'{"id":0,"ok":true,"pad":""}'
    pad = len(request) - 1 - len(body)
    if pad < 0:
        return (b" " * (len(request) - 1)) + b"\n"
    return body[:-2] + b"x" * pad + b'"}\n'


def modbus_read_holding(transaction: int, address: int = 0, unit: int = MODBUS_UNIT) -> bytes:
    """A Modbus/TCP read-holding-registers request for one register."""
    return struct.pack(
        ">HHHBBHH", transaction & 0xFFFF, 0, 6, unit, MODBUS_READ_HOLDING_REGISTERS, address, 1
    )


def modbus_reads(count: int = RING_SIZE) -> FrameRing:
    return FrameRing([modbus_read_holding(tid) for tid in range(1, count + 1)])


@dataclass(frozen=True, slots=True)
class ModbusReply:
    transaction: int
    function: int
    byte_count: int


def parse_modbus_reply(frame: bytes) -> ModbusReply:
    """The fields the generator checks on a connection's first reply."""
    if len(frame) < 9:
        raise ValueError(f"a Modbus/TCP reply has at least 9 bytes, got {len(frame)}")
    transaction, _protocol, _length, _unit, function, byte_count = struct.unpack(
        ">HHHBBB", frame[:9]
    )
    return ModbusReply(transaction, function, byte_count)
