"""A history that cannot be written: nothing is reported done that is not logged."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from emulator.plant.alarms import AlarmEvent, AlarmServer
from emulator.plant.config import Alarm, TagValue, Trend
from emulator.plant.storage import StorageError, Store
from emulator.plant.trends import TrendServer

T0 = 1_767_225_600.0


class FlakyStore(Store):
    """A real in-memory store whose writes fail while `failing` is set."""

    failing = False

    def record_alarm_events(self, events: Sequence[AlarmEvent]) -> None:
        if self.failing:
            raise StorageError("cannot write: disk full")
        super().record_alarm_events(events)

    def flush(self) -> None:
        if self.failing:
            raise StorageError("cannot write: disk full")
        super().flush()


def flaky() -> FlakyStore:
    store = FlakyStore.memory()
    assert isinstance(store, FlakyStore)
    return store


def test_a_failed_acknowledgement_is_not_done() -> None:
    values: dict[str, TagValue | None] = {"F": True}
    store = flaky()
    alarms = AlarmServer([Alarm(tag="A", variable="F")], [], values.get, store)
    alarms.evaluate(T0)
    store.failing = True
    with pytest.raises(StorageError, match="disk full"):
        alarms.acknowledge("A", "op", T0 + 1)
    assert alarms.status("A").state == "ON unacknowledged"
    with pytest.raises(StorageError):
        alarms.disable("A", "op", T0 + 1)
    assert not alarms.status("A").disabled
    store.failing = False
    assert [e.kind for e in alarms.acknowledge("A", "op", T0 + 2)] == ["ack"]


def test_a_failed_scan_is_retried_by_the_next() -> None:
    values: dict[str, TagValue | None] = {"F": False}
    store = flaky()
    alarms = AlarmServer([Alarm(tag="A", variable="F")], [], values.get, store)
    values["F"] = True
    store.failing = True
    assert alarms.evaluate(T0) == []
    assert not alarms.status("A").on
    store.failing = False
    assert [e.kind for e in alarms.evaluate(T0 + 1)] == ["on"]
    assert [e.kind for e in store.alarm_events()] == ["on"]


def test_trend_samples_stay_buffered_until_they_can_be_written() -> None:
    store = flaky()
    trends = TrendServer([Trend(name="T", tag="X")], {"X": 1.0}.get, store)
    store.failing = True
    trends.sample(T0)
    trends.sample(T0 + 1)  # the flush fails: logged, samples kept
    store.failing = False
    trends.sample(T0 + 2)
    assert [s.time for s in store.samples("T")] == [T0, T0 + 1, T0 + 2]


def test_a_closed_database_is_a_storage_error() -> None:
    store = Store.memory()
    store.close()
    with pytest.raises(StorageError, match="cannot write the in-memory history"):
        store.merge_alarm_events([])
