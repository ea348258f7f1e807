"""The CtAPI handler behind the runtime's sans-IO connection: lines typed into nc, bytes back."""

from __future__ import annotations

import json

from emulator.processes.base import Peer
from emulator.protocol.connection import ServerConnection
from tests.ctapi.helpers import NOW, PLAIN, demo_process


def test_a_session_typed_into_nc() -> None:
    process = demo_process()
    connection = ServerConnection(
        process.connect(Peer("127.0.0.1", 40000, PLAIN)), Peer("127.0.0.1", 40000, PLAIN)
    )
    hello = json.loads(connection.hello())
    assert hello["type"] == "ctapi" and "tag.read" in hello["requests"]
    typed = (
        b'{"id":1,"op":"tag.read","tag":"PUMP1_SPEED"}\r\n'
        b'{"id":2,"op":"open","user":"engineer","password":"control"}\r\n'
        b"\r\n"
        b'{"id":3,"op":"tag.read","tag":"PUMP1_SPEED"}\r\n'
        b'{"id":"w","op":"tag.write","tag":"PUMP1_SPEED","value":"900"}\n'
        b'{"id":5,"op":"cicode","command":"Version(3)"}\n'
        b'{"id":6,"op":"ping"}\n'
    )
    out = b"".join(connection.receive_data(bytes([b]), NOW) for b in typed)
    replies = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in replies] == [1, 2, 3, "w", 5, 6]
    assert replies[0]["error"]["name"] == "not_connected"
    assert replies[2]["value"] == "1200"
    assert replies[4]["result"] == "8.40"
    assert process.plant.read("PUMP1_SPEED").value == "900"
    assert not connection.should_close
