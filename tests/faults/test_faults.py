from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.faults import FaultError, Faults
from emulator.faults.registry import problems
from emulator.faults.toxics import StreamState, Transmission, apply
from emulator.ports import ProcessType
from emulator.protocol.errors import NOT_CONNECTED
from emulator.scenario.config import FaultSpec
from emulator.topology.plan import Endpoint

IO1 = Endpoint("SCADA-A", "IO1", ProcessType.IO, "127.0.0.1", 2082)
CTAPI_TLS = Endpoint("SCADA-A", "CtAPI", ProcessType.CTAPI, "127.0.0.1", 3073, tls=True)
CTAPI_PLAIN = Endpoint("SCADA-A", "CtAPI", ProcessType.CTAPI, "127.0.0.1", 2073)


def fault(kind: str, name: str = "f", **fields: Any) -> FaultSpec:
    return FaultSpec(name=name, kind=kind, **fields)  # type: ignore[arg-type]


def through(
    *specs: FaultSpec, data: bytes = b"0123456789", endpoint: Endpoint = IO1
) -> Transmission:
    faults = Faults(seed=1)
    for spec in specs:
        faults.add(spec)
    return faults.link(endpoint, 0).transmit(data)


def test_no_fault_passes_bytes_untouched() -> None:
    assert through().pieces == [(0.0, b"0123456789")]
    assert through(data=b"").pieces == []


def test_latency_with_jitter_delays_the_first_piece() -> None:
    delays = {through(fault("latency", latency=100, jitter=20)).pieces[0][0] for _ in range(5)}
    assert all(0.08 <= d <= 0.12 for d in delays)


def test_bandwidth_delays_by_size() -> None:
    assert through(fault("bandwidth", rate=1), data=b"x" * 512).pieces[0][0] == pytest.approx(0.5)


def test_slicer_splits_with_a_delay_between_pieces() -> None:
    result = through(fault("slicer", average_size=3, delay=1000))
    assert [p for _, p in result.pieces] == [b"012", b"345", b"678", b"9"]
    assert [d for d, _ in result.pieces] == [0.0, 0.001, 0.001, 0.001]


def test_timeout_swallows_and_closes_later_or_never() -> None:
    result = through(fault("timeout", timeout=500))
    assert (result.pieces, result.then, result.close_after) == ([], "close", 0.5)
    forever = through(fault("timeout"))
    assert (forever.pieces, forever.then) == ([], "keep")


def test_reset_peer_resets() -> None:
    assert through(fault("reset_peer")).then == "reset"
    assert through(fault("reset_peer", timeout=200)).close_after == 0.2


def test_limit_data_closes_after_n_bytes_across_chunks() -> None:
    faults = Faults()
    faults.add(fault("limit_data", bytes=15))
    link = faults.link(IO1, 0)
    assert link.transmit(b"0123456789").then == "keep"
    last = link.transmit(b"abcdefghij")
    assert (last.data, last.then) == (b"abcde", "close")


def test_upstream_faults_leave_downstream_alone() -> None:
    spec = fault("timeout", stream="upstream")
    faults = Faults()
    faults.add(spec)
    link = faults.link(IO1, 0)
    assert link.transmit(b"x").data == b"x"
    assert link.transmit(b"x", "upstream").data == b""


def test_hang_swallows_both_streams_of_its_process_only() -> None:
    faults = Faults()
    faults.add(fault("hang", process="io1"))
    assert faults.link(IO1, 0).hung
    assert faults.link(IO1, 0).transmit(b"x", "upstream").pieces == []
    assert not faults.link(CTAPI_PLAIN, 0).hung


def test_targets_process_computer_and_tls() -> None:
    faults = Faults()
    faults.add(fault("timeout", process="CtAPI", computer="scada-a", tls=True))
    assert faults.for_endpoint(CTAPI_TLS) and not faults.for_endpoint(CTAPI_PLAIN)
    assert not faults.for_endpoint(IO1)


def test_each_connection_is_numbered_and_told_what_reaches_it() -> None:
    applied: list[str] = []
    faults = Faults()
    faults.add(fault("latency", "slow", latency=5))
    first, second = faults.link(IO1, on_apply=lambda s: applied.append(s.name)), faults.link(IO1)
    assert first.rng.random() != second.rng.random()
    first.transmit(b"x")
    first.transmit(b"y")
    assert applied == ["slow"]


def test_toxicity_is_rolled_once_per_connection_and_seeded() -> None:
    faults = Faults(seed=3)
    faults.add(fault("timeout", toxicity=0.5))
    hits = [not faults.link(IO1, n).transmit(b"x").pieces for n in range(200)]
    assert 60 < sum(hits) < 140
    again = Faults(seed=3)
    again.add(fault("timeout", toxicity=0.5))
    assert hits == [not again.link(IO1, n).transmit(b"x").pieces for n in range(200)]
    link = faults.link(IO1, 7)
    assert len({bool(link.transmit(b"x").pieces) for _ in range(20)}) == 1


def test_faults_added_later_reach_open_connections() -> None:
    faults = Faults()
    link = faults.link(IO1, 0)
    assert link.transmit(b"x").data == b"x"
    faults.add(fault("timeout"))
    assert link.transmit(b"x").data == b""
    faults.clear()
    assert link.transmit(b"x").data == b"x"


def test_error_reply_matches_op_and_tag() -> None:
    faults = Faults()
    faults.add(fault("error_reply", error="not_connected", op="tag.read", tag="PUMP1_RUN"))
    link = faults.link(IO1, 0)
    error = link.error_for({"id": 1, "op": "tag.read", "tag": "pump1_run"})
    assert error is not None and error[0] is NOT_CONNECTED and "'f'" in error[1]
    assert link.error_for({"id": 1, "op": "tag.read", "tag": "OTHER"}) is None
    assert link.error_for({"id": 1, "op": "tag.write", "tag": "PUMP1_RUN"}) is None


def test_define_activate_deactivate() -> None:
    faults = Faults.from_specs(
        [fault("latency", "slow", latency=10), fault("timeout", "dead", active=True)]
    )
    assert [f["name"] for f in faults.listing() if f["active"]] == ["dead"]
    faults.activate("SLOW")
    faults.deactivate("dead")
    assert [f["name"] for f in faults.listing() if f["active"]] == ["slow"]
    with pytest.raises(FaultError, match="not active"):
        faults.deactivate("dead")
    with pytest.raises(FaultError, match="no fault named 'nope'; defined faults: slow, dead"):
        faults.activate("nope")
    assert [s.name for s in faults.clear()] == ["slow"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (fault("latency"), "needs latency"),
        (fault("bandwidth"), "needs rate > 0"),
        (fault("slicer"), "needs average_size > 0"),
        (fault("limit_data"), "needs bytes > 0"),
        (fault("timeout", toxicity=1.5), "outside 0..1"),
        (fault("timeout", latency=-1), "latency must be >= 0"),
        (fault("down"), "needs the process"),
        (fault("error_reply"), "needs `error`"),
        (fault("error_reply", error="oops"), "unknown error 'oops'; known: "),
        (fault("timeout", op="tag.read"), "only to an error_reply"),
        (fault("timeout", name=" "), "non-empty name"),
    ],
)
def test_bad_faults_are_refused_with_the_field(spec: FaultSpec, message: str) -> None:
    assert any(message in text for _, text in problems(spec))
    with pytest.raises(FaultError, match="fault"):
        Faults().add(spec)


network = st.sampled_from(
    [
        fault("latency", latency=5, jitter=5),
        fault("bandwidth", rate=0.5),
        fault("slicer", average_size=4, size_variation=3, delay=10),
        fault("limit_data", bytes=20),
        fault("timeout", timeout=1),
        fault("reset_peer"),
    ]
)


@given(st.lists(network, max_size=4), st.binary(max_size=200), st.integers(0, 1000))
def test_toxics_only_delay_cut_or_drop_never_reorder(
    specs: list[FaultSpec], data: bytes, seed: int
) -> None:
    result = Transmission([(0.0, data)] if data else [])
    state, rng = StreamState(), random.Random(seed)
    for spec in specs:
        result = apply(spec, result, state, rng)
    assert data.startswith(result.data)
    assert all(delay >= 0 for delay, _ in result.pieces)
    if result.data != data:
        assert result.then != "keep" or any(s.kind == "timeout" for s in specs)


def test_the_faulty_handler_reports_each_request() -> None:
    from emulator.faults.handler import FaultyHandler
    from emulator.processes.registry import GenericHandler

    seen: list[tuple[str, str | None]] = []
    faults = Faults()
    handler = FaultyHandler(
        GenericHandler(ProcessType.IO), faults.link(IO1), lambda op, e, s: seen.append((op, e))
    )
    with pytest.raises(Exception, match="answers only 'ping'"):
        handler.handle({"id": 1, "op": "tag.read"}, 0.0)
    faults.add(fault("hang", process="IO1"))
    assert handler.handle({"id": 2, "op": "tag.read"}, 0.0) == []
    assert handler.poll(0.0) == []
    assert seen == [("tag.read", "unknown_request"), ("tag.read", "hang")]
