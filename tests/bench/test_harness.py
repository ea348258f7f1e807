"""The benchmark harness itself works: frames, statistics, and brief live runs (not a benchmark)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench import drive, frames, largeplant, report, scale, servers
from bench.loadgen import percentile, share
from bench.spec import Load, Target
from emulator.topology.compile import compile_topology
from emulator.topology.load import load_text
from emulator.topology.plan import plan

WARMUP_S = 0.05
DURATION_S = 0.25


@given(
    st.lists(st.binary(min_size=1, max_size=8), min_size=1, max_size=20),
    st.integers(min_value=0, max_value=19),
    st.integers(min_value=1, max_value=20),
)
def test_frame_ring_takes_any_run_as_one_slice(chunks: list[bytes], position: int, k: int) -> None:
    ring = frames.FrameRing(chunks)
    position %= ring.count
    k = min(k, ring.count)
    view, after = ring.take(position, k)
    expected = b"".join(chunks[(position + i) % ring.count] for i in range(k))
    assert bytes(view) == expected
    assert after == (position + k) % ring.count


@given(st.integers(0, 3000), st.integers(1, 200), st.integers(0, 10_000))
def test_spread_drips_reach_every_client_once_per_period(n: int, slices: int, start: int) -> None:
    clients = list(range(n))
    period = [c for tick in range(start, start + slices) for c in share(clients, tick, slices)]
    assert sorted(period) == clients


def test_request_frames_are_what_the_protocol_documents() -> None:
    ring = frames.tag_reads("PUMP1_SPEED", count=3)
    assert msgspec.json.decode(ring.first) == {"id": 1, "op": "tag.read", "tag": "PUMP1_SPEED"}
    login = msgspec.json.decode(frames.ctapi_open())
    assert login["op"] == "open" and login["user"] == "engineer"
    request = ring.first
    reply = frames.echo_reply(request)
    assert len(reply) == len(request) and reply.endswith(b"\n")
    assert msgspec.json.decode(reply)["ok"] is True


def test_modbus_frames_round_trip() -> None:
    request = frames.modbus_read_holding(7)
    assert len(request) == 12
    reply = bytes.fromhex("00070000000501030204d2")
    assert len(reply) == frames.MODBUS_REPLY_SIZE
    parsed = frames.parse_modbus_reply(reply)
    assert (parsed.transaction, parsed.function, parsed.byte_count) == (7, 3, 2)
    with pytest.raises(ValueError, match="at least 9 bytes"):
        frames.parse_modbus_reply(b"\x00\x01")


def test_percentiles_and_goals() -> None:
    ordered = [i * 1_000_000 for i in range(1, 101)]  # 1..100 ms
    assert percentile(ordered, 0.5) == 50.0
    assert percentile(ordered, 0.99) == 99.0
    runs = report.Runs()
    for value in (3.0, 1.0, 2.0):
        runs.add("tag_read.p99_ms", value)
        runs.add("startup.demo_s", value / 10)
    runs.missing("failover.reconnect_ms", "not there yet")
    keys = ["tag_read.p99_ms", "startup.demo_s", "failover.reconnect_ms"]
    doc = report.results(runs, {}, keys)
    assert doc["tag_read"]["p99_ms"] == 2.0
    assert doc["failover"]["reconnect_ms"] is None
    assert doc["goals"]["tag_read.p99_ms"]["met"] is True  # at the bound: p99 <= 2 ms
    assert doc["goals"]["failover.reconnect_ms"]["met"] is None
    assert doc["spread"]["startup.demo_s"] == {"min": 0.1, "max": 0.3, "n": 3}
    assert doc["unmeasured"] == {"failover.reconnect_ms": "not there yet"}


def test_the_large_plant_compiles_to_a_thousand_listeners() -> None:
    loaded = load_text(largeplant.topology(largeplant.computers_for(1000)), "<large>")
    problems = compile_topology(loaded)
    assert not [p for p in problems if p.severity.value == "error"]
    assert len(plan(loaded.model)) >= 1000


def test_doc_markers_are_replaced(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text(f"# P\n\n{report.BEGIN}\nold\n{report.END}\nafter\n", encoding="utf-8")
    assert report.update_doc(doc, "| new |")
    text = doc.read_text("utf-8")
    assert "| new |" in text and "old" not in text and text.endswith("after\n")
    assert not report.update_doc(tmp_path / "missing.md", "x")


@pytest.fixture(scope="module")
def echo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Server]:
    server = servers.start_echo(tmp_path_factory.mktemp("echo"), None, loop="asyncio")
    yield server
    server.stop()


def test_closed_and_open_loop_against_the_echo_limit(echo: servers.Server) -> None:
    closed = drive.run(
        Load(
            mode="closed",
            target=echo.target,
            server_pid=echo.pid,
            warmup_s=WARMUP_S,
            duration_s=DURATION_S,
        )
    )
    assert closed.rps and closed.rps > 1000
    assert closed.errors == 0 and closed.connections == 16
    assert closed.server_cpu is not None
    opened = drive.run(
        Load(
            mode="open",
            target=echo.target,
            rate=400.0,
            connections=2,
            warmup_s=WARMUP_S,
            duration_s=DURATION_S,
        )
    )
    assert opened.completed > 0 and opened.errors == 0
    assert opened.p50_ms is not None and opened.p99_ms is not None
    assert opened.p50_ms <= opened.p99_ms


def test_a_refused_connection_is_reported_clearly() -> None:
    nowhere = Load(
        mode="closed",
        target=Target(kind="echo", host="127.0.0.1", port=1),
        warmup_s=WARMUP_S,
        duration_s=DURATION_S,
    )
    with pytest.raises(servers.BenchError, match=re.escape("against echo 127.0.0.1:1 failed")):
        drive.run(nowhere)


def test_emulator_tag_reads_and_held_sessions(tmp_path: Path) -> None:
    emulator = servers.start_emulator(tmp_path, None, state_dir=tmp_path / "state")
    try:
        target = emulator.plain()
        closed = drive.run(
            Load(
                mode="closed",
                target=target,
                connections=2,
                depth=4,
                warmup_s=WARMUP_S,
                duration_s=DURATION_S,
            )
        )
        assert closed.errors == 0, closed.first_error
        assert closed.completed > 0
        with drive.holding(Load(mode="hold", target=target, connections=5)) as hold:
            assert hold.announced["held"] == 5
            released = hold.release()
        assert released.still_open == 5 and released.errors == 0
    finally:
        assert emulator.server.stop() == 0


def test_scale_plants_have_the_tags_they_are_named_for(tmp_path: Path) -> None:
    assert [scale.tags(label) for label in scale.FULL_SIZES] == [3000, 20_000, 100_000, 1_000_000]
    path = scale.write_plant(tmp_path, "3k")
    loaded = load_text(path.read_text("utf-8"), str(path))
    assert len(loaded.model.tags) == 3000
    assert scale.write_plant(tmp_path, "3k") == path  # written once per run


def test_scale_table_shows_measured_rows_only() -> None:
    runs = report.Runs()
    runs.add("scale.3k.ready_s", 1.5)
    runs.add("scale.3k.idle_cpu", 0.02)
    runs.add("scale.3k.baseline.ready_s", 2.0)
    text = scale.table(runs, ["3k", "20k"])
    rows = text.splitlines()[2:]
    assert rows == [
        "| 3k (3,000 tags) | this | 1.50 | 2.0% | - | - | - |",
        "| 3k (3,000 tags) | baseline | 2.00 | - | - | - | - |",
    ]
