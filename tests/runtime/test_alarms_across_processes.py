"""Issue 15.2, alarms: ALARM1 (primary, HOST-A) and ALARM2 (standby, HOST-B) in two
`scada-emu run --computer` processes are one pair. ALARM1 is main and ALARM2 follows it over
2080; ALARM2 is main once HOST-A's process is gone, with what it had mirrored; ALARM1 takes
ALARM2's log when it returns and is main again."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from emulator.client.blocking import CtApiClient
from tests.runtime.test_across_processes import _poll, _read, start
from tests.servers.helpers import TIMEOUT, Client

_NET = f"127.{100 + os.getpid() % 100}.{os.getpid() // 100 % 250 + 1}"
#: Beside test_across_processes' hosts (.1-.3), so the two files never share an address.
HOSTS = {"HOST-A": f"{_NET}.11", "HOST-B": f"{_NET}.12"}
PASSWORD = "one system"

PLANT = f"""\
[project]
name = "AlarmPair"
server_password = "{PASSWORD}"

[[computers]]
name = "HOST-A"
ctapi = "unencrypted"

[[computers]]
name = "HOST-B"
ctapi = "unencrypted"

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

[[server_processes]]
name = "ALARM1"
type = "alarm"
network_address = "NET_A"

[[server_processes]]
name = "ALARM2"
type = "alarm"
network_address = "NET_B"
mode = "standby"

[[users]]
name = "engineer"
password = "control"

[[tags]]
name = "FAULT"
type = "digital"

[[tags]]
name = "TRIP"
type = "digital"

[[alarms]]
tag = "FAULT_ALM"
type = "digital"
variable = "FAULT"

[[alarms]]
tag = "TRIP_ALM"
type = "digital"
variable = "TRIP"

[[tags]]
name = "STOP"
type = "digital"

[[alarms]]
tag = "STOP_ALM"
type = "digital"
variable = "STOP"
"""


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """HOST-A (IO1, ALARM1) and HOST-B (IO2, ALARM2, the standbys), each its own process."""
    (tmp_path / "two.toml").write_text(PLANT)
    procs = {computer: start(tmp_path, computer) for computer in HOSTS}
    try:
        _poll(
            lambda: (
                all((tmp_path / f"{c}.json").exists() for c in HOSTS)
                or any(p.poll() is not None for p in procs.values())
            ),
            "the two computers did not get ready",
        )
        assert all(p.poll() is None for p in procs.values()), "a computer stopped"
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


def _alarm(computer: str, op: str, **fields: Any) -> dict[str, Any]:
    """One request to a computer's alarm server on 2080, logged in as a server."""

    async def ask() -> dict[str, Any]:
        client = await Client.connect(2080, HOSTS[computer], PASSWORD)
        try:
            return await client.ok(op, **fields)
        finally:
            await client.aclose()

    return anyio.run(ask)


def _linked(log: Path, server: str) -> bool:
    """Whether a process's log says its alarm link to `server` is synced."""
    return any(
        '"alarm_link.synced"' in line and f'"server": "{server}"' in line
        for line in log.read_text().splitlines()
    )


def _main(computer: str) -> tuple[str, str | None]:
    """What a computer's alarm server says of itself (`alarm.role`): its role and the main."""
    try:
        reply = _alarm(computer, "alarm.role")
    except (OSError, AssertionError):
        return ("gone", None)
    return (reply["role"], reply["main"])


def test_the_alarm_pair_spans_two_processes(
    pair: dict[str, subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    _poll(lambda: _main("HOST-B") == ("standby", "ALARM1"), "ALARM2 follows ALARM1")
    assert _main("HOST-A") == ("main", "ALARM1")
    # ALARM1 syncs from ALARM2 too: what is acknowledged on B waits for ALARM1 from then on.
    _poll(lambda: _linked(tmp_path / "HOST-A.log", "ALARM2"), "ALARM1's link to ALARM2")
    with _client("HOST-A") as a, _client("HOST-B") as b:
        # Raised by a tag written on A: ALARM1 evaluates it, ALARM2 shows it on B.
        a.tag_write("FAULT", 1)
        _poll(lambda: _read(b, "FAULT_ALM.On") == "1", "A's alarm shows on B")
        assert _read(b, "FAULT_ALM.Ack") == "0"
        # Acknowledged on B: reaches the main on A, with the user.
        b.cicode('AlarmAckTag("FAULT_ALM")')
        assert _read(a, "FAULT_ALM.Ack") == "1"  # on ALARM1 before B's CtAPI acknowledged it
        assert _alarm("HOST-A", "alarm.get", tag="FAULT_ALM")["alarm"]["ack_user"] == "engineer"

        # Acknowledged on A, then kill -9 of ALARM1's process at once: the acknowledgement was
        # on ALARM2 before A's CtAPI acknowledged it. ALARM2 is main, with both, and evaluates.
        a.tag_write("TRIP", 1)
        _poll(lambda: _read(b, "TRIP_ALM.On") == "1", "A's second alarm shows on B")
        a.tag_write("TRIP_ALM.Ack", 1)
        pair["HOST-A"].send_signal(signal.SIGKILL)
        pair["HOST-A"].wait(timeout=TIMEOUT)
        assert _read(b, "TRIP_ALM.Ack") == "1"
        _poll(lambda: _main("HOST-B") == ("main", "ALARM2"), "ALARM2 is main once HOST-A is gone")
        assert _read(b, "FAULT_ALM.Ack") == "1"
        b.tag_write("STOP", 1)
        _poll(lambda: _read(b, "STOP_ALM.On") == "1", "ALARM2 evaluates as main")

    # HOST-A returns: ALARM1 takes ALARM2's log and is main again; ALARM2 follows it.
    pair["HOST-A"] = start(tmp_path, "HOST-A")
    _poll((tmp_path / "HOST-A.json").exists, "HOST-A is back")
    _poll(lambda: _main("HOST-A") == ("main", "ALARM1"), "ALARM1 is main again")
    _poll(lambda: _main("HOST-B") == ("standby", "ALARM1"), "ALARM2 hands back")
    with _client("HOST-A") as back:
        assert _read(back, "STOP_ALM.On") == "1"  # raised on ALARM2 while ALARM1 was gone
        assert _read(back, "FAULT_ALM.Ack") == "1"
        assert _read(back, "TRIP_ALM.Ack") == "1"
    stop = _alarm("HOST-A", "alarm.events", tag="STOP_ALM")["events"]
    assert [e["kind"] for e in stop] == ["on"], stop
