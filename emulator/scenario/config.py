"""The scenario tables of a topology file: behaviour on top of the plant.

`[scenario]`, `[[generators]]`, `[[timeline]]`, `[[faults]]` and `[control]` sit in the same TOML
file as the topology, so one file is one plant that does things on cue. Documented in
docs/scenarios.md (and docs/control.md for `[control]`).
"""

from __future__ import annotations

from typing import Literal

import msgspec

from emulator.plant.config import TagValue

#: Seconds as a number, or a duration text such as "90s", "5m", "1h30m", "250ms".
Duration = float | str

GeneratorKind = Literal["constant", "sine", "ramp", "square", "random_walk", "steps", "expression"]
ClockKind = Literal["system", "virtual"]
EventAction = Literal[
    "set_tag",
    "stop",
    "start",
    "crash",
    "hang",
    "add_fault",
    "clear_fault",
    "shift_clock",
    "run_report",
]
FaultKind = Literal[
    "latency",
    "bandwidth",
    "slicer",
    "timeout",
    "reset_peer",
    "limit_data",
    "down",
    "crash",
    "hang",
    "error_reply",
]
Stream = Literal["downstream", "upstream"]


class _Record(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class ScenarioSettings(_Record):
    name: str = ""
    description: str = ""
    #: Seeds every random generator and every fault's toxicity roll.
    seed: int = 0
    #: "system": real time times `speed`; "virtual": only a test moves the clock.
    clock: ClockKind = "system"
    #: Plant seconds per real second on the system clock (`--speed` overrides it).
    speed: float = 1.0
    #: Plant seconds between two generator updates: the grid every value is computed on.
    tick: Duration = 1.0


class Step(_Record):
    """One value of a step sequence, from `at` (seconds into the cycle) until the next."""

    at: Duration
    value: TagValue


class Generator(_Record):
    """Drives one tag. Which fields apply depends on `kind` (docs/scenarios.md lists them)."""

    tag: str
    kind: GeneratorKind
    #: constant: the value.
    value: TagValue | None = None
    #: sine and square oscillate around `offset` by `amplitude`.
    offset: float = 0.0
    amplitude: float = 1.0
    period: Duration = 60.0
    #: Seconds the time-driven kinds (sine, square, ramp, steps) are shifted by.
    phase: Duration = 0.0
    #: square: the fraction of each period spent high.
    duty: float = 0.5
    #: ramp: from `start`, `rate` units per second; at `end` it restarts (or holds: `hold`).
    start: float = 0.0
    end: float | None = None
    rate: float = 1.0
    hold: bool = False
    #: random_walk: from the tag's value, the standard deviation of one second's step.
    step: float = 1.0
    #: steps: the sequence, repeated every `period` when `repeat` is true.
    steps: list[Step] = msgspec.field(default_factory=list)
    repeat: bool = True
    #: expression: arithmetic of other tags; with `integrate` it is a rate per second added
    #: to the tag's value each tick (a tank level integrating flow in minus flow out).
    expression: str | None = None
    integrate: bool = False
    #: Gaussian noise (standard deviation) added to every value.
    noise: float = 0.0
    #: Limits every value is clamped to.
    min: float | None = None
    max: float | None = None
    comment: str = ""


class TimelineEvent(_Record):
    """Something that happens `at` a time after start (and again `every` period, if given)."""

    at: Duration
    action: EventAction
    every: Duration | None = None
    #: set_tag
    tag: str | None = None
    value: TagValue | None = None
    #: stop / start / crash / hang: a server process (or a computer's "CtAPI", ... with computer)
    process: str | None = None
    computer: str | None = None
    #: add_fault / clear_fault: the name of a fault of [[faults]]
    fault: str | None = None
    #: shift_clock: seconds added to the time server's clock of `computer` (all when absent)
    seconds: float | None = None
    #: run_report
    report: str | None = None
    comment: str = ""


class FaultSpec(_Record):
    """A named fault, Toxiproxy-style: a kind, a target, attributes and a toxicity."""

    name: str
    kind: FaultKind
    #: Target: a server process name (or a computer-level process such as "CtAPI").
    process: str | None = None
    computer: str | None = None
    #: Only the TLS (true) or the plain (false) listener of the process; both when absent.
    tls: bool | None = None
    #: The bytes the fault acts on: to the client (downstream) or from it (upstream).
    stream: Stream = "downstream"
    #: Probability that a connection is affected, 0..1, rolled once per connection.
    toxicity: float = 1.0
    #: Active from the start; otherwise a timeline event or the control API adds it.
    active: bool = False
    #: latency: milliseconds added to each chunk, plus up to +-jitter.
    latency: float = 0.0
    jitter: float = 0.0
    #: bandwidth: kilobytes per second.
    rate: float = 0.0
    #: slicer: chunks of average_size +- size_variation bytes, `delay` microseconds apart.
    average_size: int = 0
    size_variation: int = 0
    delay: float = 0.0
    #: timeout: milliseconds before the connection is closed; 0 holds it open for ever.
    timeout: float = 0.0
    #: limit_data: the connection is closed after this many bytes.
    bytes: int = 0
    #: error_reply: the error name of emulator.protocol.errors, for requests matching op / tag.
    error: str | None = None
    op: str | None = None
    tag: str | None = None
    comment: str = ""


class ControlSettings(_Record):
    """The HTTP control API (docs/control.md). `--control` / `--control-token` override it."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 8787
    #: Required when the host is not a loopback address; every request must then carry it.
    token: str | None = None
