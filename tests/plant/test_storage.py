"""The history database: queries, restart, WAL, bad state directories, and a kill -9 mid-write."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.plant.alarms import AlarmServer
from emulator.plant.config import Alarm, TagValue
from emulator.plant.storage import FLUSH_INTERVAL, StorageError, Store
from emulator.plant.trends import TrendSample

T0 = 1_767_225_600.0


def test_alarm_event_queries_by_time_tag_and_limit() -> None:
    values: dict[str, TagValue | None] = {"A": True, "B": True}
    store = Store.memory()
    server = AlarmServer(
        [Alarm(tag="A", variable="A"), Alarm(tag="B", variable="B")], [], values.get, store
    )
    server.evaluate(T0)
    server.acknowledge("A", "op", T0 + 10)
    server.acknowledge("B", "op", T0 + 20)
    assert len(store.alarm_events()) == 4
    assert [e.kind for e in store.alarm_events(tag="a")] == ["on", "ack"]
    assert [e.time for e in store.alarm_events(start=T0 + 5, end=T0 + 15)] == [T0 + 10]
    assert [e.time for e in store.alarm_events(limit=2)] == [T0 + 10, T0 + 20]
    assert store.merge_alarm_events(store.alarm_events()) == 0


def test_state_directory_uses_wal_and_survives_reopen(tmp_path: Path) -> None:
    store = Store.open(tmp_path, "TREND 1/x")
    assert store.path == tmp_path / "TREND_1_x.sqlite3"
    store.add_samples("LEVEL", [TrendSample(T0, 1.0), TrendSample(T0 + 1, None, 3)], T0)
    store.close()
    mode = sqlite3.connect(tmp_path / "TREND_1_x.sqlite3").execute("PRAGMA journal_mode")
    assert mode.fetchone()[0] == "wal"
    again = Store.open(tmp_path, "TREND 1/x")
    assert again.samples("level") == [TrendSample(T0, 1.0), TrendSample(T0 + 1, None, 3)]
    again.close()


def test_samples_wait_at_most_the_flush_interval() -> None:
    store = Store.memory()
    assert store.flush_deadline() is None
    store.add_samples("T", [TrendSample(T0, 1.0)], T0)
    assert store.flush_deadline() == T0 + FLUSH_INTERVAL
    assert not store.flush_due(T0 + FLUSH_INTERVAL / 2)
    assert store.flush_due(T0 + FLUSH_INTERVAL)
    assert store.flush_deadline() is None


def test_sample_queries_and_gap_fill_keep_own_samples() -> None:
    store = Store.memory()
    store.add_samples("T", [TrendSample(T0 + i, float(i)) for i in range(5)], T0)
    assert [s.time for s in store.samples("T", T0 + 1, T0 + 3)] == [T0 + 1, T0 + 2, T0 + 3]
    assert [s.time for s in store.samples("T", limit=2)] == [T0 + 3, T0 + 4]
    assert store.latest_at("T", T0 + 2.5) == TrendSample(T0 + 2, 2.0)
    assert store.latest_at("T", T0 + 2) == TrendSample(T0 + 2, 2.0)
    assert store.earliest_after("T", T0 + 2) == TrendSample(T0 + 3, 3.0)
    assert store.earliest_after("T", T0 + 4) is None
    added = store.fill_samples("T", [TrendSample(T0 + 2, 99.0), TrendSample(T0 + 5, 5.0)])
    assert added == 1
    assert store.latest_at("T", T0 + 2) == TrendSample(T0 + 2, 2.0)


def test_a_state_directory_that_is_a_file_gives_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("not a directory")
    with pytest.raises(StorageError, match=r"cannot open the history database .*state directory"):
        Store.open(blocker, "ALARM1")


def test_a_foreign_schema_is_refused(tmp_path: Path) -> None:
    Store.open(tmp_path, "ALARM1").close()
    db = sqlite3.connect(tmp_path / "ALARM1.sqlite3")
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    db.commit()
    db.close()
    with pytest.raises(StorageError, match=r"schema 99.*move the old file away"):
        Store.open(tmp_path, "ALARM1")


_CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    from emulator.plant.alarms import AlarmServer
    from emulator.plant.config import Alarm, Trend
    from emulator.plant.storage import Store
    from emulator.plant.trends import TrendServer

    directory = Path(sys.argv[1])
    count = 200
    values = {f"T{i}": True for i in range(count)}
    values["LEVEL"] = 50.0
    alarms = AlarmServer(
        [Alarm(tag=f"A{i}", variable=f"T{i}") for i in range(count)],
        [],
        values.get,
        Store.open(directory, "ALARM1"),
    )
    trends = TrendServer(
        [Trend(name="LEVEL", tag="LEVEL", sample_period=0.5)],
        values.get,
        Store.open(directory, "TREND1"),
    )
    alarms.evaluate(1000.0)
    for i in range(count):
        now = 1001.0 + i
        trends.sample(now)
        alarms.acknowledge(f"A{i}", "op", now)
        print(f"acked A{i} {now}", flush=True)
    sys.stdin.read()
    """
)


def test_kill_9_loses_no_acknowledgement_reported_done(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    reported: list[tuple[str, float]] = []
    try:
        assert child.stdout is not None
        while len(reported) < 20:
            line = child.stdout.readline()
            assert line, "the writer exited before reporting 20 acknowledgements"
            if not line.startswith("acked "):
                continue  # structlog's own lines
            _, tag, now = line.split()
            reported.append((tag, float(now)))
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        if child.stdout is not None:
            child.stdout.close()
        if child.stdin is not None:
            child.stdin.close()
    assert child.returncode == -signal.SIGKILL

    alarms = Store.open(tmp_path, "ALARM1")
    logged = {(e.tag, e.time) for e in alarms.alarm_events() if e.kind == "ack"}
    assert set(reported) <= logged
    statuses = alarms.alarm_statuses()
    assert all(statuses[tag].acked for tag, _ in reported)
    trends = Store.open(tmp_path, "TREND1")
    times = {s.time for s in trends.samples("LEVEL")}
    last_reported = reported[-1][1]
    # At most the last second of samples (plant time) may be lost.
    assert {1001.0 + i for i in range(int(last_reported - 1001.0 - FLUSH_INTERVAL))} <= times
    alarms.close()
    trends.close()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0, 2e9, allow_nan=False),
            st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
            st.sampled_from([0, 1, 2, 3]),
        ),
        max_size=30,
        unique_by=lambda t: t[0],
    )
)
def test_trend_samples_round_trip(rows: list[tuple[float, float | None, int]]) -> None:
    store = Store.memory()
    samples = [TrendSample(t, v, q) for t, v, q in rows]
    store.add_samples("T", samples, 0.0)
    assert store.samples("t") == sorted(samples, key=lambda s: s.time)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from(["on", "ack", "disable", "enable"]), max_size=20),
    st.text(max_size=20),
)
def test_alarm_events_round_trip(kinds: list[str], user: str) -> None:
    values: dict[str, TagValue | None] = {"A": True}
    store = Store.memory()
    server = AlarmServer([Alarm(tag="A", variable="A", custom=[user])], [], values.get, store)
    logged = []
    for i, kind in enumerate(kinds):
        now = T0 + i
        if kind == "on":
            values["A"] = not values["A"]
            logged += server.evaluate(now)
        elif kind == "ack":
            logged += server.acknowledge("A", user, now)
        elif kind == "disable":
            logged += server.disable("A", user, now, user)
        else:
            logged += server.enable("A", user, now, user)
    assert store.alarm_events() == logged
    if logged:  # the stored status is the one of the last event
        assert store.alarm_statuses() == {"A": logged[-1].status}
        assert logged[-1].state == server.status("A").state
