"""What `scada-emu run [FILE]` does (emulator.cli.run registers it and imports this only when
it runs): compile, bind every listener, print them and `ready`, serve until a signal.
Documented in docs/running.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import sys
from functools import partial
from pathlib import Path
from typing import Any

import anyio

from emulator.cli.ready_file import ReadyClaim, remove_own
from emulator.control import server
from emulator.control.client import TOKEN_ENV
from emulator.control.manager import ControlError, RuntimeManager
from emulator.control.service import control_settings, run_beside
from emulator.logs import configure, get_logger
from emulator.plant.devices import DeviceStore, device_file, hold_writes
from emulator.plant.storage_error import StorageError
from emulator.processes.context import Context
from emulator.runtime.bind import BindError
from emulator.runtime.certs import CertificateError
from emulator.runtime.files import write_atomic
from emulator.runtime.limits import configured, raise_open_files
from emulator.runtime.state import RunState, default_state_dir
from emulator.runtime.supervisor import Supervisor, TopologyError, UnknownComputerError
from emulator.scenario.config import ControlSettings
from emulator.scenario.runner import make_clock
from emulator.topology.compiled import load_and_compile
from emulator.topology.load import LoadedTopology, LoadError
from emulator.topology.report import format_problems, format_table
from emulator.topology.shipped import unknown

_log = get_logger("emulator.cli")


def main(args: argparse.Namespace) -> int:
    configure(args.log_format, args.log_level)
    if args.grace < 0:
        print("error: --grace must be zero or more seconds", file=sys.stderr)
        return 2
    try:
        compiled = load_and_compile(args.file)
    except LoadError as exc:
        print(format_problems([exc.problem], str(args.file)), file=sys.stderr)
        if not Path(args.file).exists() and Path(args.file).name == str(args.file):
            print(f"hint: {unknown(str(args.file))}", file=sys.stderr)
        return 2
    if compiled.note:
        print(f"note: {compiled.note}", file=sys.stderr)
    loaded = compiled.loaded
    _log.info("run.compiled", source=loaded.source, reused=compiled.reused)
    raise_open_files()
    try:
        options = _loop_options(args.event_loop)
    except ImportError:
        print("error: --event-loop uvloop, but uvloop is not installed", file=sys.stderr)
        return 2
    _log.info("run.event_loop", loop="uvloop" if options else "asyncio")
    # From here a Ctrl-C must clean up (the run's state folder, bound sockets): until the
    # runtime's own signal handling is up, it is a KeyboardInterrupt the runner turns into a
    # cancellation; then it is a graceful stop. Either way, no traceback.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        result: int = anyio.run(_run, loaded, args, backend_options=options)
    except KeyboardInterrupt:
        print("interrupted before the plant was ready; nothing is left running", file=sys.stderr)
        return 128 + signal.SIGINT
    return result


def _loop_options(choice: str) -> dict[str, Any]:
    """uvloop serves a tag read with about 13 % less CPU than asyncio's loop
    (docs/performance.md); the emulator runs the same on both."""
    if choice == "asyncio":
        return {}
    try:
        import uvloop  # noqa: F401
    except ImportError:
        if choice == "uvloop":
            raise
        return {}
    return {"use_uvloop": True}


async def _run(loaded: LoadedTopology, args: argparse.Namespace) -> int:
    try:
        control = control_settings(
            loaded.model.control,
            address=args.control,
            token=args.control_token or os.environ.get(TOKEN_ENV) or None,
            disabled=args.no_control,
            ephemeral=args.ephemeral,
        )
        state = RunState.choose(
            args.state_dir, ephemeral=args.ephemeral, default_ca=default_state_dir()
        )
    except (ControlError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot make the run's state folder: {exc}", file=sys.stderr)
        return 1
    try:
        return await _supervise(loaded, args, control, state)
    finally:
        state.discard()


async def _supervise(
    loaded: LoadedTopology,
    args: argparse.Namespace,
    control: ControlSettings | None,
    state: RunState,
) -> int:
    try:
        supervisor = Supervisor(
            loaded,
            computer=args.computer,
            ephemeral=args.ephemeral,
            state_dir=state.ca,
            grace=args.grace,
            limits=configured(
                ctapi_connections=args.max_connections,
                request_timeout=args.request_timeout,
                idle_timeout=args.idle_timeout,
                login_timeout=args.login_timeout,
            ),
            context=Context(
                loaded.model, clock=make_clock(loaded.model, args.speed), state_dir=state.history
            ),
        )
    except TopologyError as exc:
        print(format_problems(exc.problems, loaded.source), file=sys.stderr)
        print("error: the topology does not compile; nothing was started", file=sys.stderr)
        return 1
    except (UnknownComputerError, ControlError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _log.info("run.state", history=str(state.history), ca=str(state.ca), kept=state.kept)
    manager = RuntimeManager(supervisor)
    with manager.logging(), contextlib.ExitStack() as cleanup:
        if state.kept:
            try:
                devices = DeviceStore.open(device_file(state.history, loaded.model.project.name))
            except StorageError as exc:
                print(f"error: {exc}; nothing was started", file=sys.stderr)
                return 1
            cleanup.callback(devices.close)
            cleanup.callback(
                hold_writes(manager.plant, loaded.model, devices, manager.context.clock.now())
            )
        return await _serve(supervisor, manager, control, args, state)


async def _serve(
    supervisor: Supervisor,
    manager: RuntimeManager,
    control: ControlSettings | None,
    args: argparse.Namespace,
    state: RunState,
) -> int:
    if supervisor.problems:
        print(format_problems(supervisor.problems, supervisor.loaded.source), file=sys.stderr)
    ready_file: Path | None = args.ready_file
    claim = ReadyClaim(ready_file)
    owner = claim.take()
    if owner is not None:
        print(
            f"error: the ready file {ready_file} belongs to a running emulator (pid {owner}); "
            "give this run another --ready-file, or stop that one first (kill "
            f"{owner}); nothing was started",
            file=sys.stderr,
        )
        return 1
    with claim:
        return await _claimed(supervisor, manager, control, state, ready_file)


async def _claimed(
    supervisor: Supervisor,
    manager: RuntimeManager,
    control: ControlSettings | None,
    state: RunState,
    ready_file: Path | None,
) -> int:
    remove_own(ready_file, stale=True)
    # All or nothing: the control API's port is bound before any listener, so a taken port
    # fails the run before anything serves or a main is elected.
    try:
        control_sock = (
            None if control is None else server.bind(control.host, control.port, listen=False)
        )
    except ControlError as exc:
        print(f"error: {exc}; nothing was started", file=sys.stderr)
        return 1
    with contextlib.ExitStack() as cleanup:
        if control_sock is not None:
            cleanup.callback(control_sock.close)
        return await _start(
            supervisor,
            manager,
            control=control,
            control_sock=control_sock,
            ready_file=ready_file,
            state=state,
        )


async def _start(
    supervisor: Supervisor,
    manager: RuntimeManager,
    *,
    control: ControlSettings | None,
    control_sock: socket.socket | None,
    ready_file: Path | None,
    state: RunState,
) -> int:
    async with anyio.create_task_group() as tg:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            tg.start_soon(_on_signals, signals, supervisor)
            try:
                await tg.start(supervisor.run)
            except (BindError, CertificateError, StorageError) as exc:
                print(f"error: {exc}", file=sys.stderr)
                tg.cancel_scope.cancel()
                return 1
            except Exception as exc:
                _log.exception("supervisor.start_failed", error=repr(exc))
                print(f"error: the emulator failed to start: {exc!r}", file=sys.stderr)
                tg.cancel_scope.cancel()
                return 1
            try:
                control_url = await tg.start(
                    partial(run_beside, manager, control, sock=control_sock)
                )
            except ControlError as exc:
                print(f"error: {exc}", file=sys.stderr)
                supervisor.shutdown()
                await supervisor.stopped.wait()
                tg.cancel_scope.cancel()
                return 1
            status = 0
            try:
                _announce(supervisor, ready_file, control_url, state)
            except OSError as exc:
                print(f"error: cannot write the ready file {ready_file}: {exc}", file=sys.stderr)
                supervisor.shutdown()
                status = 1
            try:
                await supervisor.stopped.wait()
            finally:
                remove_own(ready_file)
            tg.cancel_scope.cancel()
    return status


async def _on_signals(signals: Any, supervisor: Supervisor) -> None:
    """The first signal stops gracefully; a second one exits at once."""
    async for signum in signals:
        if supervisor.stopped.is_set():
            return
        if supervisor.shutting_down:
            _log.warning("supervisor.exit_now", signal=signal.Signals(signum).name)
            os._exit(128 + signum)
        _log.info("supervisor.signal", signal=signal.Signals(signum).name)
        supervisor.shutdown()


def listener_rows(supervisor: Supervisor) -> list[dict[str, Any]]:
    return [
        {
            "computer": listener.endpoint.computer,
            "process": listener.endpoint.process,
            "type": str(listener.endpoint.type),
            "cluster": listener.endpoint.cluster,
            "mode": listener.endpoint.mode,
            "address": listener.endpoint.address,
            "port": listener.port,
            "tls": listener.endpoint.tls,
        }
        for listener in supervisor.listeners
    ]


def _announce(
    supervisor: Supervisor, ready_file: Path | None, control: str | None, state: RunState
) -> None:
    rows = listener_rows(supervisor)
    print(_table(rows))
    print(state.describe())
    if control is not None:
        print(f"control {control}")
        print(f"dashboard {control}/")  # docs/dashboard.md; with a token: /?token=TOKEN
    if ready_file is not None:
        _write_ready_file(
            ready_file,
            {
                "pid": os.getpid(),
                "listeners": rows,
                "ca_certificate": (
                    str(supervisor.ca_certificate) if supervisor.ca_certificate else None
                ),
                "control": control,
                "state_dir": str(state.history),
                "state_kept": state.kept,
                # what a server (or a test acting as one) proves on the server ports
                "server_password": supervisor.context.server_password,
            },
        )
    print("ready", flush=True)


def _table(rows: list[dict[str, Any]]) -> str:
    header = ("COMPUTER", "PROCESS", "TYPE", "MODE", "ADDRESS:PORT", "TLS")
    return format_table(
        header,
        [
            (
                r["computer"],
                r["process"],
                r["type"],
                r["mode"] or "-",
                f"{r['address']}:{r['port']}",
                "yes" if r["tls"] else "no",
            )
            for r in rows
        ],
    )


def _write_ready_file(path: Path, content: dict[str, Any]) -> None:
    """Atomically: a harness polling for the file never reads half of it. Only its owner may
    read it: it holds the server password."""
    write_atomic(path, (json.dumps(content, indent=2) + "\n").encode("utf-8"), mode=0o600)
