"""The sans-IO ServerConnection: hello, ping, envelope errors, bad frames, handler failures."""

from __future__ import annotations

import itertools
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from emulator.ports import ProcessType
from emulator.processes.base import Message, Peer
from emulator.processes.registry import GenericHandler
from emulator.protocol.connection import ServerConnection
from emulator.protocol.errors import BAD_REQUEST, ProtocolError
from emulator.protocol.framing import PROTOCOL_VERSION, encode
from emulator.topology.plan import Endpoint

ENDPOINT = Endpoint(
    "SCADA-A", "ALARM1", ProcessType.ALARM, "127.0.0.1", 2080, cluster="C1", mode="primary"
)
PEER = Peer("127.0.0.1", 50000, ENDPOINT)


def frames(data: bytes) -> list[dict[str, Any]]:
    return [msgspec.json.decode(line) for line in data.splitlines() if line]


class Scripted:
    """A handler whose behaviour each test sets."""

    def __init__(self, **behaviour: Any) -> None:
        self.behaviour = behaviour
        self.closed = 0

    def hello(self) -> Message:
        return dict(self.behaviour.get("hello", {"extra": 1}))

    def handle(self, request: Message, now: float) -> list[Message]:
        action = self.behaviour.get("handle")
        if isinstance(action, BaseException):
            raise action
        if callable(action):
            result: list[Message] = action(request)
            return result
        return [{"id": request["id"], "ok": True, "echo": request["op"]}]

    def poll(self, now: float) -> list[Message]:
        action = self.behaviour.get("poll", [])
        if isinstance(action, BaseException):
            raise action
        return list(action)

    def next_wakeup(self, now: float) -> float | None:
        return None

    def close(self) -> None:
        self.closed += 1


def test_hello_names_the_process_then_adds_the_handler_fields() -> None:
    (hello,) = frames(ServerConnection(Scripted(), PEER).hello())
    assert hello["event"] == "hello"
    assert hello["protocol"] == PROTOCOL_VERSION
    assert hello["emulator"] == "plant-scada-emulator"
    assert {k: hello[k] for k in ("computer", "process", "type", "cluster", "mode", "tls")} == {
        "computer": "SCADA-A",
        "process": "ALARM1",
        "type": "alarm",
        "cluster": "C1",
        "mode": "primary",
        "tls": False,
    }
    assert hello["extra"] == 1
    assert "version" in hello


def test_ping_is_answered_by_the_connection_itself() -> None:
    conn = ServerConnection(Scripted(handle=RuntimeError("never called")), PEER)
    assert frames(conn.receive_data(b'{"id":7,"op":"ping"}\n', 12.5)) == [
        {"id": 7, "ok": True, "now": 12.5}
    ]
    assert not conn.should_close


def test_frames_split_and_pipelined_are_answered_in_order() -> None:
    conn = ServerConnection(Scripted(), PEER)
    assert conn.receive_data(b'{"id":1,"op":"a"}\n{"id":2,', 0) != b""
    out = frames(conn.receive_data(b'"op":"b"}\r\n\n{"id":"x","op":"ping"}\n', 0))
    assert [f["id"] for f in out] == [2, "x"]


def test_a_bad_envelope_gets_invalid_parameter_and_the_connection_lives_on() -> None:
    conn = ServerConnection(Scripted(), PEER)
    no_id, no_op = frames(conn.receive_data(b'{"op":"ping"}\n{"id":3}\n', 0))
    assert no_id["id"] is None and no_id["error"]["name"] == "invalid_parameter"
    assert no_op["id"] == 3 and no_op["error"]["name"] == "invalid_parameter"
    assert not conn.should_close


def test_the_generic_process_answers_unknown_request() -> None:
    conn = ServerConnection(GenericHandler(ProcessType.TRENDS), PEER)
    (reply,) = frames(conn.receive_data(b'{"id":1,"op":"trend.read"}\n', 0))
    assert reply["error"]["name"] == "unknown_request"
    assert "trend.read" in reply["error"]["message"]
    assert not conn.should_close


def test_a_handler_protocol_error_is_a_reply_not_a_close() -> None:
    with capture_logs() as logs:
        conn = ServerConnection(
            Scripted(handle=ProtocolError(BAD_REQUEST, "missing field 'tag'")), PEER
        )
        (reply,) = frames(conn.receive_data(b'{"id":1,"op":"tag.read"}\n', 0))
    assert reply["error"] == BAD_REQUEST.wire("missing field 'tag'")
    assert not conn.should_close
    (logged,) = [e for e in logs if e["event"] == "request.failed"]
    assert logged["log_level"] == "debug"
    assert (logged["op"], logged["error"]) == ("tag.read", BAD_REQUEST.name)


def test_invalid_json_gets_an_error_frame_and_asks_to_close() -> None:
    conn = ServerConnection(Scripted(), PEER)
    with capture_logs() as logs:
        out = frames(conn.receive_data(b'{"id":1,"op":"a"}\nnot json\n{"id":2,"op":"b"}\n', 0))
    assert [f.get("id") for f in out] == [1, None]
    assert out[1]["error"]["name"] == "bad_frame"
    assert conn.should_close
    assert conn.receive_data(b'{"id":3,"op":"ping"}\n', 0) == b""
    assert any(e["event"] == "protocol.error" for e in logs)


def test_an_oversized_frame_gets_frame_too_large_and_asks_to_close() -> None:
    conn = ServerConnection(Scripted(), PEER, max_frame_size=1024)
    (reply,) = frames(conn.receive_data(b"x" * 2000, 0))
    assert reply["error"]["name"] == "frame_too_large"
    assert conn.should_close


def test_a_handler_exception_becomes_internal_error_a_log_event_and_a_close() -> None:
    conn = ServerConnection(Scripted(handle=KeyError("boom")), PEER)
    with capture_logs() as logs:
        (reply,) = frames(conn.receive_data(b'{"id":9,"op":"x"}\n{"id":10,"op":"y"}\n', 0))
    assert reply == {
        "id": 9,
        "ok": False,
        "error": {"code": 31, "name": "internal_error", "message": reply["error"]["message"]},
    }
    assert "KeyError" in reply["error"]["message"]
    assert conn.should_close
    assert [e["event"] for e in logs] == ["handler.failed"]
    assert logs[0]["during"] == "x"


def test_a_failing_poll_or_hello_becomes_internal_error() -> None:
    conn = ServerConnection(Scripted(poll=ValueError("bad")), PEER)
    (push,) = frames(conn.poll(0))
    assert push["error"]["name"] == "internal_error" and conn.should_close
    conn = ServerConnection(Scripted(hello=ValueError("bad")), PEER)
    (hello,) = frames(conn.hello())
    assert hello["error"]["name"] == "internal_error" and conn.should_close


def test_replies_that_cannot_be_sent_become_an_error() -> None:
    # Over the frame limit with nothing to page: result_too_large (issue 18.3), never a crash.
    big = Scripted(handle=lambda r: [{"id": r["id"], "ok": True, "blob": "x" * 5000}])
    conn = ServerConnection(big, PEER, max_frame_size=1024)
    (reply,) = frames(conn.receive_data(b'{"id":1,"op":"x"}\n', 0))
    assert reply["id"] == 1 and reply["error"]["name"] == "result_too_large"
    assert "1024" in reply["error"]["message"] and not conn.should_close
    odd = Scripted(handle=lambda r: [{"id": r["id"], "ok": True, "value": object()}])
    conn = ServerConnection(odd, PEER)
    (reply,) = frames(conn.receive_data(b'{"id":1,"op":"x"}\n', 0))
    assert reply["error"]["name"] == "internal_error" and conn.should_close


def test_pushes_closing_eof_and_close() -> None:
    handler = Scripted(poll=[{"event": "changed", "tag": "T"}])
    conn = ServerConnection(handler, PEER)
    assert frames(conn.poll(0)) == [{"event": "changed", "tag": "T"}]
    assert frames(conn.closing("shutdown")) == [{"event": "closing", "reason": "shutdown"}]
    assert conn.should_close and conn.poll(0) == b""
    conn.close()
    conn.close()
    assert handler.closed == 1
    eof = ServerConnection(Scripted(), PEER)
    assert eof.receive_data(b"", 0) == b"" and eof.should_close


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=300),
            st.sampled_from(
                [
                    encode({"id": 1, "op": "ping"}),
                    encode({"id": 2, "op": "echo"}),
                    b"\n",
                    b"[1,2]\n",
                    b'{"id":true,"op":"x"}\n',
                ]
            ),
        ),
        max_size=12,
    )
)
def test_any_bytes_give_only_whole_json_frames_and_never_raise(chunks: list[bytes]) -> None:
    conn = ServerConnection(Scripted(), PEER, max_frame_size=256)
    closed = False
    for chunk in chunks:
        out = conn.receive_data(chunk, 1.0)
        if closed:
            assert out == b""
        for frame in frames(out):
            assert isinstance(frame, dict)
            assert "ok" in frame
        closed = conn.should_close


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {"id": st.integers(-(2**63) + 1, 2**63 - 1), "op": st.sampled_from(["ping", "x"])}
        ),
        min_size=1,
        max_size=8,
    ),
    st.lists(st.integers(0, 400), max_size=10),
)
def test_replies_do_not_depend_on_how_the_bytes_are_split(
    requests: list[dict[str, Any]], cuts: list[int]
) -> None:
    stream = b"".join(encode(r) for r in requests)
    whole = ServerConnection(Scripted(), PEER).receive_data(stream, 1.0)
    conn = ServerConnection(Scripted(), PEER)
    points = sorted({min(c, len(stream)) for c in cuts} | {0, len(stream)})
    pieces = [stream[a:b] for a, b in itertools.pairwise(points) if b > a]
    assert b"".join(conn.receive_data(piece, 1.0) for piece in pieces) == whole
    assert [f["id"] for f in frames(whole)] == [r["id"] for r in requests]
