"""Which I/O servers serve a tag, in the order a client tries them: one rule for the I/O server
(what it serves, emulator.processes.io) and for its clients (emulator.processes.io_routes).

A tag's owner is the I/O server its `io_server` names, else its cluster's first primary I/O
server; the cluster's standby I/O servers back a primary owner up (docs/plant.md "Tags"). In
Plant SCADA the standby takes over its primary's I/O devices when the primary fails; which
standby backs which primary is not published, so every standby of a cluster backs all of its
primaries (ours to decide).
"""

from __future__ import annotations

from emulator.topology.model import Topology


class IoOwners:
    """The I/O servers of every tag by (cluster, tag), case-folded: owner first, then standbys."""

    def __init__(self, topology: Topology) -> None:
        clusters = [c.name for c in topology.clusters]
        self._only = (clusters[0] if len(clusters) == 1 else "").casefold()
        self._first: dict[str, str] = {}
        self._standbys: dict[str, list[str]] = {}
        standbys: set[str] = set()
        primaries_first = sorted(
            (p for p in topology.server_processes if p.type == "io"),
            key=lambda p: p.mode != "primary",
        )
        for process in primaries_first:
            cluster = self.cluster_key(process.cluster)
            self._first.setdefault(cluster, process.name.casefold())
            if process.mode == "standby":
                standbys.add(process.name.casefold())
                self._standbys.setdefault(cluster, []).append(process.name.casefold())
        self._standby_names = frozenset(standbys)
        #: Each tag's configured I/O server, the first of duplicates as the Plant keeps them.
        self._configured: dict[tuple[str, str], str | None] = {}
        for tag in topology.tags:
            key = (self.cluster_key(tag.cluster), tag.name.casefold())
            self._configured.setdefault(key, tag.io_server)

    def cluster_key(self, cluster: str | None) -> str:
        """A cluster as compared: case-folded, the only cluster when it is left out."""
        return (cluster or self._only).casefold()

    def servers(self, cluster: str | None, tag: str) -> list[str]:
        """The case-folded names of the I/O servers that serve a tag, owner first."""
        key = self.cluster_key(cluster)
        owner = (self._configured.get((key, tag.casefold())) or self._first.get(key, "")).casefold()
        if not owner:
            return []
        if owner in self._standby_names:
            return [owner]
        return [owner, *(s for s in self._standbys.get(key, []) if s != owner)]
