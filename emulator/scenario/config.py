"""The scenario tables of a topology file: behaviour on top of the plant.

`[scenario]`, `[[generators]]`, `[[timeline]]`, `[[faults]]` and `[control]` sit in the same TOML
file as the topology, so one file is one plant that does things on cue. Documented in
docs/scenarios.md (and docs/control.md for `[control]`); the descriptions travel into the JSON
Schema of `scada-emu schema`.
"""

from __future__ import annotations

from typing import Annotated, Literal

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

_DURATION = "seconds, or text with units ms, s, m, h, d such as '90s' or '1h30m'"


def _doc(text: str) -> msgspec.Meta:
    return msgspec.Meta(description=text)


class _Record(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class ScenarioSettings(_Record):
    """How the scenario runs: its seed, its clock and the tick of its generators."""

    name: Annotated[str, _doc("Free text.")] = ""
    description: Annotated[str, _doc("Free text.")] = ""
    seed: Annotated[int, _doc("Seeds every random generator and every fault's toxicity roll.")] = 0
    clock: Annotated[
        ClockKind,
        _doc("system: real time times `speed`; virtual: only a test or the API moves it."),
    ] = "system"
    speed: Annotated[
        float, _doc("Plant seconds per real second (`scada-emu run --speed` overrides it).")
    ] = 1.0
    tick: Annotated[Duration, _doc(f"Plant time between two generator updates: {_DURATION}.")] = 1.0


class Step(_Record):
    """One value of a step sequence, from `at` (into the cycle) until the next step."""

    at: Annotated[Duration, _doc(f"When the value starts, into the cycle: {_DURATION}.")]
    value: Annotated[TagValue, _doc("The tag's value from then on.")]


class Generator(_Record):
    """Drives one tag. Which fields apply depends on `kind` (docs/scenarios.md lists them)."""

    tag: Annotated[str, _doc("The tag this generator drives (one generator per tag).")]
    kind: Annotated[
        GeneratorKind,
        _doc("constant, sine, ramp, square, random_walk, steps or expression."),
    ]
    value: Annotated[TagValue | None, _doc("constant: the value.")] = None
    offset: Annotated[float, _doc("sine, square: the middle of the wave.")] = 0.0
    amplitude: Annotated[float, _doc("sine, square: how far the wave goes each way.")] = 1.0
    period: Annotated[
        Duration, _doc(f"sine, square: the wave's period; steps: the cycle: {_DURATION}.")
    ] = 60.0
    phase: Annotated[
        Duration, _doc(f"Shifts sine, square, ramp and steps in time: {_DURATION}.")
    ] = 0.0
    duty: Annotated[float, _doc("square: the fraction of each period spent high, 0..1.")] = 0.5
    start: Annotated[float, _doc("ramp: the first value.")] = 0.0
    end: Annotated[
        float | None, _doc("ramp: where it starts again from `start` (or holds: `hold`).")
    ] = None
    rate: Annotated[float, _doc("ramp: units per second.")] = 1.0
    hold: Annotated[bool, _doc("ramp: stay at `end` instead of starting again.")] = False
    step: Annotated[
        float, _doc("random_walk: the standard deviation of one second's step, >= 0.")
    ] = 1.0
    steps: Annotated[list[Step], _doc("steps: the sequence of {at, value}.")] = msgspec.field(
        default_factory=list
    )
    repeat: Annotated[bool, _doc("steps: repeat the sequence every `period`.")] = True
    expression: Annotated[str | None, _doc("expression: a Cicode expression of other tags.")] = None
    integrate: Annotated[
        bool,
        _doc("expression: the result is a rate per second added to the tag each tick."),
    ] = False
    write_hold: Annotated[
        Duration,
        _doc(
            "sine, square, ramp, expression without integrate: how long a write to the tag "
            f"holds before the generator drives it again: {_DURATION}."
        ),
    ] = 60.0
    noise: Annotated[
        float, _doc("Standard deviation of the normal noise added to every value, >= 0.")
    ] = 0.0
    min: Annotated[float | None, _doc("Lower limit every value is clamped to.")] = None
    max: Annotated[float | None, _doc("Upper limit every value is clamped to.")] = None
    comment: Annotated[str, _doc("Free text.")] = ""


class TimelineEvent(_Record):
    """Something that happens `at` a time after start (and again `every` period, if given)."""

    at: Annotated[Duration, _doc(f"When, after start: {_DURATION}.")]
    action: Annotated[
        EventAction,
        _doc(
            "set_tag, stop, start, crash, hang, add_fault, clear_fault, shift_clock or run_report."
        ),
    ]
    every: Annotated[Duration | None, _doc(f"Repeat every this long: {_DURATION}.")] = None
    tag: Annotated[str | None, _doc("set_tag: the tag.")] = None
    value: Annotated[TagValue | None, _doc("set_tag: its new value.")] = None
    process: Annotated[
        str | None,
        _doc("stop, start, crash, hang: a server process, or CtAPI, SystemServices, ..."),
    ] = None
    computer: Annotated[
        str | None, _doc("Only that computer's process, or its time server (shift_clock).")
    ] = None
    fault: Annotated[str | None, _doc("add_fault, clear_fault: a fault of [[faults]].")] = None
    seconds: Annotated[
        float | None, _doc("shift_clock: seconds added to the time server's clock.")
    ] = None
    report: Annotated[str | None, _doc("run_report: the report.")] = None
    comment: Annotated[str, _doc("Free text.")] = ""


class FaultSpec(_Record):
    """A named fault, Toxiproxy-style: a kind, a target, attributes and a toxicity."""

    name: Annotated[str, _doc("Unique name; the timeline and the API refer to it.")]
    kind: Annotated[
        FaultKind,
        _doc(
            "latency, bandwidth, slicer, timeout, reset_peer, limit_data (bytes); down, "
            "crash, hang (a process); error_reply (requests)."
        ),
    ]
    process: Annotated[
        str | None,
        _doc("Target: a server process, or CtAPI, SystemServices, ...; every one when absent."),
    ] = None
    computer: Annotated[str | None, _doc("Target: only that computer's processes.")] = None
    tls: Annotated[
        bool | None, _doc("Target: only the TLS (true) or the plain (false) listeners.")
    ] = None
    stream: Annotated[
        Stream, _doc("The bytes acted on: to the client (downstream) or from it (upstream).")
    ] = "downstream"
    toxicity: Annotated[
        float, _doc("Probability that a connection is affected, 0..1, rolled per connection.")
    ] = 1.0
    active: Annotated[
        bool, _doc("In force from the start; otherwise the timeline or the API adds it.")
    ] = False
    latency: Annotated[float, _doc("latency: milliseconds added to each chunk.")] = 0.0
    jitter: Annotated[float, _doc("latency: up to this many milliseconds more or less.")] = 0.0
    rate: Annotated[float, _doc("bandwidth: kilobytes per second.")] = 0.0
    average_size: Annotated[int, _doc("slicer: bytes per piece.")] = 0
    size_variation: Annotated[int, _doc("slicer: up to this many bytes more or less.")] = 0
    delay: Annotated[float, _doc("slicer: microseconds between pieces.")] = 0.0
    timeout: Annotated[
        float,
        _doc("timeout: milliseconds until the close (0: never); reset_peer: until the reset."),
    ] = 0.0
    bytes: Annotated[int, _doc("limit_data: the connection closes after this many bytes.")] = 0
    error: Annotated[
        str | None, _doc("error_reply: an error name of docs/protocol.md, e.g. not_connected.")
    ] = None
    op: Annotated[str | None, _doc("error_reply: only requests with this op.")] = None
    tag: Annotated[str | None, _doc("error_reply: only requests for this tag.")] = None
    comment: Annotated[str, _doc("Free text.")] = ""


class ControlSettings(_Record):
    """The HTTP control API (docs/control.md). `--control` / `--control-token` override it."""

    enabled: Annotated[bool, _doc("Serve the control API.")] = True
    host: Annotated[str, _doc("Where it listens; not loopback needs a token.")] = "127.0.0.1"
    port: Annotated[int, _doc("0..65535; 0 picks a free port.")] = 8787
    token: Annotated[
        str | None, _doc("Bearer token every request must carry (Authorization header).")
    ] = None
