"""The trends server process (2085): samples its cluster's trends and answers history queries.

Both servers of a pair sample in parallel, each into its own history (reference section 3); a
server that starts while its peer runs first copies from the peer what it missed (gap fill).
Requests: docs/protocol.md ("Trends server").
"""

from __future__ import annotations

from functools import partial
from typing import Any

from emulator.logs import get_logger
from emulator.plant import trnquery
from emulator.plant.readers import plant_values
from emulator.plant.trends import TrendSample, TrendServer, average
from emulator.processes.base import Job, Message, Peer
from emulator.processes.context import Context
from emulator.processes.redundancy import pairs_of
from emulator.processes.serving import (
    Quiet,
    Requests,
    history_store,
    number,
    of_cluster,
    optional,
)
from emulator.protocol.messages import RequestId, field, ok
from emulator.topology.plan import Endpoint

_log = get_logger("emulator.trends")


class TrendsProcess:
    """One trends server process; `trends` is its engine."""

    def __init__(self, endpoint: Endpoint, context: Context) -> None:
        self.endpoint = endpoint
        self.context = context
        mine = of_cluster(context.topology.trends, endpoint, context)
        self.store = history_store(context, endpoint)
        self.trends = TrendServer(
            mine, plant_values(context.plant), self.store, server=endpoint.process
        )
        self.pairs = pairs_of(context)
        self.pairs.join(self)
        #: Samples copied from the peer when this server started (0: none or no peer).
        self.gap_filled = 0
        for peer in self.pairs.peers(self, TrendsProcess):
            self.gap_filled += self.trends.fill_gap(
                peer.trends.samples_since(self.trends.resume_points())
            )
            _log.info(
                "trends.gap_filled",
                server=endpoint.process,
                peer=peer.endpoint.process,
                samples=self.gap_filled,
            )
            break

    def scan(self, now: float) -> bool:
        if self.store.damaged is not None:
            self._recover()
        self.trends.sample(now)
        return False

    def _recover(self) -> None:
        """A history file found empty or damaged: take what the running peer holds, once."""
        for peer in self.pairs.peers(self, TrendsProcess):
            self.gap_filled += self.trends.fill_gap(
                peer.trends.samples_since(self.trends.resume_points())
            )
            self.store.damaged = None
            _log.warning(
                "trends.history_recovered",
                server=self.endpoint.process,
                peer=peer.endpoint.process,
                samples=self.gap_filled,
            )
            return

    def next_scan(self, now: float) -> float | None:
        return self.trends.next_due(now)

    def close(self) -> None:
        self.store.flush()

    def reset_history(self) -> None:
        """Forget every sample (`POST /reset` with history): as a fresh run."""
        self.store.clear_history()

    def connect(self, peer: Peer) -> TrendsHandler:
        return TrendsHandler(self)


def create(endpoint: Endpoint, context: Context) -> TrendsProcess:
    """The factory the runtime registers for ProcessType.TRENDS."""
    return TrendsProcess(endpoint, context)


def samples(points: list[TrendSample]) -> list[list[Any]]:
    """Samples on the wire: [time, value, quality] (value null when bad or gated)."""
    return [[p.time, p.value, p.quality] for p in points]


class TrendsHandler(Quiet):
    def __init__(self, process: TrendsProcess) -> None:
        self.process = process

    def hello(self) -> Message:
        return {"requests": REQUESTS.names()}

    def handle(self, request: Message, now: float) -> list[Message]:
        return REQUESTS.serve(self, request, now)

    @property
    def engine(self) -> TrendServer:
        return self.process.trends

    def _list(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        trends = [
            {
                "name": t.name,
                "tag": t.tag,
                "type": t.type,
                "sample_period": t.sample_period,
                "trigger": t.trigger,
                "comment": t.comment,
            }
            for t in (self.engine.config(n) for n in self.engine.names)
        ]
        return [ok(rid, trends=trends)]

    def offload(self, request: Message, now: float) -> Job | None:
        return REQUESTS.offload(self, request, now)

    # Up to 100,000 points each: the history is read now, the points are made off the loop.

    def _raw(self, rid: RequestId, request: Message, now: float) -> Job:
        points = self.engine.raw(
            field(request, "trend", str),
            optional(request, "start", (int, float)),
            optional(request, "end", (int, float)),
            optional(request, "count", int),
        )
        return Job(lambda: [ok(rid, samples=samples(points))])

    def _averaged(self, rid: RequestId, request: Message, now: float) -> Job:
        grid, window = self.engine.averaging(
            field(request, "trend", str),
            number(request, "end", now),
            number(request, "period"),
            field(request, "count", int),
        )
        return Job(lambda: [ok(rid, samples=samples(average(grid, window)))])

    def _query(self, rid: RequestId, request: Message, now: float) -> Job:
        query = trnquery.parse(field(request, "query", str))
        found = trnquery.fetch(self.engine, query)
        records = partial(trnquery.records, query, *found, now)
        return Job(lambda: [ok(rid, records=[r.fields(query.data_mode) for r in records()])])


REQUESTS: Requests[TrendsHandler] = Requests(
    "trends server",
    {
        "trend.list": TrendsHandler._list,
    },
    {
        "trend.raw": TrendsHandler._raw,
        "trend.averaged": TrendsHandler._averaged,
        "trend.query": TrendsHandler._query,
    },
)
