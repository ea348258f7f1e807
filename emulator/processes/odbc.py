"""The ODBC server process (20222): read-only SQL over the plant's tags and alarms.

Each `sql` request runs one SELECT against an embedded SQLite database built for it from the
live plant: `tags`, `alarms` (every configured alarm with its status, from each cluster's alarm
main) and `alarm_events` (the newest events of those logs). Anything but reading is refused by
an SQLite authorizer. The rows are copied on the serving loop; the statement runs in a worker
thread (a Job) with its own limits of time, steps, value size, rows and result bytes, so one
client's query never stalls the others. Documented with its limits in docs/protocol.md
("ODBC server").
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from emulator.logs import get_logger
from emulator.processes.active import alarm_clusters
from emulator.processes.alarm import AlarmProcess
from emulator.processes.base import Job, Message, Peer
from emulator.processes.context import Context
from emulator.processes.redundancy import pairs_of
from emulator.processes.serving import Quiet, Requests
from emulator.protocol.errors import (
    BAD_REQUEST,
    QUERY_TIMEOUT,
    RESULT_TOO_LARGE,
    SQL_ERROR,
    SQL_READ_ONLY,
    ProtocolError,
)
from emulator.protocol.messages import RequestId, field, ok, parse_request
from emulator.topology.plan import Endpoint

_log = get_logger("emulator.odbc")

MAX_SQL = 10_000
MAX_ROWS = 10_000
#: Newest alarm events per cluster in the `alarm_events` view.
MAX_EVENTS = 10_000
#: SQLite virtual-machine steps one statement may take (progress handler), about a second.
MAX_STEPS = 20_000_000
#: Seconds one statement may run, whatever its steps cost.
MAX_SECONDS = 1.0
#: The longest string or blob a statement may make (SQLITE_LIMIT_LENGTH): 1 MiB, not 500 MB.
MAX_VALUE = 1 << 20
#: Bytes of rows (as JSON) one answer may hold, over its pages (`truncated` past it).
MAX_RESULT_BYTES = 8 << 20
_STEP = 10_000

_row_size = msgspec.json.Encoder().encode

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

    def snapshot(self) -> Snapshot:
        """The rows of the three tables as they are now (on the serving loop, in order)."""
        plant = self.context.plant
        tags = [_tag_row(plant, s.spec.name) for s in plant.tags]
        alarms: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        pairs = pairs_of(self.context)
        for cluster in alarm_clusters(self.context):
            main = pairs.main(cluster, AlarmProcess)
            if main is None:
                continue  # no alarm server runs: its alarms are left out (documented)
            engine = main.alarms
            for config in main.configured:
                status = engine.status(config.tag)
                alarms.append(
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
                    )
                )
            events.extend(
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
            )
        return Snapshot(tags, alarms, events)

    def connect(self, peer: Peer) -> OdbcHandler:
        return OdbcHandler(self)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Copies of the plant's rows: all a worker thread needs to run a statement."""

    tags: list[tuple[Any, ...]]
    alarms: list[tuple[Any, ...]]
    events: list[tuple[Any, ...]]

    def database(self, deadline: float) -> sqlite3.Connection:
        """The rows in a fresh in-memory database, read-only, its work bounded by `deadline`
        (time.monotonic), MAX_STEPS and MAX_VALUE. Any thread may call it (its own database)."""
        db = sqlite3.connect(":memory:", check_same_thread=False)
        db.executescript(_SCHEMA)
        db.executemany("INSERT INTO tags VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self.tags)
        db.executemany(
            "INSERT INTO alarms VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self.alarms,
        )
        db.executemany(
            "INSERT INTO alarm_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self.events
        )
        db.commit()
        db.set_authorizer(_authorize)
        db.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE)
        bounded = _bounded_printf()
        for name in ("printf", "format"):
            db.create_function(name, -1, bounded, deterministic=True)
        steps = [0]

        def progress() -> int:
            steps[0] += _STEP
            return 1 if steps[0] > MAX_STEPS or time.monotonic() > deadline else 0

        db.set_progress_handler(progress, _STEP)
        return db


#: A printf conversion: flags, width and precision (a number or `*`, an argument), type.
_CONVERSION = re.compile(r"%[-+ 0#,!]*(\*|\d+)?(?:\.(\*|\d+))?([a-zA-Z%])")


class WidthError(ValueError):
    """A printf width or precision past MAX_VALUE: SQLite would spend seconds making it."""


def _bounded_printf() -> Callable[..., Any]:
    """SQLite's printf, refusing a width or precision past MAX_VALUE before it runs: the
    built-in makes `printf('%.*c', 500000000, 'x')` one character at a time (seconds, in one
    call the progress handler cannot stop) before it gives up at the length limit."""
    real = sqlite3.connect(":memory:", check_same_thread=False)
    real.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE)

    def printf(text: Any, *args: Any) -> Any:
        if text is None:
            return None
        used = 0
        for match in _CONVERSION.finditer(str(text)):
            for given in match.group(1, 2):
                size: Any = given
                if given == "*":
                    size, used = (args[used] if used < len(args) else 0), used + 1
                if size is not None and abs(_integer(size)) > MAX_VALUE:
                    raise WidthError(size)
            used += match.group(3) != "%"
        marks = ", ".join("?" * (len(args) + 1))
        return real.execute(f"SELECT printf({marks})", (text, *args)).fetchone()[0]

    return printf


def _integer(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return 0


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

    def offload(self, request: Message, now: float) -> Job | None:
        """A `sql` request's job: the rows copied now, the statement run by a worker."""
        rid, op = parse_request(request)
        if op != "sql":
            return None
        text = field(request, "query", str)
        if len(text) > MAX_SQL:
            raise ProtocolError(BAD_REQUEST, f"the statement is over {MAX_SQL} characters")
        snapshot = self.process.snapshot()
        return Job(lambda: run_sql(rid, text, snapshot))

    def _sql(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        job = self.offload(request, now)
        assert job is not None
        return job.work()


def run_sql(rid: RequestId, text: str, snapshot: Snapshot) -> list[Message]:
    """Run one statement over `snapshot` within its limits: the reply (any thread)."""
    started = time.monotonic()
    db = snapshot.database(started + MAX_SECONDS)
    rows: list[list[Any]] = []
    size = 0
    truncated = False
    try:
        cursor = db.execute(text)
        columns = [d[0] for d in cursor.description or []]
        for row in cursor:
            if len(rows) == MAX_ROWS or size > MAX_RESULT_BYTES:
                truncated = True
                break
            rows.append(list(row))
            size += len(_row_size(rows[-1]))
    except sqlite3.DatabaseError as exc:
        raise _sql_error(exc, text) from None
    except sqlite3.Warning as exc:  # e.g. two statements at once
        raise ProtocolError(SQL_ERROR, f"{exc}; send one SELECT per request") from None
    finally:
        db.close()
    _log.debug("odbc.sql", rows=len(rows), truncated=truncated)
    return [ok(rid, columns=columns, rows=rows, truncated=truncated)]


def _sql_error(exc: sqlite3.DatabaseError, text: str) -> ProtocolError:
    message = str(exc)
    if "not authorized" in message or "prohibited" in message:
        return ProtocolError(
            SQL_READ_ONLY, f"{message}: the ODBC server runs SELECT statements only"
        )
    if "interrupted" in message:
        return ProtocolError(
            QUERY_TIMEOUT,
            f"the statement ran past {MAX_SECONDS} s or {MAX_STEPS} steps; narrow it",
        )
    if "user-defined function raised exception" in message:  # only the bounded printf raises
        return ProtocolError(
            RESULT_TOO_LARGE, f"a printf width or precision may be {MAX_VALUE} at most"
        )
    if "too big" in message:
        return ProtocolError(
            RESULT_TOO_LARGE, f"{message}: a value may be {MAX_VALUE} bytes at most"
        )
    return ProtocolError(SQL_ERROR, f"{message} (tables: tags, alarms, alarm_events)")


REQUESTS: Requests[OdbcHandler] = Requests("ODBC server", {"sql": OdbcHandler._sql})
