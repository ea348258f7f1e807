"""From a compiled topology to the endpoints the runtime binds: one per listener.

The compile counts listeners with the same builders (computer_endpoints, process_endpoint,
alarm_database), so the clashes it reports are exactly the ones the runtime would hit.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal

from emulator.ports import CTAPI_PLAIN_PORT, CTAPI_TLS_PORT, ProcessType, default_port
from emulator.topology.model import Cluster, Computer, NetworkAddress, ServerProcess, Topology
from emulator.topology.names import Directory

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


def host_key(endpoint: Endpoint, address: str | None = None) -> tuple[str | None, int, str | None]:
    """Where a listener binds, as a host sees it: loopback belongs to its computer's host.

    Plant SCADA binds 127.x (and the alarm database's 5482) on each computer's own host, so two
    computers clash there only when they run on one host (shared_loopback says which do).
    """
    address = endpoint.address if address is None else address
    return (address, endpoint.port, endpoint.computer if is_loopback(endpoint.address) else None)


def shared_loopback(endpoints: list[Endpoint]) -> list[tuple[Endpoint, Endpoint]]:
    """Listeners of different computers on one loopback address and port: they clash only
    when those computers run on one host (one process), never across hosts."""
    first: dict[tuple[str, int], Endpoint] = {}
    pairs: list[tuple[Endpoint, Endpoint]] = []
    for endpoint in endpoints:
        if not is_loopback(endpoint.address):
            continue
        key = (ipaddress.ip_address(endpoint.address).compressed, endpoint.port)
        earlier = first.setdefault(key, endpoint)
        if earlier.computer != endpoint.computer:
            pairs.append((earlier, endpoint))
    return pairs


def plan(topology: Topology) -> list[Endpoint]:
    """Every listener of a topology that compiled without errors, per computer in file order.

    References that do not resolve are skipped rather than raised on: the compile reports them.
    """
    directory = Directory.of(topology)
    # Addresses and process listeners filed once under their computer (by identity, as
    # computer_of finds it), so a plant of many computers is not searched again per computer.
    own = directory.addresses_by_computer()
    served: dict[int, list[tuple[ServerProcess, NetworkAddress, Cluster | None]]] = {}
    for process in topology.server_processes:
        cluster = directory.cluster_of(process)
        for address in directory.addresses_of(process):
            computer = directory.computer_of(address)
            if computer is not None:
                served.setdefault(id(computer), []).append((process, address, cluster))
    endpoints: list[Endpoint] = []
    for computer in topology.computers:
        if directory.computers.get(computer.name) is not computer:
            continue  # a duplicate name: the compile reports it
        hosts_alarm = False
        for process, address, cluster in served.get(id(computer), []):
            endpoints.append(process_endpoint(computer, process, address, cluster))
            hosts_alarm |= process.type == "alarm"
        addresses = own.get(id(computer), [])
        for address in addresses:
            endpoints += computer_endpoints(computer, address)
        if hosts_alarm:
            endpoints.append(alarm_database(computer, addresses))
    return endpoints


def process_endpoint(
    computer: Computer, process: ServerProcess, address: NetworkAddress, cluster: Cluster | None
) -> Endpoint:
    """The listener of a server process on one of its network addresses."""
    ptype = ProcessType(process.type)
    return Endpoint(
        computer=computer.name,
        process=process.name,
        type=ptype,
        address=address.address,
        port=process.port if process.port is not None else default_port(ptype),
        tls=encrypted_only(computer),
        cluster=None if cluster is None else cluster.name,
        mode=process.mode,
        priority=process.priority,
        network_address=address.name,
    )


def computer_endpoints(computer: Computer, address: NetworkAddress) -> list[Endpoint]:
    """The per-computer listeners on one network address: CtAPI per mode, 2087, 2088, ODBC."""

    def make(ptype: ProcessType, port: int, tls: bool = False) -> Endpoint:
        return Endpoint(
            computer.name,
            COMPUTER_PROCESS_NAMES[ptype],
            ptype,
            address.address,
            port,
            tls=tls,
            network_address=address.name,
        )

    endpoints = []
    if computer.ctapi in ("unencrypted", "mixed"):
        endpoints.append(make(ProcessType.CTAPI, CTAPI_PLAIN_PORT))
    if computer.ctapi in ("mixed", "encrypted"):
        endpoints.append(make(ProcessType.CTAPI, CTAPI_TLS_PORT, tls=True))
    tls = encrypted_only(computer)
    endpoints.append(
        make(ProcessType.SYSTEM_SERVICES, default_port(ProcessType.SYSTEM_SERVICES), tls=tls)
    )
    endpoints.append(make(ProcessType.TIME_SYNC, default_port(ProcessType.TIME_SYNC), tls=tls))
    if computer.odbc:
        endpoints.append(make(ProcessType.ODBC, default_port(ProcessType.ODBC), tls=tls))
    return endpoints


def encrypted_only(computer: Computer) -> bool:
    """An encrypted-only computer speaks TLS on every port that leaves it (ours: reference
    section 4 names CtAPI's setting; a computer that refuses plaintext CtAPI refuses it between
    servers too). Only the alarm database, which never leaves loopback, stays plain."""
    return computer.ctapi == "encrypted"


def alarm_database(computer: Computer, addresses: list[NetworkAddress]) -> Endpoint:
    """5482 is local to the computer: its own loopback address if it has one, else 127.0.0.1."""
    address = next((a.address for a in addresses if is_loopback(a.address)), LOOPBACK)
    return Endpoint(
        computer.name,
        COMPUTER_PROCESS_NAMES[ProcessType.ALARM_DB],
        ProcessType.ALARM_DB,
        address,
        default_port(ProcessType.ALARM_DB),
    )
