"""The typed topology file: one Struct per table of Plant SCADA Studio's Topology activity.

Every field here is documented in docs/topology.md; the plant tables (users, tags, ...) live in
emulator.plant.config and are documented in docs/plant.md. Descriptions travel into the JSON
Schema that `scada-emu schema` prints for editors.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from emulator.plant.config import Alarm, AlarmCategory, Report, Tag, Trend, User
from emulator.scenario.config import (
    ControlSettings,
    FaultSpec,
    Generator,
    ScenarioSettings,
    TimelineEvent,
)

CtapiMode = Literal["disabled", "unencrypted", "mixed", "encrypted"]
ServerProcessType = Literal["alarm", "io", "reports", "trends"]
Mode = Literal["primary", "standby"]

PRIORITY_MIN = 1
PRIORITY_MAX = 32767


def _doc(text: str) -> msgspec.Meta:
    return msgspec.Meta(description=text)


class Record(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of every table row; unknown keys are refused (the loader suggests the nearest)."""


class Project(Record):
    """The project: its name shows in hello frames and logs."""

    name: Annotated[str, _doc("The project name.")] = "Plant SCADA project"
    description: Annotated[str, _doc("Free text.")] = ""
    server_password: Annotated[
        str | None,
        _doc(
            "The server password every server of the project shares (Plant SCADA's Computer "
            "Setup Wizard): a connection to a server port (2080-2088) that proves it may do "
            "anything there. Default: a random one per run, in the ready file."
        ),
    ] = None


class Computer(Record):
    """A computer of the Topology activity: it runs the per-computer listeners."""

    name: Annotated[str, _doc("The computer name, unique, no spaces; TLS certificates carry it.")]
    ctapi: Annotated[
        CtapiMode,
        _doc(
            "CtAPI listeners: disabled (none), unencrypted (2073 only), "
            "mixed (2073 and 3073), encrypted (3073 only)."
        ),
    ] = "mixed"
    odbc: Annotated[bool, _doc("true: this computer runs the ODBC server on 20222.")] = False
    certificate: Annotated[
        str | None,
        _doc("PEM file of this computer's TLS certificate; default: signed by the emulator CA."),
    ] = None
    private_key: Annotated[
        str | None, _doc("PEM file of the key of `certificate`; given together with it.")
    ] = None
    description: Annotated[str, _doc("Free text.")] = ""


class NetworkAddress(Record):
    """One network card of a computer: the IP address its listeners bind."""

    name: Annotated[str, _doc("Unique name, no spaces; server processes refer to it.")]
    computer: Annotated[str, _doc("The computer this card belongs to.")]
    address: Annotated[
        str,
        _doc("An IPv4 or IPv6 address (no zone index); not localhost, not a domain name."),
    ]
    description: Annotated[str, _doc("Free text.")] = ""


class Cluster(Record):
    """A cluster: at most one primary and one standby alarm, reports and trends server."""

    name: Annotated[str, _doc("Unique name, no spaces or dots (tags are addressed Cluster.Tag).")]
    description: Annotated[str, _doc("Free text.")] = ""


class ServerProcess(Record):
    """An alarm, I/O, reports or trends server process of one cluster."""

    name: Annotated[str, _doc("Unique name across the project.")]
    type: Annotated[ServerProcessType, _doc("alarm, io, reports or trends.")]
    network_address: Annotated[
        str | list[str],
        _doc("The network address name, or a list of names (one per network card)."),
    ]
    cluster: Annotated[
        str | None, _doc("The cluster; may be left out when there is exactly one cluster.")
    ] = None
    mode: Annotated[Mode, _doc("primary or standby.")] = "primary"
    port: Annotated[
        int | None,
        _doc("1..65535; default: the type's default port (alarm 2080, io 2082, ...)."),
    ] = None
    priority: Annotated[int, _doc("1..32767, lower is preferred by clients.")] = 1
    description: Annotated[str, _doc("Free text.")] = ""

    @property
    def network_addresses(self) -> list[str]:
        """The network address names as a list (one per network card)."""
        if isinstance(self.network_address, str):
            return [self.network_address]
        return list(self.network_address)


class Topology(Record):
    """A plant-scada-emulator topology file: one table per tab of Studio's Topology activity."""

    project: Project = msgspec.field(default_factory=Project)
    computers: list[Computer] = msgspec.field(default_factory=list)
    network_addresses: list[NetworkAddress] = msgspec.field(default_factory=list)
    clusters: list[Cluster] = msgspec.field(default_factory=list)
    server_processes: list[ServerProcess] = msgspec.field(default_factory=list)
    users: list[User] = msgspec.field(default_factory=list)
    tags: list[Tag] = msgspec.field(default_factory=list)
    alarm_categories: list[AlarmCategory] = msgspec.field(default_factory=list)
    alarms: list[Alarm] = msgspec.field(default_factory=list)
    trends: list[Trend] = msgspec.field(default_factory=list)
    reports: list[Report] = msgspec.field(default_factory=list)
    # Scenario tables (docs/scenarios.md, docs/control.md)
    scenario: ScenarioSettings = msgspec.field(default_factory=ScenarioSettings)
    generators: list[Generator] = msgspec.field(default_factory=list)
    timeline: list[TimelineEvent] = msgspec.field(default_factory=list)
    faults: list[FaultSpec] = msgspec.field(default_factory=list)
    control: ControlSettings = msgspec.field(default_factory=ControlSettings)


#: The array-of-tables keys of the file, in the order Plant SCADA sets them up.
RECORD_TABLES: tuple[str, ...] = (
    "computers",
    "network_addresses",
    "clusters",
    "server_processes",
    "users",
    "tags",
    "alarm_categories",
    "alarms",
    "trends",
    "reports",
    "generators",
    "timeline",
    "faults",
)

#: The single-table keys of the file ([project], [scenario], [control]).
SINGLE_TABLES: tuple[str, ...] = ("project", "scenario", "control")
