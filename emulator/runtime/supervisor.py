"""The supervisor: compiles a topology, binds every endpoint of its plan, serves them all in one
task group, and stops them gracefully. Usable as a library (tests, the pytest plugin) and by
`scada-emu run`.

    async with Supervisor(load_demo(), ephemeral=True) as sup:
        port = sup.listeners[0].port
        await sup.crash("ALARM1")
        await sup.start("ALARM1")

Construct it inside the event loop (it makes anyio events). Documented in docs/running.md.
"""

from __future__ import annotations

import shutil
import ssl
import sys
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import anyio
from anyio.abc import TaskGroup, TaskStatus

from emulator.logs import get_logger
from emulator.ports import ProcessType
from emulator.processes.alarm_peers import AlarmPeers, alarm_peers_for
from emulator.processes.context import Context, ProcessState, ProcessStatus
from emulator.processes.registry import ProcessFactory, factory_for
from emulator.runtime.alarm_links import run_alarm_links
from emulator.runtime.bind import bind_all
from emulator.runtime.certs import CertificateAuthority
from emulator.runtime.io_links import io_routes_for, run_io_links
from emulator.runtime.limits import Limits
from emulator.runtime.listener import Backoff, Listener
from emulator.runtime.logins import LoginThrottle
from emulator.runtime.process import ProcessRuntime
from emulator.runtime.scan import Closing, run_scans
from emulator.runtime.tls import contexts_for
from emulator.topology.compile import compile_topology
from emulator.topology.load import LoadedTopology
from emulator.topology.plan import Endpoint, plan, shared_loopback
from emulator.topology.problems import Problem, has_errors

#: Seconds open connections get to close on shutdown before they are cut.
DEFAULT_GRACE = 2.0
#: The interpreter's thread switch interval while serving (Python's default is 5 ms): a worker
#: thread's Python work (an SQL statement's rows) holds the serving loop this long at most.
SWITCH_INTERVAL = 0.0005

_log = get_logger("emulator.supervisor")


class TopologyError(Exception):
    """The topology has compile errors: nothing was bound."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"the topology has {len(problems)} problem(s)")
        self.problems = problems


class UnknownComputerError(LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(
            f"no computer named {name!r} in the topology (computers: {', '.join(known)})"
        )


class OneHostError(ValueError):
    """Computers that share a loopback listener were asked to run on one host."""

    def __init__(self, pairs: list[tuple[Endpoint, Endpoint]]) -> None:
        first, second = pairs[0]
        super().__init__(
            f"computers {first.computer!r} and {second.computer!r} both listen on "
            f"{first.address}:{first.port} ({first.process} and {second.process}): loopback "
            "is per host, so they cannot both run in one process here; run each on its own "
            "host with --computer NAME, or give each computer a 127.x network address of its "
            "own to run them together (or --ephemeral)"
        )
        self.pairs = pairs


class Supervisor:
    def __init__(
        self,
        loaded: LoadedTopology,
        *,
        computer: str | None = None,
        ephemeral: bool = False,
        state_dir: Path | None = None,
        grace: float = DEFAULT_GRACE,
        limits: Limits | None = None,
        context: Context | None = None,
        factories: Mapping[ProcessType, ProcessFactory] | None = None,
        shutdown_trigger: Callable[[], Awaitable[Any]] | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.loaded = loaded
        self.problems = compile_topology(loaded)
        if has_errors(self.problems):
            raise TopologyError(self.problems)
        self.endpoints = everywhere = plan(loaded.model)
        if computer is not None:
            known = [c.name for c in loaded.model.computers]
            match = [c for c in known if c.casefold() == computer.casefold()]
            if not match:
                raise UnknownComputerError(computer, known)
            self.endpoints = [e for e in self.endpoints if e.computer == match[0]]
        elif not ephemeral and (pairs := shared_loopback(self.endpoints)):
            raise OneHostError(pairs)
        self.computer = computer
        self.ephemeral = ephemeral
        self.state_dir = state_dir
        self.grace = grace
        self.limits = limits or Limits()
        self.context = context or Context(loaded.model, state_dir=state_dir)
        self.context.processes = self.statuses
        self.context.process_state = self._state_of
        #: The I/O servers of other processes this one reaches (`--computer`; docs/running.md).
        self.io_routes = None
        #: The alarm servers of other processes this one's follow or lead (the same rule).
        self.alarm_peers = None
        if computer is not None and not ephemeral:
            self.io_routes = io_routes_for(self.context, everywhere, self.endpoints)
            self.context.io_routes = self.io_routes
            self.alarm_peers = alarm_peers_for(everywhere, self.endpoints)
            if self.alarm_peers is not None:
                self.context.services[AlarmPeers] = self.alarm_peers
            remote = self.io_routes is not None or self.alarm_peers is not None
            if remote and loaded.model.project.server_password is None:
                _log.warning(
                    "supervisor.no_server_password",
                    hint="the servers of the other computers refuse this run's links: give "
                    "the topology a [project] server_password, the same for every process",
                )
        self.factories = factories
        self.shutdown_trigger = shutdown_trigger
        self.backoff = backoff or Backoff()
        self.ca_certificate: Path | None = None
        self.ready = anyio.Event()
        self.stopped = anyio.Event()
        self._shutdown = anyio.Event()
        self._group: TaskGroup | None = None
        self._tg: TaskGroup | None = None
        self._tls: dict[str, ssl.SSLContext] = {}
        self._temp_state: Path | None = None
        self._ports: dict[Endpoint, int] = {}
        #: Threads for expensive requests (SQL...), shared by every process of the runtime.
        self.workers = anyio.CapacityLimiter(self.limits.workers)
        by_process: dict[tuple[str, str], list[Endpoint]] = {}
        for endpoint in self.endpoints:
            by_process.setdefault(endpoint.key, []).append(endpoint)
        #: Failed logins per peer host and per account, over every port of this runtime.
        self.logins = LoginThrottle(self.limits.logins)
        self.processes: dict[tuple[str, str], ProcessRuntime] = {
            key: ProcessRuntime(endpoints, self.context, self.logins, self.workers)
            for key, endpoints in by_process.items()
        }

    # ---- what code can see ------------------------------------------------------------------

    @property
    def listeners(self) -> list[Listener]:
        """Every listener now bound, in plan order, with its real port."""
        return [listener for proc in self.processes.values() for listener in proc.listeners]

    def statuses(self) -> tuple[ProcessStatus, ...]:
        return tuple(proc.status() for proc in self.processes.values())

    def _state_of(self, key: tuple[str, str]) -> ProcessState | None:
        proc = self.processes.get(key)
        return None if proc is None else proc.state

    def process(self, name: str, computer: str | None = None) -> ProcessRuntime:
        """A server process by name (and computer, for the per-computer ones such as CtAPI)."""
        found = [
            proc
            for proc in self.processes.values()
            if proc.name.casefold() == name.casefold()
            and (computer is None or proc.computer.casefold() == computer.casefold())
        ]
        if len(found) == 1:
            return found[0]
        if found:
            raise LookupError(
                f"{name!r} runs on several computers ({', '.join(p.computer for p in found)}); "
                "name the computer too"
            )
        known = ", ".join(f"{c}/{p}" for c, p in self.processes)
        raise LookupError(f"no server process {name!r} in this runtime (processes: {known})")

    # ---- life -------------------------------------------------------------------------------

    @property
    def shutting_down(self) -> bool:
        return self._shutdown.is_set()

    def shutdown(self) -> None:
        """Ask for a graceful stop: listeners close, connections get `grace` seconds."""
        self._shutdown.set()

    async def __aenter__(self) -> Supervisor:
        group = anyio.create_task_group()
        await group.__aenter__()
        try:
            await group.start(self.run)
        except BaseException:
            await group.__aexit__(None, None, None)
            raise
        self._group = group
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        self.shutdown()
        assert self._group is not None
        return await self._group.__aexit__(exc_type, exc, tb)

    async def run(self, *, task_status: TaskStatus[Supervisor] = anyio.TASK_STATUS_IGNORED) -> None:
        """Bind everything, serve until shutdown; `task_status.started(self)` once ready.

        Raises BindError (nothing left bound) or CertificateError before it is ready.
        """
        _log.info(
            "supervisor.start",
            source=self.loaded.source,
            computer=self.computer,
            endpoints=len(self.endpoints),
            ephemeral=self.ephemeral,
        )
        switch = sys.getswitchinterval()
        sys.setswitchinterval(min(switch, SWITCH_INTERVAL))
        try:
            self._tls = self._tls_contexts()
            sockets = bind_all(
                self.endpoints, [0 if self.ephemeral else e.port for e in self.endpoints]
            )
            by_endpoint = dict(zip(self.endpoints, sockets, strict=True))
            for proc in self.processes.values():
                proc.listeners = [self._listener(e, by_endpoint[e], proc) for e in proc.endpoints]
                self._make(proc)
            async with anyio.create_task_group() as tg:
                self._tg = tg
                for proc in self.processes.values():
                    await self._launch(proc)
                tg.start_soon(run_scans, self.processes.values, self.context)
                if self.io_routes is not None:
                    tg.start_soon(run_io_links, self.io_routes, self.context)
                if self.alarm_peers is not None:
                    tg.start_soon(run_alarm_links, self.alarm_peers, self.context)
                _log.info("supervisor.ready", listeners=len(self.listeners))
                self.ready.set()
                task_status.started(self)
                if self.shutdown_trigger is not None:
                    tg.start_soon(self._watch_trigger, self.shutdown_trigger)
                await self._shutdown.wait()
                _log.info("supervisor.stopping", grace=self.grace)
                await self._stop(list(self.processes.values()), "shutdown", self.grace)
                tg.cancel_scope.cancel()
        finally:
            sys.setswitchinterval(switch)
            for proc in self.processes.values():
                for listener in proc.listeners:
                    listener.discard()
            if self._temp_state is not None:
                shutil.rmtree(self._temp_state, ignore_errors=True)
            self._tg = None
            _log.info("supervisor.stopped")
            self.stopped.set()

    async def _watch_trigger(self, trigger: Callable[[], Awaitable[Any]]) -> None:
        await trigger()
        self.shutdown()

    def _tls_contexts(self) -> dict[str, ssl.SSLContext]:
        if not any(e.tls for e in self.endpoints):
            return {}
        state_dir = self.state_dir
        if state_dir is None:
            self._temp_state = Path(tempfile.mkdtemp(prefix="scada-emu-"))
            state_dir = self._temp_state
        ca = CertificateAuthority(state_dir).ensure()
        self.ca_certificate = ca.certificate_path
        source = Path(self.loaded.source)
        base = source.parent if source.is_file() else Path.cwd()
        return contexts_for(self.loaded.model, self.endpoints, ca, base)

    def _listener(self, endpoint: Endpoint, sock: Any, proc: ProcessRuntime) -> Listener:
        return Listener(
            endpoint,
            sock,
            proc,
            limits=self.limits,
            tls=self._tls.get(endpoint.computer) if endpoint.tls else None,
            backoff=self.backoff,
        )

    def _make(self, proc: ProcessRuntime) -> None:
        """A fresh Process from its factory, before any of its listeners serves."""
        proc.set_state(ProcessState.STARTING)
        proc.sessions.clear()
        proc.prelogin.clear()
        proc.logged_in.clear()
        proc.process = factory_for(proc.type, self.factories)(proc.endpoints[0], self.context)

    async def _launch(self, proc: ProcessRuntime) -> None:
        """Start the bound listeners of a made process in the task group: all or none. A
        listener that cannot listen leaves the process failed with none of its ports open."""
        assert self._tg is not None
        started = []
        try:
            for listener in proc.listeners:
                self._ports[listener.endpoint] = await self._tg.start(listener.serve)
                started.append(listener)
        except Exception as exc:
            for listener in proc.listeners:
                listener.stop_accepting()
                listener.discard()
            for listener in started:
                await listener.finished.wait()
            proc.listeners = []
            proc.set_state(ProcessState.FAILED, repr(exc))
            raise
        proc.set_state(ProcessState.RUNNING)

    async def _stop(self, procs: list[ProcessRuntime], reason: str, grace: float) -> None:
        """Stop accepting, ask every connection to close, cut those left after `grace`."""
        for proc in procs:
            if proc.listeners and proc.state is not ProcessState.STOPPED:
                proc.set_state(ProcessState.STOPPING)
            for listener in proc.listeners:
                listener.stop_accepting()
            for session in list(proc.sessions):
                session.request_close(reason)
        listeners = [listener for proc in procs for listener in proc.listeners]
        with anyio.move_on_after(grace):
            for listener in listeners:
                await listener.finished.wait()
        left = [session for proc in procs for session in proc.sessions]
        if left:
            _log.warning("supervisor.grace_expired", connections=len(left), grace=grace)
            for session in left:
                session.scope.cancel()
        for listener in listeners:
            await listener.finished.wait()
        for proc in procs:
            proc.listeners = []
            proc.set_state(ProcessState.STOPPED)
            if isinstance(proc.process, Closing):
                proc.process.close()  # a graceful stop commits what the process buffers

    # ---- control API (scenarios, redundancy tests) ------------------------------------------

    async def stop(self, name: str, computer: str | None = None) -> ProcessRuntime:
        """Stop one server process gracefully: its ports refuse connections until start()."""
        proc = self.process(name, computer)
        async with proc.control:
            await self._stop([proc], "stopped", self.grace)
        return proc

    async def start(self, name: str, computer: str | None = None) -> ProcessRuntime:
        """Start a stopped or crashed process again, on the same ports, as a fresh process.

        Raises BindError (the process is then failed) when a port is taken meanwhile.
        """
        proc = self.process(name, computer)
        async with proc.control:
            if self._tg is None:
                raise RuntimeError("the supervisor is not running")
            if proc.state is ProcessState.RUNNING:
                return proc
            if proc.listeners:
                await self._stop([proc], "restart", self.grace)
            ports = [self._port_of(proc, e) for e in proc.endpoints]
            proc.set_state(ProcessState.STARTING)
            try:
                sockets = bind_all(proc.endpoints, ports)
            except Exception as exc:
                proc.set_state(ProcessState.FAILED, str(exc))
                raise
            proc.listeners = [
                self._listener(e, s, proc) for e, s in zip(proc.endpoints, sockets, strict=True)
            ]
            try:
                self._make(proc)
            except Exception as exc:
                for listener in proc.listeners:
                    listener.discard()
                proc.listeners = []
                proc.set_state(ProcessState.FAILED, repr(exc))
                raise
            await self._launch(proc)
        return proc

    async def crash(self, name: str, computer: str | None = None) -> ProcessRuntime:
        """Reset every connection of the process (TCP RST), close its ports; state failed."""
        proc = self.process(name, computer)
        async with proc.control:
            proc.set_state(ProcessState.FAILED, "crashed")
            for listener in proc.listeners:
                listener.stop_accepting()
            for session in list(proc.sessions):
                session.abort()
            for listener in proc.listeners:
                await listener.finished.wait()
            proc.listeners = []
        return proc

    def _port_of(self, proc: ProcessRuntime, endpoint: Endpoint) -> int:
        """The real port an endpoint had (so a restart keeps the ready file true)."""
        return self._ports.get(endpoint, 0 if self.ephemeral else endpoint.port)
