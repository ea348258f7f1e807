"""Failed logins slow down the peer host that makes them. Sans-IO: it decides, the session waits.

Each peer host has a count of failed logins in a row. The first `free` failures cost nothing;
each one after pushes the host's next login answer out by `delay` seconds, doubling up to
`maximum`. Every login answer to that host (success or failure, on any connection, on either
CtAPI port) waits its turn, so neither parallel connections nor hanging up early go faster, and
a success answers no sooner than a failure would. A success does not clear the count (one good
account must not reset the count for guessing another); a host with no failure for `forget`
seconds starts again from zero. Known and unknown users count alike. At most `hosts`
peers are remembered (the least recent is forgotten first), so a flood of source addresses
cannot grow it without bound. Documented in docs/security.md ("Logins").
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    free: int = 3
    delay: float = 0.5
    maximum: float = 8.0
    forget: float = 600.0
    hosts: int = 10_000

    def delay_after(self, failures: int) -> float:
        """How far the `failures`-th failure in a row pushes the host's next answer out."""
        over = failures - self.free
        if over <= 0:
            return 0.0
        return float(min(self.delay * 2 ** min(over - 1, 64), self.maximum))


@dataclass(slots=True)
class _Host:
    failures: int
    #: When the host's next login answer may go out (same clock as `now`).
    next_answer: float
    last: float


class LoginThrottle:
    """The login record of one process's peer hosts; `now` is a monotonic clock, in seconds."""

    def __init__(self, policy: LoginPolicy | None = None) -> None:
        self.policy = policy or LoginPolicy()
        self._hosts: OrderedDict[str, _Host] = OrderedDict()

    def answer(self, host: str, now: float, *, failed: bool) -> float:
        """Record one login of `host`; the seconds to hold its answer before sending it."""
        entry = self._hosts.pop(host, None)
        if entry is None or now - entry.last >= self.policy.forget:
            entry = _Host(0, now, now)
        wait = max(0.0, entry.next_answer - now)
        if failed:
            entry.failures += 1
            entry.next_answer = now + wait + self.policy.delay_after(entry.failures)
            entry.last = now
        if entry.failures:
            self._hosts[host] = entry
        while len(self._hosts) > self.policy.hosts:
            self._hosts.popitem(last=False)
        return wait

    def failures(self, host: str, now: float) -> int:
        entry = self._hosts.get(host)
        if entry is None or now - entry.last >= self.policy.forget:
            return 0
        return entry.failures
