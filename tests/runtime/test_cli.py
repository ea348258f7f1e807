"""`scada-emu run` and `scada-emu certs` as a user runs them: a subprocess, its ready file, its
signals. Each run binds only on port 0 or on its own loopback address."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.ports import RESERVED_PORT_MESSAGE
from tests.runtime.helpers import TIMEOUT, computers_toml, with_alarm

GRACE = 2.0


def scada_emu(*args: str, state: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator",
            *args,
            "--state-dir",
            str(state),
            "--log-format",
            "json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_ready(proc: subprocess.Popen[str], ready: Path) -> dict[str, Any]:
    deadline = time.monotonic() + TIMEOUT * 2
    while not ready.exists():
        if proc.poll() is not None:
            pytest.fail(f"exited {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("no ready file")
        time.sleep(0.02)
    content: dict[str, Any] = json.loads(ready.read_text())
    return content


@pytest.fixture
def running(
    tmp_path: Path, state_dir: Path
) -> Iterator[tuple[subprocess.Popen[str], dict[str, Any], Path]]:
    ready = tmp_path / "ready.json"
    proc = scada_emu("run", "--ephemeral", "--ready-file", str(ready), state=state_dir)
    try:
        yield proc, wait_ready(proc, ready), ready
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=TIMEOUT)


def test_run_prints_ready_writes_real_ports_and_exits_0_on_sigterm_under_load(
    running: tuple[subprocess.Popen[str], dict[str, Any], Path],
) -> None:
    proc, content, ready = running
    assert content["pid"] == proc.pid
    assert Path(content["ca_certificate"]).is_file()
    listeners = content["listeners"]
    assert len(listeners) == 19
    assert set(listeners[0]) == {
        "computer",
        "process",
        "type",
        "cluster",
        "mode",
        "address",
        "port",
        "tls",
    }
    assert all(row["port"] not in (0, 2073, 3073, 2080, 5482) for row in listeners)
    clients = []
    for row in listeners:
        if not row["tls"]:
            client = socket.create_connection((row["address"], row["port"]), timeout=TIMEOUT)
            assert b'"event":"hello"' in client.recv(4096)
            clients.append(client)
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=GRACE + TIMEOUT)
    assert proc.returncode == 0, err
    assert time.monotonic() - started < GRACE + 1.5
    lines = out.splitlines()
    assert lines[0].split() == ["COMPUTER", "PROCESS", "TYPE", "MODE", "ADDRESS:PORT", "TLS"]
    assert lines[-1] == "ready"
    assert [line.split()[0] for line in lines[1:20]] == [row["computer"] for row in listeners]
    events = [json.loads(line)["event"] for line in err.splitlines() if line.startswith("{")]
    for name in (
        "supervisor.start",
        "listener.listening",
        "supervisor.ready",
        "connection.open",
        "supervisor.signal",
        "process.state",
        "connection.close",
        "supervisor.stopped",
    ):
        assert name in events
    assert not ready.exists()
    for client in clients:
        client.close()


def test_computer_runs_only_its_share(tmp_path: Path, state_dir: Path) -> None:
    ready = tmp_path / "ready.json"
    proc = scada_emu(
        "run", "--ephemeral", "--computer", "SCADA-A", "--ready-file", str(ready), state=state_dir
    )
    try:
        content = wait_ready(proc, ready)
        assert {row["computer"] for row in content["listeners"]} == {"SCADA-A"}
        assert len(content["listeners"]) == 10
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=TIMEOUT)
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_compile_error_starts_nothing(tmp_path: Path, state_dir: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(computers_toml(("BAD", "127.0.74.1", "mixed")) + with_alarm("AL", "BAD", 2087))
    proc = scada_emu("run", str(path), state=state_dir)
    out, err = proc.communicate(timeout=TIMEOUT * 2)
    assert proc.returncode == 1
    assert RESERVED_PORT_MESSAGE in err and "nothing was started" in err
    assert "ready" not in out


def test_an_unreadable_file_exits_2(tmp_path: Path, state_dir: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[[computers]\n")
    proc = scada_emu("run", str(path), state=state_dir)
    _, err = proc.communicate(timeout=TIMEOUT * 2)
    assert proc.returncode == 2
    assert "broken.toml:1" in err


def test_a_taken_port_names_the_culprit_and_exits_1(tmp_path: Path, state_dir: Path) -> None:
    path = tmp_path / "taken.toml"
    path.write_text(computers_toml(("TAKEN", "127.0.74.2", "unencrypted")))
    with socket.socket() as squatter:
        squatter.bind(("127.0.74.2", 2087))
        squatter.listen()
        proc = scada_emu("run", str(path), state=state_dir)
        out, err = proc.communicate(timeout=TIMEOUT * 2)
    assert proc.returncode == 1
    assert "SystemServices of TAKEN" in err and "127.0.74.2:2087" in err
    assert "in use" in err
    assert "ready" not in out


def test_certs_prints_where_the_ca_is(tmp_path: Path) -> None:
    state = tmp_path / "fresh"
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "certs", "--state-dir", str(state)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT * 2,
        check=True,
    )
    assert result.stdout.strip() == str(state / "ca" / "ca.pem")
    assert (state / "ca" / "ca.pem").is_file()
    assert os.stat(state).st_mode & 0o077 == 0


async def test_a_second_signal_exits_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from emulator.cli import _run as run
    from emulator.runtime.supervisor import Supervisor
    from emulator.topology.load import load_demo

    exits: list[int] = []
    monkeypatch.setattr(os, "_exit", exits.append)

    async def two_signals() -> AsyncIterator[int]:
        yield signal.SIGTERM
        yield signal.SIGINT

    supervisor = Supervisor(load_demo())
    await run._on_signals(two_signals(), supervisor)
    assert supervisor.shutting_down
    assert exits == [128 + signal.SIGINT]
