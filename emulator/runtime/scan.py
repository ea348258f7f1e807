"""The plant scan: steps the alarm, trends and reports engines of running server processes.

A server process that has work of its own over time (evaluate alarms, sample trends, run
reports) implements `Scanned`. One task per runtime calls `scan(now)` on every running one when
a tag changes and when the earliest `next_scan` falls due, then tells the connections (the
ChangeFeed) when something happened, so subscribers get their pushes. A stopped or crashed
process is not scanned: that is the gap a returning trends server fills from its peer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol, cast, runtime_checkable

import anyio

from emulator.logs import get_logger
from emulator.plant.clock import Clock, VirtualClock
from emulator.processes.context import Context, ProcessState
from emulator.runtime.process import ProcessRuntime

_log = get_logger("emulator.scan")

#: Real seconds between two scans at least, so a burst of tag changes costs one scan.
MIN_INTERVAL = 0.02
#: Real seconds the scan waits at most, even when nothing is due (a safety net).
MAX_WAIT = 1.0


@runtime_checkable
class Scanned(Protocol):
    def scan(self, now: float) -> bool:
        """Do what is due at `now`; True when clients should hear of it (changes.notify)."""
        ...

    def next_scan(self, now: float) -> float | None:
        """When `scan` has work next, in plant time; None: only on a tag change."""
        ...


@runtime_checkable
class Closing(Protocol):
    def close(self) -> None:
        """The process stops gracefully: commit what it buffers (trend samples)."""
        ...


_SCANNED: dict[type, bool] = {}


def is_scanned(engine: object) -> bool:
    """isinstance(engine, Scanned), cached per class (a Protocol check is slow, and runs per
    process per scan)."""
    kind = type(engine)
    known = _SCANNED.get(kind)
    if known is None:
        known = _SCANNED[kind] = isinstance(engine, Scanned)
    return known


def scan_once(
    processes: Iterable[ProcessRuntime], now: float, *, strict: bool = False
) -> tuple[bool, float | None]:
    """Scan every running Scanned process once: (anything to tell, the next due time).

    `strict`: only due times after `now` count (the scheduler has just scanned at `now`).
    """
    changed = False
    dues: list[float] = []
    for proc in processes:
        if proc.state is not ProcessState.RUNNING or not is_scanned(proc.process):
            continue
        engine = cast(Scanned, proc.process)
        try:
            changed |= engine.scan(now)
            due = engine.next_scan(now)
        except Exception as exc:  # one broken engine must not stop the others
            _log.exception("scan.failed", process=proc.name, error=repr(exc))
            continue
        if due is not None and (due > now or not strict):
            dues.append(due)
    return changed, min(dues, default=None)


def next_scan(processes: Iterable[ProcessRuntime], now: float) -> float | None:
    """The earliest `next_scan` of the running Scanned processes, without scanning."""
    dues: list[float] = []
    for proc in processes:
        if proc.state is not ProcessState.RUNNING or not is_scanned(proc.process):
            continue
        try:
            due = cast(Scanned, proc.process).next_scan(now)
        except Exception as exc:
            _log.exception("scan.failed", process=proc.name, error=repr(exc))
            continue
        if due is not None:
            dues.append(due)
    return min(dues, default=None)


async def run_scans(processes: Callable[[], Iterable[ProcessRuntime]], context: Context) -> None:
    """Scan until cancelled (the supervisor runs this in its task group)."""
    clock = context.clock
    wake = anyio.Event()

    def on_change() -> None:
        wake.set()

    unsubscribe = context.changes.subscribe(on_change)
    try:
        while True:
            wake = anyio.Event()
            if context.scans_held:  # a virtual-clock advance runs the scans at its events' times
                changed, due = False, None
            else:
                changed, due = scan_once(list(processes()), clock.now())
            if changed:
                context.changes.notify()  # wakes this loop once more too: a cheap, idle scan
            await anyio.sleep(MIN_INTERVAL)
            with anyio.move_on_after(_delay(clock, due)):
                await wake.wait()
    finally:
        unsubscribe()


def _delay(clock: Clock, due: float | None) -> float:
    """Real seconds until `due` (plant time); a virtual clock moves only when told to."""
    if due is None or isinstance(clock, VirtualClock):
        return MAX_WAIT
    plant = max(due - clock.now(), 0.0)
    real_seconds = getattr(clock, "real_seconds", None)
    real = real_seconds(plant) if callable(real_seconds) else plant
    return float(min(max(real, 0.0), MAX_WAIT))
