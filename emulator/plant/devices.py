"""What the plant's devices hold across a restart: the last write of each tag value a device
keeps, in `<state dir>/devices/<project>.sqlite3`.

A real plant's values live on in its PLCs when SCADA restarts; here the emulator is the PLC, so
a run that keeps its state (`scada-emu run --state-dir`) keeps them for it. Kept are the writes
that hold until the next one (docs/scenarios.md, "Writes"): field values of tags no generator
moves (none, or a `constant` one), override values and the OverrideMode and ControlMode
elements. Each write is committed before the write returns (WAL, synchronous=NORMAL: it
survives `kill -9`, not a power cut), so an acknowledged write is never lost. Documented in
docs/plant.md ("Persistence").
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from emulator.logs import get_logger
from emulator.plant.config import TagValue
from emulator.plant.refs import ELEMENTS, Element
from emulator.plant.state import Plant, TagState
from emulator.plant.storage import damage, private_file
from emulator.plant.storage_error import StorageError
from emulator.plant.tags import TagValueError
from emulator.protocol.errors import INTERNAL_ERROR, ProtocolError

if TYPE_CHECKING:
    from emulator.topology.model import Topology

log = get_logger(__name__)

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS held (
    tag TEXT NOT NULL COLLATE NOCASE,
    element TEXT NOT NULL,
    item INTEGER NOT NULL,
    value BLOB NOT NULL,
    time REAL NOT NULL,
    PRIMARY KEY (tag, element, item)
) WITHOUT ROWID;
"""
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def device_file(state_dir: Path, project: str) -> Path:
    return state_dir / "devices" / f"{_SAFE_NAME.sub('_', project) or 'project'}.sqlite3"


class DeviceStore:
    """The held values of one project's devices (SQLite)."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    @classmethod
    def open(cls, path: Path) -> DeviceStore:
        """Open or create the file; StorageError (which file, what is wrong, what to do) when
        it is empty, damaged or not this emulator's: never taken for devices that hold nothing.
        """
        problem = damage(path)
        if problem is not None:
            raise StorageError(
                f"the device values file {path} is {problem}: restore it from a backup, or move "
                "it away to start with the tags' initial values"
            )
        try:
            private_file(path)
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(
                f"cannot open the device values file {path}: {exc}; check the state directory "
                "is writable"
            ) from exc
        if row[0] != str(SCHEMA_VERSION):
            db.close()
            raise StorageError(
                f"the device values file {path} has schema {row[0]}, this emulator writes "
                f"{SCHEMA_VERSION}; move the old file away"
            )
        return cls(db, path)

    def held(self) -> list[tuple[str, Element, int, TagValue]]:
        """Every held value: (tag, element, item index, value); restoring never refuses one
        for another (`Plant.restore` checks no control mode), so their order is the table's."""
        found: list[tuple[str, Element, int, TagValue]] = []
        rows = self._db.execute("SELECT tag, element, item, value FROM held").fetchall()
        for tag, element, item, value in rows:
            try:
                found.append((str(tag), ELEMENTS[element], int(item), msgspec.json.decode(value)))
            except (KeyError, TypeError, ValueError) as exc:  # a row this emulator did not write
                log.warning("devices.restore_skipped", tag=tag, element=element, error=repr(exc))
        return found

    def keep(self, tag: str, element: Element, index: int, value: TagValue, now: float) -> None:
        """Commit one held value (the last write wins); StorageError when it cannot be."""
        try:
            self._db.execute(
                "INSERT OR REPLACE INTO held VALUES (?, ?, ?, ?, ?)",
                (tag, str(element), index, msgspec.json.encode(value), now),
            )
        except sqlite3.Error as exc:
            raise StorageError(
                f"cannot write the device values file {self.path}: {exc}; check free disk "
                "space and that nothing else holds the file"
            ) from exc

    def close(self) -> None:
        self._db.close()


def keeps(element: Element, index: int, moving: bool) -> bool:
    """Whether a device holds this write until the next one: every override value and mode;
    a field value unless a generator moves it (only the first item of an array is moved)."""
    return element is not Element.FIELD or not moving or index != 0


def moved_by_generators(plant: Plant, topology: Topology) -> set[TagState]:
    """The tags a generator other than `constant` moves: their values are made, not held."""
    moving: set[TagState] = set()
    for spec in topology.generators:
        if spec.kind != "constant":
            try:
                moving.add(plant.named(spec.tag))  # no reference parsed per tag
            except ProtocolError:
                continue  # an unknown tag: the compile reports it
    return moving


def hold_writes(
    plant: Plant, topology: Topology, store: DeviceStore, now: float
) -> Callable[[], None]:
    """Restore the held values into the plant (as writes, so a constant generator takes its
    value up), then keep every held write from now on. Returns the function that stops it."""
    moving = moved_by_generators(plant, topology)
    restored = 0
    for tag, element, index, value in store.held():
        try:
            plant.restore(tag, element, index, value, now)
            restored += 1
        except (ProtocolError, TagValueError, TypeError, ValueError) as exc:
            log.warning("devices.restore_skipped", tag=tag, element=str(element), error=str(exc))
    log.info("devices.restored", path=str(store.path), values=restored)

    def heard(state: TagState, element: Element, index: int, when: float) -> None:
        if not keeps(element, index, state in moving):
            return
        spec = state.spec
        name = f"{spec.cluster}.{spec.name}" if spec.cluster else spec.name
        value: TagValue
        match element:
            case Element.FIELD:
                value = spec.eng(state.field[index])
            case Element.OVERRIDE:
                value = spec.eng(state.override[index])
            case Element.OVERRIDE_MODE:
                value = state.override_mode
            case _:
                value = state.control_mode
        try:
            store.keep(name, element, index, value, when)
        except StorageError as exc:
            log.error("devices.keep_failed", tag=name, element=str(element), error=str(exc))
            raise ProtocolError(
                INTERNAL_ERROR, f"{name}: written, but not kept for a restart: {exc}"
            ) from None

    return plant.on_write(heard)
