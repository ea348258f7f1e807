"""The recent event log of one runtime: the structlog events worth knowing, kept in memory.

A structlog processor (`tap`) copies every event logged inside a runtime's tasks into that
runtime's EventLog: the log is found through a context variable that the RuntimeManager sets
before the supervisor starts its tasks, so several plants in one process keep their own logs.
The RuntimeManager installs the tap when it is made; loggers bound earlier (the supervisor's
processes) are lazy, so they pick it up too.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import structlog

from emulator.logs import LIBRARY_PROCESSORS

#: Events kept per runtime; older ones are dropped (GET /events says how many were).
DEFAULT_CAPACITY = 2000

_current: ContextVar[EventLog | None] = ContextVar("scada_emu_event_log", default=None)
_SKIP = {"event", "level", "timestamp", "_record", "_from_structlog"}


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return str(value)


class EventLog:
    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.events: deque[dict[str, Any]] = deque(maxlen=capacity)
        self.sequence = 0
        #: Who waits for the next event: its loop and event (events may come from any thread).
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    def record(
        self, name: str, level: str = "info", fields: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        self.sequence += 1
        entry = {
            "seq": self.sequence,
            "time": time.time(),
            "event": name,
            "level": level,
            **{k: _plain(v) for k, v in (fields or {}).items() if k not in _SKIP},
        }
        self.events.append(entry)
        self._wake()
        return entry

    def _wake(self) -> None:
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for loop, event in list(self._waiters):
            if loop is running:
                event.set()
            elif not loop.is_closed():
                loop.call_soon_threadsafe(event.set)

    def since(self, seq: int = 0, prefix: str | None = None) -> list[dict[str, Any]]:
        """Events after `seq`, optionally only those whose name starts with `prefix`."""
        return [
            e
            for e in self.events
            if e["seq"] > seq and (prefix is None or str(e["event"]).startswith(prefix))
        ]

    @property
    def dropped(self) -> int:
        return self.sequence - len(self.events)

    async def wait_for(self, name: str, after: int = 0, **fields: Any) -> dict[str, Any]:
        """The first event named `name` (with those field values) after `after`; bound it
        with a timeout (anyio.fail_after)."""
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        self._waiters.append(waiter)
        try:
            while True:
                waiter[1].clear()
                for entry in self.since(after):
                    if entry["event"] == name and all(entry.get(k) == v for k, v in fields.items()):
                        return entry
                await waiter[1].wait()
        finally:
            self._waiters.remove(waiter)

    @contextmanager
    def active(self) -> Iterator[EventLog]:
        """Events logged in this context (and tasks started from it) go to this log."""
        token = _current.set(self)
        try:
            yield self
        finally:
            _current.reset(token)


def tap(logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """The structlog processor: copy the event into the current runtime's log."""
    log = _current.get()
    if log is not None:
        log.record(str(event_dict.get("event", "")), method, event_dict)
    return event_dict


def install() -> None:
    """Put `tap` into structlog's processors, before the renderer (once; again after any
    structlog.configure, which replaces the processors). Into the library's chain when nobody
    configured structlog, so a plant in a user's program logs as before it was made."""
    configured = structlog.is_configured()
    processors = list(structlog.get_config()["processors"] if configured else LIBRARY_PROCESSORS)
    if tap in processors:
        return
    processors.insert(max(len(processors) - 1, 0), tap)
    structlog.configure(processors=processors)
