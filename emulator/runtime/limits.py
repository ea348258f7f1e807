"""The runtime's limits: per-connection timeouts, connections per process, open files."""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass, field, replace

from emulator.logs import get_logger
from emulator.ports import ProcessType
from emulator.protocol.framing import MAX_FRAME_SIZE
from emulator.runtime.logins import LoginPolicy
from emulator.runtime.tls import HANDSHAKE_TIMEOUT

#: Below this many open files a plant with many listeners and clients may run short.
LOW_OPEN_FILES = 4096

#: A connection's first request, and any frame once begun, must be whole within this many
#: seconds (ours): a half-open client (slowloris) cannot hold a connection slot for long.
REQUEST_TIMEOUT = 10.0
#: A peer that takes nothing of what it is sent for this many seconds is closed (ours): one
#: that sends without reading cannot make the emulator buffer without bound.
WRITE_TIMEOUT = 10.0

#: A connection must log in within this many seconds of its connect, whatever else it sends
#: (ours): one that never logs in cannot hold a slot. Processes without a login of their own
#: count their first request of the process as the login (docs/security.md, "Slots").
LOGIN_TIMEOUT = 5.0
#: A connection not logged in after this many seconds is closed to make room when the
#: pre-login slots are full and a new client arrives (ours).
EVICT_AFTER = 1.0
#: Requests of one connection answered in a row before the others get their turn (ours).
FRAMES_PER_TURN = 32
#: Worker threads for expensive requests (SQL...), shared by the whole runtime (ours): one
#: core fewer than the machine has, so the serving loop always keeps one.
WORKERS = max(1, (os.cpu_count() or 2) - 1)

#: [CtAPI]MaxConnections defaults to 20 (reference §4); other types: ours to decide.
DEFAULT_MAX_CONNECTIONS = 256
MAX_CONNECTIONS: dict[ProcessType, int] = {ProcessType.CTAPI: 20}

_log = get_logger("emulator.limits")


@dataclass(frozen=True, slots=True)
class Limits:
    handshake_timeout: float = HANDSHAKE_TIMEOUT
    #: Seconds without a request before the connection is closed; None: never.
    idle_timeout: float | None = None
    #: Seconds for the first request and for the rest of a frame once begun; None: no limit.
    request_timeout: float | None = REQUEST_TIMEOUT
    #: Seconds a write may wait for the peer to read; None: no limit.
    write_timeout: float | None = WRITE_TIMEOUT
    #: How failed logins from one peer host slow its next ones down (emulator.runtime.logins).
    logins: LoginPolicy = field(default_factory=LoginPolicy)
    max_frame_size: int = MAX_FRAME_SIZE
    #: Logged-in connections per process (CtAPI: over both of its ports).
    max_connections: dict[ProcessType, int] = field(default_factory=lambda: dict(MAX_CONNECTIONS))
    #: Seconds from connect to log in; None: no deadline.
    login_timeout: float | None = LOGIN_TIMEOUT
    #: Connections not yet logged in, per process, counted apart from the logged-in ones; a
    #: type left out has as many as its `max_connections`.
    max_prelogin: dict[ProcessType, int] = field(default_factory=dict)
    evict_after: float = EVICT_AFTER
    frames_per_turn: int = FRAMES_PER_TURN
    workers: int = WORKERS

    def connections_for(self, process_type: ProcessType) -> int:
        return self.max_connections.get(process_type, DEFAULT_MAX_CONNECTIONS)

    def prelogin_for(self, process_type: ProcessType) -> int:
        return self.max_prelogin.get(process_type, self.connections_for(process_type))


def configured(
    *,
    ctapi_connections: int | None = None,
    request_timeout: float | None = None,
    idle_timeout: float | None = None,
    login_timeout: float | None = None,
) -> Limits:
    """The defaults with `scada-emu run`'s options over them (a timeout of 0: none).

    Raises ValueError, saying which option, on a value that makes no sense.
    """
    limits = Limits()
    if ctapi_connections is not None:
        if ctapi_connections < 1:
            raise ValueError("--max-connections must be 1 or more")
        limits.max_connections[ProcessType.CTAPI] = ctapi_connections
    for name, value in (
        ("--request-timeout", request_timeout),
        ("--idle-timeout", idle_timeout),
        ("--login-timeout", login_timeout),
    ):
        if value is not None and not value >= 0:
            raise ValueError(f"{name} must be zero (no limit) or more seconds")
    return replace(
        limits,
        request_timeout=limits.request_timeout
        if request_timeout is None
        else request_timeout or None,
        idle_timeout=idle_timeout or None,
        login_timeout=limits.login_timeout if login_timeout is None else login_timeout or None,
    )


def raise_open_files() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit; the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            _log.info("limits.open_files_raised", was=soft, now=target)
            soft = target
        except (ValueError, OSError) as exc:
            _log.warning("limits.open_files_unchanged", soft=soft, hard=hard, reason=str(exc))
    if soft < LOW_OPEN_FILES:
        _log.warning(
            "limits.open_files_low",
            soft=soft,
            hint=f"raise the hard limit (ulimit -Hn) to at least {LOW_OPEN_FILES}",
        )
    return soft
