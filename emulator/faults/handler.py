"""A process handler seen through its connection's faults and metrics. Sans-IO.

The runtime wraps every handler in one: an error_reply fault answers a matching request with
its error instead of the process, a hang fault leaves every request unanswered, and each
request is reported (op, error name or None, seconds spent) to `observe`. The last RECENT
exchanges (request, replies or error) are kept, by reference, for the dashboard's traffic view.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from emulator.faults.registry import LinkFaults
from emulator.processes.base import Handler, Job, Message, Outcome
from emulator.protocol.errors import ProtocolError

Observer = Callable[[str, str | None, float], None]
#: Exchanges a connection keeps: (wall time, request, replies, or the error it raised).
RECENT = 20
Exchange = tuple[float, Message, list[Message] | ProtocolError]


def _ignore(op: str, error: str | None, seconds: float) -> None:
    return None


class FaultyHandler:
    def __init__(self, inner: Handler, link: LinkFaults, observe: Observer = _ignore) -> None:
        self.inner = inner
        self.link = link
        self.observe = observe
        self.recent: deque[Exchange] = deque(maxlen=RECENT)
        #: The inner handler's jobs off the loop, looked up once (offload is asked per request).
        self._offload = getattr(inner, "offload", None)

    def hello(self) -> Message:
        return self.inner.hello()

    def handle(self, request: Message, now: float) -> list[Message]:
        op = str(request.get("op"))
        started = time.perf_counter()
        faulty = bool(self.link.current())  # most links have no fault: one look, not two
        if faulty and self.link.hung:
            self.observe(op, "hang", 0.0)
            return []
        injected = self.link.error_for(request) if faulty else None
        if injected is not None:
            self.observe(op, injected[0].name, 0.0)
            error = ProtocolError(*injected)
            self.recent.append((time.time(), request, error))
            raise error
        try:
            replies = self.inner.handle(request, now)
        except ProtocolError as exc:
            self.observe(op, exc.error.name, time.perf_counter() - started)
            self.recent.append((time.time(), request, exc))
            raise
        except Exception:
            self.observe(op, "internal_error", time.perf_counter() - started)
            raise
        failed = next((_error_name(r) for r in replies if r.get("ok") is False), None)
        self.observe(op, failed, time.perf_counter() - started)
        self.recent.append((time.time(), request, replies))
        return replies

    def offload(self, request: Message, now: float) -> Job | None:
        """The inner handler's job for an expensive request, observed when it is done; None
        (so `handle` applies them) while the link has a fault."""
        offload = self._offload
        if offload is None or self.link.current():
            return None
        job: Job | None = offload(request, now)
        if job is None:
            return None
        op, inner_done = str(request.get("op")), job.done

        def done(outcome: Outcome, seconds: float) -> None:
            if inner_done is not None:
                inner_done(outcome, seconds)
            if isinstance(outcome, ProtocolError):
                self.observe(op, outcome.error.name, seconds)
                self.recent.append((time.time(), request, outcome))
            elif isinstance(outcome, Exception):
                self.observe(op, "internal_error", seconds)
            else:
                failed = next((_error_name(r) for r in outcome if r.get("ok") is False), None)
                self.observe(op, failed, seconds)
                self.recent.append((time.time(), request, outcome))

        return Job(job.work, done)

    @property
    def logged_in(self) -> bool | None:
        """The inner handler's login state, if it has one (ServerConnection.logged_in)."""
        state = getattr(self.inner, "logged_in", None)
        return None if state is None else bool(state)

    def poll(self, now: float) -> list[Message]:
        return [] if self.link.hung else self.inner.poll(now)

    def next_wakeup(self, now: float) -> float | None:
        return self.inner.next_wakeup(now)

    def close(self) -> None:
        self.inner.close()


def _error_name(reply: Message) -> str:
    error = reply.get("error")
    return str(error.get("name")) if isinstance(error, dict) else "error"
