"""A CtAPI handler over the demo plant, driven request by request as the runtime would."""

from __future__ import annotations

from typing import Any

from emulator.plant.state import Plant
from emulator.ports import ProcessType
from emulator.processes.base import Message, Peer
from emulator.processes.ctapi import CtapiHandler, CtapiProcess
from emulator.protocol.errors import ProtocolError
from emulator.topology.load import load_demo
from emulator.topology.plan import Endpoint

NOW = 1_767_225_600.0
PLAIN = Endpoint("SCADA-A", "CtAPI", ProcessType.CTAPI, "127.0.10.1", 2073)
TLS = Endpoint("SCADA-A", "CtAPI", ProcessType.CTAPI, "127.0.10.1", 3073, tls=True)


#: The requests of a CtAPI session (protocol.md's CtAPI section; other sections document what
#: other engines add, such as find.*).
SESSION_OPS = {
    "open",
    "close",
    "tag.read",
    "tag.read_ex",
    "tag.write",
    "cicode",
    "list.new",
    "list.add",
    "list.add_ex",
    "list.read",
    "list.data",
    "list.write",
    "list.event",
    "list.delete",
    "list.free",
}

#: Parsed once: a Plant copies what it needs, so tests share the model.
DEMO = load_demo().model


def demo_process() -> CtapiProcess:
    return CtapiProcess(Plant(DEMO, now=NOW), DEMO.users)


class Session:
    """Sends requests with increasing ids; `call` returns the reply or the error's name."""

    def __init__(self, process: CtapiProcess | None = None, *, tls: bool = False) -> None:
        self.process = process or demo_process()
        peer = Peer("127.0.0.1", 50000, TLS if tls else PLAIN, "TLSv1.3" if tls else None)
        self.handler: CtapiHandler = self.process.connect(peer)
        self.next_id = 0
        self.now = NOW

    @property
    def plant(self) -> Plant:
        return self.process.plant

    def send(self, op: str, **fields: Any) -> list[Message]:
        """Every frame the handler returns; a ProtocolError becomes a failed reply frame."""
        self.next_id += 1
        request = {"id": self.next_id, "op": op, **fields}
        try:
            return self.handler.handle(request, self.now)
        except ProtocolError as exc:
            return [{"id": self.next_id, "ok": False, "error": exc.error.wire(exc.detail)}]

    def call(self, op: str, **fields: Any) -> Message:
        replies = self.send(op, **fields)
        assert len(replies) == 1, replies
        return replies[0]

    def ok(self, op: str, **fields: Any) -> Message:
        reply = self.call(op, **fields)
        assert reply["ok"], reply
        return reply

    def error(self, op: str, **fields: Any) -> str:
        reply = self.call(op, **fields)
        assert not reply["ok"], reply
        name: str = reply["error"]["name"]
        return name

    def open(self, user: str = "engineer", password: str = "control", mode: int = 0) -> Message:
        return self.ok("open", user=user, password=password, mode=mode)
