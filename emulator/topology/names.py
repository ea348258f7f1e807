"""Name lookup as Plant SCADA does it: without regard to case, the first of duplicates wins.

The plan and the compile resolve references the same way through a Directory, so a reference
the compile accepts is the one the plan binds.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from emulator.topology.model import Cluster, Computer, NetworkAddress, ServerProcess, Topology

R = TypeVar("R")


def nearest(name: str, known: Sequence[str]) -> str | None:
    """The known name closest to `name` (case-insensitively), or None when none is close."""
    by_key = {k.casefold(): k for k in known}
    close = difflib.get_close_matches(name.casefold(), list(by_key), n=1, cutoff=0.6)
    return by_key[close[0]] if close else None


class Index(Generic[R]):
    """The records of one table by case-insensitive name, with their positions in the table."""

    def __init__(self, records: Sequence[R], name_of: Callable[[R], str]) -> None:
        self.records = records
        self.name_of = name_of
        self._positions: dict[str, int] = {}
        for position, record in enumerate(records):
            self._positions.setdefault(name_of(record).casefold(), position)

    def position(self, name: str) -> int | None:
        return self._positions.get(name.casefold())

    def get(self, name: str) -> R | None:
        position = self.position(name)
        return None if position is None else self.records[position]

    def names(self) -> list[str]:
        """Each distinct name once, as first spelled in the file."""
        return [self.name_of(self.records[p]) for p in self._positions.values()]


@dataclass(frozen=True, slots=True)
class Directory:
    """Every table of a topology that other tables refer to, by name."""

    topology: Topology
    computers: Index[Computer]
    network_addresses: Index[NetworkAddress]
    clusters: Index[Cluster]

    @classmethod
    def of(cls, topology: Topology) -> Directory:
        return cls(
            topology,
            Index(topology.computers, lambda c: c.name),
            Index(topology.network_addresses, lambda a: a.name),
            Index(topology.clusters, lambda c: c.name),
        )

    def computer_of(self, address: NetworkAddress) -> Computer | None:
        return self.computers.get(address.computer)

    def addresses_by_computer(self) -> dict[int, list[NetworkAddress]]:
        """Each computer's network addresses in file order, under the id() of the record
        computer_of finds: one pass, where a search per computer is quadratic in a large plant."""
        found: dict[int, list[NetworkAddress]] = {}
        for address in self.topology.network_addresses:
            computer = self.computer_of(address)
            if computer is not None:
                found.setdefault(id(computer), []).append(address)
        return found

    def cluster_of(self, process: ServerProcess) -> Cluster | None:
        """The process's cluster; a blank cluster means the only one, when there is one."""
        if is_blank(process.cluster):
            clusters = self.topology.clusters
            return clusters[0] if len(clusters) == 1 else None
        return self.clusters.get(process.cluster or "")

    def addresses_of(self, process: ServerProcess) -> list[NetworkAddress]:
        """The process's network addresses that exist, each once, in the order listed."""
        found: list[NetworkAddress] = []
        for name in process.network_addresses:
            address = self.network_addresses.get(name)
            if address is not None and all(a is not address for a in found):
                found.append(address)
        return found

    def computer_of_process(self, process: ServerProcess) -> Computer | None:
        """The computer of the process's first network address that resolves."""
        for address in self.addresses_of(process):
            computer = self.computer_of(address)
            if computer is not None:
                return computer
        return None


def is_blank(name: str | None) -> bool:
    return name is None or not name.strip()
