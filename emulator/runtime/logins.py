"""Failed logins slow down the peer host and the account that make them. Sans-IO: it decides,
the session waits.

Each peer host and each account (the user name, case-folded; a server password is the account
SERVER_ACCOUNT of emulator.protocol.auth) has a count of failed logins in a row. The first `free`
failures of a key cost nothing; each one after pushes that key's next failure answer out by `delay`
seconds, doubling up to `maximum`. A failure is answered only when both its host's and its
account's turn has come, so neither parallel connections, hanging up early nor rotating source
addresses guess faster than one answer per `maximum` seconds per account (the session also reads no
further request of that connection until the answer is out). A right password is answered at once:
someone else's failed guesses, from any source, never delay it (docs/security.md, "Logins"). A
success does not clear the counts (one good account must not reset the count for guessing another);
a key with no failure for `forget` seconds starts again from zero. Known and unknown users count
alike. At most `hosts` keys of each kind are remembered (the least recent is forgotten first), so a
flood of source addresses or names cannot grow it without bound.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

#: Longest account name remembered (longer names count as their first 64 characters).
ACCOUNT_CHARS = 64


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    free: int = 3
    delay: float = 0.5
    maximum: float = 8.0
    forget: float = 600.0
    hosts: int = 10_000

    def delay_after(self, failures: int) -> float:
        """How far the `failures`-th failure in a row pushes the key's next failure answer out."""
        over = failures - self.free
        if over <= 0:
            return 0.0
        return float(min(self.delay * 2 ** min(over - 1, 64), self.maximum))


@dataclass(slots=True)
class _Record:
    failures: int
    #: When the key's next failure answer may go out (same clock as `now`).
    next_answer: float
    last: float


class _Keys:
    """The records of one kind of key (hosts, or accounts), the least recent first."""

    def __init__(self, policy: LoginPolicy) -> None:
        self.policy = policy
        self.records: OrderedDict[str, _Record] = OrderedDict()

    def take(self, key: str, now: float) -> _Record:
        record = self.records.pop(key, None)
        if record is None or now - record.last >= self.policy.forget:
            record = _Record(0, now, now)
        self.records[key] = record
        while len(self.records) > self.policy.hosts:
            self.records.popitem(last=False)
        return record

    def failures(self, key: str, now: float) -> int:
        record = self.records.get(key)
        if record is None or now - record.last >= self.policy.forget:
            return 0
        return record.failures


class LoginThrottle:
    """The login record of one runtime's peer hosts and accounts; `now` is a monotonic clock."""

    def __init__(self, policy: LoginPolicy | None = None) -> None:
        self.policy = policy or LoginPolicy()
        self._hosts = _Keys(self.policy)
        self._accounts = _Keys(self.policy)

    def answer(self, host: str, account: str, now: float, *, failed: bool) -> float:
        """Record one login of `account` from `host`; the seconds to hold its answer."""
        if not failed:
            return 0.0
        records = (self._hosts.take(host, now), self._accounts.take(account_key(account), now))
        answer_at = max(now, *(r.next_answer for r in records))
        for record in records:
            record.failures += 1
            record.next_answer = answer_at + self.policy.delay_after(record.failures)
            record.last = now
        return answer_at - now

    def failures(self, host: str, now: float) -> int:
        """Failed logins in a row from `host`."""
        return self._hosts.failures(host, now)

    def account_failures(self, account: str, now: float) -> int:
        """Failed logins in a row of `account`, from any host."""
        return self._accounts.failures(account_key(account), now)

    def remembered(self) -> tuple[int, int]:
        """How many hosts and accounts are remembered (bounded by the policy's `hosts`)."""
        return len(self._hosts.records), len(self._accounts.records)


def account_key(account: str) -> str:
    return account[:ACCOUNT_CHARS].casefold()
