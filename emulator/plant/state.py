"""The shared plant state behind every process: tag values and the change feed.

Sans-IO: no sockets, no clock of its own (callers pass `now`).
"""

from __future__ import annotations

from collections.abc import Callable


class ChangeFeed:
    """Tells subscribers (the runtime's connections) that plant state changed."""

    def __init__(self) -> None:
        self._subscribers: dict[int, Callable[[], None]] = {}
        self._next = 0

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Register `callback`; returns the function that unsubscribes it."""
        key = self._next
        self._next += 1
        self._subscribers[key] = callback

        def unsubscribe() -> None:
            self._subscribers.pop(key, None)

        return unsubscribe

    def notify(self) -> None:
        for callback in list(self._subscribers.values()):
            callback()
