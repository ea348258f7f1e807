"""Property tests of the CtAPI handler: any request sequence is answered, never crashes it."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    precondition,
    rule,
)

from emulator.plant.state import Plant
from emulator.processes.ctapi import CtapiProcess
from emulator.protocol.errors import BY_NAME, ProtocolError
from emulator.topology.load import load_demo
from tests.ctapi.helpers import NOW, SESSION_OPS, Session

TOPOLOGY = load_demo().model
TAGS = [t.name for t in TOPOLOGY.tags]

OPS = [*sorted(SESSION_OPS), "bogus"]

junk = st.one_of(
    st.none(), st.booleans(), st.floats(), st.text(max_size=5), st.lists(st.integers(), max_size=2)
)
references = st.one_of(
    st.sampled_from(TAGS),
    st.sampled_from(["CLUSTER1.PUMP1_SPEED", "TANK_LEVELS[3]", "PUMP1_SPEED.Q", "X.Y.Z.W.V"]),
    st.text(max_size=12),
)
fields = st.fixed_dictionaries(
    {},
    optional={
        "user": st.sampled_from(["engineer", "operator", "nobody"]) | junk,
        "password": st.sampled_from(["control", "view", ""]) | junk,
        "mode": st.integers(min_value=-1, max_value=0x7F) | junk,
        "tag": references | junk,
        "value": st.sampled_from(["0", "1", "750", "99999", "abc", ""]) | junk,
        "command": st.sampled_from(["Version(3)", "PUMP1_SPEED = 5", "1/0", "(", "X()"]) | junk,
        "list": st.integers(min_value=0, max_value=8) | junk,
        "handle": st.integers(min_value=0, max_value=12) | junk,
        "raw": st.booleans() | junk,
        "wait": st.booleans() | junk,
        "item": st.sampled_from(["value", "quality_general", "nope"]) | junk,
        "poll_period_ms": st.integers(min_value=-1, max_value=2000) | junk,
        "deadband": st.floats(allow_nan=True) | junk,
    },
)
steps = st.lists(
    st.tuples(st.sampled_from(OPS), fields, st.floats(min_value=0, max_value=2), st.booleans()),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(steps)
def test_random_request_sequences_never_crash_the_handler(
    sequence: list[tuple[str, dict[str, Any], float, bool]],
) -> None:
    process = CtapiProcess(Plant(TOPOLOGY, now=NOW), TOPOLOGY.users)
    session = Session(process)
    session.open()  # most sequences should get past the login
    now = NOW
    for number, (op, extra, step, change) in enumerate(sequence, start=100):
        now += step
        if change:
            process.plant.set_value("PUMP1_SPEED", (number * 37) % 1500, now)
        request = {"id": number, "op": op, **extra}
        try:
            replies = session.handler.handle(request, now)
        except ProtocolError as exc:
            assert exc.error.name in BY_NAME
            continue
        replies += session.handler.poll(now)
        wakeup = session.handler.next_wakeup(now)
        assert wakeup is None or wakeup > now
        for reply in replies:
            assert isinstance(reply["ok"], bool)
            assert reply["ok"] or reply["error"]["name"] in BY_NAME
    session.handler.close()


class ListLifecycle(RuleBasedStateMachine):
    """open/close and list handles in any order against a model of what must succeed."""

    lists = Bundle("lists")
    tags = Bundle("tags")

    def __init__(self) -> None:
        super().__init__()
        self.session = Session(CtapiProcess(Plant(TOPOLOGY, now=NOW), TOPOLOGY.users))
        self.opened = False
        self.live_lists: set[int] = set()
        self.live_tags: dict[int, int] = {}
        self.pending: dict[int, int] = {}

    @rule()
    def open(self) -> None:
        reply = self.session.call("open", user="engineer", password="control")
        assert reply["ok"] is (not self.opened)
        if not reply["ok"]:
            assert reply["error"]["name"] == "already_open"
        self.opened = True

    @rule()
    def close(self) -> None:
        replies = self.session.send("close")
        if not self.opened:
            assert replies[-1]["error"]["name"] == "not_connected"
            return
        cancelled = {r["id"] for r in replies[:-1]}
        assert cancelled == set(self.pending.values())
        self.pending.clear()
        self.opened = False

    @precondition(lambda self: self.opened)
    @rule(target=lists, mode=st.sampled_from([0, 1, 3]))
    def new_list(self, mode: int) -> int:
        list_id: int = self.session.ok("list.new", mode=mode)["list"]
        self.live_lists.add(list_id)
        return list_id

    @rule(target=tags, list_id=lists, tag=st.sampled_from([*TAGS[:5], "NO_SUCH_TAG"]))
    def add(self, list_id: int, tag: str) -> int:
        reply = self.session.call("list.add", list=list_id, tag=tag)
        self.expect(reply, list_id in self.live_lists)
        if reply["ok"]:
            self.live_tags[reply["handle"]] = list_id
        return int(reply["handle"]) if reply["ok"] else -1

    @rule(list_id=lists, wait=st.booleans())
    def read(self, list_id: int, wait: bool) -> None:
        replies = self.session.send("list.read", list=list_id, wait=wait)
        rid = self.session.next_id
        if not self.opened:
            assert replies[0]["error"]["name"] == "not_connected"
        elif list_id not in self.live_lists:
            assert replies[0]["error"]["name"] == "unknown_handle"
        elif list_id in self.pending:
            assert replies[0]["error"]["name"] == "list_busy"
        elif wait and not replies:
            self.pending[list_id] = rid
        else:
            assert replies[0]["ok"]

    @rule(handle=tags)
    def data(self, handle: int) -> None:
        reply = self.session.call("list.data", handle=handle)
        if not self.opened:
            assert reply["error"]["name"] == "not_connected"
        elif handle not in self.live_tags:
            assert reply["error"]["name"] == "unknown_handle"
        else:
            assert reply["ok"] or reply["error"]["name"] in {"not_read", "tag_not_found"}

    @rule(handle=consumes(tags))
    def delete(self, handle: int) -> None:
        reply = self.session.call("list.delete", handle=handle)
        self.expect(reply, handle in self.live_tags)
        self.live_tags.pop(handle, None)

    @rule(list_id=consumes(lists))
    def free(self, list_id: int) -> None:
        replies = self.session.send("list.free", list=list_id)
        self.expect(replies[-1], list_id in self.live_lists)
        if replies[-1]["ok"]:
            self.live_lists.discard(list_id)
            self.live_tags = {h: o for h, o in self.live_tags.items() if o != list_id}
            if list_id in self.pending:
                assert replies[0]["id"] == self.pending.pop(list_id)

    @rule(value=st.integers(min_value=0, max_value=1500))
    def plant_changes(self, value: int) -> None:
        self.session.now += 1
        self.session.plant.set_value("PUMP1_SPEED", value, self.session.now)
        for reply in self.session.handler.poll(self.session.now):
            assert reply["ok"]
            done = [k for k, v in self.pending.items() if v == reply["id"]]
            assert len(done) == 1
            del self.pending[done[0]]

    def expect(self, reply: dict[str, Any], exists: bool) -> None:
        if not self.opened:
            assert reply["error"]["name"] == "not_connected"
        elif not exists:
            assert reply["error"]["name"] == "unknown_handle"
        else:
            assert reply["ok"], reply

    @invariant()
    def pending_reads_are_one_per_list(self) -> None:
        live = self.session.handler.lists.lists
        assert {i for i, t in live.items() if t.pending is not None} == set(self.pending)


ListLifecycle.TestCase.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
TestListLifecycle = ListLifecycle.TestCase
