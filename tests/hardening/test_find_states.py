"""Stateful hypothesis test of the CtAPI find handles over the session's life: find.first,
moves past either end, count, close, and open/close of the session in any order, against a
model of what must succeed. (Lists and open/close: tests/ctapi/test_properties.py.)"""

from __future__ import annotations

from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule

from emulator.plant.clock import VirtualClock
from emulator.processes.context import Context
from emulator.processes.ctapi import CtapiProcess
from emulator.topology.load import load_demo
from tests.ctapi.helpers import NOW, Session

TOPOLOGY = load_demo().model
#: filter → how many Tag records it matches in the demo plant.
FILTERS = {
    "TAG=PUMP1*": sum(t.name.startswith("PUMP1") for t in TOPOLOGY.tags),
    "TAG=PUMP1_SPEED": 1,
    "TAG=NOTHING_LIKE_THIS*": 0,
}
SCROLLS = {1: "next", 2: "prev", 3: "first", 4: "last", 5: "absolute", 6: "relative"}


class FindLifecycle(RuleBasedStateMachine):
    finds = Bundle("finds")

    def __init__(self) -> None:
        super().__init__()
        context = Context(TOPOLOGY, clock=VirtualClock(NOW))
        process = CtapiProcess(context.plant, TOPOLOGY.users, context=context)
        self.session = Session(process)
        self.opened = False
        #: handle → [records, position (0-based)]
        self.live: dict[int, list[int]] = {}

    @rule(user=st.sampled_from([("engineer", "control"), ("operator", "view"), ("x", "y")]))
    def open(self, user: tuple[str, str]) -> None:
        reply = self.session.call("open", user=user[0], password=user[1])
        if self.opened:
            assert reply["error"]["name"] == "already_open"
        elif user[0] == "x":
            assert reply["error"]["name"] == "login_failed"
        else:
            assert reply["ok"], reply
            self.opened = True

    @rule()
    def close(self) -> None:
        reply = self.session.call("close")
        assert reply["ok"] is self.opened or reply["error"]["name"] == "not_connected"
        self.opened = False  # searches stay open across ctClose, as in CtAPI

    @rule(target=finds, text=st.sampled_from(sorted(FILTERS)))
    def first(self, text: str) -> int:
        reply = self.session.call("find.first", table="Tag", filter=text)
        if not self.opened:
            assert reply["error"]["name"] == "not_connected"
            return -1
        if FILTERS[text] == 0:
            assert reply["error"]["name"] == "no_more_records"
            return -1
        assert reply["ok"] and reply["count"] == FILTERS[text] and reply["position"] == 1
        self.live[reply["find"]] = [FILTERS[text], 0]
        return int(reply["find"])

    @rule(handle=finds, mode=st.sampled_from(sorted(SCROLLS)), offset=st.integers(-3, 8))
    def scroll(self, handle: int, mode: int, offset: int) -> None:
        reply = self.session.call("find.scroll", find=handle, mode=mode, offset=offset)
        if not self.expect(reply, handle):
            return
        count, position = self.live[handle]
        target = {
            1: position + 1,
            2: position - 1,
            3: 0,
            4: count - 1,
            5: offset - 1,
            6: position + offset,
        }[mode]
        self.moved(reply, handle, target)

    @rule(handle=finds, forward=st.booleans())
    def step(self, handle: int, forward: bool) -> None:
        reply = self.session.call("find.next" if forward else "find.prev", find=handle)
        if self.expect(reply, handle):
            self.moved(reply, handle, self.live[handle][1] + (1 if forward else -1))

    @rule(handle=finds)
    def count(self, handle: int) -> None:
        reply = self.session.call("find.count", find=handle)
        if self.expect(reply, handle):
            assert reply["count"] == self.live[handle][0]

    @rule(handle=consumes(finds))
    def release(self, handle: int) -> None:
        reply = self.session.call("find.close", find=handle)
        if self.expect(reply, handle):
            del self.live[handle]

    def expect(self, reply: dict[str, Any], handle: int) -> bool:
        """Whether the request could succeed; asserts the error when not."""
        if not self.opened:
            assert reply["error"]["name"] == "not_connected", reply
            return False
        if handle not in self.live:
            assert reply["error"]["name"] == "unknown_handle", reply
            return False
        return True

    def moved(self, reply: dict[str, Any], handle: int, target: int) -> None:
        count, _ = self.live[handle]
        if 0 <= target < count:
            assert reply["ok"] and reply["position"] == target + 1, reply
            self.live[handle][1] = target
        else:
            assert reply["error"]["name"] == "no_more_records", reply

    @invariant()
    def the_handler_holds_exactly_the_open_searches(self) -> None:
        assert set(self.session.handler.finds.open) == set(self.live)


FindLifecycle.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
TestFindLifecycle = FindLifecycle.TestCase
