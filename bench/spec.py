"""What the orchestrator asks a load-generator process to do, and what it answers (JSON)."""

from __future__ import annotations

from typing import Literal

import msgspec

from bench.frames import DEMO_PASSWORD, DEMO_TAG, DEMO_USER

TargetKind = Literal["ctapi", "echo", "modbus"]
Mode = Literal["closed", "open", "hold", "half_open"]


class Target(msgspec.Struct, kw_only=True, frozen=True):
    """Where a server listens and which frames it understands."""

    kind: TargetKind
    host: str
    port: int
    #: TLS when set: the CA file that signed the server's certificate.
    ca_file: str | None = None
    #: The name the certificate is checked against (the computer name for the emulator).
    server_hostname: str | None = None
    tag: str = DEMO_TAG
    user: str = DEMO_USER
    password: str = DEMO_PASSWORD
    #: Lines the server sends unprompted on connect (the emulator's hello).
    greeting_lines: int = 0


class Load(msgspec.Struct, kw_only=True, frozen=True):
    """One run of the generator."""

    mode: Mode
    target: Target
    connections: int = 16
    #: Closed loop: requests kept in flight per connection.
    depth: int = 8
    #: Open loop: requests per second over all connections.
    rate: float = 2000.0
    warmup_s: float = 1.0
    duration_s: float = 5.0
    #: The server's pid, to report its CPU use over the measured window.
    server_pid: int | None = None
    #: The CPU the generator pins itself to (None: no pinning).
    cpu: int | None = None
    #: The generator's nice value (bench --priority).
    niceness: int = 0
    #: Connections opened at once while connecting many (hold, half_open).
    connect_concurrency: int = 256
    #: Half-open clients send one more byte of a never-finished frame this often.
    drip_s: float = 1.0
    #: Half-open clients drip spread evenly over drip_s, as independent clients' timers would;
    #: False: all in the same millisecond (the worst case one event loop can meet).
    drip_spread: bool = False


class Result(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What a generator run measured; fields a mode does not measure stay None."""

    mode: Mode
    connections: int
    elapsed_s: float = 0.0
    completed: int = 0
    errors: int = 0
    first_error: str | None = None
    lost: int = 0
    rps: float | None = None
    p50_ms: float | None = None
    p90_ms: float | None = None
    p99_ms: float | None = None
    p999_ms: float | None = None
    max_ms: float | None = None
    rate: float | None = None
    generator_cpu: float | None = None
    server_cpu: float | None = None
    #: CPUs used by everything else on the machine over the measured window.
    other_cpu: float | None = None
    connect_s: float | None = None
    #: hold / half_open: connections still open when released.
    still_open: int | None = None


encode = msgspec.json.Encoder().encode
decode_load = msgspec.json.Decoder(Load).decode
decode_result = msgspec.json.Decoder(Result).decode
