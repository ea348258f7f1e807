"""The I/O server's side of server-to-server sync (docs/protocol.md "Between servers"): a peer
that sent `io.sync` gets every tag the server serves, then an `io.synced` push per change.

A record carries the field values in engineering units (one per array item), the general
quality, the value timestamp and whether this process drives the tag itself: what a peer needs
to hold the same value as the owner, and to catch up when it returns. Sans-IO.
"""

from __future__ import annotations

from collections.abc import Callable

from emulator.plant.state import TagState
from emulator.processes.base import Message
from emulator.protocol.messages import event

#: The push a syncing peer gets for each change of a tag it follows.
SYNCED = "io.synced"


def sync_record(state: TagState, served: bool = True) -> Message:
    """One tag's state as a peer applies it; `served`: this process drives the tag itself
    (it follows no other I/O server for it), so a peer that returns may catch up from it."""
    spec = state.spec
    return {
        "tag": spec.name,
        "values": [spec.eng(value) for value in state.field],
        "quality": state.quality.general,
        "value_timestamp": state.value_timestamp,
        "served": served,
    }


class SyncFeed:
    """What one syncing connection has been sent: each tag's version, to push only changes."""

    def __init__(
        self, tags: dict[str, TagState], follows: Callable[[str], bool] | None = None
    ) -> None:
        self.tags = tags
        self.follows = follows
        self.sent = {name: state.version for name, state in tags.items()}

    def snapshot(self) -> list[Message]:
        """Every tag now (the `io.sync` reply); later pushes start from here."""
        self.sent = {name: state.version for name, state in self.tags.items()}
        return [self._record(state) for state in self.tags.values()]

    def _record(self, state: TagState) -> Message:
        return sync_record(state, self.follows is None or not self.follows(state.spec.name))

    def pushes(self) -> list[Message]:
        """An `io.synced` push per tag changed since last sent."""
        out = []
        for name, state in self.tags.items():
            if self.sent.get(name) != state.version:
                self.sent[name] = state.version
                out.append(event(SYNCED, **self._record(state)))
        return out
