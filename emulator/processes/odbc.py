"""The ODBC server process (20222): read-only SQL over the plant's tags and alarms.

Each `sql` request runs one SELECT against an embedded SQLite database built for it from the
live plant: `tags`, `alarms` (every configured alarm with its status, from each cluster's alarm
main) and `alarm_events` (the newest events of those logs). Anything but reading is refused by
an SQLite authorizer, and the work of one statement is bounded. Documented with its limits in
docs/protocol.md ("ODBC server").
"""

from __future__ import annotations

import sqlite3
from typing import Any

from emulator.logs import get_logger
from emulator.processes.active import alarm_clusters
from emulator.processes.alarm import AlarmProcess
from emulator.processes.base import Message, Peer
from emulator.processes.context import Context
from emulator.processes.redundancy import pairs_of
from emulator.processes.serving import Quiet, Requests
from emulator.protocol.errors import BAD_REQUEST, SQL_ERROR, SQL_READ_ONLY, ProtocolError
from emulator.protocol.messages import RequestId, field, ok
from emulator.topology.plan import Endpoint

_log = get_logger("emulator.odbc")

MAX_SQL = 10_000
MAX_ROWS = 10_000
#: Newest alarm events per cluster in the `alarm_events` view.
MAX_EVENTS = 10_000
#: SQLite virtual-machine steps one statement may take (progress handler), about a second.
MAX_STEPS = 20_000_000
_STEP = 10_000

_SCHEMA = """
CREATE TABLE tags (name TEXT, cluster TEXT, type TEXT, value TEXT, number REAL, quality INTEGER,
    timestamp REAL, units TEXT, comment TEXT);
CREATE TABLE alarms (tag TEXT, name TEXT, description TEXT, type TEXT, cluster TEXT,
    category INTEGER, priority INTEGER, area INTEGER, state TEXT, "on" INTEGER, acked INTEGER,
    disabled INTEGER, on_time REAL, off_time REAL, condition TEXT, value TEXT);
CREATE TABLE alarm_events (time REAL, tag TEXT, kind TEXT, user TEXT, value TEXT,
    condition TEXT, category INTEGER, priority INTEGER, area INTEGER, cluster TEXT,
    comment TEXT, state TEXT);
"""

_READING = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    getattr(sqlite3, "SQLITE_RECURSIVE", 33),
}


class OdbcProcess:
    def __init__(self, endpoint: Endpoint, context: Context) -> None:
        self.endpoint = endpoint
        self.context = context

    def database(self) -> sqlite3.Connection:
        """A fresh in-memory copy of the plant's tags and alarms, open for reading only."""
        db = sqlite3.connect(":memory:")
        db.executescript(_SCHEMA)
        plant = self.context.plant
        db.executemany(
            "INSERT INTO tags VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_tag_row(plant, s.spec.name) for s in plant.tags],
        )
        pairs = pairs_of(self.context)
        for cluster in alarm_clusters(self.context):
            main = pairs.main(cluster, AlarmProcess)
            if main is None:
                continue  # no alarm server runs: its alarms are left out (documented)
            engine = main.alarms
            for config in main.configured:
                status = engine.status(config.tag)
                db.execute(
                    "INSERT INTO alarms VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        config.tag,
                        config.name,
                        config.description,
                        config.type,
                        main.endpoint.cluster,
                        config.category,
                        engine.priority(config.tag),
                        config.area,
                        status.state,
                        status.on,
                        status.acked,
                        status.disabled,
                        status.on_time,
                        status.off_time,
                        status.condition,
                        None if status.value is None else str(status.value),
                    ),
                )
            db.executemany(
                "INSERT INTO alarm_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        e.time,
                        e.tag,
                        e.kind,
                        e.user,
                        None if e.value is None else str(e.value),
                        e.condition,
                        e.category,
                        e.priority,
                        e.area,
                        e.cluster or main.endpoint.cluster,
                        e.comment,
                        e.state,
                    )
                    for e in engine.events(limit=MAX_EVENTS)
                ],
            )
        db.commit()
        db.set_authorizer(_authorize)
        steps = [0]

        def progress() -> int:
            steps[0] += _STEP
            return 1 if steps[0] > MAX_STEPS else 0

        db.set_progress_handler(progress, _STEP)
        return db

    def connect(self, peer: Peer) -> OdbcHandler:
        return OdbcHandler(self)


def _tag_row(plant: Any, name: str) -> tuple[Any, ...]:
    state = plant.tag(name)
    reading = plant.read(name)
    spec = state.spec
    return (
        spec.name,
        spec.cluster,
        spec.type,
        reading.value,
        reading.number,
        reading.quality.general,
        reading.value_timestamp,
        spec.units,
        spec.comment,
    )


def _authorize(action: int, *args: Any) -> int:
    return sqlite3.SQLITE_OK if action in _READING else sqlite3.SQLITE_DENY


def create(endpoint: Endpoint, context: Context) -> OdbcProcess:
    """The factory the runtime registers for ProcessType.ODBC."""
    return OdbcProcess(endpoint, context)


class OdbcHandler(Quiet):
    def __init__(self, process: OdbcProcess) -> None:
        self.process = process

    def hello(self) -> Message:
        return {"requests": REQUESTS.names(), "tables": ["tags", "alarms", "alarm_events"]}

    def handle(self, request: Message, now: float) -> list[Message]:
        return REQUESTS.serve(self, request, now)

    def _sql(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        text = field(request, "query", str)
        if len(text) > MAX_SQL:
            raise ProtocolError(BAD_REQUEST, f"the statement is over {MAX_SQL} characters")
        db = self.process.database()
        try:
            cursor = db.execute(text)
            rows = cursor.fetchmany(MAX_ROWS + 1)
            columns = [d[0] for d in cursor.description or []]
        except sqlite3.DatabaseError as exc:
            raise _sql_error(exc, text) from None
        except sqlite3.Warning as exc:  # e.g. two statements at once
            raise ProtocolError(SQL_ERROR, f"{exc}; send one SELECT per request") from None
        finally:
            db.close()
        truncated = len(rows) > MAX_ROWS
        _log.debug("odbc.sql", rows=len(rows), truncated=truncated)
        return [
            ok(
                rid,
                columns=columns,
                rows=[list(r) for r in rows[:MAX_ROWS]],
                truncated=truncated,
            )
        ]


def _sql_error(exc: sqlite3.DatabaseError, text: str) -> ProtocolError:
    message = str(exc)
    if "not authorized" in message or "prohibited" in message:
        return ProtocolError(
            SQL_READ_ONLY, f"{message}: the ODBC server runs SELECT statements only"
        )
    if "interrupted" in message:
        return ProtocolError(SQL_ERROR, "the statement took too long; narrow it")
    return ProtocolError(SQL_ERROR, f"{message} (tables: tags, alarms, alarm_events)")


REQUESTS: Requests[OdbcHandler] = Requests("ODBC server", {"sql": OdbcHandler._sql})
