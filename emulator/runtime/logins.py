"""Failed logins slow down the peer that makes them. Sans-IO: it decides, the session sleeps.

Each peer host has a count of failed logins. The first `free` failures are answered at once;
each one after waits `delay` seconds, doubling up to `maximum`. A success clears the count, and
a host quiet for `forget` seconds starts again from zero. The same for a known and an unknown
user, so the delay tells nothing either. At most `hosts` peers are remembered (the quietest is
forgotten first), so a flood of source addresses cannot grow it without bound.
Documented in docs/security.md ("Logins").
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
        """Seconds to hold the answer to the `failures`-th failure in a row."""
        over = failures - self.free
        if over <= 0:
            return 0.0
        return float(min(self.delay * 2 ** min(over - 1, 64), self.maximum))


class LoginThrottle:
    """The failure counts of one process's peers; `now` is any monotonic clock, in seconds."""

    def __init__(self, policy: LoginPolicy | None = None) -> None:
        self.policy = policy or LoginPolicy()
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()

    def failed(self, host: str, now: float) -> float:
        """Count one failure of `host`; the seconds its answer must be held."""
        count, last = self._failures.pop(host, (0, now))
        if now - last >= self.policy.forget:
            count = 0
        count += 1
        self._failures[host] = (count, now)
        while len(self._failures) > self.policy.hosts:
            self._failures.popitem(last=False)
        return self.policy.delay_after(count)

    def succeeded(self, host: str) -> None:
        self._failures.pop(host, None)

    def failures(self, host: str, now: float) -> int:
        count, last = self._failures.get(host, (0, now))
        return 0 if now - last >= self.policy.forget else count
