"""What each network fault does to a chunk of bytes: delays, splits, drops, closes. Sans-IO.

A chunk goes in; a Transmission comes out: the pieces to write, each after a delay in seconds of
real time, and what to do with the connection afterwards. Toxics compose in the order they were
added, as in Toxiproxy.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

from emulator.scenario.config import FaultSpec

Then = Literal["keep", "close", "reset"]

#: The kinds that act on bytes of a connection (the others act on processes or requests).
NETWORK_KINDS = frozenset(
    {"latency", "bandwidth", "slicer", "timeout", "reset_peer", "limit_data", "hang"}
)


@dataclass(slots=True)
class Transmission:
    """Write each piece after its delay (seconds); then keep, close or reset the connection.

    `close_after` (seconds) closes or resets only after that long; None: at once.
    """

    pieces: list[tuple[float, bytes]] = field(default_factory=list)
    then: Then = "keep"
    close_after: float | None = None

    @property
    def data(self) -> bytes:
        return b"".join(piece for _, piece in self.pieces)


@dataclass(slots=True)
class StreamState:
    """What a connection's toxics remember between chunks: bytes passed so far."""

    passed: int = 0


def apply(
    spec: FaultSpec, transmission: Transmission, state: StreamState, rng: random.Random
) -> Transmission:
    """`transmission` after one more toxic."""
    if transmission.then != "keep":
        return transmission
    pieces = transmission.pieces
    match spec.kind:
        case "latency":
            jitter = rng.uniform(-spec.jitter, spec.jitter) if spec.jitter > 0 else 0.0
            extra = max(0.0, spec.latency + jitter) / 1000
            if pieces:
                pieces[0] = (pieces[0][0] + extra, pieces[0][1])
        case "bandwidth":
            if spec.rate > 0:
                pieces = [(d + len(p) / (spec.rate * 1024), p) for d, p in pieces]
        case "slicer":
            pieces = _slice(spec, pieces, rng)
        case "limit_data":
            return _limit(spec.bytes, pieces, state)
        case "timeout" | "hang":
            return Transmission(
                [],
                "close" if spec.kind == "timeout" and spec.timeout > 0 else "keep",
                spec.timeout / 1000 if spec.kind == "timeout" and spec.timeout > 0 else None,
            )
        case "reset_peer":
            return Transmission([], "reset", spec.timeout / 1000 if spec.timeout > 0 else None)
    return Transmission(pieces, transmission.then, transmission.close_after)


def _slice(
    spec: FaultSpec, pieces: list[tuple[float, bytes]], rng: random.Random
) -> list[tuple[float, bytes]]:
    if spec.average_size <= 0:
        return pieces
    out: list[tuple[float, bytes]] = []
    for delay, piece in pieces:
        offset = 0
        while offset < len(piece):
            size = spec.average_size
            if spec.size_variation > 0:
                size += rng.randint(-spec.size_variation, spec.size_variation)
            size = max(1, size)
            gap = delay if offset == 0 else spec.delay / 1_000_000
            out.append((gap, piece[offset : offset + size]))
            offset += size
    return out


def _limit(limit: int, pieces: list[tuple[float, bytes]], state: StreamState) -> Transmission:
    out: list[tuple[float, bytes]] = []
    for delay, piece in pieces:
        room = limit - state.passed
        if room <= 0:
            return Transmission(out, "close")
        kept = piece[:room]
        state.passed += len(kept)
        out.append((delay, kept))
        if len(kept) < len(piece) or state.passed >= limit:
            return Transmission(out, "close")
    return Transmission(out)
