"""Across processes (issue 15): CtAPI writes and reads when a topology runs as one
`scada-emu run --computer` per computer, beside the same topology in one process, and how long
a computer's clients wait for the standby after `kill -9` of the primary's host.

Two computers on loopback addresses of their own: HOST-A runs IO1, HOST-B its standby IO2.
Measured with the blocking client, one request at a time, median of each repetition:

- `across.write_one_process_ms`, `across.read_one_process_ms`: a write and a read in the
  one-process run (the baselines);
- `across.write_replicated_ms`: a write on HOST-A, served by IO1 there and replicated to IO2
  before it is acknowledged;
- `across.write_remote_ms`: a write on HOST-B, sent to IO1 on HOST-A (which replicates it back
  to IO2 before answering);
- `across.read_remote_ms`: a read on HOST-B of a tag IO1 serves (held from IO1's pushes);
- `across.failover_ms`: `kill -9` of HOST-A to the first write HOST-B's CtAPI acknowledges
  (then served by IO2 on HOST-B);
- `across.catch_up_ms`: HOST-A started again, from its ready file to its CtAPI reading the
  write IO2 took during the outage (IO1 caught up from IO2);
- `across.rejoin_ms`: from the same ready file to a write on HOST-B being read on HOST-A
  (HOST-B follows IO1 again).
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from emulator.client.blocking import CtApiClient
from emulator.client.errors import CtApiError

#: Requests per repetition of each latency figure.
REQUESTS = 300
DEADLINE_S = 15.0
_NET = f"127.{60 + os.getpid() % 100}.{os.getpid() // 100 % 250 + 1}"
HOSTS = {"HOST-A": f"{_NET}.1", "HOST-B": f"{_NET}.2"}
PASSWORD = "control"  # noqa: S105 - the measured topology's own user


def topology_text() -> str:
    parts = ['[project]\nname = "Across"\nserver_password = "one system"\n']
    for computer, address in HOSTS.items():
        net = computer.replace("-", "_")
        parts.append(f'[[computers]]\nname = "{computer}"\nctapi = "unencrypted"\n')
        parts.append(
            f'[[network_addresses]]\nname = "{net}"\ncomputer = "{computer}"\n'
            f'address = "{address}"\n'
        )
    parts.append('[[clusters]]\nname = "C1"\n')
    parts.append('[[server_processes]]\nname = "IO1"\ntype = "io"\nnetwork_address = "HOST_A"\n')
    parts.append(
        '[[server_processes]]\nname = "IO2"\ntype = "io"\nnetwork_address = "HOST_B"\n'
        'mode = "standby"\n'
    )
    parts.append(f'[[users]]\nname = "engineer"\npassword = "{PASSWORD}"\n')
    parts.append('[[tags]]\nname = "SETPOINT"\ntype = "int"\n')
    return "\n".join(parts)


def _wait(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"across: {what} within {DEADLINE_S} s")
        time.sleep(0.02)  # another process's state: nothing to await


Procs = dict[str, subprocess.Popen[bytes]]


def _start(workdir: Path, computer: str | None) -> subprocess.Popen[bytes]:
    """`scada-emu run` of one computer (None: every computer in one process)."""
    name = computer or "all"
    ready = workdir / f"across-{name}.json"
    ready.unlink(missing_ok=True)
    command = [sys.executable, "-m", "emulator", "run", str(workdir / "across.toml")]
    command += ["--no-control"] + ([] if computer is None else ["--computer", computer])
    command += ["--ready-file", str(ready), "--state-dir", str(workdir / f"st-{name}")]
    command += ["--log-format", "json"]
    with (workdir / f"across-{name}.log").open("ab") as log:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command, stdout=subprocess.DEVNULL, stderr=log
        )


def _ready(workdir: Path, computer: str | None) -> Callable[[], bool]:
    return (workdir / f"across-{computer or 'all'}.json").exists


@contextmanager
def _run(workdir: Path, computers: list[str | None]) -> Iterator[Procs]:
    """`scada-emu run` per computer (None: every computer in one process), all ready."""
    (workdir / "across.toml").write_text(topology_text())
    procs = {computer or "all": _start(workdir, computer) for computer in computers}
    try:
        _wait(lambda: all(_ready(workdir, c)() for c in computers), "the computers got ready")
        yield procs
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
            proc.wait(timeout=DEADLINE_S)


def _client(computer: str) -> CtApiClient:
    return CtApiClient(
        HOSTS[computer], user="engineer", password=PASSWORD, encryption="unencrypted"
    )


def _median_ms(call: Callable[[int], object]) -> float:
    times = []
    for n in range(REQUESTS):
        start = time.perf_counter()
        call(n)
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 3)


def _writes_ok(client: CtApiClient, value: int) -> bool:
    try:
        client.tag_write("SETPOINT", value)
    except CtApiError:
        return False
    return True


def _synced(log: Path, server: str) -> bool:
    text = log.read_text()
    return any('"io_link.synced"' in ln and f'"{server}"' in ln for ln in text.splitlines())


def measure_once(workdir: Path) -> dict[str, float]:
    """One repetition of every figure (each run started afresh)."""
    out: dict[str, float] = {}
    with _run(workdir, [None]), _client("HOST-A") as one:
        out["across.write_one_process_ms"] = _median_ms(lambda n: one.tag_write("SETPOINT", n))
        out["across.read_one_process_ms"] = _median_ms(lambda n: one.tag_read("SETPOINT"))
    with (
        _run(workdir, ["HOST-A", "HOST-B"]) as procs,
        _client("HOST-A") as a,
        _client("HOST-B") as b,
    ):
        _wait(lambda: _synced(workdir / "across-HOST-A.log", "IO2"), "A synced to IO2")
        _wait(lambda: _synced(workdir / "across-HOST-B.log", "IO1"), "B synced to IO1")
        out["across.write_replicated_ms"] = _median_ms(lambda n: a.tag_write("SETPOINT", n))
        out["across.write_remote_ms"] = _median_ms(lambda n: b.tag_write("SETPOINT", n))
        out["across.read_remote_ms"] = _median_ms(lambda n: b.tag_read("SETPOINT"))
        killed = time.perf_counter()
        procs["HOST-A"].send_signal(signal.SIGKILL)
        _until(lambda: _writes_ok(b, 1), killed, "HOST-B was served after the kill")
        out["across.failover_ms"] = round((time.perf_counter() - killed) * 1000, 1)
        procs["HOST-A"] = _start(workdir, "HOST-A")
        _wait(_ready(workdir, "HOST-A"), "HOST-A came back")
        back = time.perf_counter()
        with _client("HOST-A") as again:
            _until(lambda: _read(again, "SETPOINT") == "1", back, "HOST-A caught up")
            out["across.catch_up_ms"] = round((time.perf_counter() - back) * 1000, 1)
            _until(
                lambda: _writes_ok(b, 2) and _read(again, "SETPOINT") == "2",
                back,
                "HOST-B follows IO1 again",
            )
            out["across.rejoin_ms"] = round((time.perf_counter() - back) * 1000, 1)
    return out


def _until(check: Callable[[], bool], since: float, what: str) -> None:
    """Try until `check` holds: each try is a round trip, no sleep (for resolution)."""
    while not check():
        if time.perf_counter() > since + DEADLINE_S:
            raise RuntimeError(f"across: {what} within {DEADLINE_S} s")


def _read(client: CtApiClient, tag: str) -> str | None:
    try:
        return client.tag_read(tag)
    except CtApiError:
        return None
