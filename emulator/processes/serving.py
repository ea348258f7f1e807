"""What the handlers of the alarm, trends, reports, I/O, time, system services, alarm database
and ODBC processes share: an ops table, the engines' errors as protocol errors, where history
lives, and which records belong to a server's cluster. Sans-IO.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Generic, Protocol, TypeVar

from emulator.plant.alarms import AlarmStateError, UnknownAlarmError, UnknownAlarmPropertyError
from emulator.plant.almquery import AlmQueryError
from emulator.plant.reports import UnknownReportError
from emulator.plant.storage import Store
from emulator.plant.trends import HistoryQueryError, UnknownTrendError
from emulator.ports import type_title
from emulator.processes.base import Job, Message
from emulator.processes.context import Context
from emulator.protocol.errors import (
    BAD_REQUEST,
    INVALID_ARGUMENT,
    REPORT_NOT_FOUND,
    TAG_NOT_FOUND,
    UNKNOWN_REQUEST,
    ProtocolError,
)
from emulator.protocol.messages import RequestId, field, parse_request
from emulator.topology.plan import Endpoint

H = TypeVar("H")
Op = Callable[[H, RequestId, Message, float], list[Message]]
#: An expensive op: it reads what it needs now and returns the rest of its work as a Job.
JobOp = Callable[[H, RequestId, Message, float], Job]

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


class Requests(Generic[H]):
    """A handler's table of ops; `serve` answers one request or says which ops exist."""

    def __init__(
        self, title: str, ops: Mapping[str, Op[H]], jobs: Mapping[str, JobOp[H]] | None = None
    ) -> None:
        self.title = title
        self.ops = dict(ops)
        #: Ops whose work runs off the serving loop (`offload`); `serve` runs it inline.
        self.jobs = dict(jobs or {})

    def names(self) -> list[str]:
        return ["ping", *sorted([*self.ops, *self.jobs])]

    def serve(self, handler: H, request: Message, now: float) -> list[Message]:
        rid, op = parse_request(request)
        if op in self.jobs:
            job = self.offload(handler, request, now)
            assert job is not None
            return job.work()
        serve = self.ops.get(op)
        if serve is None:
            raise ProtocolError(
                UNKNOWN_REQUEST, f"{op!r}: the {self.title} serves {', '.join(self.names())}"
            )
        with engine_errors():
            return serve(handler, rid, request, now)

    def offload(self, handler: H, request: Message, now: float) -> Job | None:
        """The job of an expensive request (its reads done now), or None for any other."""
        rid, op = parse_request(request)
        make = self.jobs.get(op)
        if make is None:
            return None
        with engine_errors():
            job = make(handler, rid, request, now)

        def work() -> list[Message]:
            with engine_errors():
                return job.work()

        return Job(work, job.done)


@contextmanager
def engine_errors() -> Iterator[None]:
    """The plant engines' errors as the protocol's: unknown names, bad query arguments."""
    try:
        yield
    except (UnknownAlarmError, UnknownTrendError) as exc:
        raise ProtocolError(TAG_NOT_FOUND, str(exc)) from None
    except UnknownReportError as exc:
        raise ProtocolError(REPORT_NOT_FOUND, str(exc)) from None
    except (UnknownAlarmPropertyError, AlarmStateError, HistoryQueryError, AlmQueryError) as exc:
        raise ProtocolError(INVALID_ARGUMENT, str(exc)) from None


class Quiet:
    """Handler defaults for a process with no pushes of its own."""

    def poll(self, now: float) -> list[Message]:
        return []

    def next_wakeup(self, now: float) -> float | None:
        return None

    def close(self) -> None:
        return None


def history_store(context: Context, endpoint: Endpoint) -> Store:
    """The process's history: `<state dir>/history/<project>/<process>.sqlite3`, or in memory.

    A damaged or empty file is set aside when the server has a peer in this runtime to take
    its history from (`Store.damaged` says so); without one it is refused (StorageError)."""
    if context.state_dir is None:
        return Store.memory()
    project = _SAFE.sub("_", context.topology.project.name) or "project"
    return Store.open(
        context.state_dir / "history" / project,
        endpoint.process,
        set_aside=has_peer(context, endpoint),
    )


def has_peer(context: Context, endpoint: Endpoint) -> bool:
    """Whether another server of the same type and cluster runs in this runtime."""
    cluster = (endpoint.cluster or "").casefold()
    return any(
        status.type is endpoint.type
        and (status.cluster or "").casefold() == cluster
        and (status.computer, status.process) != endpoint.key
        for status in context.processes()
    )


def same_cluster(record: str | None, server: str | None, clusters: list[str]) -> bool:
    """Whether a record of `[[alarms]]`/`[[trends]]`/`[[reports]]` belongs to a server's cluster.

    A record without a cluster belongs to the only cluster (the compile requires one then).
    """
    if record is None:
        return len(clusters) <= 1 or server is None
    return server is not None and record.casefold() == server.casefold()


class Clustered(Protocol):
    @property
    def cluster(self) -> str | None: ...


C = TypeVar("C", bound=Clustered)


def of_cluster(records: Sequence[C], endpoint: Endpoint, context: Context) -> list[C]:
    """The records (alarms, trends or reports) the server at `endpoint` serves: its cluster's."""
    clusters = cluster_names(context)
    if len(clusters) <= 1 or endpoint.cluster is None:
        return [r for r in records if same_cluster(r.cluster, endpoint.cluster, clusters)]
    # Grouped once per table for all the servers (each one went through every record).
    groups = context.grouped.get(id(records))
    if groups is None or groups[0] is not records or groups[1] != len(records):
        by_cluster: dict[str, list[Any]] = {}
        for record in records:
            if record.cluster is not None:
                by_cluster.setdefault(record.cluster.casefold(), []).append(record)
        groups = context.grouped[id(records)] = (records, len(records), by_cluster)
    return list(groups[2].get(endpoint.cluster.casefold(), []))


def cluster_names(context: Context) -> list[str]:
    return [c.name for c in context.topology.clusters]


def optional(request: Message, name: str, kind: type | tuple[type, ...]) -> Any:
    """A request field that may be left out or null."""
    if request.get(name) is None:
        return None
    return field(request, name, kind)


def number(request: Message, name: str, default: Any = ...) -> float:
    """A numeric field as float (integers accepted)."""
    return float(field(request, name, (int, float), default))


def user_of(request: Message) -> str:
    """Who acts (acknowledge, disable, run): the optional `user` field."""
    user = field(request, "user", str, "")
    if len(user) > 64:
        raise ProtocolError(BAD_REQUEST, "field 'user' is longer than 64 characters")
    return str(user)


def describe(endpoint: Endpoint) -> str:
    """ "the Alarm server ALARM1" for messages."""
    return f"the {type_title(endpoint.type)} {endpoint.process}"
