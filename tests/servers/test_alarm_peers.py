"""The sans-IO half of the alarm pair across processes (issue 15.2): which alarm server of
another process a local one follows, what it takes from the `alarm.sync` reply and pushes, and
that a reply or push that makes no sense is logged and skipped, not raised."""

from __future__ import annotations

from typing import Any

import msgspec

from emulator.plant.alarms import AlarmEvent, AlarmSnapshot, AlarmStatus
from emulator.plant.clock import VirtualClock
from emulator.ports import ProcessType
from emulator.processes import ctapi
from emulator.processes.alarm import AlarmProcess
from emulator.processes.alarm_peers import HOLD, AlarmPeers, alarm_peers_for
from emulator.processes.base import Peer
from emulator.processes.context import Context
from emulator.topology.load import load_text
from emulator.topology.plan import Endpoint, plan

PLANT = """\
[[computers]]
name = "A"
[[computers]]
name = "B"
[[computers]]
name = "C"
[[network_addresses]]
name = "NA"
computer = "A"
address = "127.0.32.1"
[[network_addresses]]
name = "NB"
computer = "B"
address = "127.0.32.2"
[[network_addresses]]
name = "NC"
computer = "C"
address = "127.0.32.3"
[[clusters]]
name = "C1"
[[server_processes]]
name = "ALARM1"
type = "alarm"
network_address = "NA"
[[server_processes]]
name = "ALARM2"
type = "alarm"
network_address = "NB"
mode = "standby"
"""


class Local:
    """A local alarm server as the peers drive it: what it was told."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.calls: list[tuple[str, Any]] = []

    def follow(self, peer: str, snapshot: AlarmSnapshot) -> None:
        self.calls.append(("follow", peer))

    def mirror(self, events: list[AlarmEvent]) -> None:
        self.calls.append(("mirror", [e.kind for e in events]))

    def take_actions(self, peer: str, snapshot: AlarmSnapshot) -> None:
        self.calls.append(("take_actions", peer))

    def committed_last(self) -> int:
        return 0

    def confirmed(self, mark: int) -> bool:
        return True


def _peers(computer: str) -> tuple[AlarmPeers, Local]:
    everywhere = plan(load_text(PLANT).model)
    here = [e for e in everywhere if e.computer == computer]
    peers = alarm_peers_for(everywhere, here)
    assert peers is not None
    local = Local(next(e for e in here if e.process.startswith("ALARM")))
    peers.join(local)
    return peers, local


NOW = 1_767_225_600.0
SNAPSHOT = msgspec.to_builtins(AlarmSnapshot(events=[], statuses=[]))


def _event(kind: str) -> dict[str, Any]:
    item = AlarmEvent(uid=kind, time=1.0, tag="X_ALM", kind=kind, status=AlarmStatus(tag="X_ALM"))  # type: ignore[arg-type]
    return {"event": "alarm.synced", "state": "OFF acknowledged", **msgspec.to_builtins(item)}


def test_the_standby_follows_the_primary_while_its_link_is_up() -> None:
    peers, standby = _peers("B")
    assert not peers.ready(standby.endpoint)  # no outcome yet: neither main nor answering
    peers.synced("ALARM1", "main", SNAPSHOT)
    assert peers.ready(standby.endpoint)
    assert peers.followed(standby.endpoint) == "ALARM1"
    peers.pushed("ALARM1", _event("on"))
    peers.lost("ALARM1", "reset")
    assert peers.followed(standby.endpoint) is None  # main now
    assert standby.calls == [("follow", "ALARM1"), ("mirror", ["on"])]


def test_the_primary_catches_up_on_return_then_takes_only_operator_actions() -> None:
    peers, primary = _peers("A")
    peers.synced("ALARM2", "main", SNAPSHOT)  # first outcome: ALARM2 was main meanwhile
    assert peers.followed(primary.endpoint) is None
    peers.pushed("ALARM2", _event("on"))  # the standby's scan is not the main's
    peers.pushed("ALARM2", _event("ack"))
    peers.lost("ALARM2", "reset")
    peers.synced("ALARM2", "standby", SNAPSHOT)  # back: what it logged while the link was down
    assert primary.calls == [
        ("follow", "ALARM2"),
        ("mirror", ["ack"]),
        ("take_actions", "ALARM2"),
    ]


def test_a_computer_with_no_alarm_server_has_no_peers() -> None:
    everywhere = plan(load_text(PLANT).model)
    assert alarm_peers_for(everywhere, [e for e in everywhere if e.computer == "C"]) is None


def test_replies_and_pushes_that_make_no_sense_are_skipped_not_raised() -> None:
    peers, standby = _peers("B")
    peers.synced("ALARM1", "main", {"events": "many"})
    assert peers.followed(standby.endpoint) == "ALARM1"  # up, but nothing taken
    peers.pushed("ALARM1", {"event": "alarm.synced", "tag": 3})
    peers.pushed("ALARM1", {"event": "alarm.synced", **_event("sideways")})
    assert standby.calls == []


def test_a_local_server_made_anew_has_the_links_that_are_up_sync_again() -> None:
    peers, standby = _peers("B")
    asked: list[str] = []
    peers.resync = asked.append
    peers.join(Local(standby.endpoint))  # no link up yet: the first sync will bring the state
    assert asked == []
    peers.synced("ALARM1", "main", SNAPSHOT)
    peers.join(Local(standby.endpoint))  # a restart while the link is up
    assert asked == ["ALARM1"]


ACKED = (
    PLANT
    + """
[[users]]
name = "engineer"
password = "control"
[[tags]]
name = "FAULT"
type = "digital"
[[alarms]]
tag = "FAULT_ALM"
type = "digital"
variable = "FAULT"
"""
)


def test_an_acknowledgement_through_ctapi_is_answered_once_the_peer_applied_it() -> None:
    topology = load_text(ACKED, "p.toml").model
    context = Context(topology, clock=VirtualClock(NOW))
    everywhere = plan(topology)
    here = [e for e in everywhere if e.computer == "A"]
    peers = AlarmPeers(everywhere, here)
    context.services[AlarmPeers] = peers
    endpoint = next(e for e in here if e.process == "ALARM1")
    main = AlarmProcess(endpoint, context)
    peers.lost("ALARM2", "not started yet")  # ALARM1 is main
    standby = main.connect(Peer("127.0.32.2", 2, endpoint))  # ALARM2's link, syncing
    assert standby.handle({"id": 1, "op": "alarm.sync"}, NOW)[0]["role"] == "main"
    context.plant.write("FAULT", "1", NOW)
    main.scan(NOW)
    assert main.alarms.status("FAULT_ALM").on
    assert [p["kind"] for p in standby.poll(NOW)] == ["on"]
    cti = next(e for e in everywhere if e.type is ProcessType.CTAPI and e.computer == "A")
    client = ctapi.create(cti, context).connect(Peer("127.0.0.1", 1, cti))
    client.handle({"id": 0, "op": "open", "user": "engineer", "password": "control"}, NOW)

    ack = {"id": 2, "op": "tag.write", "tag": "FAULT_ALM.Ack", "value": "1"}
    assert client.handle(ack, NOW) == []  # held: ALARM2 has not applied it yet
    pushes = standby.poll(NOW)
    assert [p["kind"] for p in pushes] == ["ack"] and client.poll(NOW) == []
    standby.handle({"id": 3, "op": "alarm.applied", "seq": pushes[0]["seq"]}, NOW)
    assert [r["id"] for r in client.poll(NOW)] == [2]

    # A peer that never confirms delays the reply by HOLD at most.
    context.plant.write("FAULT", "0", NOW)
    main.scan(NOW + 1)
    context.plant.write("FAULT", "1", NOW + 1)
    main.scan(NOW + 2)
    standby.poll(NOW + 2)
    assert client.handle({**ack, "id": 4}, NOW + 2) == []
    assert client.poll(NOW + 2) == []
    assert [r["id"] for r in client.poll(NOW + 2 + HOLD)] == [4]
