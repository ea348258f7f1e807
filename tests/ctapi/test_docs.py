"""The CtAPI docs stay exact: every request, error and built-in is documented, examples parse."""

from __future__ import annotations

import json
from pathlib import Path

from emulator.cicode import BUILTINS
from emulator.protocol import errors
from tests.ctapi.helpers import SESSION_OPS, Session

DOCS = Path(__file__).resolve().parents[2] / "docs"
CTAPI_ERRORS = [
    errors.NOT_CONNECTED,
    errors.LOGIN_FAILED,
    errors.ALREADY_OPEN,
    errors.ENCRYPTION_UNAVAILABLE,
    errors.ACCESS_DENIED,
    errors.TAG_NOT_FOUND,
    errors.TAG_READ_ONLY,
    errors.INVALID_ARGUMENT,
    errors.OUT_OF_RANGE,
    errors.CICODE_SYNTAX,
    errors.UNKNOWN_FUNCTION,
    errors.INVALID_HANDLE,
    errors.UNKNOWN_HANDLE,
    errors.OPERATION_ABORTED,
    errors.SHUTDOWN_REFUSED,
    errors.NO_PAGES,
    errors.NO_MORE_RECORDS,
    errors.SERVER_UNAVAILABLE,
    errors.LIST_BUSY,
    errors.NOT_READ,
    errors.BUFFER_TOO_SMALL,
]


def ctapi_section() -> str:
    text = (DOCS / "protocol.md").read_text("utf-8")
    start = text.index("## CtAPI requests")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def test_every_request_and_error_is_in_protocol_md() -> None:
    section = ctapi_section()
    protocol = (DOCS / "protocol.md").read_text("utf-8")
    served = set(Session().handler.hello()["requests"])
    assert served >= SESSION_OPS
    for op in SESSION_OPS:
        assert f"### {op}" in section or f"`{op}`" in section, op
    for op in served - {"ping"}:
        assert f"`{op}`" in protocol or f"### {op}" in protocol, (
            f"the CtAPI port serves {op!r}: document it in docs/protocol.md"
        )
    ctapi_md = (DOCS / "ctapi.md").read_text("utf-8")
    for error in CTAPI_ERRORS:
        assert f"| `{error.name}` |" in section, error.name
        assert f"`{error.name}`" in ctapi_md, error.name


def test_the_typed_examples_are_frames_of_known_requests() -> None:
    known = set(Session().handler.hello()["requests"])
    requests = [
        json.loads(line)
        for line in ctapi_section().splitlines()
        if line.startswith('{"id"') and '"op"' in line
    ]
    assert len(requests) >= 20
    assert {r["op"] for r in requests} == known - {"ping"}, "every request has an example"


def test_the_examples_answer_as_documented() -> None:
    session = Session()
    reply = session.handler.handle(
        {"id": 1, "op": "open", "user": "engineer", "password": "control", "mode": 0}, session.now
    )
    assert reply == [{"id": 1, "ok": True, "user": "engineer", "mode": 0, "read_only": False}]
    for request, expected in [
        ({"id": 3, "op": "tag.read", "tag": "PUMP1_SPEED"}, {"value": "1200"}),
        ({"id": 4, "op": "tag.read", "tag": "CLUSTER1.TANK_LEVELS[2]"}, {"value": "50.0"}),
        ({"id": 9, "op": "cicode", "command": "Version(3)"}, {"result": "8.40"}),
        ({"id": 10, "op": "cicode", "command": 'TagWrite("PUMP2_CMD", 1)'}, {"result": "0"}),
    ]:
        assert session.handler.handle(request, session.now) == [
            {"id": request["id"], "ok": True, **expected}
        ]


def test_every_builtin_is_documented() -> None:
    """In docs/ctapi.md ("Built-in functions"), or where the engine that adds it documents it."""
    text = "\n".join(path.read_text("utf-8") for path in sorted(DOCS.glob("*.md")))
    for function in BUILTINS:
        assert f"`{function.name}(" in text, (
            f"Cicode {function.name}() is registered: document it as `{function.name}(...)`"
        )
