"""The CtAPI server process: one session per connection, over the plant. Sans-IO.

Serves the requests of docs/protocol.md ("CtAPI requests") with CtAPI's semantics (reference
section 5): open/close, tag read/write, Cicode and tag lists. The same process serves 2073 and
3073; only CT_OPEN_CRYPT tells them apart. docs/ctapi.md maps each CtAPI function to requests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.cicode import BUILTINS, CallContext, Functions, run
from emulator.logs import get_logger
from emulator.plant.config import User
from emulator.plant.state import Plant
from emulator.plant.users import authenticate
from emulator.processes import ctapi_find
from emulator.processes.alarm_peers import HOLD, AlarmPeers
from emulator.processes.base import Job, Message, Peer
from emulator.processes.context import Context
from emulator.processes.ctapi_find import Searches
from emulator.processes.io_tickets import Waiting, answered
from emulator.processes.references import References
from emulator.processes.taglists import (
    DEFAULT_POLL_PERIOD_MS,
    MAX_FAILED_SHOWN,
    Failure,
    TagList,
    TagLists,
)
from emulator.protocol.ctapi_flags import (
    CT_OPEN_BATCH,
    CT_OPEN_CRYPT,
    CT_OPEN_EXTENDED,
    CT_OPEN_READ_ONLY,
    CT_OPEN_RECONNECT,
    CT_OPEN_WINDOWSUSER,
)
from emulator.protocol.errors import (
    ACCESS_DENIED,
    ALREADY_OPEN,
    ENCRYPTION_UNAVAILABLE,
    INVALID_ARGUMENT,
    LIST_BUSY,
    LOGIN_FAILED,
    NOT_CONNECTED,
    UNKNOWN_REQUEST,
    ProtocolError,
)
from emulator.protocol.messages import RequestId, failed, field, ok, parse_request
from emulator.topology.plan import Endpoint

OPEN_MODES = int(
    CT_OPEN_CRYPT
    | CT_OPEN_RECONNECT
    | CT_OPEN_READ_ONLY
    | CT_OPEN_BATCH
    | CT_OPEN_EXTENDED
    | CT_OPEN_WINDOWSUSER
)

_log = get_logger("emulator.ctapi")

Op = Callable[["CtapiHandler", RequestId, Message, float], list[Message]]


class CtapiProcess:
    """The CtAPI listener of one computer: the plant, the users and the Cicode functions."""

    def __init__(
        self,
        plant: Plant,
        users: list[User],
        *,
        functions: Functions = BUILTINS,
        context: Context | None = None,
    ) -> None:
        self.plant = plant
        self.users = users
        self.functions = functions
        self.context = context
        #: What tag.read, tag lists and Cicode's TagRead resolve names with (alarm properties too).
        self.references = References(plant, context)

    def connect(self, peer: Peer) -> CtapiHandler:
        return CtapiHandler(self, peer)


def create(endpoint: Endpoint, context: Context) -> CtapiProcess:
    """The factory the runtime registers for ProcessType.CTAPI (one per computer, both ports)."""
    return CtapiProcess(context.plant, context.topology.users, context=context)


class CtapiHandler:
    """One CtAPI connection: its session (after `open`) and its tag lists."""

    def __init__(self, process: CtapiProcess, peer: Peer) -> None:
        self.process = process
        self.peer = peer
        self.user: User | None = None
        #: Who the session's Cicode runs as after Cicode Login() (None: the user that opened).
        self.cicode_user: User | None = None
        #: When the current user logged in (ctOpen, or Cicode Login), for UserInfo(3), (4).
        self.login_time: float | None = None
        self.read_only = False
        self.lists = TagLists()
        self.finds = Searches()
        #: Writes waiting for the I/O server of another process (emulator.processes.io_routes).
        self.remote_writes: list[Waiting] = []
        #: Replies to requests that took operator actions on an alarm server, held until its
        #: peers of other processes applied them: (deadline, waits, replies).
        self.held: list[tuple[float, dict[str, int], list[Message]]] = []
        self._log = _log.bind(peer=f"{peer.host}:{peer.port}", tls=peer.tls_version is not None)

    # --- Handler protocol -------------------------------------------------------------------
    def hello(self) -> Message:
        return {"requests": ["ping", *sorted(_OPS)]}

    def handle(self, request: Message, now: float) -> list[Message]:
        rid, op = parse_request(request)
        serve = _OPS.get(op)
        if serve is None:
            raise ProtocolError(
                UNKNOWN_REQUEST, f"{op!r}: CtAPI requests are {', '.join(sorted(_OPS))}"
            )
        if op != "open" and self.user is None:
            raise ProtocolError(NOT_CONNECTED, f"{op}: open a session first")
        peers = self._alarm_peers()
        if peers is None:
            return serve(self, rid, request, now)
        marks = peers.marks()
        replies = serve(self, rid, request, now)
        waits = peers.unconfirmed(marks)
        if waits and replies:  # an acknowledgement is on the peers before it is acknowledged
            self.held.append((now + HOLD, waits, replies))
            return []
        return replies

    def _alarm_peers(self) -> AlarmPeers | None:
        context = self.process.context
        found = None if context is None else context.services.get(AlarmPeers)
        return found if isinstance(found, AlarmPeers) else None

    def _released(self, now: float) -> list[Message]:
        """The held replies whose actions the peers have applied, or whose wait is over."""
        peers = self._alarm_peers()
        replies: list[Message] = []
        kept = []
        for deadline, waits, held in self.held:
            if peers is None or peers.confirmed(waits):
                replies += held
            elif now >= deadline:
                self._log.warning("ctapi.alarm_unconfirmed", servers=sorted(waits), wait=HOLD)
                replies += held
            else:
                kept.append((deadline, waits, held))
        self.held = kept
        return replies

    def offload(self, request: Message, now: float) -> Job | None:
        """A search over a TRNQUERY or ALMQUERY string runs off the serving loop."""
        if request.get("op") != "find.first" or self.user is None:
            return None  # `handle` serves it, or refuses it before open
        return ctapi_find.find_first_job(self, request, now)

    @property
    def logged_in(self) -> bool:
        """Whether a session is open: the runtime's login deadline and slots watch it."""
        return self.user is not None

    def poll(self, now: float) -> list[Message]:
        replies = answered(self.remote_writes) if self.remote_writes else []
        if self.held:
            replies += self._released(now)
        if self.user is None:
            return replies
        for tag_list in self.lists.lists.values():
            if tag_list.pending is not None and self.lists.ready(tag_list, self.references, now):
                replies.append(self._complete(tag_list, now))
        return replies

    def next_wakeup(self, now: float) -> float | None:
        if self.user is None:
            return None
        dues = [
            t.due() for t in self.lists.lists.values() if t.pending is not None and t.due() > now
        ]
        dues += [deadline for deadline, _, _ in self.held]
        return min(dues) if dues else None

    def close(self) -> None:
        self._log.debug("ctapi.disconnect", user=self.user.name if self.user else None)
        self.user = self.cicode_user = self.login_time = None
        self.lists = TagLists()
        self.finds = Searches()
        self.remote_writes.clear()
        self.held.clear()

    # --- helpers ------------------------------------------------------------------------------
    @property
    def plant(self) -> Plant:
        return self.process.plant

    @property
    def references(self) -> References:
        return self.process.references

    def _may_write(self, what: str) -> None:
        if self.read_only:
            raise ProtocolError(ACCESS_DENIED, f"{what}: the session is read-only")

    def _user_name(self) -> str | None:
        user = self.cicode_user or self.user
        return user.name if user else None

    # --- the session as Cicode's Login, Logout and UserInfo see it (cicode.CicodeSession) ----
    def login(self, name: str, password: str, now: float) -> User:
        """Cicode Login(): later Cicode of this session runs as `name` (ours: the session's
        read-only state stays as ctOpen made it)."""
        user = authenticate(self.process.users, name, password)
        self.peer.login(name, user is not None)
        if user is None:
            self._log.warning("ctapi.cicode_login_failed", user=name[:64])
            raise ProtocolError(LOGIN_FAILED, "Login(): check the user name and password")
        self.cicode_user, self.login_time = user, now
        self._log.info("ctapi.cicode_login", user=user.name)
        return user

    def logout(self) -> None:
        """Cicode Logout(): back to the user that opened the session (ours)."""
        self.cicode_user = None

    def users(self) -> list[User]:
        return list(self.process.users)

    def _write(self, rid: RequestId, tag: str, value: str, now: float) -> list[Message]:
        """A write to the plant, or to the remote I/O server that serves the tag; answered by
        `poll` once that server has (or once the replicas for the tag's standbys have)."""
        self._may_write(f"write {tag}")
        context = self.process.context
        routes = None if context is None else context.io_routes
        user = self._user_name()
        if routes is not None and (ticket := routes.submit(tag, value, user)) is not None:
            self.remote_writes.append(Waiting(rid, (ticket,), strict=True))
            return []
        self.references.write(tag, value, now, user)  # a tag, else an alarm's property
        if routes is not None and (replicas := routes.replicate(tag, value, user)):
            self.remote_writes.append(Waiting(rid, tuple(replicas), strict=False))
            return []
        return [ok(rid)]

    def _cancel(self, tag_list: TagList, why: str) -> list[Message]:
        if tag_list.pending is None:
            return []
        rid, tag_list.pending = tag_list.pending, None
        return [failed(rid, NOT_CONNECTED, f"the pending read of list {tag_list.id} {why}")]

    def _complete(self, tag_list: TagList, now: float) -> Message:
        rid, tag_list.pending = tag_list.pending, None
        assert rid is not None
        return self._read_reply(rid, tag_list, now, tag_list.pending_values)

    def _read_reply(self, rid: RequestId, tag_list: TagList, now: float, values: bool) -> Message:
        """list.read's answer: the failed tags (at most MAX_FAILED_SHOWN, all counted) and, when
        asked, the first page of values."""
        failures = self.lists.commit(tag_list, self.references, now)
        extra: dict[str, Any] = {}
        if values:
            page, more = self.lists.values(tag_list)
            extra = {"values": page, "more": more}
        return ok(
            rid,
            failed=_failures(failures[:MAX_FAILED_SHOWN]),
            failed_count=len(failures),
            **extra,
        )

    # --- requests -------------------------------------------------------------------------------
    def _open(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        user_name = field(request, "user", str)
        password = field(request, "password", str)
        mode = field(request, "mode", int, 0)
        if self.user is not None:
            raise ProtocolError(ALREADY_OPEN, f"logged in as {self.user.name}; close first")
        if mode & ~OPEN_MODES or mode < 0:
            raise ProtocolError(INVALID_ARGUMENT, f"open mode {mode:#x}: known bits are 0x01..0x20")
        if mode & CT_OPEN_CRYPT and self.peer.tls_version is None:
            raise ProtocolError(
                ENCRYPTION_UNAVAILABLE,
                "this connection is not encrypted: use the TLS port (3073) for CT_OPEN_CRYPT",
            )
        user = authenticate(self.process.users, user_name, password)
        self.peer.login(user_name, user is not None)
        if user is None:
            self._log.warning("ctapi.login_failed", user=user_name[:64], mode=mode)
            raise ProtocolError(LOGIN_FAILED, "check the user name and password")
        self.user, self.cicode_user, self.login_time = user, None, now
        self.read_only = user.read_only or bool(mode & CT_OPEN_READ_ONLY)
        self._log.info("ctapi.open", user=user.name, mode=mode, read_only=self.read_only)
        return [ok(rid, user=user.name, mode=mode, read_only=self.read_only)]

    def _close(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        replies: list[Message] = []
        for tag_list in self.lists.lists.values():
            replies += self._cancel(tag_list, "was cancelled by close")
        self._log.info("ctapi.close", user=self._user_name())
        self.user = self.cicode_user = self.login_time = None
        self.read_only = False
        return [*replies, ok(rid)]

    def _tag_read(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        raw = field(request, "raw", bool, False)
        reading = self.process.references.read(field(request, "tag", str), now, raw=raw)
        return [ok(rid, value=reading.value)]

    def _tag_read_ex(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        reading = self.process.references.read(field(request, "tag", str), now)
        return [
            ok(
                rid,
                value=reading.value,
                timestamp=reading.timestamp,
                value_timestamp=reading.value_timestamp,
                quality_timestamp=reading.quality_timestamp,
                quality=reading.quality.to_json(),
            )
        ]

    def _tag_write(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        return self._write(rid, field(request, "tag", str), field(request, "value", str), now)

    def _cicode(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        command = field(request, "command", str)
        field(request, "window", int, 0)
        field(request, "mode", int, 0)
        self._may_write("Cicode")
        ctx = CallContext(
            self.plant,
            now,
            self.cicode_user or self.user,
            self.process.context,
            self.process.references,
            session=self,
        )
        result = run(command, ctx, self.process.functions)
        self._log.info("ctapi.cicode", user=self._user_name(), command=command[:200])
        return [ok(rid, result=result)]

    def _list_new(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        return [ok(rid, list=self.lists.new(field(request, "mode", int, 0)))]

    def _list_add(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        handle = self.lists.add(field(request, "list", int), field(request, "tag", str))
        return [ok(rid, handle=handle)]

    def _list_add_ex(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        handle = self.lists.add(
            field(request, "list", int),
            field(request, "tag", str),
            raw=field(request, "raw", bool, False),
            poll_period_ms=field(request, "poll_period_ms", int, DEFAULT_POLL_PERIOD_MS),
            deadband=float(field(request, "deadband", (int, float), 0.0)),
        )
        return [ok(rid, handle=handle)]

    def _list_read(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        tag_list = self.lists.get_list(field(request, "list", int))
        wait = field(request, "wait", bool, False)
        values = field(request, "values", bool, False)
        if tag_list.pending is not None:
            raise ProtocolError(LIST_BUSY, f"list {tag_list.id} has a read pending")
        if not wait:
            return [self._read_reply(rid, tag_list, now, values)]
        tag_list.pending, tag_list.pending_values = rid, values
        if self.lists.ready(tag_list, self.references, now):
            return [self._complete(tag_list, now)]
        return []

    def _list_values(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        tag_list = self.lists.get_list(field(request, "list", int))
        page, more = self.lists.values(tag_list, field(request, "after", int, 0))
        return [ok(rid, values=page, more=more)]

    def _list_data(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        value = self.lists.data(
            field(request, "handle", int),
            self.references,
            now,
            raw=field(request, "raw", bool, None),
            item=field(request, "item", str, "value"),
        )
        return [ok(rid, value=value)]

    def _list_write(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        tag = self.lists.get_tag(field(request, "handle", int))
        return self._write(rid, tag.reference, field(request, "value", str), now)

    def _list_event(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        handle = self.lists.event(field(request, "list", int), field(request, "mode", int, 0))
        return [ok(rid, handle=handle)]

    def _list_delete(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        self.lists.delete(field(request, "handle", int))
        return [ok(rid)]

    def _list_free(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        tag_list = self.lists.free(field(request, "list", int))
        return [*self._cancel(tag_list, "was cancelled by list.free"), ok(rid)]


def _failures(failures: list[Failure]) -> list[dict[str, Any]]:
    return [{"handle": handle, "error": error.wire()} for handle, error in failures]


_OPS: dict[str, Op] = {
    "open": CtapiHandler._open,
    "close": CtapiHandler._close,
    "tag.read": CtapiHandler._tag_read,
    "tag.read_ex": CtapiHandler._tag_read_ex,
    "tag.write": CtapiHandler._tag_write,
    "cicode": CtapiHandler._cicode,
    "list.new": CtapiHandler._list_new,
    "list.add": CtapiHandler._list_add,
    "list.add_ex": CtapiHandler._list_add_ex,
    "list.read": CtapiHandler._list_read,
    "list.data": CtapiHandler._list_data,
    "list.values": CtapiHandler._list_values,
    "list.write": CtapiHandler._list_write,
    "list.event": CtapiHandler._list_event,
    "list.delete": CtapiHandler._list_delete,
    "list.free": CtapiHandler._list_free,
    **ctapi_find.OPS,
}
