"""Who may do what on the server ports (2080-2088): a guard in front of each connection's
handler. Sans-IO. Documented in docs/protocol.md ("Server authentication") and docs/security.md.

Plant SCADA's servers trust each other through a shared server password (reference section 8);
the emulator's server ports accept nothing but `ping` and `auth` until a connection has logged
in, either as a server (it proves the password: emulator.protocol.auth) or as one of the
`[[users]]` (user and password, as CtAPI's `open`). A server may do anything; a user may do
what a CtAPI session of theirs may: a read-only user reads, never writes a tag, acknowledges,
disables or enables an alarm, or runs a report, and acts under their own name only. So an
untrusted peer can do no more than a logged-in client of its privileges (ours).
"""

from __future__ import annotations

from emulator.plant.config import User
from emulator.plant.users import authenticate
from emulator.ports import ProcessType
from emulator.processes.base import Handler, Message, Peer
from emulator.processes.context import Context
from emulator.protocol import auth
from emulator.protocol.errors import (
    ACCESS_DENIED,
    ALREADY_OPEN,
    LOGIN_FAILED,
    NOT_CONNECTED,
    ProtocolError,
)
from emulator.protocol.messages import RequestId, field, ok, parse_request

#: The listeners that need a login: the server processes and the per-computer system services
#: and time synchronization between servers. (CtAPI has `open`; the alarm database answers its
#: own computer only; ODBC is read-only SQL.)
GUARDED: frozenset[ProcessType] = frozenset(
    {
        ProcessType.ALARM,
        ProcessType.IO,
        ProcessType.REPORTS,
        ProcessType.TRENDS,
        ProcessType.SYSTEM_SERVICES,
        ProcessType.TIME_SYNC,
    }
)

#: The requests that change the plant (write, acknowledge, disable, enable, run): a read-only
#: user may not make them.
ACTIONS: dict[ProcessType, frozenset[str]] = {
    ProcessType.IO: frozenset({"io.write"}),
    ProcessType.ALARM: frozenset({"alarm.ack", "alarm.disable", "alarm.enable"}),
    ProcessType.REPORTS: frozenset({"report.run"}),
}

_LOG_IN = (
    'log in first: {"op": "auth", "proof": ...} with the server password, or '
    '{"op": "auth", "user": ..., "password": ...} (docs/protocol.md \'Server authentication\')'
)


def guard(handler: Handler, peer: Peer, context: Context) -> Handler:
    """The handler a connection to `peer.endpoint` speaks to: guarded when its type needs it."""
    if peer.endpoint.type not in GUARDED:
        return handler
    return Guarded(handler, peer, context)


class Guarded:
    """A server port's handler behind its login: `auth` first, then privileges per request."""

    def __init__(self, inner: Handler, peer: Peer, context: Context) -> None:
        self.inner = inner
        self.peer = peer
        self.context = context
        self.challenge = auth.challenge()
        self.actions = ACTIONS.get(peer.endpoint.type, frozenset())
        #: Who logged in: a server (the server password), or a user; neither until `auth`.
        self.server = False
        self.user: User | None = None

    def hello(self) -> Message:
        fields = dict(self.inner.hello())
        requests = fields.get("requests")
        if isinstance(requests, list):
            fields["requests"] = [*requests[:1], auth.AUTH, *requests[1:]]
        return {**fields, "auth": "required", "challenge": self.challenge}

    def handle(self, request: Message, now: float) -> list[Message]:
        rid, op = parse_request(request)
        if op == auth.AUTH:
            return [self._auth(rid, request)]
        if not self.server and self.user is None:
            raise ProtocolError(NOT_CONNECTED, _LOG_IN)
        if op in self.actions and self.user is not None:
            request = self._as_user(self.user, op, request)
        return self.inner.handle(request, now)

    def poll(self, now: float) -> list[Message]:
        return self.inner.poll(now)

    def next_wakeup(self, now: float) -> float | None:
        return self.inner.next_wakeup(now)

    def close(self) -> None:
        self.inner.close()

    def _auth(self, rid: RequestId, request: Message) -> Message:
        if self.server or self.user is not None:
            raise ProtocolError(ALREADY_OPEN, "this connection has logged in already")
        if "proof" in request:
            given = field(request, "proof", str)
            good = auth.proves(self.context.server_password, self.challenge, given)
            self.peer.login(auth.SERVER_ACCOUNT, good)
            if not good:
                raise ProtocolError(LOGIN_FAILED, "the server password is not this project's")
            self.server = True
            return ok(rid, user=None, server=True, read_only=False)
        name = field(request, "user", str)
        user = authenticate(self.context.topology.users, name, field(request, "password", str))
        self.peer.login(name, user is not None)
        if user is None:
            raise ProtocolError(LOGIN_FAILED, "check the user name and password")
        self.user = user
        return ok(rid, user=user.name, server=False, read_only=user.read_only)

    def _as_user(self, user: User, op: str, request: Message) -> Message:
        """A user's action: refused when read-only; done under the user's own name."""
        if user.read_only:
            raise ProtocolError(ACCESS_DENIED, f"{op}: {user.name} is a read-only user")
        named = request.get("user")
        if named is not None and (
            not isinstance(named, str) or named.casefold() != user.name.casefold()
        ):
            raise ProtocolError(
                ACCESS_DENIED, f"{op}: logged in as {user.name}, a user acts under their own name"
            )
        return {**request, "user": user.name}
