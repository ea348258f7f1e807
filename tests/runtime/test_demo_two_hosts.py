"""Issue 15's test: the demo plant as two hosts in two network namespaces joined by a veth pair,
one `scada-emu run --computer` in each. A write through CtAPI on one host is read on the other,
and after `kill -9` of the host with the primary I/O server the survivor serves, with nothing
acknowledged lost. Clients run inside the namespaces (the addresses exist only there)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from emulator.topology.load import demo_text
from tests.runtime.netns import namespaces
from tests.servers.helpers import TIMEOUT

HOSTS = {"SCADA-A": "198.18.0.1", "SCADA-B": "198.18.0.2"}

#: A CtAPI client inside a namespace: one JSON request a line in, one JSON answer a line out.
AGENT = """
import json, sys
from emulator.client.blocking import CtApiClient
from emulator.client.errors import CtApiError
client = None
for line in sys.stdin:
    op, tag, value = json.loads(line)
    try:
        if client is None:
            client = CtApiClient(sys.argv[1], user="engineer", password="control",
                                 encryption="unencrypted", timeout=2.0)
        out = client.tag_read(tag) if op == "read" else client.tag_write(tag, value)
        answer = {"ok": True, "value": out}
    except CtApiError as exc:
        answer = {"ok": False, "error": exc.name}
        if client is not None and not client.connected:
            client.close()
            client = None
    print(json.dumps(answer), flush=True)
"""


class Agent:
    def __init__(self, ns: str, address: str) -> None:
        command = ["ip", "netns", "exec", ns, sys.executable, "-c", AGENT, address]
        self.proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )

    def ask(self, op: str, tag: str, value: str | None = None) -> dict[str, object]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write((json.dumps([op, tag, value]) + "\n").encode())
        self.proc.stdin.flush()
        answer: dict[str, object] = json.loads(self.proc.stdout.readline())
        return answer

    def read(self, tag: str) -> object:
        answer = self.ask("read", tag)
        return answer["value"] if answer["ok"] else None

    def writes(self, tag: str, value: str) -> bool:
        return self.ask("write", tag, value)["ok"] is True

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=TIMEOUT)


def _poll(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 4 * TIMEOUT
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)  # other processes' state: nothing to await


Hosts = tuple[dict[str, subprocess.Popen[bytes]], dict[str, str], Path]


@pytest.fixture
def two_hosts(tmp_path: Path) -> Iterator[Hosts]:
    """The demo plant on 198.18.0.1 and .2 with a server password: (processes, namespaces,
    the directory of their logs)."""
    text = demo_text()
    text = text.replace("127.0.10.1", HOSTS["SCADA-A"]).replace("127.0.10.2", HOSTS["SCADA-B"])
    text = text.replace('name = "Demo Plant"\n', 'name = "Demo Plant"\nserver_password = "s"\n', 1)
    topology = tmp_path / "demo-two-hosts.toml"
    topology.write_text(text)
    with namespaces(HOSTS, joined=True) as names:
        procs: dict[str, subprocess.Popen[bytes]] = {}
        ready = {computer: tmp_path / f"{computer}.json" for computer in HOSTS}
        try:
            for computer, ns in names.items():
                command = ["ip", "netns", "exec", ns, sys.executable, "-m", "emulator", "run"]
                command += [str(topology), "--computer", computer, "--no-control"]
                command += ["--ready-file", str(ready[computer]), "--log-format", "json"]
                command += ["--state-dir", str(tmp_path / computer)]
                with (tmp_path / f"{computer}.log").open("wb") as log:
                    procs[computer] = subprocess.Popen(
                        command, stdout=subprocess.DEVNULL, stderr=log
                    )
            _poll(lambda: all(p.exists() for p in ready.values()), "both hosts get ready")
            yield procs, names, tmp_path
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.terminate()
                proc.wait(timeout=TIMEOUT)


def _synced(log: Path, server: str, link: str = "io_link") -> bool:
    return any(
        f'"{link}.synced"' in line and f'"server": "{server}"' in line
        for line in log.read_text().splitlines()
    )


def test_the_demo_on_two_hosts_is_one_system_and_survives_kill_9_of_the_primary_host(
    two_hosts: Hosts,
) -> None:
    procs, ns, logs = two_hosts
    _poll(lambda: _synced(logs / "SCADA-A.log", "IO2"), "SCADA-A follows IO2")
    _poll(lambda: _synced(logs / "SCADA-B.log", "IO1"), "SCADA-B follows IO1")
    _poll(lambda: _synced(logs / "SCADA-B.log", "ALARM1", "alarm_link"), "ALARM2 follows")
    _poll(lambda: _synced(logs / "SCADA-A.log", "ALARM2", "alarm_link"), "ALARM1 links back")
    a, b = Agent(ns["SCADA-A"], HOSTS["SCADA-A"]), Agent(ns["SCADA-B"], HOSTS["SCADA-B"])
    try:
        assert b.writes("TANK1_HIGH_SP", "55.5")  # through IO1 on SCADA-A
        assert a.read("TANK1_HIGH_SP") == "55.5"
        assert a.writes("TANK1_HIGH_SP", "66.5")  # on IO2 too before it is acknowledged
        assert b.read("TANK1_HIGH_SP") == "66.5"
        # An alarm raised on SCADA-A (ALARM1, main) is acknowledged from SCADA-B.
        assert a.writes("PUMP1_FAULT", "1")
        _poll(lambda: b.read("PUMP1_FAULT_ALM.On") == "1", "SCADA-A's alarm shows on SCADA-B")
        assert b.writes("PUMP1_FAULT_ALM.Ack", "1")
        assert a.read("PUMP1_FAULT_ALM.Ack") == "1"  # on ALARM1 before it was acknowledged
        procs["SCADA-A"].send_signal(signal.SIGKILL)
        procs["SCADA-A"].wait(timeout=TIMEOUT)
        assert b.read("TANK1_HIGH_SP") == "66.5"
        assert b.read("PUMP1_FAULT_ALM.Ack") == "1"
        _poll(lambda: b.writes("TANK1_HIGH_SP", "77.5"), "IO2 takes the writes")
        assert b.read("TANK1_HIGH_SP") == "77.5"
    finally:
        a.close()
        b.close()
