"""Bad input never crashes a server process: any request gets a reply or a protocol error."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.plant.clock import VirtualClock
from emulator.processes.base import Handler, Peer
from emulator.processes.context import Context
from emulator.processes.ctapi_find import matches, parse_filter
from emulator.processes.registry import factory_for
from emulator.protocol.errors import ProtocolError
from emulator.topology.load import load_text
from emulator.topology.plan import plan
from tests.servers.helpers import START, plant_text

LOADED = load_text(plant_text(), "<properties>")
CONTEXT = Context(LOADED.model, clock=VirtualClock(START))
ENDPOINTS = {e.key: e for e in plan(LOADED.model) if not e.tls}
PROCESSES = {key: factory_for(e.type)(e, CONTEXT) for key, e in ENDPOINTS.items()}


def handler(name: str) -> Handler:
    key = next(k for k in PROCESSES if k[1] == name)
    return PROCESSES[key].connect(Peer("127.0.0.1", 1, ENDPOINTS[key]))


HANDLERS = {
    name: handler(name)
    for name in ("ALARM1", "TREND1", "REPORT1", "IO1", "TimeSync", "SystemServices", "ODBC")
}
HANDLERS["AlarmDatabase"] = handler("AlarmDatabase")
CTAPI = handler("CtAPI")
CTAPI.handle({"id": 0, "op": "open", "user": "engineer", "password": "control"}, START)
HANDLERS["CtAPI"] = CTAPI

FIELDS = [
    "tag", "tags", "area", "category", "query", "limit", "start", "end", "count", "period",
    "trend", "report", "run", "user", "comment", "deadband", "value", "server", "table",
    "filter", "find", "mode", "offset",
]  # fmt: skip
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["FAULT_ALM", "LEVEL_TR", "HOURLY", "LEVEL", "Tag", "DigAlm", "TRNQUERY,1"]),
    st.lists(st.text(max_size=8), max_size=3),
)
OPS = sorted({op for h in HANDLERS.values() for op in h.hello()["requests"]} | {"nope"})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(HANDLERS)),
    op=st.sampled_from(OPS),
    fields=st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=4),
)
def test_any_request_gets_a_reply_or_a_protocol_error(
    name: str, op: str, fields: dict[str, Any]
) -> None:
    try:
        replies = HANDLERS[name].handle({"id": 1, "op": op, **fields}, START)
    except ProtocolError as exc:
        assert exc.error.name and (exc.detail or exc.error.message)
        return
    assert all(isinstance(r, dict) for r in replies)


@given(st.text(max_size=60))
def test_a_filter_parses_or_says_why(text: str) -> None:
    try:
        terms = parse_filter(text)
    except ProtocolError as exc:
        assert "FIELD=pattern" in (exc.detail or "")
        return
    assert all(name == name.upper() for name, _ in terms)
    matches({"TAG": "X", "AREA": 1}, terms)  # never raises
