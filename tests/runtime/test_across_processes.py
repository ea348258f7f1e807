"""Issue 15.1, the I/O path: one topology run as `scada-emu run --computer` processes is one
system. The CtAPI process of a computer reads and writes a tag through the I/O server that owns
it on another computer (port 2082), and the standby serves once the primary is gone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from emulator.client.blocking import CtApiClient
from emulator.client.errors import CtApiError
from tests.servers.helpers import TIMEOUT

#: Two computers on loopback addresses of their own (per test run, so parallel runs never meet).
_NET = f"127.{100 + os.getpid() % 100}.{os.getpid() // 100 % 250 + 1}"
HOSTS = {"HOST-A": f"{_NET}.1", "HOST-B": f"{_NET}.2", "HOST-C": f"{_NET}.3"}

PLANT = f"""\
[project]
name = "TwoProcesses"
server_password = "one system"

[[computers]]
name = "HOST-A"
ctapi = "unencrypted"

[[computers]]
name = "HOST-B"
ctapi = "unencrypted"

[[computers]]
name = "HOST-C"
ctapi = "unencrypted"

[[network_addresses]]
name = "NET_C"
computer = "HOST-C"
address = "{HOSTS["HOST-C"]}"

[[network_addresses]]
name = "NET_A"
computer = "HOST-A"
address = "{HOSTS["HOST-A"]}"

[[network_addresses]]
name = "NET_B"
computer = "HOST-B"
address = "{HOSTS["HOST-B"]}"

[[clusters]]
name = "C1"

[[server_processes]]
name = "IO1"
type = "io"
network_address = "NET_A"

[[server_processes]]
name = "IO2"
type = "io"
network_address = "NET_B"
mode = "standby"

[[users]]
name = "engineer"
password = "control"

[[tags]]
name = "SETPOINT"
type = "int"
initial = 10

[[tags]]
name = "COUNTER"
type = "int"

[[generators]]
tag = "COUNTER"
kind = "ramp"
rate = 1000.0

[scenario]
tick = "0.1s"
"""


def _poll(check: Callable[[], bool], what: str, limit: float = 3 * TIMEOUT) -> None:
    deadline = time.monotonic() + limit
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)  # another process's state: nothing to await


def _read(client: CtApiClient, tag: str) -> str | None:
    try:
        return client.tag_read(tag)
    except CtApiError:
        return None


def start(tmp_path: Path, computer: str) -> subprocess.Popen[bytes]:
    """`scada-emu run --computer` of the topology in tmp_path, its log appended to a file."""
    ready = tmp_path / f"{computer}.json"
    ready.unlink(missing_ok=True)
    command = [sys.executable, "-m", "emulator", "run", str(tmp_path / "two.toml")]
    command += ["--computer", computer, "--no-control", "--ready-file", str(ready)]
    command += ["--state-dir", str(tmp_path / computer), "--log-format", "json"]
    with (tmp_path / f"{computer}.log").open("ab") as log:
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)


@pytest.fixture
def hosts(tmp_path: Path) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """HOST-A (IO1), HOST-B (IO2, its standby) and HOST-C (CtAPI only), each its own
    `scada-emu run --computer`, all ready."""
    (tmp_path / "two.toml").write_text(PLANT)
    procs = {computer: start(tmp_path, computer) for computer in HOSTS}
    ready = {computer: tmp_path / f"{computer}.json" for computer in HOSTS}
    try:

        def all_ready() -> bool:
            for computer, proc in procs.items():
                if proc.poll() is not None:
                    log = (tmp_path / f"{computer}.log").read_text()[-2000:]
                    pytest.fail(f"{computer} stopped: {log}")
            return all(path.exists() for path in ready.values())

        _poll(all_ready, "the three computers did not get ready")
        yield procs
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in procs.values():
            proc.wait(timeout=TIMEOUT)


def _client(computer: str) -> CtApiClient:
    return CtApiClient(
        HOSTS[computer], user="engineer", password="control", encryption="unencrypted"
    )


def test_a_write_on_one_computer_is_what_the_other_reads_and_the_standby_takes_over(
    hosts: dict[str, subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    with _client("HOST-A") as a, _client("HOST-B") as b, _client("HOST-C") as c:
        # HOST-B's CtAPI writes SETPOINT through IO1 on HOST-A once its link is synced (before,
        # its own standby IO2 serves it).
        _poll(
            lambda: _write_ok(b, "SETPOINT", 42) and _read(a, "SETPOINT") == "42",
            "a write on B is read on A",
        )
        assert _read(b, "SETPOINT") == "42"  # acknowledged by IO1, so B reads it at once
        a.tag_write("SETPOINT", 43)
        _poll(lambda: _read(b, "SETPOINT") == "43", "a write on A is read on B")
        _poll(lambda: _read(c, "SETPOINT") == "43", "and on C, which runs no I/O server")
        _poll(lambda: _write_ok(c, "SETPOINT", 44) and _read(a, "SETPOINT") == "44", "C -> A")
        # The generator of COUNTER runs where IO1 runs; HOST-B holds HOST-A's values, never
        # its own generator's in between (they would go back and forth).
        _poll(lambda: _read(a, "COUNTER") == _read(b, "COUNTER"), "B follows A's counter")
        seen = [int(b.tag_read("COUNTER")) for _ in range(50)]
        assert seen == sorted(seen), seen

        # Once HOST-A follows IO2 too, a write IO1 acknowledges is on IO2 before the
        # acknowledgement: kill -9 right after it loses nothing.
        log_a = tmp_path / "HOST-A.log"
        _poll(lambda: _synced(log_a, "IO2"), "HOST-A's link to IO2 is synced")
        a.tag_write("SETPOINT", 45)
        hosts["HOST-A"].send_signal(signal.SIGKILL)
        hosts["HOST-A"].wait(timeout=TIMEOUT)
        # IO2, the standby on HOST-B, serves with the last value IO1 acknowledged; HOST-C
        # moves to it once its link to IO1 is gone.
        assert _read(b, "SETPOINT") == "45"
        _poll(lambda: _read(c, "SETPOINT") == "45", "C reads the standby's value")
        _poll(lambda: _write_ok(c, "SETPOINT", 46), "C writes through the standby")
        assert _read(b, "SETPOINT") == "46" and _read(c, "SETPOINT") == "46"
        _poll(lambda: _write_ok(b, "SETPOINT", 47), "the standby takes B's write")
        assert _read(b, "SETPOINT") == "47"
        _poll(lambda: _read(c, "SETPOINT") == "47", "C follows the standby")

        # HOST-A returns: IO1 takes what IO2 served meanwhile, and serves again.
        hosts["HOST-A"] = start(tmp_path, "HOST-A")
        _poll((tmp_path / "HOST-A.json").exists, "HOST-A is back")
        with _client("HOST-A") as back:
            _poll(lambda: _read(back, "SETPOINT") == "47", "IO1 caught up from IO2")
        _poll(lambda: _write_ok(c, "SETPOINT", 48) and _read(b, "SETPOINT") == "48", "C -> A")
        assert "io_routes.caught_up" in log_a.read_text()


def _synced(log: Path, server: str) -> bool:
    """Whether a process's log says its link to `server` is synced (one JSON event a line)."""
    return any(
        '"io_link.synced"' in line and f'"server": "{server}"' in line
        for line in log.read_text().splitlines()
    )


def _write_ok(client: CtApiClient, tag: str, value: int) -> bool:
    try:
        client.tag_write(tag, value)
    except CtApiError:
        return False
    return True
