"""The runtime's limits: per-connection timeouts, connections per process, open files."""

from __future__ import annotations

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
    max_connections: dict[ProcessType, int] = field(default_factory=lambda: dict(MAX_CONNECTIONS))

    def connections_for(self, process_type: ProcessType) -> int:
        return self.max_connections.get(process_type, DEFAULT_MAX_CONNECTIONS)


def configured(
    *,
    ctapi_connections: int | None = None,
    request_timeout: float | None = None,
    idle_timeout: float | None = None,
) -> Limits:
    """The defaults with `scada-emu run`'s options over them (a timeout of 0: none).

    Raises ValueError, saying which option, on a value that makes no sense.
    """
    limits = Limits()
    if ctapi_connections is not None:
        if ctapi_connections < 1:
            raise ValueError("--max-connections must be 1 or more")
        limits.max_connections[ProcessType.CTAPI] = ctapi_connections
    for name, value in (("--request-timeout", request_timeout), ("--idle-timeout", idle_timeout)):
        if value is not None and not value >= 0:
            raise ValueError(f"{name} must be zero (no limit) or more seconds")
    return replace(
        limits,
        request_timeout=limits.request_timeout
        if request_timeout is None
        else request_timeout or None,
        idle_timeout=idle_timeout or None,
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
