"""The request/reply envelope every process speaks over the framing. Sans-IO.

Request: {"id": 7, "op": "tag.read", ...fields}. Reply: {"id": 7, "ok": true, ...fields} or
{"id": 7, "ok": false, "error": {"code", "name", "message"}}. Server pushes carry "event"
instead of "id". Documented in docs/protocol.md ("Envelope").
"""

from __future__ import annotations

from typing import Any

from emulator.protocol.errors import BAD_REQUEST, ErrorCode, ProtocolError

Message = dict[str, Any]
RequestId = int | str

#: Largest request id accepted: ids are echoed, not interpreted, but must stay sane.
MAX_ID_LENGTH = 64
MAX_INT_ID = 2**63 - 1


def request_id(message: Message) -> RequestId | None:
    """The id to echo in a reply, or None when the frame has no usable id."""
    value = message.get("id")
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and -MAX_INT_ID <= value <= MAX_INT_ID:
        return value
    if isinstance(value, str) and len(value) <= MAX_ID_LENGTH:
        return value
    return None


def parse_request(message: Message) -> tuple[RequestId, str]:
    """(id, op) of a request frame; ProtocolError when the envelope is wrong."""
    rid = request_id(message)
    if rid is None:
        raise ProtocolError(
            BAD_REQUEST,
            f"'id' must be an integer or a string of at most {MAX_ID_LENGTH} characters",
        )
    op = message.get("op")
    if not isinstance(op, str) or not op:
        raise ProtocolError(BAD_REQUEST, "'op' must be a non-empty string")
    return rid, op


def ok(rid: RequestId | None, **fields: Any) -> Message:
    return {"id": rid, "ok": True, **fields}


def failed(rid: RequestId | None, error: ErrorCode, detail: str | None = None) -> Message:
    return {"id": rid, "ok": False, "error": error.wire(detail)}


def event(name: str, **fields: Any) -> Message:
    return {"event": name, **fields}


def field(message: Message, name: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
    """A request field of the given type; ProtocolError naming the field when it is wrong."""
    if name not in message:
        if default is ...:
            raise ProtocolError(BAD_REQUEST, f"missing field {name!r}")
        return default
    value = message[name]
    if isinstance(value, bool) and kind in (int, float, (int, float)):
        raise ProtocolError(BAD_REQUEST, f"field {name!r} must be a number, not a boolean")
    if not isinstance(value, kind):
        expected = (
            " or ".join(k.__name__ for k in kind) if isinstance(kind, tuple) else kind.__name__
        )
        raise ProtocolError(
            BAD_REQUEST, f"field {name!r} must be {expected}, not {type(value).__name__}"
        )
    return value
