"""From a compiled topology to the endpoints the runtime binds: one per listener."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal

from emulator.ports import CTAPI_PLAIN_PORT, CTAPI_TLS_PORT, ProcessType, default_port
from emulator.topology.model import Computer, Topology

#: The names under which per-computer listeners appear in plans, logs and the ready file.
COMPUTER_PROCESS_NAMES: dict[ProcessType, str] = {
    ProcessType.CTAPI: "CtAPI",
    ProcessType.SYSTEM_SERVICES: "SystemServices",
    ProcessType.TIME_SYNC: "TimeSync",
    ProcessType.ALARM_DB: "AlarmDatabase",
    ProcessType.ODBC: "ODBC",
}

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One listener: which computer and process it belongs to, where it binds, TLS or not."""

    computer: str
    process: str
    type: ProcessType
    address: str
    port: int
    tls: bool = False
    cluster: str | None = None
    mode: Literal["primary", "standby"] | None = None
    priority: int | None = None
    network_address: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """Identifies the server process (a process may listen on several endpoints)."""
        return (self.computer, self.process)


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def plan(topology: Topology) -> list[Endpoint]:
    """Every listener of a topology that compiled without errors, per computer in file order."""
    by_name = {c.name.casefold(): c for c in topology.computers}
    addresses = {a.name.casefold(): a for a in topology.network_addresses}
    only_cluster = topology.clusters[0].name if len(topology.clusters) == 1 else None
    clusters = {c.name.casefold(): c.name for c in topology.clusters}

    endpoints: list[Endpoint] = []
    for computer in topology.computers:
        own = [
            a
            for a in topology.network_addresses
            if a.computer.casefold() == computer.name.casefold()
        ]
        for process in topology.server_processes:
            ptype = ProcessType(process.type)
            cluster = clusters.get((process.cluster or "").casefold(), only_cluster)
            for address_name in process.network_addresses:
                address = addresses[address_name.casefold()]
                if by_name[address.computer.casefold()] is not computer:
                    continue
                endpoints.append(
                    Endpoint(
                        computer=computer.name,
                        process=process.name,
                        type=ptype,
                        address=address.address,
                        port=process.port if process.port is not None else default_port(ptype),
                        cluster=cluster,
                        mode=process.mode,
                        priority=process.priority,
                        network_address=address.name,
                    )
                )
        for address in own:
            endpoints += _computer_endpoints(computer, address.address, address.name)
        hosts_alarm = any(
            e.type is ProcessType.ALARM and e.computer == computer.name for e in endpoints
        )
        if hosts_alarm and own:
            endpoints.append(_alarm_database(computer, [a.address for a in own]))
    return endpoints


def _computer_endpoints(computer: Computer, address: str, name: str) -> list[Endpoint]:
    def make(ptype: ProcessType, port: int, tls: bool = False) -> Endpoint:
        return Endpoint(
            computer.name,
            COMPUTER_PROCESS_NAMES[ptype],
            ptype,
            address,
            port,
            tls=tls,
            network_address=name,
        )

    endpoints = []
    if computer.ctapi in ("unencrypted", "mixed"):
        endpoints.append(make(ProcessType.CTAPI, CTAPI_PLAIN_PORT))
    if computer.ctapi in ("mixed", "encrypted"):
        endpoints.append(make(ProcessType.CTAPI, CTAPI_TLS_PORT, tls=True))
    endpoints.append(make(ProcessType.SYSTEM_SERVICES, default_port(ProcessType.SYSTEM_SERVICES)))
    endpoints.append(make(ProcessType.TIME_SYNC, default_port(ProcessType.TIME_SYNC)))
    if computer.odbc:
        endpoints.append(make(ProcessType.ODBC, default_port(ProcessType.ODBC)))
    return endpoints


def _alarm_database(computer: Computer, addresses: list[str]) -> Endpoint:
    """5482 is local to the computer: its own loopback address if it has one, else 127.0.0.1."""
    address = next((a for a in addresses if is_loopback(a)), LOOPBACK)
    return Endpoint(
        computer.name,
        COMPUTER_PROCESS_NAMES[ProcessType.ALARM_DB],
        ProcessType.ALARM_DB,
        address,
        default_port(ProcessType.ALARM_DB),
    )
