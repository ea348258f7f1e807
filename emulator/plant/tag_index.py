"""Tag references in the project's tables (`Tag` or `Cluster.Tag`), resolved at compile time.

The plant rules (alarms, trends, reports) and the scenario rules (generators, timeline) check
the same kind of reference; one index makes them accept the same names, and builds the lookup
once per compile instead of once per reference.
"""

from __future__ import annotations

from emulator.plant.config import Tag
from emulator.topology.model import Topology
from emulator.topology.names import Index


class TagIndex:
    """The tags of a topology by case-insensitive name (the first of duplicates wins)."""

    def __init__(self, model: Topology) -> None:
        self.tags = Index(model.tags, lambda t: t.name)
        self._clusters = {c.name.casefold() for c in model.clusters}

    def find(self, reference: str) -> Tag | None:
        """The tag `reference` names; a `Cluster.` prefix must name a defined cluster."""
        tag = self.tags.get(reference)
        if tag is not None:
            return tag
        cluster, _, rest = reference.partition(".")
        if rest and cluster.casefold() in self._clusters:
            return self.tags.get(rest)
        return None
