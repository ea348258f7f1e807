"""What the devices hold survives a restart of a run that keeps its state (docs/plant.md,
"Persistence"): acknowledged writes read back after SIGKILL and after SIGTERM, through CtAPI;
values a generator moves are not kept; a damaged device file is refused, never taken as
empty."""

from __future__ import annotations

import signal
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from emulator.client import connect
from emulator.compat import CtApi
from emulator.control.manager import ControlError
from emulator.plant.devices import DeviceStore, device_file, hold_writes
from emulator.plant.refs import Element
from emulator.plant.state import Plant, TagState
from emulator.plant.storage_error import StorageError
from emulator.protocol.errors import INTERNAL_ERROR, ProtocolError
from emulator.scenario.generators import Generators
from emulator.testing.plant import start_in_background
from emulator.topology.load import demo_text, load_text
from tests.servers.helpers import TIMEOUT, scada_emu_run

HELD = {
    "TANK1_HIGH_SP": "75.0",  # no generator: a setpoint in the PLC
    "PUMP1_CMD": "0",  # a digital command, initially 1
    "FLOW_IN.Override": "5.0",  # the I/O server's override of a generated tag...
    "FLOW_IN.OverrideMode": "1",  # ...in force
}


async def write(ready: Path, values: dict[str, str]) -> None:
    async with connect("SCADA-A", user="engineer", password="control", ready=ready) as client:
        for tag, value in values.items():
            await client.tag_write(tag, value)  # acknowledged when it returns


async def read(ready: Path, tags: list[str]) -> dict[str, str]:
    async with connect("SCADA-A", user="engineer", password="control", ready=ready) as client:
        return {tag: await client.tag_read(tag) for tag in tags}


def ct_tag_write(ready: Path, tag: str, value: str) -> None:
    """ctTagWrite through the CtAPI shim (blocking, as a Windows program calls it)."""
    dll = CtApi(ready_file=ready, encryption="unencrypted")
    try:
        handle = dll.ctOpen(b"", b"engineer", b"control", 0)
        assert handle, dll.GetLastError()
        assert dll.ctTagWrite(handle, tag.encode(), value.encode()), dll.GetLastError()
    finally:
        dll.close_all()


def end(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    proc.send_signal(sig)
    proc.wait(3 * TIMEOUT)


async def test_held_writes_survive_kill_9_and_sigterm(tmp_path: Path) -> None:
    state, ready = tmp_path / "state", tmp_path / "ready.json"
    proc, _ = scada_emu_run(None, state, ready)
    try:
        with anyio.fail_after(3 * TIMEOUT):
            await write(ready, {**HELD, "PUMP1_SPEED": "10"})
            await anyio.to_thread.run_sync(ct_tag_write, ready, "PUMP2_CMD", "1")
    finally:
        end(proc, signal.SIGKILL)  # no shutdown: only what was committed before each ack
    proc, _ = scada_emu_run(None, state, ready)
    try:
        with anyio.fail_after(3 * TIMEOUT):
            tags = ["TANK1_HIGH_SP", "PUMP1_CMD", "PUMP2_CMD", "FLOW_IN", "FLOW_IN.Q"]
            after = await read(ready, tags)
            assert after == {
                "TANK1_HIGH_SP": "75.0",
                "PUMP1_CMD": "0",
                "PUMP2_CMD": "1",  # initially 0
                "FLOW_IN": "5.00",  # the override holds until OverrideMode is cleared
                "FLOW_IN.Q": "3",
            }
            await write(ready, {"TANK1_HIGH_SP": "62.5", "FLOW_IN.OverrideMode": "0"})
    finally:
        end(proc, signal.SIGTERM)
    assert proc.returncode == 0
    path = device_file(state, "Demo Plant")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # who wrote what stays private
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    store = DeviceStore.open(path)
    kept = {(tag, element) for tag, element, _, _ in store.held()}
    store.close()
    assert ("CLUSTER1.PUMP1_SPEED", Element.FIELD) not in kept  # a generator moves it
    proc, _ = scada_emu_run(None, state, ready)
    try:
        with anyio.fail_after(3 * TIMEOUT):
            again = await read(ready, ["TANK1_HIGH_SP", "FLOW_IN.OverrideMode"])
            assert again == {"TANK1_HIGH_SP": "62.5", "FLOW_IN.OverrideMode": "0"}
    finally:
        end(proc, signal.SIGTERM)


@pytest.mark.parametrize(("content", "problem"), [(b"", "empty (0 bytes)"), (b"junk" * 400, "")])
def test_a_damaged_device_file_is_refused_before_anything_starts(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    state = tmp_path / "state"
    path = device_file(state, "Demo Plant")
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.raises(StorageError) as caught:
        DeviceStore.open(path)
    assert str(path) in str(caught.value) and problem in str(caught.value)
    assert "move it away to start with the tags' initial values" in str(caught.value)
    argv = ["run", "--ephemeral", "--no-control", "--state-dir", str(state)]
    run = subprocess.run(
        [sys.executable, "-m", "emulator", *argv],
        capture_output=True,
        text=True,
        timeout=6 * TIMEOUT,
        check=False,
    )
    assert run.returncode == 1
    assert f"the device values file {path} is" in run.stderr
    assert "nothing was started" in run.stderr and "Traceback" not in run.stderr
    assert path.read_bytes() == content  # untouched


def test_a_constant_takes_its_restored_value_and_moving_values_are_not_kept(
    tmp_path: Path,
) -> None:
    text = demo_text().split("\n# ---- Scenario")[0] + (
        '\n[[generators]]\ntag = "TANK1_HIGH_SP"\nkind = "constant"\nvalue = 90.0\n'
        '\n[[generators]]\ntag = "PUMP1_SPEED"\nkind = "ramp"\n'
    )
    topology = load_text(text).model
    path = device_file(tmp_path, topology.project.name)

    def started() -> tuple[Plant, Generators, DeviceStore]:
        plant = Plant(topology)
        generators = Generators(topology.generators, seed=0, tick=1.0, start=0.0, types={})

        def heard(state: TagState, element: Element, index: int, now: float) -> None:
            generators.written(state.spec.name, state.spec.eng(state.field[0]), now)

        plant.on_write(heard)  # as the scenario runner hears writes
        store = DeviceStore.open(path)
        hold_writes(plant, topology, store, 0.0)
        return plant, generators, store

    plant, _, store = started()
    plant.write("TANK1_HIGH_SP", "55", 0.5)
    plant.write("PUMP1_SPEED", "700", 0.5)
    plant.write("PUMP1_SPEED.ControlMode", "1", 0.5)
    store.close()
    plant, generators, store = started()
    assert {(t, e) for t, e, _, _ in store.held()} == {
        ("CLUSTER1.TANK1_HIGH_SP", Element.FIELD),
        ("CLUSTER1.PUMP1_SPEED", Element.CONTROL_MODE),
    }  # not PUMP1_SPEED's field: the ramp moves it
    store.close()
    assert plant.value("PUMP1_SPEED.ControlMode") == 1
    assert plant.value("PUMP1_SPEED") == 1200  # its initial value
    assert generators.advance(1.0, {}).values["TANK1_HIGH_SP"] == 55.0  # the setpoint, not 90


def test_a_write_that_cannot_be_kept_says_so(tmp_path: Path) -> None:
    topology = load_text(demo_text()).model
    plant = Plant(topology)
    store = DeviceStore.open(device_file(tmp_path, topology.project.name))
    hold_writes(plant, topology, store, 0.0)
    store.close()  # as a disk that fails
    with pytest.raises(ProtocolError) as caught:
        plant.write("TANK1_HIGH_SP", "50", 1.0)
    assert caught.value.error is INTERNAL_ERROR
    assert "CLUSTER1.TANK1_HIGH_SP: written, but not kept for a restart" in str(caught.value)
    assert "check free disk space" in str(caught.value)


async def test_the_control_api_answers_500_for_a_write_it_could_not_keep(tmp_path: Path) -> None:
    plant, stop = await start_in_background(grace=0.1)
    try:
        topology = plant.manager.topology
        store = DeviceStore.open(device_file(tmp_path, topology.project.name))
        unsubscribe = hold_writes(plant.manager.plant, topology, store, 0.0)
        store.close()
        with pytest.raises(ControlError) as caught:
            plant.manager.set_tag("TANK1_HIGH_SP", 50.0)
        assert caught.value.status == 500
        assert "written, but not kept for a restart" in caught.value.message
        unsubscribe()
    finally:
        await stop()


def test_rows_that_do_not_fit_are_skipped_and_the_rest_restored(tmp_path: Path) -> None:
    topology = load_text(demo_text()).model
    path = device_file(tmp_path, topology.project.name)
    DeviceStore.open(path).close()
    rows = [
        ("CLUSTER1.TANK1_HIGH_SP", "field", 0, b"61.5"),
        ("CLUSTER1.TANK1_HIGH_SP", "field", 1, b"1"),  # no such item
        ("CLUSTER1.GONE", "field", 0, b"1"),  # a tag removed since
        ("CLUSTER1.PUMP1_CMD", "field", 0, b"{not json"),
        ("CLUSTER1.PUMP1_CMD", "colour", 0, b"1"),  # no such element
        ("CLUSTER1.PUMP1_SPEED", "field", 0, b'"fast"'),  # no longer fits the type
        ("CLUSTER1.PUMP1_SPEED", "override", 0, b"[1, 2]"),
    ]
    with sqlite3.connect(path) as db:
        db.executemany("INSERT INTO held VALUES (?, ?, ?, ?, 0)", rows)
    plant = Plant(topology)
    store = DeviceStore.open(path)
    hold_writes(plant, topology, store, 0.0)
    store.close()
    assert plant.value("TANK1_HIGH_SP") == 61.5
    assert plant.value("PUMP1_CMD") is True and plant.value("PUMP1_SPEED") == 1200
