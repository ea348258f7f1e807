"""The reports server process (2084): schedules and runs its cluster's reports, keeps the runs.

Only the server a client of the cluster would use (the primary first; reference section 3,
emulator.processes.redundancy.choose) runs scheduled and triggered reports, so a pair does not
write every report twice; either runs a report on demand. Every run is mirrored at once to the
running peer (as alarm events are), and a server that starts while its peer runs copies the
peer's runs: so both list the same runs, and a standby that takes over does not run the newest
slot again. Requests: docs/protocol.md ("Reports server").
"""

from __future__ import annotations

from typing import Any

import msgspec

from emulator.logs import get_logger
from emulator.plant.readers import plant_values
from emulator.plant.reports import ReportRun, ReportServer
from emulator.ports import ProcessType
from emulator.processes.base import Message, Peer
from emulator.processes.context import Context
from emulator.processes.redundancy import pairs_of
from emulator.processes.serving import (
    Quiet,
    Requests,
    of_cluster,
    optional,
    user_of,
)
from emulator.protocol.errors import BAD_REQUEST, REPORT_NOT_FOUND, ProtocolError
from emulator.protocol.messages import RequestId, field, ok
from emulator.topology.plan import Endpoint

_log = get_logger("emulator.reports")

MAX_RUNS = 1000


class ReportsProcess:
    """One reports server process; `reports` is its engine (the control API uses it too)."""

    def __init__(self, endpoint: Endpoint, context: Context) -> None:
        self.endpoint = endpoint
        self.context = context
        mine = of_cluster(context.topology.reports, endpoint, context)
        self.reports = ReportServer(
            mine,
            plant_values(context.plant),
            start=context.clock.now(),
            server=endpoint.process,
            on_run=self._ran,
        )
        self.pairs = pairs_of(context)
        self.pairs.join(self)
        for peer in self.pairs.peers(self, ReportsProcess):
            self.synchronise(peer)

    def synchronise(self, peer: ReportsProcess) -> None:
        """Copy the runs of a running peer (a returning server, a new standby)."""
        added = sum(self.reports.adopt(run) for run in peer.reports.runs())
        _log.info(
            "report.synchronised",
            server=self.endpoint.process,
            peer=peer.endpoint.process,
            runs_added=added,
        )

    def _ran(self, run: ReportRun) -> None:
        """Every run this engine makes (scheduled, triggered, on demand): to the running peer."""
        for peer in self.pairs.peers(self, ReportsProcess):
            peer.reports.adopt(run)

    @property
    def active(self) -> bool:
        """Whether this server runs the cluster's scheduled and triggered reports now."""
        chosen = self.pairs.active(ProcessType.REPORTS, self.endpoint.cluster, ReportsProcess)
        return chosen is self

    def scan(self, now: float) -> bool:
        if not self.reports.names or not self.active:
            return False
        for run in self.reports.step(now):
            _log.info(
                "report.run", server=self.endpoint.process, report=run.report, reason=run.reason
            )
        return False

    def next_scan(self, now: float) -> float | None:
        return self.reports.next_wakeup(now)

    def connect(self, peer: Peer) -> ReportsHandler:
        return ReportsHandler(self)


def create(endpoint: Endpoint, context: Context) -> ReportsProcess:
    """The factory the runtime registers for ProcessType.REPORTS."""
    return ReportsProcess(endpoint, context)


def run_record(run: ReportRun, *, output: bool = True) -> dict[str, Any]:
    record: dict[str, Any] = msgspec.to_builtins(run)
    if not output:
        record.pop("output", None)
    return record


class ReportsHandler(Quiet):
    def __init__(self, process: ReportsProcess) -> None:
        self.process = process

    def hello(self) -> Message:
        return {"requests": REQUESTS.names(), "active": self.process.active}

    def handle(self, request: Message, now: float) -> list[Message]:
        return REQUESTS.serve(self, request, now)

    @property
    def engine(self) -> ReportServer:
        return self.process.reports

    def _list(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        reports = []
        for name in self.engine.names:
            config = self.engine.config(name)
            reports.append(
                {
                    "name": config.name,
                    "time": config.time,
                    "period": config.period,
                    "trigger": config.trigger,
                    "comment": config.comment,
                    "next_run": self.engine.next_run(name, now),
                }
            )
        return [ok(rid, reports=reports, active=self.process.active)]

    def _run(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        run = self.engine.run(field(request, "report", str), now, user_of(request))
        _log.info(
            "report.run", server=self.process.endpoint.process, report=run.report, reason="demand"
        )
        return [ok(rid, run=run_record(run))]

    def _runs(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        limit = field(request, "limit", int, 100)
        if not 1 <= limit <= MAX_RUNS:
            raise ProtocolError(BAD_REQUEST, f"'limit' must be 1..{MAX_RUNS}, not {limit}")
        runs = self.engine.runs(optional(request, "report", str), limit)
        return [ok(rid, runs=[run_record(r, output=False) for r in runs])]

    def _output(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        number = field(request, "run", int)
        run = self.engine.get_run(number)
        if run is None:
            raise ProtocolError(
                REPORT_NOT_FOUND, f"no run {number} on this server (report.runs lists them)"
            )
        return [ok(rid, run=run_record(run))]


REQUESTS: Requests[ReportsHandler] = Requests(
    "reports server",
    {
        "report.list": ReportsHandler._list,
        "report.run": ReportsHandler._run,
        "report.runs": ReportsHandler._runs,
        "report.output": ReportsHandler._output,
    },
)
