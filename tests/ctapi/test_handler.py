"""The CtAPI session handler, request by request, as docs/protocol.md describes it."""

from __future__ import annotations

import pytest

from emulator.plant.state import QUAL_BAD
from emulator.ports import ProcessType
from emulator.processes.context import Context
from emulator.processes.ctapi import create
from emulator.processes.registry import factory_for
from emulator.protocol.ctapi_flags import CT_OPEN_CRYPT, CT_OPEN_READ_ONLY
from emulator.topology.load import load_demo
from tests.ctapi.helpers import NOW, PLAIN, Session


@pytest.fixture
def session() -> Session:
    s = Session()
    s.open()
    return s


# --- open / close ---------------------------------------------------------------------------------
def test_nothing_but_open_before_open() -> None:
    s = Session()
    for op in ("tag.read", "tag.write", "cicode", "list.new", "list.read", "close"):
        assert s.error(op, tag="PUMP1_SPEED") == "not_connected"
    assert s.open() == {"id": 7, "ok": True, "user": "engineer", "mode": 0, "read_only": False}


@pytest.mark.parametrize(
    ("user", "password"),
    [("engineer", "wrong"), ("nobody", "control"), ("engineer", ""), ("", ""), ("nobody", "")],
)
def test_every_bad_login_gets_the_same_answer(user: str, password: str) -> None:
    s = Session()
    reply = s.call("open", user=user, password=password)
    assert reply["error"]["name"] == "login_failed"
    assert reply["error"]["code"] == 0x10000000 + 274
    assert reply["error"]["message"] == "The user name or password is not valid: " + (
        "check the user name and password"
    )


def test_open_checks_mode_bits_and_encryption() -> None:
    s = Session()
    assert s.error("open", user="engineer", password="control", mode=0x40) == "invalid_argument"
    assert s.error("open", user="engineer", password="control", mode=-1) == "invalid_argument"
    assert (
        s.error("open", user="engineer", password="control", mode=CT_OPEN_CRYPT)
        == "encryption_unavailable"
    )
    assert s.error("open", user="engineer", password=5) == "invalid_parameter"
    tls = Session(tls=True)
    assert tls.open(mode=CT_OPEN_CRYPT | 0x2 | 0x8 | 0x10 | 0x20)["mode"] == 0x3B


def test_open_twice_then_close_and_reopen(session: Session) -> None:
    assert session.error("open", user="engineer", password="control") == "already_open"
    assert session.ok("close") == {"id": 3, "ok": True}
    assert session.error("tag.read", tag="PUMP1_SPEED") == "not_connected"
    session.open(user="operator", password="view")
    assert session.error("tag.write", tag="PUMP1_CMD", value="0") == "access_denied"


@pytest.mark.parametrize(
    ("user", "password", "mode"),
    [("operator", "view", 0), ("engineer", "control", CT_OPEN_READ_ONLY)],
)
def test_a_read_only_session_reads_but_never_writes_nor_runs_cicode(
    user: str, password: str, mode: int
) -> None:
    s = Session()
    assert s.open(user, password, mode)["read_only"] is True
    assert s.ok("tag.read", tag="PUMP1_SPEED")["value"] == "1200"
    assert s.error("tag.write", tag="PUMP1_CMD", value="0") == "access_denied"
    assert s.error("cicode", command="Version(3)") == "access_denied"
    lst = s.ok("list.new")["list"]
    handle = s.ok("list.add", list=lst, tag="PUMP1_CMD")["handle"]
    assert s.error("list.write", handle=handle, value="0") == "access_denied"
    assert s.plant.read("PUMP1_CMD").value == "1"


def test_unknown_requests_name_the_known_ones(session: Session) -> None:
    reply = session.call("tag.frobnicate")
    assert reply["error"]["name"] == "unknown_request"
    assert "tag.read" in reply["error"]["message"]


def test_hello_lists_the_requests() -> None:
    hello = Session().handler.hello()
    assert {"ping", "open", "tag.read_ex", "list.event"} <= set(hello["requests"])


# --- tags -----------------------------------------------------------------------------------------
def test_tag_read_and_write(session: Session) -> None:
    assert session.ok("tag.read", tag="CLUSTER1.TANK_LEVELS[2]")["value"] == "50.0"
    session.ok("tag.write", tag="PUMP1_SPEED", value="900")
    assert session.ok("tag.read", tag="pump1_speed")["value"] == "900"
    assert session.error("tag.read", tag="NO_SUCH_TAG") == "tag_not_found"
    assert session.error("tag.write", tag="TANK1_LEVEL", value="5") == "tag_read_only"
    assert session.error("tag.write", tag="PUMP1_SPEED", value="9999") == "out_of_range"
    assert session.error("tag.write", tag="PUMP1_SPEED", value="quick") == "invalid_argument"
    assert session.error("tag.write", tag="PUMP1_SPEED", value=900) == "invalid_parameter"
    assert session.error("tag.read") == "invalid_parameter"


def test_tag_read_ex_adds_quality_and_timestamps(session: Session) -> None:
    session.plant.set_quality("TANK1_LEVEL", QUAL_BAD, NOW + 7)
    reply = session.ok("tag.read_ex", tag="TANK1_LEVEL")
    assert reply["value"] == "62.0"
    assert reply["quality"]["general"] == QUAL_BAD
    assert reply["quality_timestamp"] == NOW + 7
    assert reply["value_timestamp"] == NOW
    assert set(reply["quality"]) == {
        "general",
        "substatus",
        "limit",
        "extended_substatus",
        "datasource_error",
        "override",
        "control_inhibit",
    }


def test_a_long_value_comes_whole_so_the_client_can_say_111(session: Session) -> None:
    session.ok("tag.write", tag="PRODUCT_CODE", value="X" * 255)
    assert session.ok("tag.read", tag="PRODUCT_CODE")["value"] == "X" * 255


def test_cicode(session: Session) -> None:
    assert session.ok("cicode", command="Version(3)", window=0, mode=0)["result"] == "8.40"
    assert session.ok("cicode", command='TagWrite("PUMP2_CMD", 1)')["result"] == "0"
    assert session.plant.read("PUMP2_CMD").value == "1"
    assert session.error("cicode", command="NoSuchFunction(1)") == "unknown_function"
    assert session.error("cicode", command="Version(") == "cicode_syntax"


# --- lists ----------------------------------------------------------------------------------------
def test_tag_read_raw_gives_the_unscaled_value_a_point_reads(session: Session) -> None:
    # PUMP1_SPEED: raw 0..32000 is 0..1500 rpm; 1200 rpm is raw 25600 (docs/protocol.md tag.read)
    assert session.ok("tag.read", tag="PUMP1_SPEED", raw=True)["value"] == "25600"
    assert session.ok("tag.read", tag="PUMP1_SPEED", raw=False)["value"] == "1200"
    assert session.error("tag.read", tag="PUMP1_SPEED", raw="yes") == "invalid_parameter"


def test_a_list_reads_all_its_tags_and_reports_unknown_ones(session: Session) -> None:
    lst = session.ok("list.new", mode=0)["list"]
    speed = session.ok("list.add", list=lst, tag="PUMP1_SPEED")["handle"]
    nope = session.ok("list.add", list=lst, tag="NO_SUCH_TAG")["handle"]
    level = session.ok("list.add_ex", list=lst, tag="TANK1_LEVEL", raw=True)["handle"]
    assert len({lst, speed, nope, level}) == 4
    assert session.error("list.data", handle=speed) == "not_read"
    failed = session.ok("list.read", list=lst)["failed"]
    assert [(f["handle"], f["error"]["name"]) for f in failed] == [(nope, "tag_not_found")]
    assert session.ok("list.data", handle=speed)["value"] == "1200"
    assert session.ok("list.data", handle=speed, raw=True)["value"] == "25600"
    assert session.ok("list.data", handle=level)["value"] == "13920"
    assert session.ok("list.data", handle=level, raw=False)["value"] == "62.0"
    assert session.error("list.data", handle=nope) == "tag_not_found"
    assert session.ok("list.data", handle=speed, item="quality_general")["value"] == "3"
    assert session.ok("list.data", handle=speed, item="timestamp")["value"] == str(NOW)
    assert session.error("list.data", handle=speed, item="colour") == "invalid_argument"
    # the data is as of the last read
    session.plant.set_value("PUMP1_SPEED", 300, NOW + 1)
    assert session.ok("list.data", handle=speed)["value"] == "1200"
    session.ok("list.read", list=lst)
    assert session.ok("list.data", handle=speed)["value"] == "300"


def test_list_read_can_bring_the_values_so_a_client_answers_list_data_itself(
    session: Session,
) -> None:
    # docs/protocol.md list.values: what list.data would give, for each tag read without error
    lst = session.ok("list.new", mode=0)["list"]
    speed = session.ok("list.add", list=lst, tag="PUMP1_SPEED")["handle"]
    session.ok("list.add", list=lst, tag="NO_SUCH_TAG")
    level = session.ok("list.add_ex", list=lst, tag="TANK1_LEVEL", raw=True)["handle"]
    before = session.ok("list.values", list=lst)
    assert (before["values"], before["more"]) == ([], False)  # nothing read yet
    reply = session.ok("list.read", list=lst, values=True)
    assert reply["values"] == [[speed, "1200"], [level, "13920"]]
    assert reply["more"] is False and reply["failed_count"] == 1
    assert session.ok("list.values", list=lst, after=speed)["values"] == [[level, "13920"]]
    assert "values" not in session.ok("list.read", list=lst)
    assert session.error("list.values", list=999) == "unknown_handle"


def test_a_read_with_nothing_changed_keeps_the_samples_and_the_next_change_shows(
    session: Session,
) -> None:
    lst = session.ok("list.new", mode=1)["list"]  # CT_LIST_EVENT
    speed = session.ok("list.add", list=lst, tag="PUMP1_SPEED")["handle"]
    nope = session.ok("list.add", list=lst, tag="NO_SUCH_TAG")["handle"]
    first = session.ok("list.read", list=lst, values=True)
    new = [session.ok("list.event", list=lst, mode=1)["handle"] for _ in range(3)]
    assert new == [speed, nope, None]  # CT_LIST_EVENT_NEW, each once
    again = session.ok("list.read", list=lst, values=True)  # no change in between
    assert again["values"] == first["values"] == [[speed, "1200"]]
    assert [f["handle"] for f in again["failed"]] == [nope]
    assert session.ok("list.event", list=lst, mode=1)["handle"] is None
    session.plant.set_value("PUMP1_SPEED", 300, NOW + 1)
    assert session.ok("list.read", list=lst, values=True)["values"] == [[speed, "300"]]
    assert session.ok("list.event", list=lst)["handle"] == speed
    # a tag that comes or goes is seen at the next read, whatever else stood still
    session.ok("list.read", list=lst)
    session.ok("list.delete", handle=nope)
    assert session.ok("list.read", list=lst)["failed_count"] == 0
    code = session.ok("list.add", list=lst, tag="PRODUCT_CODE")["handle"]
    again = session.ok("list.read", list=lst, values=True)
    assert again["values"] == [[speed, "300"], [code, "BLEND-A42"]]


def test_the_values_of_a_big_list_come_in_pages_that_fit_a_frame(session: Session) -> None:
    from emulator.processes.taglists import MAX_LIST_TAGS
    from emulator.protocol.framing import MAX_FRAME_SIZE, encode

    lst = session.ok("list.new")["list"]
    handles = [session.ok("list.add", list=lst, tag="PRODUCT_CODE")["handle"] for _ in range(3000)]
    session.plant.write("PRODUCT_CODE", '"\\' * 20, NOW, "test")  # every character escaped
    [reply] = session.send("list.read", list=lst, values=True)
    assert len(encode(reply)) < MAX_FRAME_SIZE and reply["more"] is True
    seen = [h for h, _ in reply["values"]]
    while reply["more"]:
        [reply] = session.send("list.values", list=lst, after=seen[-1])
        assert len(encode(reply)) < MAX_FRAME_SIZE
        seen += [h for h, _ in reply["values"]]
    assert seen == handles
    assert {v for _, v in reply["values"]} == {session.ok("list.data", handle=seen[-1])["value"]}
    assert MAX_LIST_TAGS >= 10_000  # a real client polls thousands of tags in one list


def test_list_write_delete_and_free(session: Session) -> None:
    lst = session.ok("list.new")["list"]
    cmd = session.ok("list.add", list=lst, tag="PUMP2_CMD")["handle"]
    session.ok("list.write", handle=cmd, value="1")
    assert session.plant.read("PUMP2_CMD").value == "1"
    session.ok("list.delete", handle=cmd)
    assert session.error("list.data", handle=cmd) == "unknown_handle"
    assert session.error("list.delete", handle=cmd) == "unknown_handle"
    session.ok("list.free", list=lst)
    assert session.error("list.read", list=lst) == "unknown_handle"
    assert session.error("list.add", list=lst, tag="X") == "unknown_handle"
    assert session.error("list.new", mode=4) == "invalid_argument"
    bad = session.ok("list.new")["list"]
    assert session.error("list.add_ex", list=bad, tag="X", deadband=-1) == "invalid_argument"
    assert session.error("list.add_ex", list=bad, tag="X", deadband=1e400) == "invalid_argument"
    assert (
        session.error("list.add_ex", list=bad, tag="X", poll_period_ms=10**12) == "invalid_argument"
    )


def test_events_value_new_and_status(session: Session) -> None:
    lst = session.ok("list.new", mode=1)["list"]
    speed = session.ok("list.add", list=lst, tag="PUMP1_SPEED")["handle"]
    level = session.ok("list.add_ex", list=lst, tag="TANK1_LEVEL", deadband=1.0)["handle"]
    assert session.ok("list.event", list=lst)["handle"] is None
    session.ok("list.read", list=lst)
    # first read: both tags are NEW events, which mode 0 skips
    assert session.ok("list.event", list=lst)["handle"] is None
    session.plant.set_value("PUMP1_SPEED", 1000, NOW)
    session.plant.set_value("TANK1_LEVEL", 62.5, NOW)  # inside the deadband
    session.ok("list.read", list=lst)
    assert session.ok("list.event", list=lst)["handle"] == speed
    assert session.ok("list.event", list=lst)["handle"] is None
    session.plant.set_value("TANK1_LEVEL", 63.5, NOW)  # 1.5 from the last reported 62.0
    session.plant.set_quality("PUMP1_SPEED", QUAL_BAD, NOW)
    session.ok("list.read", list=lst)
    assert session.ok("list.event", list=lst, mode=2)["handle"] == speed
    assert session.ok("list.event", list=lst, mode=2)["handle"] == level
    assert session.ok("list.event", list=lst, mode=2)["handle"] is None
    other = session.ok("list.new", mode=1)["list"]
    new = session.ok("list.add", list=other, tag="PUMP2_SPEED")["handle"]
    session.ok("list.read", list=other)
    assert session.ok("list.event", list=other, mode=1)["handle"] == new
    plain = session.ok("list.new", mode=0)["list"]
    assert session.error("list.event", list=plain) == "invalid_argument"
    assert session.error("list.event", list=lst, mode=8) == "invalid_argument"


def test_a_waiting_read_completes_on_a_change_after_the_poll_period(session: Session) -> None:
    lst = session.ok("list.new", mode=1)["list"]
    level = session.ok(
        "list.add_ex", list=lst, tag="TANK1_LEVEL", poll_period_ms=1000, deadband=0.5
    )["handle"]
    first = session.send("list.read", list=lst, wait=True)
    assert first[0]["ok"] and first[0]["id"] == session.next_id  # never read: at once
    assert session.send("list.read", list=lst, wait=True) == []
    waiting_id = session.next_id
    assert session.error("list.read", list=lst) == "list_busy"
    handler = session.handler
    assert handler.poll(NOW) == []
    session.plant.set_value("TANK1_LEVEL", 62.2, NOW)  # inside the deadband
    assert handler.poll(NOW + 2) == []
    session.plant.set_value("TANK1_LEVEL", 70.0, NOW + 0.2)
    assert handler.next_wakeup(NOW + 0.5) == NOW + 1.0
    assert handler.poll(NOW + 0.5) == []
    [reply] = handler.poll(NOW + 1.0)
    assert reply == {"id": waiting_id, "ok": True, "failed": [], "failed_count": 0}
    assert handler.next_wakeup(NOW + 1.0) is None
    assert session.ok("list.data", handle=level)["value"] == "70.0"


def test_close_and_free_cancel_a_waiting_read(session: Session) -> None:
    lst = session.ok("list.new")["list"]
    session.ok("list.add", list=lst, tag="PUMP1_SPEED")
    session.ok("list.read", list=lst)
    assert session.send("list.read", list=lst, wait=True) == []
    pending = session.next_id
    cancelled, closed = session.send("close")
    assert cancelled["id"] == pending and cancelled["error"]["name"] == "not_connected"
    assert closed == {"id": session.next_id, "ok": True}
    session.open()
    assert session.ok("list.read", list=lst)["failed"] == []  # lists survive ctClose
    assert session.send("list.read", list=lst, wait=True) == []
    pending = session.next_id
    cancelled, freed = session.send("list.free", list=lst)
    assert cancelled["id"] == pending and freed["ok"]


def test_the_runtime_factory_serves_the_demo() -> None:
    context = Context(topology=load_demo().model)
    assert factory_for(ProcessType.CTAPI) is create
    process = create(PLAIN, context)
    s = Session(process)
    s.open()
    assert s.ok("tag.read", tag="PUMP1_RUN")["value"] == "1"
    s.handler.close()
    assert s.handler.poll(NOW) == []


def test_lists_are_bounded_so_every_reply_fits_a_frame(session: Session) -> None:
    from emulator.processes.taglists import MAX_FAILED_SHOWN, MAX_LIST_TAGS, MAX_LISTS
    from emulator.protocol.framing import MAX_FRAME_SIZE, encode

    lst = session.ok("list.new")["list"]
    for _ in range(MAX_LIST_TAGS):
        session.ok("list.add", list=lst, tag="NO_SUCH_TAG_WITH_A_LONG_NAME_" + "X" * 40)
    assert session.error("list.add", list=lst, tag="PUMP1_SPEED") == "invalid_argument"
    [reply] = session.send("list.read", list=lst)
    # every tag failed: a hundred named, all counted, list.data of each gives its error
    assert len(reply["failed"]) == MAX_FAILED_SHOWN
    assert reply["failed_count"] == MAX_LIST_TAGS
    assert len(encode(reply)) < MAX_FRAME_SIZE
    for _ in range(MAX_LISTS - 1):
        session.ok("list.new")
    assert session.error("list.new") == "invalid_argument"


def test_unknown_tags_cost_little_in_a_big_plant() -> None:
    import time

    from emulator.plant.config import Tag
    from emulator.plant.state import Plant
    from emulator.processes.ctapi import CtapiProcess
    from emulator.topology.model import Topology
    from tests.ctapi.helpers import DEMO

    tags = [Tag(name=f"AREA{i // 50}_PUMP{i % 50}_SPEED") for i in range(5000)]
    session = Session(CtapiProcess(Plant(Topology(tags=tags), now=NOW), DEMO.users))
    session.open()
    lst = session.ok("list.new")["list"]
    for i in range(500):
        session.ok("list.add", list=lst, tag=f"AREA{i}_PUMP_SPED")
    started = time.perf_counter()
    assert session.ok("list.read", list=lst)["failed_count"] == 500
    assert session.error("tag.read", tag="AREA3_PUMP7_SPED") == "tag_not_found"
    assert time.perf_counter() - started < 1.0
