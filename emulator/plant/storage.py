"""Where a server process keeps its history: the alarm event log and statuses, trend samples.

One SQLite database per server process: `<state dir>/<process>.sqlite3` in WAL mode, or an
in-memory database when there is no state directory (the default in tests). Alarm events are
committed before `record_alarm_events` returns, so an acknowledgement reported done survives a
`kill -9`; trend samples are buffered and committed once the oldest buffered one is a second old
(the trends server calls `flush_due`), so a crash loses at most about the last second of samples.
Documented in docs/plant.md ("Persistence").
"""

from __future__ import annotations

import math
import os
import re
import sqlite3
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import msgspec

from emulator.logs import get_logger
from emulator.plant.alarms import AlarmEvent, AlarmStatus
from emulator.plant.storage_error import StorageError
from emulator.plant.trends import TrendSample

__all__ = ["FLUSH_INTERVAL", "StorageError", "Store", "damage", "private_file"]

log = get_logger(__name__)

#: Trend samples wait at most this long (plant seconds) in memory before they are committed.
FLUSH_INTERVAL = 1.0
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alarm_events (
    seq INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    time REAL NOT NULL,
    tag TEXT NOT NULL COLLATE NOCASE,
    body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS alarm_events_time ON alarm_events (time);
CREATE TABLE IF NOT EXISTS alarm_status (
    tag TEXT PRIMARY KEY COLLATE NOCASE,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS trend_samples (
    trend TEXT NOT NULL COLLATE NOCASE,
    time REAL NOT NULL,
    value REAL,
    quality INTEGER NOT NULL,
    PRIMARY KEY (trend, time)
) WITHOUT ROWID;
"""

#: The schema and its version in one transaction: one sync to disk, not one per table.
_META = f"INSERT OR IGNORE INTO meta VALUES ('schema', '{SCHEMA_VERSION}');"  # noqa: S608
_CREATE = f"BEGIN;{_SCHEMA}{_META}COMMIT;"

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


#: SQLite integers are 64-bit: a larger LIMIT means "all" anyway.
_MAX_LIMIT = 2**63 - 1


def _bound(value: float) -> float:
    """A time bound as SQLite takes it: an integer past the float range is -inf or +inf, so
    an absurd request gets an empty or a whole answer, not an OverflowError."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def damage(path: Path) -> str | None:
    """What is wrong with an existing history (or device) file, None when it is sound or
    absent."""
    try:
        size = path.stat().st_size
    except OSError:
        return None  # absent, or a folder that is not one: opening it says what is wrong
    try:
        db = sqlite3.connect(path)
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        finally:
            db.close()
    except sqlite3.OperationalError as exc:
        if size == 0:
            return "empty (0 bytes)"
        if "no such table" in str(exc):
            return "without the history tables (an SQLite file this emulator did not write)"
        return f"not readable ({exc})"
    except sqlite3.DatabaseError as exc:
        return f"not a readable SQLite database ({exc})"
    if row is None:
        return "without its schema record (not a history this emulator wrote)"
    return None


def private_file(path: Path) -> None:
    """The database's missing folders 0700 and the file 0600: the alarm log names who
    acknowledged what (docs/security.md)."""
    missing = [folder for folder in (path.parent, *path.parent.parents) if not folder.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


class Store:
    """The SQLite history of one server process."""

    def __init__(self, connection: sqlite3.Connection, path: Path | None) -> None:
        self._db = connection
        self.path = path
        self._pending: list[tuple[str, float, float | None, int]] = []
        self._oldest_pending: float | None = None
        self._encoder = msgspec.json.Encoder()
        self._event_decoder = msgspec.json.Decoder(AlarmEvent)
        self._status_decoder = msgspec.json.Decoder(AlarmStatus)
        #: What was wrong with the file found at open (then set aside), None when it was sound.
        self.damaged: str | None = None

    @classmethod
    def open(cls, state_dir: Path | None, name: str, *, set_aside: bool = False) -> Store:
        """The store of server process `name`: on disk under `state_dir`, else in memory.

        An existing file that is empty (0 bytes) or not this emulator's history (not SQLite, no
        history tables) is never taken for an empty history: StorageError says which file, what
        is wrong and what to do. With `set_aside` (the server has a peer to resynchronise from)
        the file is renamed `<file>.damaged-<time>` instead, a fresh one is made, and
        `damaged` says what was wrong (docs/plant.md, "Persistence")."""
        if state_dir is None:
            return cls.memory()
        path = Path(state_dir) / f"{_SAFE_NAME.sub('_', name)}.sqlite3"
        problem = damage(path)
        moved: Path | None = None
        if problem is not None:
            if not set_aside:
                raise StorageError(
                    f"the history database {path} is {problem}: it was truncated, replaced or "
                    "damaged since it was written, and the server has no peer to take its "
                    "history from; restore the file from a backup, or move it away to start "
                    f"{name} with an empty history"
                )
            moved = path.with_name(f"{path.name}.damaged-{int(time.time())}")
            for suffix in ("", "-wal", "-shm"):
                part = Path(f"{path}{suffix}")
                if part.exists():
                    part.replace(Path(f"{moved}{suffix}"))
        store = cls._connect(path)
        store.damaged = problem
        if moved is not None:
            log.warning(
                "history.damaged",
                path=str(path),
                problem=problem,
                moved_to=str(moved),
                action="starts as standby and takes its history from its peer",
            )
        log.info("history.opened", path=str(path))
        return store

    @classmethod
    def _connect(cls, path: Path) -> Store:
        try:
            private_file(path)
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            store = cls(connection, path)
            store._create()
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(
                f"cannot open the history database {path}: {exc}; "
                "check the state directory exists, is writable and holds no foreign file there"
            ) from exc
        return store

    @classmethod
    def memory(cls) -> Store:
        connection = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        store = cls(connection, None)
        store._create()
        return store

    def _create(self) -> None:
        # One sync to disk instead of one per table: a plant of 80 alarm and trend servers
        # spent 1.2 s of its start here.
        self._db.executescript(_CREATE)
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row[0] != str(SCHEMA_VERSION):
            raise StorageError(
                f"the history database has schema {row[0]}, this emulator writes "
                f"{SCHEMA_VERSION}; move the old file away"
            )

    def clear_history(self) -> None:
        """Forget every alarm event, alarm status and trend sample (`POST /reset` with history):
        the store is as a fresh run's."""
        self._pending, self._oldest_pending = [], None
        with self._transaction():
            for table in ("alarm_events", "alarm_status", "trend_samples"):
                self._db.execute(f"DELETE FROM {table}")  # noqa: S608 -- fixed names

    def close(self) -> None:
        """Commit what is buffered and close the database."""
        self.flush()
        self._db.close()

    # ---- alarms ------------------------------------------------------------------------------

    def record_alarm_events(self, events: Sequence[AlarmEvent]) -> None:
        """Log the events and their alarms' new statuses in one committed transaction."""
        with self._transaction():
            self._db.executemany(
                "INSERT OR IGNORE INTO alarm_events (uid, time, tag, body) VALUES (?, ?, ?, ?)",
                [(e.uid, e.time, e.tag, self._encoder.encode(e)) for e in events],
            )
            self._put_statuses(e.status for e in events)

    def alarm_events(
        self,
        start: float | None = None,
        end: float | None = None,
        tag: str | None = None,
        limit: int | None = None,
    ) -> list[AlarmEvent]:
        """Logged events with start <= time <= end (and of `tag`), oldest first; `limit`: newest."""
        where, args = ("tag = ?", [tag]) if tag is not None else ("1", [])
        rows = self._between(
            "SELECT body FROM alarm_events",
            where,
            args,
            start=start,
            end=end,
            limit=limit,
            newest_first="time DESC, seq DESC",
        )
        return [self._event_decoder.decode(row[0]) for row in rows]

    def alarm_statuses(self) -> dict[str, AlarmStatus]:
        rows = self._db.execute("SELECT body FROM alarm_status").fetchall()
        statuses = [self._status_decoder.decode(row[0]) for row in rows]
        return {s.tag: s for s in statuses}

    def merge_alarm_events(self, events: Sequence[AlarmEvent]) -> int:
        """Add the events this log lacks (by uid), statuses untouched; returns how many."""
        with self._transaction():
            before = self._db.total_changes
            self._db.executemany(
                "INSERT OR IGNORE INTO alarm_events (uid, time, tag, body) VALUES (?, ?, ?, ?)",
                [(e.uid, e.time, e.tag, self._encoder.encode(e)) for e in events],
            )
            return self._db.total_changes - before

    def replace_alarm_statuses(self, statuses: Sequence[AlarmStatus]) -> None:
        with self._transaction():
            self._db.execute("DELETE FROM alarm_status")
            self._put_statuses(statuses)

    def _put_statuses(self, statuses: Iterable[AlarmStatus]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO alarm_status (tag, body) VALUES (?, ?)",
            [(s.tag, self._encoder.encode(s)) for s in statuses],
        )

    # ---- trends ------------------------------------------------------------------------------

    def add_samples(self, trend: str, samples: Iterable[TrendSample], now: float) -> None:
        """Buffer samples; committed by `flush_due` within FLUSH_INTERVAL, or by `flush`."""
        rows = [(trend, s.time, s.value, s.quality) for s in samples]
        if rows and self._oldest_pending is None:
            self._oldest_pending = now
        self._pending += rows

    def flush_deadline(self) -> float | None:
        """When buffered samples must be committed (plant time), None when nothing waits."""
        if self._oldest_pending is None:
            return None
        return self._oldest_pending + FLUSH_INTERVAL

    def flush_due(self, now: float) -> bool:
        """Commit the buffer if its deadline has come; True when it did."""
        deadline = self.flush_deadline()
        if deadline is None or now < deadline:
            return False
        self.flush()
        return True

    def flush(self) -> None:
        if not self._pending:
            return
        with self._transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO trend_samples (trend, time, value, quality) "
                "VALUES (?, ?, ?, ?)",
                self._pending,
            )
        self._pending, self._oldest_pending = [], None

    def samples(
        self,
        trend: str,
        start: float | None = None,
        end: float | None = None,
        limit: int | None = None,
    ) -> list[TrendSample]:
        """Samples with start <= time <= end, oldest first; `limit`: the newest that many."""
        self.flush()
        rows = self._between(
            "SELECT time, value, quality FROM trend_samples",
            "trend = ?",
            [trend],
            start=start,
            end=end,
            limit=limit,
            newest_first="time DESC",
        )
        return [TrendSample(time, value, quality) for time, value, quality in rows]

    def latest_at(self, trend: str, time: float) -> TrendSample | None:
        """The newest sample at or before `time`."""
        self.flush()
        row = self._db.execute(
            "SELECT time, value, quality FROM trend_samples WHERE trend = ? AND time <= ? "
            "ORDER BY time DESC LIMIT 1",
            (trend, _bound(time)),
        ).fetchone()
        return None if row is None else TrendSample(*row)

    def earliest_after(self, trend: str, time: float) -> TrendSample | None:
        """The oldest sample strictly after `time`."""
        self.flush()
        row = self._db.execute(
            "SELECT time, value, quality FROM trend_samples WHERE trend = ? AND time > ? "
            "ORDER BY time ASC LIMIT 1",
            (trend, _bound(time)),
        ).fetchone()
        return None if row is None else TrendSample(*row)

    def fill_samples(self, trend: str, samples: Iterable[TrendSample]) -> int:
        """Add a peer's samples where this store has none at that time; returns how many."""
        self.flush()
        with self._transaction():
            before = self._db.total_changes
            self._db.executemany(
                "INSERT OR IGNORE INTO trend_samples (trend, time, value, quality) "
                "VALUES (?, ?, ?, ?)",
                [(trend, s.time, s.value, s.quality) for s in samples],
            )
            return self._db.total_changes - before

    # ---- internals ---------------------------------------------------------------------------

    def _between(
        self,
        select: str,
        where: str,
        args: list[str],
        *,
        start: float | None,
        end: float | None,
        limit: int | None,
        newest_first: str,
    ) -> list[tuple[Any, ...]]:
        """Rows of `select ... WHERE where` with start <= time <= end, oldest first; with
        `limit`, the newest that many. Only the fixed SQL fragments of this module come here."""
        clauses = [where]
        values: list[float | str | int] = [*args]
        if start is not None:
            clauses.append("time >= ?")
            values.append(_bound(start))
        if end is not None:
            clauses.append("time <= ?")
            values.append(_bound(end))
        sql = f"{select} WHERE {' AND '.join(clauses)} ORDER BY {newest_first}"
        if limit is not None:
            sql += " LIMIT ?"
            values.append(min(max(limit, 0), _MAX_LIMIT))
        rows: list[tuple[Any, ...]] = self._db.execute(sql, values).fetchall()
        rows.reverse()
        return rows

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db, self.path)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error); an SQLite failure is a StorageError."""

    def __init__(self, db: sqlite3.Connection, path: Path | None) -> None:
        self._db = db
        self._path = path

    def __enter__(self) -> None:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        try:
            if exc is None:
                self._db.execute("COMMIT")
                return
            self._db.execute("ROLLBACK")
        except sqlite3.Error as error:
            raise self._error(error) from error
        if isinstance(exc, sqlite3.Error):
            raise self._error(exc) from exc

    def _error(self, exc: sqlite3.Error) -> StorageError:
        where = self._path or "the in-memory history"
        return StorageError(
            f"cannot write {where}: {exc}; check free disk space and that nothing else holds "
            "the file"
        )
