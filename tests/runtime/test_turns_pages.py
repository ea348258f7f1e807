"""The sans-IO parts of bounded work and pages: a connection answers a bounded turn at a time,
hands an expensive request over as a Pending, pages a large reply behind a cursor, and counts
as logged in by its handler's word or its first request (issue 18)."""

from __future__ import annotations

from typing import Any

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from emulator.processes.base import Job, Message
from emulator.protocol.connection import Pending, ServerConnection
from emulator.protocol.errors import QUERY_TIMEOUT, ProtocolError
from emulator.protocol.framing import encode
from emulator.protocol.pages import MAX_CURSORS, split
from tests.runtime.test_connection import PEER, Scripted, frames


def pings(count: int) -> bytes:
    return b"".join(encode({"id": n, "op": "ping"}) for n in range(count))


def test_a_turn_answers_at_most_its_budget_and_says_more_is_left() -> None:
    conn = ServerConnection(Scripted(), PEER)
    conn.feed(pings(100))
    answered: list[Any] = []
    turns = 0
    while True:
        items = conn.turn(0.0, 32)
        answered += [f["id"] for item in items for f in frames(item)]  # type: ignore[arg-type]
        turns += 1
        assert len(items) <= 32
        if not conn.more:
            break
    assert answered == list(range(100)) and turns == 4


class Offloading(Scripted):
    """A handler whose `slow` requests are jobs."""

    def offload(self, request: Message, now: float) -> Job | None:
        if request["op"] != "slow":
            return None
        rid = request["id"]
        if request.get("fail"):

            def fail() -> list[Message]:
                raise ProtocolError(QUERY_TIMEOUT, "1 s")

            return Job(fail)
        return Job(lambda: [{"id": rid, "ok": True, "rows": list(range(20_000))}])


def test_an_expensive_request_ends_the_turn_as_a_pending_job_in_order() -> None:
    conn = ServerConnection(Offloading(), PEER)
    conn.feed(b"".join(encode(m) for m in [
        {"id": 1, "op": "x"}, {"id": 2, "op": "slow"}, {"id": 3, "op": "slow", "fail": True},
    ]))  # fmt: skip
    first = conn.turn(0.0, 32)
    assert [type(item) for item in first] == [bytes, Pending] and conn.more
    job = first[1]
    assert isinstance(job, Pending)
    out = conn.finish(job, job.run(), 0.0)
    (page,) = frames(out)
    assert page["id"] == 2 and page["more"] == "c1" and len(encode(page)) <= conn.max_frame_size
    (failing,) = conn.turn(0.0, 32)
    assert isinstance(failing, Pending)
    (error,) = frames(conn.finish(failing, failing.run(), 0.0))
    assert error["id"] == 3 and error["error"]["name"] == "query_timeout"
    assert conn.turn(0.0, 32) == [] and not conn.more
    assert conn.requests == 3 and conn.logged_in


def test_pages_follow_their_cursor_to_the_end_and_a_finished_cursor_is_gone() -> None:
    conn = ServerConnection(Offloading(), PEER)
    out = frames(conn.receive_data(encode({"id": 1, "op": "slow"}), 0.0))
    rows = list(out[0]["rows"])
    cursor = out[0]["more"]
    number = 2
    while cursor is not None:
        (page,) = frames(
            conn.receive_data(encode({"id": number, "op": "more", "cursor": cursor}), 0)
        )
        assert page["id"] == number and page["ok"]
        rows += page["rows"]
        cursor, number = page.get("more"), number + 1
    assert rows == list(range(20_000))
    (gone,) = frames(conn.receive_data(encode({"id": 0, "op": "more", "cursor": "c1"}), 0.0))
    assert gone["error"]["name"] == "unknown_cursor"


def test_a_connection_keeps_the_pages_of_its_newest_results_only() -> None:
    conn = ServerConnection(Offloading(), PEER)
    cursors = [
        frames(conn.receive_data(encode({"id": n, "op": "slow"}), 0.0))[0]["more"]
        for n in range(MAX_CURSORS + 1)
    ]
    oldest = frames(conn.receive_data(encode({"id": 9, "op": "more", "cursor": cursors[0]}), 0))
    assert oldest[0]["error"]["name"] == "unknown_cursor"
    newest = frames(conn.receive_data(encode({"id": 9, "op": "more", "cursor": cursors[-1]}), 0))
    assert newest[0]["ok"]


def test_logged_in_is_the_handlers_word_else_a_request_of_its_own() -> None:
    plain = ServerConnection(Scripted(), PEER)
    plain.receive_data(pings(3), 0.0)
    assert not plain.logged_in  # pings are no login
    plain.receive_data(encode({"id": 1, "op": "x"}), 0.0)
    assert plain.logged_in
    own = Scripted()
    own.logged_in = False
    conn = ServerConnection(own, PEER)
    conn.receive_data(encode({"id": 1, "op": "x"}), 0.0)
    assert not conn.logged_in


@given(
    st.lists(
        st.one_of(st.integers(), st.text(max_size=300), st.lists(st.integers(), max_size=30)),
        max_size=400,
    ),
    st.integers(600, 4000),
)
def test_pages_fit_their_limit_and_hold_every_item_in_order(items: list[Any], limit: int) -> None:
    message = {"id": 1, "ok": True, "label": "x", "items": items}
    pages = split(message, limit)
    if pages is None:  # nothing to cut, or one item alone too large
        assert not items or any(len(msgspec.json.encode(i)) > limit // 2 for i in items)
        return
    assert [i for p in pages for i in p["items"]] == items
    for page in pages:
        assert page["label"] == "x"
        assert len(encode({**page, "more": "c" * 20})) <= limit
