"""The I/O server's side of server-to-server sync (docs/protocol.md "Between servers"): a peer
that sent `io.sync` gets every tag the server serves, then an `io.synced` push per change.

A record carries the field values in engineering units (one per array item), the general
quality and the value timestamp: what a peer needs to hold the same value as the owner. Sans-IO.
"""

from __future__ import annotations

from emulator.plant.state import TagState
from emulator.processes.base import Message
from emulator.protocol.messages import event

#: The push a syncing peer gets for each change of a tag it follows.
SYNCED = "io.synced"


def sync_record(state: TagState) -> Message:
    """One tag's state as a peer applies it."""
    spec = state.spec
    return {
        "tag": spec.name,
        "values": [spec.eng(value) for value in state.field],
        "quality": state.quality.general,
        "value_timestamp": state.value_timestamp,
    }


class SyncFeed:
    """What one syncing connection has been sent: each tag's version, to push only changes."""

    def __init__(self, tags: dict[str, TagState]) -> None:
        self.tags = tags
        self.sent = {name: state.version for name, state in tags.items()}

    def snapshot(self) -> list[Message]:
        """Every tag now (the `io.sync` reply); later pushes start from here."""
        self.sent = {name: state.version for name, state in self.tags.items()}
        return [sync_record(state) for state in self.tags.values()]

    def pushes(self) -> list[Message]:
        """An `io.synced` push per tag changed since last sent."""
        out = []
        for name, state in self.tags.items():
            if self.sent.get(name) != state.version:
                self.sent[name] = state.version
                out.append(event(SYNCED, **sync_record(state)))
        return out
