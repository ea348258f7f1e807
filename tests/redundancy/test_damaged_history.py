"""An empty or damaged history file is never taken as truth over an intact peer
(docs/plant.md, "Persistence"): with a zero-byte ALARM1 history, ALARM1 starts as standby,
takes ALARM2's history, and the alarm disable and the acknowledging user survive on both."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from emulator.plant.alarms import AlarmStatus
from emulator.plant.storage import StorageError, Store
from emulator.processes.alarm import AlarmProcess
from emulator.processes.context import Context
from emulator.runtime.supervisor import Supervisor
from emulator.topology.load import load_demo

TIMEOUT = 10.0


def alarm_process(sup: Supervisor, name: str) -> AlarmProcess:
    process = sup.process(name).process
    assert isinstance(process, AlarmProcess)
    return process


async def until(done: object) -> None:
    with anyio.fail_after(TIMEOUT):
        while not done():  # type: ignore[operator]  # noqa: ASYNC110 -- the scan task's work
            await anyio.sleep(0.02)


def plant(state: Path) -> Supervisor:
    loaded = load_demo()
    return Supervisor(loaded, ephemeral=True, context=Context(loaded.model, state_dir=state))


def statuses(sup: Supervisor, server: str) -> tuple[AlarmStatus, AlarmStatus]:
    alarms = alarm_process(sup, server).alarms
    return alarms.status("PUMP1_FAULT_ALM"), alarms.status("TANK1_TEMP_ALM")


async def test_a_zero_byte_alarm1_history_takes_alarm2s_and_loses_nothing(
    tmp_path: Path,
) -> None:
    async with plant(tmp_path) as sup:
        main = alarm_process(sup, "ALARM1")
        await until(lambda: main.role == "main" and alarm_process(sup, "ALARM2").synchronised)
        sup.context.plant.set_value("PUMP1_FAULT", True, sup.context.clock.now())
        await until(lambda: main.alarms.status("PUMP1_FAULT_ALM").on)
        now = sup.context.clock.now()
        main.act().acknowledge("PUMP1_FAULT_ALM", "alice", now)
        main.act().disable("TANK1_TEMP_ALM", "bob", now)
        ack, disabled = statuses(sup, "ALARM2")
        assert (ack.ack_user, disabled.disabled) == ("alice", True)
    history = tmp_path / "history" / "Demo_Plant"
    (history / "ALARM1.sqlite3").write_bytes(b"")  # truncated while the plant was down
    async with plant(tmp_path) as sup:
        first = alarm_process(sup, "ALARM1")
        assert first.store.damaged == "empty (0 bytes)"
        await until(lambda: first.synchronised and not first.history_lost)
        assert alarm_process(sup, "ALARM2").role == "main"  # the intact history serves
        assert first.role == "standby"
        for server in ("ALARM1", "ALARM2"):
            ack, disabled = statuses(sup, server)
            assert (ack.acked, ack.ack_user) == (True, "alice"), server
            assert (disabled.disabled, disabled.state) == (True, "DISABLED"), server
    aside = [
        p for p in history.glob("ALARM1.sqlite3.damaged-*") if not p.name.endswith(("-wal", "-shm"))
    ]
    assert len(aside) == 1 and aside[0].stat().st_size == 0  # kept for a post-mortem
    kinds = {e.kind for e in Store.open(history, "ALARM1").alarm_events()}
    assert {"ack", "disable"} <= kinds


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "is empty (0 bytes)"),
        (b"this is not a database, it is a shopping list\n" * 100, "not a readable SQLite"),
    ],
)
def test_a_damaged_file_without_a_peer_is_refused_clearly(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    (tmp_path / "ALARM1.sqlite3").write_bytes(content)
    with pytest.raises(StorageError) as caught:
        Store.open(tmp_path, "ALARM1")
    message = str(caught.value)
    assert str(tmp_path / "ALARM1.sqlite3") in message and problem in message
    assert "restore the file from a backup, or move it away" in message
    assert (tmp_path / "ALARM1.sqlite3").read_bytes() == content  # untouched


def test_a_sound_file_and_a_new_one_are_not_damaged(tmp_path: Path) -> None:
    fresh = Store.open(tmp_path, "ALARM1")
    assert fresh.damaged is None
    fresh.close()
    again = Store.open(tmp_path, "ALARM1")
    assert again.damaged is None
    again.close()
