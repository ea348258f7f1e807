"""The default-port table of Plant SCADA: the one place every other module asks.

Source: "Server Processes → Default Ports" (docs.aveva.com/bundle/plant-scada/page/1040274.html),
kept as shared/reference/seed-server-processes.txt.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ProcessType(StrEnum):
    """Every kind of listener the runtime opens, in Plant SCADA's vocabulary."""

    CTAPI = "ctapi"
    ALARM = "alarm"
    IO = "io"
    REPORTS = "reports"
    TRENDS = "trends"
    SYSTEM_SERVICES = "system_services"
    TIME_SYNC = "time_sync"
    ALARM_DB = "alarm_db"
    ODBC = "odbc"


class Scope(StrEnum):
    """Who owns a listener: a server process of a cluster, the computer's runtime, or localhost."""

    SERVER_PROCESS = "server process"
    COMPUTER = "computer"
    LOCAL = "local"


@dataclass(frozen=True, slots=True)
class DefaultPort:
    port: int
    type: ProcessType
    title: str
    scope: Scope
    tls: bool
    note: str


CTAPI_PLAIN_PORT = 2073
CTAPI_TLS_PORT = 3073

DEFAULT_PORTS: tuple[DefaultPort, ...] = (
    DefaultPort(
        2073,
        ProcessType.CTAPI,
        "CtAPI",
        Scope.COMPUTER,
        False,
        "Opened with 3073 while a CtAPI application runs (mixed mode); "
        "not used when the connection is fully encrypted.",
    ),
    DefaultPort(2080, ProcessType.ALARM, "Alarm server", Scope.SERVER_PROCESS, False, ""),
    DefaultPort(2082, ProcessType.IO, "I/O server", Scope.SERVER_PROCESS, False, ""),
    DefaultPort(2084, ProcessType.REPORTS, "Reports server", Scope.SERVER_PROCESS, False, ""),
    DefaultPort(2085, ProcessType.TRENDS, "Trends server", Scope.SERVER_PROCESS, False, ""),
    DefaultPort(
        2087, ProcessType.SYSTEM_SERVICES, "System services process", Scope.COMPUTER, False, ""
    ),
    DefaultPort(
        2088, ProcessType.TIME_SYNC, "Time synchronization port", Scope.COMPUTER, False, ""
    ),
    DefaultPort(
        3073,
        ProcessType.CTAPI,
        "CtAPI (encrypted)",
        Scope.COMPUTER,
        True,
        "TLS. The only CtAPI port when the connection is fully encrypted (mixed mode off).",
    ),
    DefaultPort(
        5482,
        ProcessType.ALARM_DB,
        "Alarm server database",
        Scope.LOCAL,
        False,
        "Only between the alarm server and its database on the same computer; "
        "never bound to a non-loopback address.",
    ),
    DefaultPort(
        20222,
        ProcessType.ODBC,
        "ODBC server",
        Scope.COMPUTER,
        False,
        "Only when the computer is configured to run as an ODBC server.",
    ),
)

#: Plant SCADA's compile error, verbatim: a default port used on another type of process.
RESERVED_PORT_MESSAGE = "Invalid port number (2080-2088,2073,3073,5482,20222 are reserved)."

#: The message names the whole range 2080-2088, so 2081, 2083 and 2086 are reserved too.
RESERVED_RANGE = range(2080, 2089)
RESERVED_PORTS: frozenset[int] = frozenset(RESERVED_RANGE) | frozenset(
    p.port for p in DEFAULT_PORTS
)

#: Reserved in earlier versions for legacy connections; no longer used (a warning, not an error).
LEGACY_PORTS = range(2074, 2080)

#: The process types a user adds in the Topology activity; the others belong to the computer.
TOPOLOGY_TYPES: tuple[ProcessType, ...] = (
    ProcessType.ALARM,
    ProcessType.IO,
    ProcessType.REPORTS,
    ProcessType.TRENDS,
)

#: Types of which a cluster holds at most one primary and one standby.
REDUNDANT_PAIR_TYPES: tuple[ProcessType, ...] = (
    ProcessType.ALARM,
    ProcessType.REPORTS,
    ProcessType.TRENDS,
)

PORT_MIN = 1
PORT_MAX = 65535


def default_port(process_type: ProcessType, *, tls: bool = False) -> int:
    """The default port of a process type (CtAPI has one plain and one TLS port)."""
    for entry in DEFAULT_PORTS:
        if entry.type is process_type and entry.tls == tls:
            return entry.port
    raise KeyError(f"no default port for {process_type} (tls={tls})")


def type_title(process_type: ProcessType) -> str:
    """How messages name a process type: "Alarm server", "I/O server", "CtAPI", ..."""
    for entry in DEFAULT_PORTS:
        if entry.type is process_type:
            return entry.title
    raise KeyError(process_type)


def port_owner(port: int) -> DefaultPort | None:
    """The table entry a port belongs to, or None for ports no process type owns."""
    for entry in DEFAULT_PORTS:
        if entry.port == port:
            return entry
    return None


def reserved_for_another_type(port: int, process_type: ProcessType) -> bool:
    """True when `port` is reserved and is not the default port of `process_type`."""
    if port not in RESERVED_PORTS:
        return False
    owner = port_owner(port)
    return owner is None or owner.type is not process_type
