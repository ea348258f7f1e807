"""The measured servers, each a separate process pinned to the server CPU.

- the emulator: `python -m emulator run --ephemeral --ready-file F [FILE]`, its listeners read
  from the ready file (docs/running.md);
- the echo limit (bench.echo) and pymodbus (bench.modbus), each writing its port to a file.

Waiting for a server polls for its file with a deadline: the harness measures how long that takes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bench import procs
from bench.spec import Target

#: `scada-emu` with uvloop's event-loop policy installed first (what-if: the uvloop lever).
ON_UVLOOP = [
    "-c",
    "import asyncio, sys, uvloop; asyncio.set_event_loop_policy(uvloop.EventLoopPolicy()); "
    "from emulator.cli import main; sys.exit(main(sys.argv[1:]))",
]

#: How often a start is checked for its ready or port file.
POLL_S = 0.002


class BenchError(Exception):
    """A measure could not be taken; the message says which and why."""


@dataclass
class Server:
    """A running server process and the target it offers."""

    name: str
    process: subprocess.Popen[bytes]
    target: Target
    #: Seconds from spawning the process to its ready (or port) file.
    startup_s: float
    log: Path
    ready: dict[str, Any] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, grace_s: float = 5.0) -> int | None:
        """SIGTERM, then SIGKILL after `grace_s`; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(grace_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _placed(cpu: int | None, niceness: int) -> Any:
    if cpu is None and not niceness:
        return None

    def place() -> None:
        procs.pin(cpu)
        procs.prioritise(niceness)

    return place


def _spawn(
    argv: list[str],
    log: Path,
    cpu: int | None,
    env: dict[str, str] | None = None,
    niceness: int = 0,
) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_placed(cpu, niceness),  # noqa: PLW1509 - two syscalls, no locks
            env=env,
        )


def _wait_for_file(
    process: subprocess.Popen[bytes], path: Path, deadline_s: float, what: str, log: Path
) -> None:
    deadline = time.perf_counter() + deadline_s
    while not path.exists():
        if process.poll() is not None:
            tail = log.read_text("utf-8", "replace").splitlines()[-10:]
            raise BenchError(f"{what} exited with {process.returncode}: " + " | ".join(tail))
        if time.perf_counter() > deadline:
            process.kill()
            raise BenchError(f"{what} did not get ready within {deadline_s} s")
        time.sleep(POLL_S)


def _port_server(
    name: str,
    module: str,
    *,
    extra: list[str],
    workdir: Path,
    cpu: int | None,
    kind: Literal["echo", "modbus"],
    env: dict[str, str] | None = None,
    niceness: int = 0,
) -> Server:
    port_file = workdir / f"{name}.port"
    log = workdir / f"{name}.log"
    port_file.unlink(missing_ok=True)
    argv = [sys.executable, "-m", module, "--port-file", str(port_file), *extra]
    started = time.perf_counter()
    process = _spawn(argv, log, cpu, env, niceness)
    _wait_for_file(process, port_file, 30.0, name, log)
    startup = time.perf_counter() - started
    port = int(port_file.read_text("ascii"))
    return Server(name, process, Target(kind=kind, host="127.0.0.1", port=port), startup, log)


def start_echo(
    workdir: Path, cpu: int | None, *, loop: str, mode: str = "frames", niceness: int = 0
) -> Server:
    """The echo limit on `loop` ('asyncio' or 'uvloop': the one the emulator runs on)."""
    env = {**os.environ, "BENCH_LOOP": loop}
    return _port_server(
        f"echo-{mode}",
        "bench.echo",
        extra=["--mode", mode],
        workdir=workdir,
        cpu=cpu,
        kind="echo",
        env=env,
        niceness=niceness,
    )


def start_pymodbus(workdir: Path, cpu: int | None, *, niceness: int = 0) -> Server:
    return _port_server(
        "pymodbus",
        "bench.modbus",
        extra=[],
        workdir=workdir,
        cpu=cpu,
        kind="modbus",
        niceness=niceness,
    )


@dataclass(frozen=True, slots=True)
class Emulator:
    """A started emulator: the server process and its CtAPI listeners by (computer, tls)."""

    server: Server
    ctapi: dict[tuple[str, bool], Target]
    listeners: int

    def plain(self, computer: str | None = None) -> Target:
        return self._pick(computer, tls=False)

    def tls(self, computer: str | None = None) -> Target:
        return self._pick(computer, tls=True)

    def _pick(self, computer: str | None, *, tls: bool) -> Target:
        for (name, is_tls), target in self.ctapi.items():
            if is_tls == tls and (computer is None or name == computer):
                return target
        raise BenchError(f"the emulator has no {'TLS' if tls else 'plain'} CtAPI listener")


def start_emulator(
    workdir: Path,
    cpu: int | None,
    *,
    topology: Path | None = None,
    state_dir: Path,
    name: str = "emulator",
    deadline_s: float = 60.0,
    niceness: int = 0,
    on_uvloop: bool = False,
    options: Sequence[str] = (),
    env: dict[str, str] | None = None,
) -> Emulator:
    """Spawn the emulator (with `options` of `scada-emu run`, in `env` when given) and wait for
    its ready file; startup_s is spawn to ready file."""
    ready_file = workdir / f"{name}.ready.json"
    log = workdir / f"{name}.log"
    ready_file.unlink(missing_ok=True)
    argv = [sys.executable, *(ON_UVLOOP if on_uvloop else ["-m", "emulator"]), "run", "--ephemeral"]
    argv += ["--ready-file", str(ready_file), "--state-dir", str(state_dir)]
    argv += ["--log-level", "warning", "--log-format", "json", *options]
    if topology is not None:
        argv.append(str(topology))
    started = time.perf_counter()
    process = _spawn(argv, log, cpu, env, niceness=niceness)
    _wait_for_file(process, ready_file, deadline_s, name, log)
    startup = time.perf_counter() - started
    ready = json.loads(ready_file.read_text("utf-8"))
    ca = ready.get("ca_certificate")
    ctapi: dict[tuple[str, bool], Target] = {}
    for row in ready["listeners"]:
        if row["type"] != "ctapi":
            continue
        tls = bool(row["tls"])
        ctapi[(row["computer"], tls)] = Target(
            kind="ctapi",
            host=row["address"],
            port=int(row["port"]),
            ca_file=ca if tls else None,
            server_hostname=row["computer"] if tls else None,
            greeting_lines=1,
        )
    placeholder = Target(kind="ctapi", host="127.0.0.1", port=0)
    server = Server(name, process, placeholder, startup, log, ready)
    return Emulator(server, ctapi, len(ready["listeners"]))


def scratch_dir() -> Path:
    """A private directory for port files, ready files, logs and the emulator's state."""
    return Path(tempfile.mkdtemp(prefix="scada-bench-"))


def uses_uvloop(pid: int) -> bool:
    """Whether a running process has loaded uvloop's extension (its event loop, in practice)."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text("utf-8", "replace")
    except OSError:
        return False
    return "uvloop" in maps


__all__ = [
    "BenchError",
    "Emulator",
    "Server",
    "procs",
    "scratch_dir",
    "start_echo",
    "start_emulator",
    "start_pymodbus",
    "uses_uvloop",
]
