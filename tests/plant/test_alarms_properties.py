"""Properties of the alarm logic: hysteresis never flaps, queries partition the alarms."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.plant.alarms import (
    QUERY_ACKNOWLEDGED_ON,
    QUERY_ACTIVE,
    QUERY_CONFIGURED,
    QUERY_DISABLED,
    QUERY_UNACKNOWLEDGED,
    AlarmServer,
)
from emulator.plant.config import Alarm, TagValue
from emulator.plant.storage import Store

T0 = 1_767_225_600.0
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    limit=finite,
    deadband=st.floats(min_value=0, max_value=1e3, allow_nan=False),
    start_on=st.booleans(),
    fractions=st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=30),
    low=st.booleans(),
)
def test_a_value_inside_the_deadband_never_flaps(
    limit: float, deadband: float, start_on: bool, fractions: list[float], low: bool
) -> None:
    values: dict[str, TagValue | None] = {}
    # Start clearly on or clearly off, then move only inside [limit - deadband, limit] (high)
    # or [limit, limit + deadband] (low): the state must hold.
    if low:
        alarm = Alarm(tag="A", type="analog", variable="V", low=limit, deadband=deadband)
        band = (limit, limit + deadband)
        values["V"] = limit - 1 if start_on else limit + deadband + 1
    else:
        alarm = Alarm(tag="A", type="analog", variable="V", high=limit, deadband=deadband)
        band = (limit - deadband, limit)
        values["V"] = limit + 1 if start_on else limit - deadband - 1
    server = AlarmServer([alarm], [], values.get, Store.memory())
    server.evaluate(T0)
    assert server.status("A").on is start_on
    for i, fraction in enumerate(fractions):
        values["V"] = min(max(band[0] + (band[1] - band[0]) * fraction, band[0]), band[1])
        assert server.evaluate(T0 + 1 + i) == []
    assert server.status("A").on is start_on


operation = st.one_of(
    st.tuples(st.just("set"), st.integers(0, 3), st.booleans()),
    st.tuples(st.just("ack"), st.integers(0, 3), st.booleans()),
    st.tuples(st.just("disable"), st.integers(0, 3), st.booleans()),
    st.tuples(st.just("enable"), st.integers(0, 3), st.booleans()),
    st.tuples(st.just("ack_area"), st.integers(0, 1), st.booleans()),
)


@settings(max_examples=80, deadline=None)
@given(st.lists(operation, max_size=40))
def test_queries_partition_and_events_alternate(ops: list[tuple[str, int, bool]]) -> None:
    values: dict[str, TagValue | None] = {f"T{i}": False for i in range(4)}
    alarms = [Alarm(tag=f"A{i}", variable=f"T{i}", area=i % 2) for i in range(4)]
    server = AlarmServer(alarms, [], values.get, Store.memory())
    now = T0
    for op, index, flag in ops:
        now += 0.5
        tag = f"A{index}"
        if op == "set":
            values[f"T{index}"] = flag
        elif op == "ack":
            server.acknowledge(tag, "op", now)
        elif op == "disable":
            server.disable(tag, "op", now)
        elif op == "enable":
            server.enable(tag, "op", now)
        else:
            server.acknowledge_area(index, "op", now)
        server.evaluate(now)
        for i in range(4):
            status = server.status(f"A{i}")
            if not status.disabled:
                assert status.on is values[f"T{i}"]

    def tags(kind: int) -> set[str]:
        return {a.tag for a, _ in server.query(kind)}

    unacked, acked_on = tags(QUERY_UNACKNOWLEDGED), tags(QUERY_ACKNOWLEDGED_ON)
    assert not unacked & acked_on
    assert tags(QUERY_ACTIVE) == unacked | acked_on
    assert not tags(QUERY_DISABLED) & tags(QUERY_ACTIVE)
    assert len(tags(QUERY_CONFIGURED)) == 4
    for alarm in alarms:
        kinds = [e.kind for e in server.events(tag=alarm.tag) if e.kind in ("on", "off", "disable")]
        # on and off alternate; a disable ends an occurrence like an off does.
        for before, after in itertools.pairwise(kinds):
            assert not (before == after == "on")
            assert before != "off" or after != "off"
