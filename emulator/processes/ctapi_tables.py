"""The find tables of ctFindFirst beyond Tag and Trend (1150514): Cluster, the alarm tables,
AlarmSummary, and the tables of things the emulator has none of. Sans-IO.

Alarm records (emulator.plant.alarm_records) come from the main alarm server of each cluster
the filter allows (server_unavailable while a cluster has none). Tables of kinds the topology
cannot describe (local variables, accumulators, time-stamped and multi-digital alarms,
equipment) exist and hold no records: ctFindFirst answers no_more_records, as for a filter that
matches nothing (ours). Documented in docs/ctapi.md ("Find") and docs/protocol.md.
"""

from __future__ import annotations

from collections.abc import Callable
from fnmatch import fnmatchcase

from emulator.plant.alarm_records import alarm_record, date_text, millis, time_text
from emulator.plant.alarms import ALARM_TABLES, AlarmServer, UnknownAlarmError
from emulator.plant.config import AlarmType, TagValue
from emulator.processes import active
from emulator.processes.alarm import summary
from emulator.processes.context import Context

Record = dict[str, TagValue]
Terms = list[tuple[str, str]]
#: ctFindFirst's tables, in 1150514's order.
ORDER = (
    "Cluster",
    "Tag",
    "LocalTag",
    "Accum",
    "Trend",
    "Alarm",
    "AlarmSummary",
    *ALARM_TABLES,
    "HResAlm",
    "ArgDigAlm",
    "ArgAnaAlm",
    "TsDigAlm",
    "TsAnaAlm",
    "ArgDigAlmStateDesc",
    "Equipment",
)
#: The tables whose records the topology has no way to define (local variables,
#: accumulators, time-stamped and multi-digital alarms, equipment).
EMPTY = tuple(
    t for t in ORDER if t not in {"Cluster", "Tag", "Trend", "Alarm", "AlarmSummary", *ALARM_TABLES}
)
#: Occurrences AlarmSummary reads from each alarm server's log, newest first.
SUMMARY_EVENTS = 20_000


def cluster_records(context: Context, terms: Terms) -> list[Record]:
    return [{"NAME": c.name, "COMMENT": c.description} for c in context.topology.clusters]


def _servers(context: Context, terms: Terms) -> list[tuple[str, AlarmServer]]:
    """(cluster name, its main's engine) for each cluster with alarms the filter allows."""
    wanted = [pattern for name, pattern in terms if name == "CLUSTER"]
    found = []
    for cluster in active.alarm_clusters(context):
        name = cluster or ""
        if any(not _like(name, pattern) for pattern in wanted):
            continue
        found.append((name, active.alarm_server(context, cluster)))
    return found


def _like(text: str, pattern: str) -> bool:
    return fnmatchcase(text.casefold(), pattern.casefold())


def alarm_records(context: Context, terms: Terms, kind: AlarmType | None = None) -> list[Record]:
    """Every alarm (of `kind`, when given) as its main alarm server has it."""
    records = []
    for name, server in _servers(context, terms):
        for alarm in context.topology.alarms:
            if kind is not None and alarm.type != kind:
                continue
            try:
                record = server.find_fields(alarm.tag)
            except UnknownAlarmError:
                continue  # an alarm of another cluster
            record["CLUSTER"] = name
            records.append(record)
    return records


def summary_records(context: Context, terms: Terms) -> list[Record]:
    """One record per time an alarm went on (the alarm summary), newest first: the alarm's
    fields with TIME/DATE/MILLISEC the on-time, ONTIME/ONDATE, OFFTIME/OFFDATE, the ack's
    ACKTIME/ACKDATE/ACKMILLI and USERNAME, STATE the alarm's state now."""
    records: list[Record] = []
    for name, server in _servers(context, terms):
        for row in summary(server.events(limit=SUMMARY_EVENTS), SUMMARY_EVENTS):
            tag = row["tag"]
            status = server.status(tag)
            record = alarm_record(
                server.config(tag),
                state=status.state,
                priority=row["priority"],
                on_time=row["on_time"],
                ack_time=row["ack_time"],
                ack_user=row["ack_user"],
                value=status.value,
            )
            record.update(
                CLUSTER=name,
                ONTIME=time_text(row["on_time"]),
                ONDATE=date_text(row["on_time"]),
                OFFTIME=time_text(row["off_time"]),
                OFFDATE=date_text(row["off_time"]),
                OFFMILLI=millis(row["off_time"]),
            )
            records.append(record)
    return records


def _typed(kind: AlarmType) -> Callable[[Context, Terms], list[Record]]:
    return lambda context, terms: alarm_records(context, terms, kind)


TABLES: dict[str, Callable[[Context, Terms], list[Record]]] = {
    "Cluster": cluster_records,
    "Alarm": alarm_records,
    "AlarmSummary": summary_records,
    **{table: _typed(kind) for table, kind in ALARM_TABLES.items()},
    **{table: (lambda context, terms: []) for table in EMPTY},
}

__all__ = ["EMPTY", "ORDER", "TABLES", "alarm_records", "summary_records"]
