"""CtAPI's find family on the CtAPI session: searches over tables and query strings. Sans-IO.

`ctFindFirst(h, table, filter, &obj, flags)` with the tables of 1150514 (`Tag` and `Trend`
here, the others in emulator.processes.ctapi_tables) or a `TRNQUERY,...` / `ALMQUERY,...`
string in place of the table. The records are taken once, at `find.first` (a snapshot, as a
cursor over a result set), and every move returns the record it lands on, so `ctGetProperty`
needs no request. Alarm and trend records come from the cluster's active server
(emulator.processes.active); with none running the search fails with `server_unavailable`.
Documented in docs/ctapi.md ("Find").
"""

from __future__ import annotations

import fnmatch
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from emulator.logs import get_logger
from emulator.plant import almquery, ctapitrend, trnquery
from emulator.plant.config import TagValue
from emulator.processes import active, ctapi_tables
from emulator.processes.base import Job, Message
from emulator.processes.context import Context
from emulator.processes.serving import engine_errors
from emulator.protocol.errors import (
    INVALID_ARGUMENT,
    NO_MORE_RECORDS,
    UNKNOWN_HANDLE,
    ProtocolError,
)
from emulator.protocol.messages import RequestId, ok, parse_request
from emulator.protocol.messages import field as request_field

_log = get_logger("emulator.ctapi.find")

Record = dict[str, TagValue]

#: ctFindScroll's dwMode (ctapi.h CT_FIND_SCROLL_*).
SCROLL_NEXT, SCROLL_PREV, SCROLL_FIRST, SCROLL_LAST, SCROLL_ABSOLUTE, SCROLL_RELATIVE = range(1, 7)
#: Searches one connection may hold open at once, and records one search may hold.
MAX_SEARCHES = 256
MAX_RECORDS = 100_000

#: ctFindFirst's tables, in 1150514's order.
TABLES = ctapi_tables.ORDER
_FILTER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


@dataclass(slots=True)
class Search:
    """One open search: its records and where it stands (-1: before the first)."""

    table: str
    records: list[Record]
    position: int = -1


@dataclass(slots=True)
class Searches:
    """The open searches of one CtAPI connection (ctClose does not free them, as in CtAPI)."""

    open: dict[int, Search] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add(self, search: Search) -> int:
        if len(self.open) >= MAX_SEARCHES:
            raise ProtocolError(
                INVALID_ARGUMENT, f"{MAX_SEARCHES} searches are open; close some with find.close"
            )
        handle = next(self._ids)
        self.open[handle] = search
        return handle

    def get(self, handle: int) -> Search:
        search = self.open.get(handle)
        if search is None:
            raise ProtocolError(UNKNOWN_HANDLE, f"no open search {handle}")
        return search


# ---- filters ----------------------------------------------------------------------------------


def parse_filter(text: str) -> list[tuple[str, str]]:
    """`FIELD=pattern` terms, separated by `;` (or spaces when there is no `;`); a bare
    pattern matches TAG. Patterns take `*` and `?`; case does not count."""
    text = text.strip()
    if not text:
        return []
    parts = text.split(";") if ";" in text else text.split()
    terms = []
    for part in parts:
        if not part.strip():
            continue
        match = _FILTER.match(part)
        if match is None:
            if "=" in part:
                raise ProtocolError(
                    INVALID_ARGUMENT,
                    f"filter term {part.strip()!r}: write FIELD=pattern, e.g. TAG=PUMP*",
                )
            terms.append(("TAG", part.strip()))
        else:
            terms.append((match.group(1).upper(), match.group(2)))
    return terms


def matches(record: Record, terms: list[tuple[str, str]]) -> bool:
    for name, pattern in terms:
        if name not in record:
            return False
        value = record[name]
        text = ("1" if value else "0") if isinstance(value, bool) else str(value)
        if not fnmatch.fnmatchcase(text.casefold(), pattern.casefold()):
            return False
    return True


# ---- tables -----------------------------------------------------------------------------------


def _blank(value: float | None) -> TagValue:
    return "" if value is None else value


def tag_records(context: Context) -> list[Record]:
    """The Tag table: every variable tag of the project (no server needed: the project's own)."""
    only = context.topology.clusters[0].name if len(context.topology.clusters) == 1 else ""
    return [
        {
            "TAG": tag.name,
            "TYPE": tag.type.upper(),
            "RAW_ZERO": _blank(tag.raw_zero),
            "RAW_FULL": _blank(tag.raw_full),
            "ENG_ZERO": _blank(tag.eng_zero),
            "ENG_FULL": _blank(tag.eng_full),
            "ENG_UNITS": tag.eng_units,
            "COMMENT": tag.comment,
            "CLUSTER": tag.cluster or only,
        }
        for tag in context.topology.tags
    ]


def trend_records(context: Context, terms: list[tuple[str, str]]) -> list[Record]:
    """The Trend table, from the active trends server of each cluster the filter allows."""
    tags = {t.name.casefold(): t for t in context.topology.tags}
    only = context.topology.clusters[0].name if len(context.topology.clusters) == 1 else ""
    records: list[Record] = []
    for trend in context.topology.trends:
        cluster = trend.cluster or only
        if not matches({"CLUSTER": cluster}, [t for t in terms if t[0] == "CLUSTER"]):
            continue
        active.trend_server(context, cluster or None)  # server_unavailable when none runs
        tag = tags.get(trend.tag.casefold())
        records.append(
            {
                "TAG": trend.name,
                "RAW_ZERO": _blank(tag.raw_zero) if tag else "",
                "RAW_FULL": _blank(tag.raw_full) if tag else "",
                "ENG_ZERO": _blank(tag.eng_zero) if tag else "",
                "ENG_FULL": _blank(tag.eng_full) if tag else "",
                "ENG_UNITS": tag.eng_units if tag else "",
                "COMMENT": trend.comment,
                "SAMPLEPER": trend.sample_period,
                "TYPE": trend.type.upper(),
                "CLUSTER": cluster,
            }
        )
    return records


def query_records(context: Context, text: str, now: float) -> list[Record]:
    """The records of a TRNQUERY or ALMQUERY string."""
    return query_reader(context, text, now)()


def query_reader(context: Context, text: str, now: float) -> Callable[[], list[Record]]:
    """Read what a TRNQUERY or ALMQUERY string needs from its server's history now; the
    function returned makes its records (pure: any thread)."""
    if ctapitrend.is_ctapitrend(text):
        records = ctapitrend_records(context, text, now)
        return lambda: records
    head = text.split(",", 1)[0].strip().upper()
    if head == "TRNQUERY":
        query = trnquery.parse(text)
        found = trnquery.fetch(active.trend_server_of(context, query.tag), query)
        return lambda: [
            dict(r.fields(query.data_mode)) for r in trnquery.records(query, *found, now)
        ]
    alarm_query = almquery.parse(text)
    events = almquery.fetch(active.alarm_server_of(context, alarm_query.tag), alarm_query)
    return lambda: [dict(r.fields()) for r in almquery.answer(alarm_query, events)]


def query_cluster(context: Context, text: str, now: float) -> str:
    """The cluster of the trend or alarm a query string names ("" when it names none)."""
    if ctapitrend.is_ctapitrend(text):
        name, items = ctapitrend.parse(text, now, lambda tag: 1.0).field, "trends"
    elif text.split(",", 1)[0].strip().upper() == "TRNQUERY":
        name, items = trnquery.parse(text).tag, "trends"
    else:
        name, items = almquery.parse(text).tag, "alarms"
    only = context.topology.clusters[0].name if len(context.topology.clusters) == 1 else ""
    if items == "trends":
        owners = [(t.name, t.cluster) for t in context.topology.trends]
    else:
        owners = [(a.tag, a.cluster) for a in context.topology.alarms]
    return next((c or only for n, c in owners if n.casefold() == name.casefold()), "")


def ctapitrend_records(context: Context, text: str, now: float) -> list[Record]:
    """The rows of an older `CTAPITrend(...)` query (emulator.plant.ctapitrend)."""

    def sample_period(tag: str) -> float:
        return active.trend_server_of(context, tag).config(tag).sample_period

    trend = ctapitrend.parse(text, now, sample_period)
    server = active.trend_server_of(context, trend.query.tag)
    return ctapitrend.fields(trend, trnquery.points(server, trend.query, now))


def query_terms(
    context: Context, table: str, terms: list[tuple[str, str]], now: float
) -> list[tuple[str, str]] | None:
    """The filter terms that apply to a query string's records; None when a CLUSTER term
    (ctFindFirstEx's szCluster, 1150515) rules the query's trend or alarm out: that term asks
    of which cluster the query is, since its records have no CLUSTER field."""
    clusters = [term for term in terms if term[0] == "CLUSTER"]
    if clusters and not matches({"CLUSTER": query_cluster(context, table, now)}, clusters):
        return None
    return [term for term in terms if term[0] != "CLUSTER"]


def records_of(
    context: Context, table: str, filter_text: str, now: float
) -> tuple[str, list[Record]]:
    """(the table's canonical name, its records that pass the filter)."""
    terms = parse_filter(filter_text)
    upper = table.strip().upper()
    if upper.startswith(("TRNQUERY", "ALMQUERY", "CTAPITREND(")):
        with engine_errors():
            others = query_terms(context, table, terms, now)
            found = [] if others is None else query_records(context, table, now)
        return upper.split(",")[0].split("(")[0], [r for r in found if matches(r, others or [])]
    name = next((t for t in TABLES if t.upper() == upper), None)
    if name is None:
        raise ProtocolError(
            INVALID_ARGUMENT,
            f"table {table!r}: use {', '.join(TABLES)}, or a TRNQUERY,..., ALMQUERY,... or "
            "CTAPITrend(...) string",
        )
    if name == "Tag":
        found = tag_records(context)
    elif name == "Trend":
        found = trend_records(context, terms)
    else:
        found = ctapi_tables.TABLES[name](context, terms)
    return name, [r for r in found if matches(r, terms)]


class _Runtime(Protocol):
    @property
    def context(self) -> Context | None: ...


class FindSession(Protocol):
    """What the find requests need of the CtAPI session serving them (processes.ctapi's
    handler): its open searches and its process's runtime. A protocol, so this module stays
    below the handler that registers its requests."""

    @property
    def finds(self) -> Searches: ...

    @property
    def process(self) -> _Runtime: ...


# ---- requests (registered in emulator.processes.ctapi) ------------------------------------


def _context(handler: FindSession) -> Context:
    context = handler.process.context
    if context is None:
        raise ProtocolError(INVALID_ARGUMENT, "this CtAPI process has no runtime to search")
    return context


def _at(search: Search, handle: int, position: int) -> Message:
    if not 0 <= position < len(search.records):
        raise ProtocolError(
            NO_MORE_RECORDS,
            f"search {handle} has {len(search.records)} records; record {position + 1} "
            "does not exist",
        )
    search.position = position
    return {"position": position + 1, "record": search.records[position]}


def find_first(handler: FindSession, rid: RequestId, request: Message, now: float) -> list[Message]:
    table = request_field(request, "table", str)
    filter_text = request_field(request, "filter", str, "")
    name, records = records_of(_context(handler), table, filter_text, now)
    return _opened(handler, rid, name, records, filter_text)


def find_first_job(handler: FindSession, request: Message, now: float) -> Job | None:
    """`find.first` over a TRNQUERY or ALMQUERY string (up to 100,000 records): the history is
    read now, the records are made off the serving loop; None for a table."""
    rid, _ = parse_request(request)
    table = request_field(request, "table", str)
    filter_text = request_field(request, "filter", str, "")
    if not table.strip().upper().startswith(("TRNQUERY", "ALMQUERY")):
        return None
    context = _context(handler)
    with engine_errors():
        terms = query_terms(context, table, parse_filter(filter_text), now)
        make = query_reader(context, table, now) if terms is not None else list

    def work() -> list[Message]:
        with engine_errors():
            found = make()
        records = [r for r in found if matches(r, terms or [])]
        # The connection answers nothing else meanwhile: its searches are the worker's now.
        return _opened(handler, rid, table.strip().upper()[:8], records, filter_text)

    return Job(work)


def _opened(
    handler: FindSession, rid: RequestId, name: str, records: list[Record], filter_text: str
) -> list[Message]:
    """A new search over `records`, at its first record."""
    if len(records) > MAX_RECORDS:
        raise ProtocolError(
            INVALID_ARGUMENT, f"{len(records)} records: narrow the search to {MAX_RECORDS}"
        )
    if not records:
        raise ProtocolError(NO_MORE_RECORDS, f"no record of {name} matches {filter_text!r}")
    search = Search(name, records)
    handle = handler.finds.add(search)
    _log.debug("ctapi.find", table=name, records=len(records), search=handle)
    return [ok(rid, find=handle, count=len(records), **_at(search, handle, 0))]


def _move(step: Callable[[Search], int]) -> Callable[..., list[Message]]:
    def serve(handler: FindSession, rid: RequestId, request: Message, now: float) -> list[Message]:
        handle = request_field(request, "find", int)
        search = handler.finds.get(handle)
        return [ok(rid, **_at(search, handle, step(search)))]

    return serve


def find_scroll(
    handler: FindSession, rid: RequestId, request: Message, now: float
) -> list[Message]:
    handle = request_field(request, "find", int)
    mode = request_field(request, "mode", int)
    offset = request_field(request, "offset", int, 0)
    search = handler.finds.get(handle)
    targets = {
        SCROLL_NEXT: search.position + 1,
        SCROLL_PREV: search.position - 1,
        SCROLL_FIRST: 0,
        SCROLL_LAST: len(search.records) - 1,
        SCROLL_ABSOLUTE: offset - 1,
        SCROLL_RELATIVE: search.position + offset,
    }
    if mode not in targets:
        raise ProtocolError(
            INVALID_ARGUMENT,
            f"scroll mode {mode}: 1 next, 2 prev, 3 first, 4 last, 5 absolute, 6 relative",
        )
    return [ok(rid, **_at(search, handle, targets[mode]))]


def find_count(handler: FindSession, rid: RequestId, request: Message, now: float) -> list[Message]:
    search = handler.finds.get(request_field(request, "find", int))
    return [ok(rid, count=len(search.records))]


def find_close(handler: FindSession, rid: RequestId, request: Message, now: float) -> list[Message]:
    handle = request_field(request, "find", int)
    handler.finds.get(handle)
    del handler.finds.open[handle]
    return [ok(rid)]


OPS: dict[str, Callable[..., list[Message]]] = {
    "find.first": find_first,
    "find.next": _move(lambda s: s.position + 1),
    "find.prev": _move(lambda s: s.position - 1),
    "find.scroll": find_scroll,
    "find.count": find_count,
    "find.close": find_close,
}


__all__ = ["OPS", "Searches", "parse_filter"]
