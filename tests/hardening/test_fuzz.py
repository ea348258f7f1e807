"""Fuzzing in `make test` (bounded; `make fuzz` runs the long version, tests/hardening/fuzz.py):
the sans-IO codec and every process type's handler under hypothesis and a seeded fuzzer, and a
live fuzz of a running plant over real sockets. No case may get an internal_error, break a frame,
raise out of the codec, or stop a listener."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.plant.clock import VirtualClock
from emulator.processes.base import Peer
from emulator.processes.context import Context
from emulator.processes.registry import factory_for
from emulator.protocol.connection import ServerConnection
from emulator.protocol.errors import BY_NAME
from emulator.protocol.framing import FrameDecoder, encode
from emulator.runtime.supervisor import Supervisor
from emulator.topology.load import load_demo
from emulator.topology.plan import plan
from tests.hardening.fuzz import FIELDS, FUZZ_LIMITS, NUMBERS, START, STRINGS, run_live, run_sansio
from tests.hardening.helpers import logged

TOPOLOGY = load_demo().model
CONTEXT = Context(TOPOLOGY, clock=VirtualClock(START))
ENDPOINTS = {str(e.type) + ("-tls" if e.tls else ""): e for e in plan(TOPOLOGY)}
PROCESSES = {kind: factory_for(e.type)(e, CONTEXT) for kind, e in ENDPOINTS.items()}
OPS = {
    kind: process.connect(Peer("127.0.0.1", 1, ENDPOINTS[kind])).hello()["requests"]
    for kind, process in PROCESSES.items()
}


def connection(kind: str, *, opened: bool = True) -> ServerConnection:
    endpoint = ENDPOINTS[kind]
    peer = Peer("127.0.0.1", 2, endpoint, "TLSv1.3" if endpoint.tls else None)
    conn = ServerConnection(PROCESSES[kind].connect(peer), peer)
    if opened and endpoint.type == "ctapi":
        conn.receive_data(b'{"id":0,"op":"open","user":"engineer","password":"control"}\n', START)
    return conn


def check(out: bytes) -> list[dict[str, Any]]:
    """Server output is whole JSON frames, each a documented reply or a push."""
    decoder = FrameDecoder(1 << 22)
    decoder.feed(out)
    frames = decoder.frames()
    assert decoder.buffered == 0
    for frame in frames:
        if frame.get("ok") is False:
            name = frame["error"]["name"]
            assert name in BY_NAME and name != "internal_error", frame
    return frames


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.sampled_from(NUMBERS)
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(STRINGS)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(sorted(ENDPOINTS)),
    data=st.data(),
    fields=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=5),
)
def test_any_request_to_any_process_gets_a_documented_answer(
    kind: str, data: st.DataObject, fields: dict[str, Any]
) -> None:
    op = data.draw(st.sampled_from([*OPS[kind], "open", "no.such"]))
    conn = connection(kind)
    try:
        frame = encode({"id": 7, "op": op, **fields})
    except (OverflowError, TypeError):  # an integer JSON cannot carry: not a frame at all
        return
    frames = check(conn.receive_data(frame, START + 1) + conn.poll(START + 2))
    assert any(f.get("id") == 7 for f in frames) or op == "list.read"
    conn.close()


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(sorted(ENDPOINTS)),
    chunks=st.lists(
        st.binary(max_size=40)
        | st.sampled_from([b"\n", b'{"id":1,"op":"ping"}\n', b'{"id":', b"\x16\x03\x01", b"\r\n"]),
        max_size=12,
    ),
)
def test_any_bytes_to_any_process_give_whole_frames_and_never_raise(
    kind: str, chunks: list[bytes]
) -> None:
    conn = connection(kind, opened=False)
    out = conn.hello()
    for chunk in chunks:
        out += conn.receive_data(chunk, START)
        if conn.should_close:
            assert conn.receive_data(b'{"id":2,"op":"ping"}\n', START) == b""
            break
    check(out)
    conn.close()


def test_the_seeded_sansio_fuzz_finds_nothing() -> None:
    report = run_sansio(frames=20_000, seed=8)
    assert report.failures == []
    assert report.frames >= 20_000 and report.replies["ok"] > 1000
    assert report.replies["bad_frame"] > 0 and report.replies["invalid_parameter"] > 0


async def test_a_live_fuzz_over_real_sockets_stops_nothing(state_dir: Path) -> None:
    with logged() as events:
        async with Supervisor(
            load_demo(), ephemeral=True, state_dir=state_dir, limits=FUZZ_LIMITS
        ) as sup:
            report = await run_live(sup, frames=5000, seed=8)
    assert report.failures == []
    assert report.frames >= 5000 and report.connections > len(sup.listeners)
    assert report.replies["ok"] > 500 and report.closes > 0
    crashed = [e for e in events if e["event"] in ("handler.failed", "connection.failed")]
    assert crashed == []
