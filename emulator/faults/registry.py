"""Which faults are defined and active, and what each connection gets from them. Sans-IO.

A fault targets every listener, a server process, or one computer's process (and optionally
only its TLS or plain listener). Toxicity is rolled once per connection and fault, from a
random source seeded by the scenario seed, the endpoint and the connection number.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import msgspec

from emulator.faults.toxics import NETWORK_KINDS, StreamState, Transmission, apply
from emulator.protocol.errors import BY_NAME, ErrorCode
from emulator.protocol.messages import Message
from emulator.scenario.config import FaultSpec, Stream
from emulator.topology.plan import Endpoint

#: Faults that stop, crash or hang a whole process; they need a target process.
PROCESS_KINDS = frozenset({"down", "crash", "hang"})


class FaultError(ValueError):
    """A fault that cannot be added or found; the message says what to do."""


def problems(spec: FaultSpec) -> list[tuple[str | None, str]]:
    """(field, message) for every attribute of `spec` that is out of range or missing."""
    found: list[tuple[str | None, str]] = []
    if not spec.name.strip():
        found.append(("name", "a fault needs a non-empty name"))
    if not 0.0 <= spec.toxicity <= 1.0:
        found.append(("toxicity", f"toxicity {spec.toxicity} is outside 0..1"))
    numbers = {
        "latency": spec.latency,
        "jitter": spec.jitter,
        "rate": spec.rate,
        "delay": spec.delay,
        "timeout": spec.timeout,
        "average_size": spec.average_size,
        "size_variation": spec.size_variation,
        "bytes": spec.bytes,
    }
    for name, value in numbers.items():
        if value < 0:
            found.append((name, f"{name} must be >= 0, not {value}"))
    required = {"bandwidth": "rate", "slicer": "average_size", "limit_data": "bytes"}
    needed = required.get(spec.kind)
    if needed is not None and numbers[needed] <= 0:
        found.append((needed, f"a {spec.kind} fault needs {needed} > 0"))
    if spec.kind == "latency" and spec.latency <= 0 and spec.jitter <= 0:
        found.append(("latency", "a latency fault needs latency (milliseconds) > 0"))
    if spec.kind in PROCESS_KINDS and spec.process is None:
        found.append(("process", f"a {spec.kind} fault needs the process it acts on"))
    if spec.kind == "error_reply":
        if spec.error is None:
            found.append(
                ("error", "an error_reply fault needs `error`, a name such as 'not_connected'")
            )
        elif spec.error not in BY_NAME:
            found.append(
                ("error", f"unknown error {spec.error!r}; known: {', '.join(sorted(BY_NAME))}")
            )
    elif spec.error is not None or spec.op is not None or spec.tag is not None:
        found.append(("error", "error, op and tag apply only to an error_reply fault"))
    return found


def matches(spec: FaultSpec, endpoint: Endpoint) -> bool:
    """Whether `spec` acts on connections of `endpoint`."""
    if spec.process is not None and spec.process.casefold() != endpoint.process.casefold():
        return False
    if spec.computer is not None and spec.computer.casefold() != endpoint.computer.casefold():
        return False
    return spec.tls is None or spec.tls == endpoint.tls


def to_json(spec: FaultSpec, active: bool) -> dict[str, object]:
    data: dict[str, object] = msgspec.to_builtins(spec)
    data["active"] = active
    return data


@dataclass
class Faults:
    """The defined faults (by name) and which of them are active."""

    seed: int = 0
    defined: dict[str, FaultSpec] = field(default_factory=dict)
    active: dict[str, FaultSpec] = field(default_factory=dict)
    connections: dict[tuple[str, str, int, bool], int] = field(default_factory=dict)

    @classmethod
    def from_specs(cls, specs: Iterable[FaultSpec], seed: int = 0) -> Faults:
        faults = cls(seed)
        for spec in specs:
            faults.define(spec)
            if spec.active:
                faults.activate(spec.name)
        return faults

    def define(self, spec: FaultSpec) -> None:
        bad = problems(spec)
        if bad:
            field_name, message = bad[0]
            raise FaultError(f"fault {spec.name!r}: {field_name}: {message}")
        self.defined[spec.name.casefold()] = spec

    def add(self, spec: FaultSpec) -> FaultSpec:
        """Define `spec` (replacing a fault of the same name) and make it active."""
        self.define(spec)
        return self.activate(spec.name)

    def activate(self, name: str) -> FaultSpec:
        spec = self._find(name)
        self.active[name.casefold()] = spec
        return spec

    def deactivate(self, name: str) -> FaultSpec:
        if name.casefold() not in self.active:
            self._find(name)
            raise FaultError(f"fault {name!r} is not active")
        return self.active.pop(name.casefold())

    def clear(self) -> list[FaultSpec]:
        """Deactivate every fault; returns those that were active."""
        return [self.deactivate(spec.name) for spec in list(self.active.values())]

    def listing(self) -> list[dict[str, object]]:
        return [to_json(s, key in self.active) for key, s in self.defined.items()]

    def for_endpoint(self, endpoint: Endpoint) -> list[FaultSpec]:
        return [s for s in self.active.values() if matches(s, endpoint)]

    def link(
        self,
        endpoint: Endpoint,
        connection: int | None = None,
        on_apply: Callable[[FaultSpec], None] | None = None,
    ) -> LinkFaults:
        """The faults of one connection: the n-th of its endpoint unless `connection` says."""
        if connection is None:
            key = (endpoint.computer, endpoint.address, endpoint.port, endpoint.tls)
            connection = self.connections.get(key, 0)
            self.connections[key] = connection + 1
        seed = f"{self.seed}:{endpoint.computer}:{endpoint.process}:{connection}"
        return LinkFaults(self, endpoint, seed, on_apply)

    def _find(self, name: str) -> FaultSpec:
        try:
            return self.defined[name.casefold()]
        except KeyError:
            known = ", ".join(s.name for s in self.defined.values()) or "none"
            raise FaultError(
                f"no fault named {name!r}; defined faults: {known} (add one with POST /faults)"
            ) from None


@dataclass
class LinkFaults:
    """The faults one connection sees; re-read on every chunk so changes apply at once."""

    faults: Faults
    endpoint: Endpoint
    #: Seeds this connection's rolls: the same seed and connection order give the same faults.
    seed: str
    #: Told once per fault that reaches this connection (logs, metrics).
    on_apply: Callable[[FaultSpec], None] | None = None
    rolls: dict[str, bool] = field(default_factory=dict)
    streams: dict[Stream, StreamState] = field(
        default_factory=lambda: {"downstream": StreamState(), "upstream": StreamState()}
    )
    _rng: random.Random | None = field(default=None, init=False, repr=False)

    @property
    def rng(self) -> random.Random:
        """Made on the first roll: most connections never meet a fault, and a Random is 2.5 KiB
        of every idle session otherwise."""
        if self._rng is None:
            self._rng = random.Random(self.seed)
        return self._rng

    def current(self) -> list[FaultSpec]:
        """The active faults that reach this connection (each toxicity rolled once)."""
        if not self.faults.active:
            return []  # the common case, asked twice per request: no lookup at all
        chosen = []
        for spec in self.faults.for_endpoint(self.endpoint):
            key = spec.name.casefold()
            if key not in self.rolls:
                self.rolls[key] = self.rng.random() < spec.toxicity
                if self.rolls[key] and self.on_apply is not None:
                    self.on_apply(spec)
            if self.rolls[key]:
                chosen.append(spec)
        return chosen

    @property
    def hung(self) -> bool:
        """A hang fault holds this connection: nothing is answered."""
        return any(spec.kind == "hang" for spec in self.current())

    def transmit(self, data: bytes, stream: Stream = "downstream") -> Transmission:
        """What to write (downstream) or deliver (upstream) for `data`, and when."""
        result = Transmission([(0.0, data)] if data else [])
        state = self.streams[stream]
        for spec in self.current():
            if spec.kind in NETWORK_KINDS and (spec.kind == "hang" or spec.stream == stream):
                result = apply(spec, result, state, self.rng)
        return result

    def error_for(self, request: Message) -> tuple[ErrorCode, str] | None:
        """The injected error reply for `request`, if an error_reply fault matches it."""
        for spec in self.current():
            if spec.kind != "error_reply" or spec.error is None:
                continue
            if spec.op is not None and request.get("op") != spec.op:
                continue
            if (
                spec.tag is not None
                and str(request.get("tag", "")).casefold() != spec.tag.casefold()
            ):
                continue
            return BY_NAME[spec.error], f"injected by fault {spec.name!r}"
        return None
