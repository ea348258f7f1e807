"""The typed topology file: one Struct per table of Plant SCADA Studio's Topology activity.

Every field here is documented in docs/topology.md; the plant tables (users, tags, ...) live in
emulator.plant.config and are documented in docs/plant.md.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from emulator.plant.config import Alarm, AlarmCategory, Report, Tag, Trend, User

CtapiMode = Literal["disabled", "unencrypted", "mixed", "encrypted"]
ServerProcessType = Literal["alarm", "io", "reports", "trends"]
Mode = Literal["primary", "standby"]

PRIORITY_MIN = 1
PRIORITY_MAX = 32767


class Record(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of every table row; unknown keys are refused (the loader suggests the nearest)."""


class Project(Record):
    name: str = "Plant SCADA project"
    description: str = ""


class Computer(Record):
    name: str
    ctapi: CtapiMode = "mixed"
    odbc: bool = False
    #: PEM files of the computer's own TLS certificate and key; default: signed by the emulator CA.
    certificate: str | None = None
    private_key: str | None = None
    description: str = ""


class NetworkAddress(Record):
    name: str
    computer: str
    address: str
    description: str = ""


class Cluster(Record):
    name: str
    description: str = ""


class ServerProcess(Record):
    name: str
    type: ServerProcessType
    network_address: str | list[str]
    cluster: str | None = None
    mode: Mode = "primary"
    port: int | None = None
    priority: int = 1
    description: str = ""

    @property
    def network_addresses(self) -> list[str]:
        """The network address names as a list (one per network card)."""
        if isinstance(self.network_address, str):
            return [self.network_address]
        return list(self.network_address)


class Topology(Record):
    """The whole file. Table names are the TOML keys."""

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
)
