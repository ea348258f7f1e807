"""Which running server answers a client of the cluster (CtAPI, Cicode): the alarm main, the
trends and reports server of the client rule (emulator.processes.redundancy). A cluster with
none running gives `server_unavailable` (#COM), and the next request after one starts again is
served: there is nothing to reconnect, each request asks anew.
"""

from __future__ import annotations

from emulator.plant.alarms import AlarmServer, UnknownAlarmError
from emulator.plant.reports import ReportServer, UnknownReportError
from emulator.plant.trends import TrendServer, UnknownTrendError
from emulator.ports import ProcessType
from emulator.processes.alarm import AlarmProcess
from emulator.processes.context import Context
from emulator.processes.redundancy import pairs_of, unavailable
from emulator.processes.reports import ReportsProcess
from emulator.processes.serving import cluster_names
from emulator.processes.trends import TrendsProcess


def _resolve(context: Context, cluster: str | None) -> str | None:
    clusters = cluster_names(context)
    if cluster is None and len(clusters) == 1:
        return clusters[0]
    return cluster


def alarm_clusters(context: Context) -> list[str | None]:
    """The clusters that have alarms, in file order."""
    seen: dict[str, str | None] = {}
    for alarm in context.topology.alarms:
        cluster = _resolve(context, alarm.cluster)
        seen.setdefault((cluster or "").casefold(), cluster)
    return list(seen.values())


def alarm_server(context: Context, cluster: str | None) -> AlarmServer:
    """The main's engine of a cluster; server_unavailable when no alarm server runs."""
    main = pairs_of(context).main(cluster, AlarmProcess)
    if main is None:
        raise unavailable(ProcessType.ALARM, cluster)
    return main.alarms


def alarm_server_of(context: Context, tag: str, cluster: str | None = None) -> AlarmServer:
    """The engine that serves one alarm tag (of `cluster`, when given); UnknownAlarmError when
    no alarm has that tag."""
    for alarm in context.topology.alarms:
        if alarm.tag.casefold() != tag.casefold():
            continue
        resolved = _resolve(context, alarm.cluster)
        if cluster is None or (resolved or "").casefold() == cluster.casefold():
            return alarm_server(context, resolved)
    where = f" in cluster {cluster!r}" if cluster is not None else ""
    raise UnknownAlarmError(f"no alarm tag {tag!r}{where}; check [[alarms]] tag")


def trend_server_of(context: Context, name: str) -> TrendServer:
    """The active trends server's engine for one trend; UnknownTrendError when none is named so."""
    for trend in context.topology.trends:
        if trend.name.casefold() == name.casefold():
            return trend_server(context, _resolve(context, trend.cluster))
    raise UnknownTrendError(f"no trend {name!r}; check [[trends]] name")


def trend_server(context: Context, cluster: str | None) -> TrendServer:
    chosen = pairs_of(context).active(ProcessType.TRENDS, cluster, TrendsProcess)
    if chosen is None:
        raise unavailable(ProcessType.TRENDS, cluster)
    return chosen.trends


def report_server_of(context: Context, name: str) -> ReportServer:
    """The active reports server's engine for one report; UnknownReportError when none."""
    for report in context.topology.reports:
        if report.name.casefold() == name.casefold():
            cluster = _resolve(context, report.cluster)
            chosen = pairs_of(context).active(ProcessType.REPORTS, cluster, ReportsProcess)
            if chosen is None:
                raise unavailable(ProcessType.REPORTS, cluster)
            return chosen.reports
    raise UnknownReportError(f"no report {name!r}; check [[reports]] name")
