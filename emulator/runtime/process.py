"""The supervisor's record of one server process: its endpoints, listeners, sessions and state.

States (docs/running.md, "Process states"): starting → running → stopping → stopped, or failed
(a listener failed and is being bound again, a bind failed on start, or the process crashed).
"""

from __future__ import annotations

import anyio

from emulator.logs import get_logger
from emulator.processes.base import Process
from emulator.processes.context import Context, ProcessState, ProcessStatus
from emulator.runtime.listener import Listener
from emulator.runtime.logins import LoginThrottle
from emulator.runtime.session import Session
from emulator.topology.plan import Endpoint


class ProcessRuntime:
    def __init__(
        self, endpoints: list[Endpoint], context: Context, logins: LoginThrottle | None = None
    ) -> None:
        first = endpoints[0]
        self.computer = first.computer
        self.name = first.process
        self.type = first.type
        self.cluster = first.cluster
        self.mode = first.mode
        self.endpoints = endpoints
        self.context = context
        self.state = ProcessState.STARTING
        self.reason: str | None = None
        self.started: float | None = None
        self.process: Process | None = None
        self.listeners: list[Listener] = []
        self.sessions: set[Session] = set()
        #: Failed logins per peer host and account: the runtime's, shared by every process.
        self.logins = logins or LoginThrottle()
        #: Serialises the control operations (stop, start, crash) of this process.
        self.control = anyio.Lock()
        self._changed = anyio.Event()
        # A lazy logger: it takes structlog's processors at each event, not now, so the event
        # log's tap (emulator.control.events) sees it even when installed after construction.
        self._log = get_logger(
            "emulator.process", computer=self.computer, process=self.name, type=str(self.type)
        )

    @property
    def key(self) -> tuple[str, str]:
        return (self.computer, self.name)

    def set_state(self, state: ProcessState, reason: str | None = None) -> None:
        if state is self.state and reason == self.reason:
            return
        extra = {} if reason is None else {"reason": reason}
        self._log.info("process.state", state=str(state), was=str(self.state), **extra)
        self.state, self.reason = state, reason
        if state is ProcessState.RUNNING:
            self.started = self.context.clock.now()
        self._changed.set()
        self._changed = anyio.Event()

    async def wait_for(self, *states: ProcessState) -> ProcessState:
        """Wait until the process is in one of `states` (bound the wait with a timeout)."""
        while self.state not in states:
            await self._changed.wait()
        return self.state

    def status(self) -> ProcessStatus:
        return ProcessStatus(
            self.computer,
            self.name,
            self.type,
            self.state,
            self.cluster,
            self.reason,
            self.started,
            len(self.sessions),
        )

    def listener_failed(self, listener: Listener) -> None:
        where = f"{listener.endpoint.address}:{listener.port}"
        self.set_state(ProcessState.FAILED, f"listener {where} failed: {listener.failed}")

    def listener_recovered(self, listener: Listener) -> None:
        if self.state is ProcessState.FAILED and not any(item.failed for item in self.listeners):
            self.set_state(ProcessState.RUNNING)
