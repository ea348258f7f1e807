"""The time synchronization process (2088): the computer's UTC time, and pushes of it.

The time is the plant clock plus the computer's offset (`Context.time_offsets`, set by the
scenario's shift_clock), so a client can be tested against a skewed server. As the legacy time
server did (reference section 6), a subscriber gets the time at once and then every period.
Requests: docs/protocol.md ("Time synchronization").
"""

from __future__ import annotations

from typing import Any

from emulator.plant.state import iso
from emulator.processes.base import Message, Peer
from emulator.processes.context import Context
from emulator.processes.serving import Quiet, Requests, number
from emulator.protocol.errors import BAD_REQUEST, ProtocolError
from emulator.protocol.messages import RequestId, event, ok
from emulator.topology.plan import Endpoint

#: The legacy time server's PollTime default (24 h), and the shortest period accepted.
DEFAULT_PERIOD = 86_400.0
MIN_PERIOD = 0.1


class TimeSyncProcess:
    def __init__(self, endpoint: Endpoint, context: Context) -> None:
        self.endpoint = endpoint
        self.context = context

    def offset(self) -> float:
        return self.context.time_offsets.get(self.endpoint.computer, 0.0)

    def time(self, now: float) -> dict[str, Any]:
        utc = now + self.offset()
        return {"utc": utc, "iso": iso(utc), "offset": self.offset()}

    def connect(self, peer: Peer) -> TimeSyncHandler:
        return TimeSyncHandler(self)


def create(endpoint: Endpoint, context: Context) -> TimeSyncProcess:
    """The factory the runtime registers for ProcessType.TIME_SYNC."""
    return TimeSyncProcess(endpoint, context)


class TimeSyncHandler(Quiet):
    def __init__(self, process: TimeSyncProcess) -> None:
        self.process = process
        self.period: float | None = None
        self.due: float | None = None

    def hello(self) -> Message:
        return {"requests": REQUESTS.names()}

    def handle(self, request: Message, now: float) -> list[Message]:
        return REQUESTS.serve(self, request, now)

    def poll(self, now: float) -> list[Message]:
        if self.period is None or self.due is None or now < self.due:
            return []
        self.due = now + self.period
        return [event("time", **self.process.time(now))]

    def next_wakeup(self, now: float) -> float | None:
        return self.due

    def close(self) -> None:
        self.period = self.due = None

    def _get(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        return [ok(rid, **self.process.time(now))]

    def _subscribe(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        period = number(request, "period", DEFAULT_PERIOD)
        if not MIN_PERIOD <= period <= 10 * DEFAULT_PERIOD:
            raise ProtocolError(
                BAD_REQUEST, f"'period' must be {MIN_PERIOD}..{10 * DEFAULT_PERIOD} seconds"
            )
        self.period, self.due = period, now + period
        return [ok(rid, period=period), event("time", **self.process.time(now))]

    def _unsubscribe(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        self.period = self.due = None
        return [ok(rid)]


REQUESTS: Requests[TimeSyncHandler] = Requests(
    "time synchronization process",
    {
        "time.get": TimeSyncHandler._get,
        "time.subscribe": TimeSyncHandler._subscribe,
        "time.unsubscribe": TimeSyncHandler._unsubscribe,
    },
)
