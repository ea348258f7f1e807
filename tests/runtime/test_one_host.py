"""Issue 15.3, loopback per host: a topology with LAN addresses compiles, each computer's alarm
database is on its own host's 127.0.0.1:5482, and only running them on one host is refused."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.runtime.supervisor import OneHostError, Supervisor
from emulator.topology.load import load_text
from tests.runtime.netns import namespaces
from tests.servers.helpers import TIMEOUT

#: Two hosts on the benchmarking range (RFC 2544), which exists only inside the namespaces.
HOSTS = {"SCADA-A": "198.18.0.1", "SCADA-B": "198.18.0.2"}

LAN_PLANT = f"""\
[project]
name = "LanPlant"

[[computers]]
name = "SCADA-A"

[[computers]]
name = "SCADA-B"

[[network_addresses]]
name = "SCADA_A"
computer = "SCADA-A"
address = "{HOSTS["SCADA-A"]}"

[[network_addresses]]
name = "SCADA_B"
computer = "SCADA-B"
address = "{HOSTS["SCADA-B"]}"

[[clusters]]
name = "CLUSTER1"

[[server_processes]]
name = "ALARM1"
type = "alarm"
network_address = "SCADA_A"

[[server_processes]]
name = "ALARM2"
type = "alarm"
network_address = "SCADA_B"
mode = "standby"
"""


def test_one_process_refuses_two_computers_on_one_loopback_listener() -> None:
    with pytest.raises(OneHostError) as caught:
        Supervisor(load_text(LAN_PLANT, "lan.toml"))
    message = str(caught.value)
    assert "'SCADA-A' and 'SCADA-B' both listen on 127.0.0.1:5482" in message
    assert "--computer NAME" in message and "127.x network address" in message


def test_one_process_refuses_two_computers_on_one_loopback_address() -> None:
    # They compile (each host's own 127.0.0.1, tests/topology/test_rules.py); one process
    # cannot give both the same loopback listeners.
    text = LAN_PLANT.replace(HOSTS["SCADA-A"], "127.0.0.1").replace(HOSTS["SCADA-B"], "127.0.0.1")
    with pytest.raises(OneHostError) as caught:
        Supervisor(load_text(text, "lan.toml"))
    assert "'SCADA-A' and 'SCADA-B' both listen on 127.0.0.1:2080" in str(caught.value)


def test_one_computer_of_it_plans_its_alarm_database_on_its_own_loopback() -> None:
    sup = Supervisor(load_text(LAN_PLANT, "lan.toml"), computer="SCADA-B")
    assert {(e.process, e.address, e.port) for e in sup.endpoints} >= {
        ("ALARM2", HOSTS["SCADA-B"], 2080),
        ("AlarmDatabase", "127.0.0.1", 5482),
    }


@pytest.fixture
def hosts() -> Iterator[dict[str, str]]:
    """One network namespace per computer, its LAN address on its loopback interface."""
    with namespaces(HOSTS, joined=False) as names:
        yield names


def _run_in(ns: str, topology: Path, computer: str, ready: Path) -> subprocess.Popen[bytes]:
    """`scada-emu run --computer` inside a namespace, its log in a file beside its ready file."""
    command = ["ip", "netns", "exec", ns, sys.executable, "-m", "emulator", "run"]
    command += [str(topology), "--computer", computer, "--no-control"]
    command += ["--ready-file", str(ready), "--state-dir", str(ready.parent / computer)]
    with ready.with_suffix(".log").open("wb") as log:
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)


def test_each_host_runs_its_computer_on_the_default_ports(
    hosts: dict[str, str], tmp_path: Path
) -> None:
    topology = tmp_path / "lan.toml"
    topology.write_text(LAN_PLANT)
    ready = {computer: tmp_path / f"{computer}.json" for computer in hosts}
    procs = {c: _run_in(ns, topology, c, ready[c]) for c, ns in hosts.items()}
    try:
        deadline = time.monotonic() + 3 * TIMEOUT
        while not all(path.exists() for path in ready.values()):
            for computer, proc in procs.items():
                if proc.poll() is not None:
                    log = ready[computer].with_suffix(".log").read_text()[-2000:]
                    pytest.fail(f"{computer} stopped: {log}")
            assert time.monotonic() < deadline, "the two hosts did not get ready"
            time.sleep(0.02)  # a file other processes write: no event to await
        for computer, path in ready.items():
            listeners = {
                (item["type"], item["address"], item["port"])
                for item in json.loads(path.read_text())["listeners"]
            }
            assert ("alarm", HOSTS[computer], 2080) in listeners
            assert ("alarm_db", "127.0.0.1", 5482) in listeners
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            proc.wait(timeout=TIMEOUT)
