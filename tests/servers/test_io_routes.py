"""The sans-IO halves of the I/O path across processes (issue 15.1): the I/O server's `io.sync`
and the client-side routes that pick the serving I/O server and queue writes for it."""

from __future__ import annotations

from emulator.plant.clock import VirtualClock
from emulator.plant.state import QUAL_BAD, QUAL_GOOD
from emulator.ports import ProcessType
from emulator.processes import ctapi
from emulator.processes.base import Peer
from emulator.processes.context import Context
from emulator.processes.ctapi import CtapiHandler
from emulator.processes.io import IoProcess
from emulator.processes.io_routes import IoRoutes, IoServer
from emulator.protocol.errors import SERVER_UNAVAILABLE, TAG_READ_ONLY, ProtocolError
from emulator.topology.load import load_text
from emulator.topology.plan import plan

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
address = "127.0.31.1"
[[network_addresses]]
name = "NB"
computer = "B"
address = "127.0.31.2"
[[network_addresses]]
name = "NC"
computer = "C"
address = "127.0.31.3"
[[clusters]]
name = "C1"
[[server_processes]]
name = "IO1"
type = "io"
network_address = "NA"
[[server_processes]]
name = "IO2"
type = "io"
network_address = "NB"
mode = "standby"
[[users]]
name = "engineer"
password = "control"
[[tags]]
name = "SP"
type = "int"
initial = 5
[[tags]]
name = "LOCAL"
type = "int"
io_server = "IO3"
[[server_processes]]
name = "IO3"
type = "io"
network_address = "NC"
"""

NOW = 1_767_225_600.0


def _routes(computer: str, running: set[str]) -> tuple[IoRoutes, Context, list[int]]:
    topology = load_text(PLANT, "p.toml").model
    context = Context(topology, clock=VirtualClock(NOW))
    notified: list[int] = []
    routes = IoRoutes(
        topology,
        plan(topology),
        computer,
        context.plant,
        running=lambda key: key[1] in running,
        notify=lambda: notified.append(1),
    )
    return routes, context, notified


def _name(server: IoServer | None) -> str | None:
    return None if server is None else server.name


def _record(
    value: int, quality: int = QUAL_GOOD, *, at: float = NOW, served: bool = False
) -> dict[str, object]:
    return {
        "tag": "SP",
        "values": [value],
        "quality": quality,
        "value_timestamp": at,
        "served": served,
    }


def test_the_primary_serves_first_then_the_standby() -> None:
    routes, context, _ = _routes("C", running={"IO3"})
    sp = context.plant.tag("SP")
    assert routes.serving(sp) is None
    routes.synced("IO2", [_record(7)], NOW)
    assert _name(routes.remote_serving(sp)) == "IO2"
    assert context.plant.read("SP").value == "7"
    routes.synced("IO1", [_record(9)], NOW)
    assert _name(routes.remote_serving(sp)) == "IO1"
    assert context.plant.read("SP").value == "9"
    routes.update("IO2", _record(1), NOW)  # the standby's pushes are not what we serve
    assert context.plant.read("SP").value == "9"
    routes.lost("IO1", "gone", NOW)
    assert context.plant.read("SP").value == "1"  # the standby's latest, at once
    assert routes.follows("SP") and not routes.follows("LOCAL")


def test_with_no_server_up_a_tag_is_bad_and_writes_are_refused() -> None:
    routes, context, _ = _routes("C", running={"IO3"})
    routes.start(NOW)
    assert context.plant.read("SP").quality.general == QUAL_BAD
    try:
        routes.submit("SP", "3", None)
    except ProtocolError as exc:
        assert exc.error is SERVER_UNAVAILABLE
        assert "no I/O server of SP (IO1, IO2) is reachable" in str(exc)
    else:
        raise AssertionError("the write was taken")
    assert routes.submit("LOCAL", "3", None) is None  # IO3 runs here: a local write


def test_a_local_standby_serves_when_the_remote_primary_is_gone() -> None:
    routes, context, _ = _routes("B", running={"IO2"})
    sp = context.plant.tag("SP")
    assert _name(routes.serving(sp)) == "IO2"
    assert routes.submit("SP", "3", None) is None
    routes.synced("IO1", [_record(8)], NOW)
    assert context.plant.read("SP").value == "8" and routes.follows("SP")
    routes.lost("IO1", "gone", NOW)
    assert not routes.follows("SP")  # the generators here drive it again
    assert context.plant.read("SP").value == "8"  # the last value the primary had


def test_a_remote_write_is_queued_in_order_and_answered_when_done_or_lost() -> None:
    routes, _, notified = _routes("C", running=set())
    woken: list[str] = []
    routes.wake = woken.append
    routes.synced("IO1", [_record(1)], NOW)
    first = routes.submit("SP", "2", "engineer")
    second = routes.submit("SP", "3", None)
    assert first is not None and second is not None and woken == ["IO1", "IO1"]
    assert routes.take("IO1") == [first, second] and routes.take("IO1") == []
    routes.finish(first, None)
    assert first.done and first.error is None and notified
    queued = routes.submit("SP", "4", None)
    routes.lost("IO1", "the link dropped", NOW)
    assert queued is not None and queued.done
    assert queued.error == (SERVER_UNAVAILABLE, "the link dropped")


def test_io_sync_sends_every_tag_then_pushes_each_change() -> None:
    topology = load_text(PLANT, "p.toml").model
    context = Context(topology, clock=VirtualClock(NOW))
    endpoint = next(e for e in plan(topology) if e.process == "IO2")
    assert endpoint.type is ProcessType.IO
    handler = IoProcess(endpoint, context).connect(Peer("127.0.0.1", 1, endpoint))
    (reply,) = handler.handle({"id": 1, "op": "io.sync"}, NOW)
    assert reply["tags"] == [  # a standby serves its cluster's primaries' tags
        {"tag": "SP", "values": [5], "quality": QUAL_GOOD, "value_timestamp": NOW, "served": True},
        {
            "tag": "LOCAL",
            "values": [0],
            "quality": QUAL_GOOD,
            "value_timestamp": NOW,
            "served": True,
        },
    ]
    assert handler.poll(NOW) == []
    (written,) = handler.handle({"id": 2, "op": "io.write", "tag": "SP", "value": "6"}, NOW + 1)
    assert written["state"]["values"] == [6]
    (push,) = handler.poll(NOW + 1)
    assert push["event"] == "io.synced" and push["values"] == [6]
    assert handler.poll(NOW + 1) == []


def test_records_that_make_no_sense_are_skipped_not_raised() -> None:
    routes, context, _ = _routes("C", running=set())
    garbage: list[object] = [1, "x", None, {"tag": 5}, {"tag": "NOPE", "values": [1]}]
    garbage += [{"tag": "SP", "values": "12", "quality": 3}, {"tag": "SP", "values": ["a"]}]
    routes.synced("IO1", garbage, NOW)  # type: ignore[arg-type]
    for record in garbage[3:]:
        routes.update("IO1", record, NOW)  # type: ignore[arg-type]
    routes.update("IO1", {"tag": "SP", "values": ["abc"], "quality": 3}, NOW)
    assert context.plant.read("SP").value == "5"
    routes.update("IO1", _record(6), NOW)
    assert context.plant.read("SP").value == "6"


def test_a_write_to_what_is_not_a_plant_tag_is_left_to_the_writer() -> None:
    """An alarm's `.Ack` (or any name no plant tag has) is not routed: the writer's own
    references write it, or say tag_not_found (before, the routes raised tag_not_found for
    every alarm property written through CtAPI of a `--computer` run)."""
    routes, _, _ = _routes("C", running=set())
    routes.synced("IO1", [_record(5)], NOW)
    assert routes.submit("SP_ALM.Ack", "1", "engineer") is None
    assert routes.replicate("SP_ALM.Ack", "1", "engineer") == []


def _ctapi(context: Context) -> CtapiHandler:
    endpoint = next(e for e in plan(context.topology) if e.type is ProcessType.CTAPI)
    handler = ctapi.create(endpoint, context).connect(Peer("127.0.0.1", 1, endpoint))
    handler.handle({"id": 0, "op": "open", "user": "engineer", "password": "control"}, NOW)
    return handler


def test_a_ctapi_write_to_a_remote_tag_is_answered_when_its_server_answers() -> None:
    routes, context, _ = _routes("C", running=set())
    context.io_routes = routes
    routes.synced("IO1", [_record(1)], NOW)
    handler = _ctapi(context)
    assert handler.handle({"id": 1, "op": "tag.write", "tag": "SP", "value": "2"}, NOW) == []
    assert handler.handle({"id": 2, "op": "tag.write", "tag": "SP", "value": "9"}, NOW) == []
    assert handler.poll(NOW) == []
    first, second = routes.take("IO1")
    assert (first.tag, first.value, first.user, first.replica) == ("SP", "2", "engineer", False)
    routes.finish(second, (TAG_READ_ONLY, "SP is in control inhibit mode"))
    assert handler.poll(NOW) == []  # answered in the order asked
    routes.finish(first, None)
    ok_reply, failed_reply = handler.poll(NOW)
    assert ok_reply == {"id": 1, "ok": True}
    assert failed_reply["id"] == 2 and failed_reply["error"]["name"] == "tag_read_only"


def test_a_write_served_here_waits_for_its_replica_on_the_remote_standby() -> None:
    routes, context, _ = _routes("A", running={"IO1"})
    context.io_routes = routes
    handler = _ctapi(context)
    request = {"id": 1, "op": "tag.write", "tag": "SP", "value": "4"}
    assert handler.handle(request, NOW) == [{"id": 1, "ok": True}]  # no standby up: at once
    routes.synced("IO2", [_record(4)], NOW)
    assert handler.handle({**request, "id": 2, "value": "5"}, NOW) == []
    assert context.plant.read("SP").value == "5"  # done here first
    (replica,) = routes.take("IO2")
    assert (replica.value, replica.replica) == ("5", True)
    routes.finish(replica, (SERVER_UNAVAILABLE, "the standby went"))
    assert handler.poll(NOW) == [{"id": 2, "ok": True}]  # done here, whatever the peer got


def test_the_io_server_acknowledges_a_write_once_its_replicas_are_done() -> None:
    routes, context, _ = _routes("A", running={"IO1"})
    context.io_routes = routes
    routes.synced("IO2", [_record(4)], NOW)
    endpoint = next(e for e in plan(context.topology) if e.process == "IO1")
    handler = IoProcess(endpoint, context).connect(Peer("127.0.0.1", 1, endpoint))
    write = {"id": 1, "op": "io.write", "tag": "SP", "value": "6", "user": "engineer"}
    assert handler.handle(write, NOW) == []
    (replica,) = routes.take("IO2")
    routes.finish(replica, None)
    (reply,) = handler.poll(NOW)
    assert reply["id"] == 1 and reply["state"]["values"] == [6]
    # A replica is applied and sent no further.
    assert handler.handle({**write, "id": 2, "replica": True}, NOW)[0]["ok"]
    assert routes.take("IO2") == []


def test_a_returning_primary_catches_up_from_the_standby_that_served_meanwhile() -> None:
    routes, context, _ = _routes("A", running={"IO1"})
    heard: list[str] = []
    context.plant.on_write(lambda state, element, index, now: heard.append(state.spec.name))
    assert not routes.ready  # no link has had an outcome yet
    routes.lost("IO3", "refused", NOW)
    routes.synced("IO2", [_record(8, at=NOW + 9, served=True)], NOW + 10)
    assert routes.ready
    assert context.plant.read("SP").value == "8" and heard == ["SP"]  # as a device write
    assert context.plant.tag("SP").value_timestamp == NOW + 9  # the peer's stamp
    routes.lost("IO2", "gone", NOW + 10)
    routes.synced("IO2", [_record(3, served=True)], NOW + 11)  # only the first sync
    assert context.plant.read("SP").value == "8"


def test_a_primary_takes_nothing_from_a_standby_that_followed_it() -> None:
    routes, context, _ = _routes("A", running={"IO1"})
    routes.synced("IO2", [_record(6, at=NOW + 5)], NOW + 6)  # served: False
    assert context.plant.read("SP").value == "5"


def test_io_sync_is_refused_until_the_routes_have_caught_up() -> None:
    routes, context, _ = _routes("A", running={"IO1"})
    context.io_routes = routes
    endpoint = next(e for e in plan(context.topology) if e.process == "IO1")
    handler = IoProcess(endpoint, context).connect(Peer("127.0.0.1", 1, endpoint))
    try:
        handler.handle({"id": 1, "op": "io.sync"}, NOW)
    except ProtocolError as exc:
        assert exc.error is SERVER_UNAVAILABLE
        assert "IO1 is catching up from its peers" in str(exc)
    else:
        raise AssertionError("io.sync was answered before the catch-up")
    routes.lost("IO2", "refused", NOW)
    routes.lost("IO3", "refused", NOW)
    (reply,) = handler.handle({"id": 2, "op": "io.sync"}, NOW)
    assert reply["ok"]


def test_io_sync_says_which_tags_the_process_follows_from_another() -> None:
    routes, context, _ = _routes("B", running={"IO2"})
    context.io_routes = routes
    routes.synced("IO1", [_record(8)], NOW)  # B now follows IO1 for SP
    routes.lost("IO3", "refused", NOW)  # every link has had its outcome: io.sync is answered
    endpoint = next(e for e in plan(context.topology) if e.process == "IO2")
    handler = IoProcess(endpoint, context).connect(Peer("127.0.0.1", 1, endpoint))
    (reply,) = handler.handle({"id": 1, "op": "io.sync"}, NOW)
    served = {r["tag"]: r["served"] for r in reply["tags"]}
    assert served == {"SP": False, "LOCAL": True}  # IO3 is not up: IO2 drives LOCAL here
