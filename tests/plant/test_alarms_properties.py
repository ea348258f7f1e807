"""Properties of the alarm logic: hysteresis never flaps, queries partition the alarms."""

from __future__ import annotations

import itertools

import pytest
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


class _Versioned:
    """Tag values with a change count per tag, as the plant's TagState.version."""

    def __init__(self) -> None:
        self.values: dict[str, TagValue | None] = {}
        self.versions: dict[str, int] = {}
        self.reads = 0
        #: Bumped by every change, as the plant's revision.
        self.revision = 0

    def set(self, name: str, value: TagValue | None) -> None:
        if self.values.get(name) != value or name not in self.values:
            self.versions[name] = self.versions.get(name, 0) + 1
            self.revision += 1
        self.values[name] = value

    def read(self, name: str) -> TagValue | None:
        self.reads += 1
        return self.values.get(name)

    def stamp(self, name: str) -> int | None:
        return self.versions.get(name)


_STEP = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(["A", "B", "V", "S"]), finite),
    st.tuples(st.just("bool"), st.sampled_from(["A", "B"]), st.booleans()),
    st.tuples(st.just("ack"), st.sampled_from(["D", "H", "R", "X"]), st.booleans()),
    st.tuples(st.just("disable"), st.sampled_from(["D", "H", "R", "X"]), st.booleans()),
    st.tuples(st.just("enable"), st.sampled_from(["D", "H", "R", "X"]), st.booleans()),
    st.tuples(st.just("forget"), st.just(""), st.booleans()),
    st.tuples(st.just("scan"), st.just(""), st.booleans()),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_STEP, min_size=1, max_size=40))
def test_skipping_alarms_whose_inputs_did_not_change_changes_nothing(
    steps: list[tuple[str, str, object]],
) -> None:
    """Evaluating only the alarms whose tags or status changed (plus those that depend on
    time) gives the same events and statuses as evaluating every alarm at every scan."""
    alarms = [
        Alarm(tag="D", variable="A", variable_b="NOT B"),
        Alarm(tag="H", type="analog", variable="V", high=10, low=-10, deadband=2),
        Alarm(tag="X", type="analog", variable="V", setpoint="S", deviation=5),
        Alarm(tag="R", type="analog", variable="V", rate=3),
    ]
    tags = [_Versioned(), _Versioned()]
    servers = [
        AlarmServer(alarms, [], tags[0].read, Store.memory()),
        AlarmServer(alarms, [], tags[1].read, Store.memory(), stamps=tags[1].stamp),
    ]
    logs: list[list[tuple[str, str, str]]] = [[], []]
    seen = -1  # the revision at the second server's last evaluation
    for i, (op, name, value) in enumerate(steps):
        now = T0 + i
        for server, tag_values, log in zip(servers, tags, logs, strict=True):
            match op:
                case "set" | "bool":
                    tag_values.set(name, value)  # type: ignore[arg-type]
                case "ack":
                    events = server.acknowledge(name, "op", now)
                case "disable":
                    events = server.disable(name, "op", now, until=now + 2 if value else None)
                case "enable":
                    events = server.enable(name, "op", now, acknowledge=bool(value))
                case "forget":
                    server.forget()
                case _ if server is servers[0]:
                    events = server.evaluate(now)
                case _:
                    changed, seen = tag_values.revision != seen, tag_values.revision
                    events = server.evaluate(now, tags_changed=changed)
            if op in ("ack", "disable", "enable", "scan"):
                log.extend((e.tag, e.kind, e.state) for e in events)
            events = []
    for name in ("D", "H", "X", "R"):
        assert servers[0].status(name) == servers[1].status(name)
    assert logs[0] == logs[1]


def test_an_alarm_whose_inputs_did_not_change_is_not_read_again() -> None:
    tags = _Versioned()
    tags.set("A", False)
    tags.set("V", 0.0)
    alarms = [
        Alarm(tag="D", variable="A"),
        Alarm(tag="H", type="analog", variable="V", high=10),
        Alarm(tag="R", type="analog", variable="V", rate=3),  # depends on time: every scan
    ]
    server = AlarmServer(alarms, [], tags.read, Store.memory(), stamps=tags.stamp)
    server.evaluate(T0)
    reads = tags.reads
    assert server.evaluate(T0 + 1) == []
    assert tags.reads - reads == 1  # R only
    tags.set("V", 11.0)
    reads = tags.reads
    events = server.evaluate(T0 + 2)  # H raises at the first scan after its tag changed
    assert [(e.tag, e.kind) for e in events] == [("H", "on"), ("R", "on")]
    assert tags.reads - reads == 2
    server.disable("D", "op", T0 + 3, until=T0 + 5)
    assert [e for e in server.evaluate(T0 + 4) if e.tag == "D"] == []
    # A disable time ends on time, its inputs unchanged.
    assert [(e.tag, e.kind) for e in server.evaluate(T0 + 5) if e.tag == "D"] == [("D", "enable")]


@pytest.mark.parametrize("tags_changed", [True, False])
def test_an_alarm_enabled_again_is_evaluated_though_its_inputs_did_not_change(
    tags_changed: bool,
) -> None:
    tags = _Versioned()
    tags.set("A", True)
    server = AlarmServer(
        [Alarm(tag="D", variable="A")], [], tags.read, Store.memory(), stamps=tags.stamp
    )
    assert [e.kind for e in server.evaluate(T0)] == ["on"]
    server.disable("D", "op", T0 + 1)
    server.enable("D", "op", T0 + 2)
    after = [e.kind for e in server.evaluate(T0 + 3, tags_changed=tags_changed)]
    plain = AlarmServer([Alarm(tag="D", variable="A")], [], tags.read, Store.memory())
    plain.evaluate(T0)
    plain.disable("D", "op", T0 + 1)
    plain.enable("D", "op", T0 + 2)
    assert after == [e.kind for e in plain.evaluate(T0 + 3)]
    assert server.status("D") == plain.status("D")
