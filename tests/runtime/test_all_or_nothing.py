"""`scada-emu run` is all or nothing, the control API included: a taken control port fails the
run before any listener serves or a main is elected, naming the port and the option to change
it; a second run never takes over a live run's ready file (docs/running.md)."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.runtime.helpers import TIMEOUT


def run(tmp_path: Path, *options: str) -> subprocess.Popen[str]:
    env = {**os.environ, "TMPDIR": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "xdg")}
    return subprocess.Popen(
        [sys.executable, "-m", "emulator", "run", "--ephemeral", "--log-format", "json", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def events(err: str) -> list[str]:
    return [json.loads(line)["event"] for line in err.splitlines() if line.startswith("{")]


def test_a_taken_control_port_starts_nothing_and_says_what_to_do(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        proc = run(tmp_path, "--control", f"127.0.0.1:{port}")
        out, err = proc.communicate(timeout=4 * TIMEOUT)
    assert proc.returncode == 1, err[-2000:]
    assert f"cannot bind the control API to 127.0.0.1:{port}" in err
    assert "--control HOST:PORT" in err and "--no-control" in err
    assert "nothing was started" in err
    assert "Traceback" not in err
    assert "ready" not in out
    started = events(err)
    for name in ("listener.listening", "alarm.main", "supervisor.ready", "process.state"):
        assert name not in started, started


def wait_ready(proc: subprocess.Popen[str], ready: Path) -> None:
    deadline = time.monotonic() + 4 * TIMEOUT
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"not ready: {proc.communicate()[1][-2000:]}")
        time.sleep(0.02)  # a deadline poll of another process's file


def test_a_second_run_never_deletes_a_live_runs_ready_file(tmp_path: Path) -> None:
    ready = tmp_path / "ready.json"
    first = run(tmp_path, "--no-control", "--ready-file", str(ready))
    try:
        wait_ready(first, ready)
        content = ready.read_text()
        second = run(tmp_path, "--no-control", "--ready-file", str(ready))
        _, err = second.communicate(timeout=4 * TIMEOUT)
        assert second.returncode == 1
        assert f"the ready file {ready} belongs to a running emulator (pid {first.pid})" in err
        assert "another --ready-file" in err
        assert "listener.listening" not in events(err)
        assert ready.read_text() == content  # untouched
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=4 * TIMEOUT)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert not ready.exists()  # removed by its own run when it ended


def owner(ready: Path) -> int | None:
    try:
        pid: int = json.loads(ready.read_text())["pid"]
    except (OSError, ValueError):
        return None
    return pid


def test_a_stale_ready_file_is_replaced(tmp_path: Path) -> None:
    ready = tmp_path / "ready.json"
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    ready.write_text(json.dumps({"pid": int(gone.stdout), "listeners": []}))
    proc = run(tmp_path, "--no-control", "--ready-file", str(ready))
    try:
        deadline = time.monotonic() + 4 * TIMEOUT
        while owner(ready) != proc.pid:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the stale file was not replaced: {proc.communicate()[1][-2000:]}")
            time.sleep(0.02)  # a deadline poll of another process's file
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=4 * TIMEOUT)
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_a_run_that_is_still_starting_holds_its_ready_file(tmp_path: Path) -> None:
    """Issue 18.7: between its start and its ready file a run held nothing, so a second run
    given the same file went ahead (and removed the file at its end). The claim is a lock on
    `.ready.json.lock`: held here by this test, as a run that is starting would hold it."""
    ready = tmp_path / "ready.json"
    lock = tmp_path / ".ready.json.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl = pytest.importorskip("fcntl")
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, json.dumps({"pid": os.getpid()}).encode())
        second = run(tmp_path, "--no-control", "--ready-file", str(ready))
        _, err = second.communicate(timeout=4 * TIMEOUT)
        assert second.returncode == 1, err
        assert f"belongs to a running emulator (pid {os.getpid()})" in err
        assert "listener.listening" not in events(err)
        assert not ready.exists()
    finally:
        os.close(fd)


@contextmanager
def serving(tmp_path: Path, ready: Path) -> Iterator[subprocess.Popen[str]]:
    """A run with `ready` as its ready file, ready; stopped with SIGTERM (exit 0) at the end."""
    proc = run(tmp_path, "--no-control", "--ready-file", str(ready))
    try:
        wait_ready(proc, ready)
        yield proc
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=4 * TIMEOUT)
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_a_run_removes_only_its_own_ready_file(tmp_path: Path) -> None:
    """A ready file another run wrote over this one's (by hand, or a run given the same path
    while this one's was gone) outlives this run: it is not this run's to delete."""
    ready = tmp_path / "ready.json"
    other = json.dumps({"pid": 1, "listeners": []})  # another process's
    with serving(tmp_path, ready):
        ready.write_text(other)
    assert ready.read_text() == other
    assert stat.S_IMODE(os.stat(tmp_path / ".ready.json.lock").st_mode) == 0o600


def test_the_ready_file_is_its_owners_only(tmp_path: Path) -> None:
    """It holds the server password (docs/protocol.md, "Server authentication")."""
    ready = tmp_path / "ready.json"
    with serving(tmp_path, ready):
        assert stat.S_IMODE(os.stat(ready).st_mode) == 0o600
        assert len(json.loads(ready.read_text())["server_password"]) >= 24
