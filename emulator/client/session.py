"""An open CtAPI session: `connect()` and the calls of CtAPI as async methods.

Each method is one request of docs/protocol.md ("CtAPI requests"); handles are the server's
integers, as CtAPI's are. Many tasks may call at once: requests are pipelined on one link.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import anyio
import anyio.abc
from anyio.streams.memory import MemoryObjectReceiveStream

from emulator.client.connection import Connection, dial
from emulator.client.encryption import Encryption, attempts, tls_context
from emulator.client.errors import CtApiCertificateError, CtApiConnectionError, CtApiError
from emulator.client.locate import (
    CtApiListener,
    Target,
    locate,
    read_ready_file,
    topology_listeners,
)
from emulator.logs import get_logger
from emulator.plant.state import Quality
from emulator.protocol.ctapi_flags import ListEventMode, ListMode, OpenMode
from emulator.protocol.errors import (
    BAD_REQUEST,
    COMPUTER_NOT_FOUND,
    INTERNAL_ERROR,
    NO_MORE_RECORDS,
    NOT_CONNECTED,
    UNKNOWN_REQUEST,
)
from emulator.protocol.framing import Message
from emulator.topology.load import load_path
from emulator.topology.model import Topology

_log = get_logger("emulator.client")

T = TypeVar("T")

DEFAULT_TIMEOUT = 10.0

Value = str | int | float | bool
#: One record of a search: field name (TAG, COMMENT, ...) to value.
Record = dict[str, str | int | float | bool]


@dataclass(frozen=True, slots=True)
class TagValue:
    """ctTagReadEx: the value with its quality and timestamps (UTC seconds since 1970)."""

    value: str
    quality: Quality
    timestamp: float
    value_timestamp: float
    quality_timestamp: float


@dataclass(frozen=True, slots=True)
class Found:
    """Where a search stands: its handle, the 1-based record number, and that record."""

    find: int
    position: int
    record: Record


#: ctFindScroll's dwMode (ctapi.h CT_FIND_SCROLL_*).
FIND_SCROLL_NEXT, FIND_SCROLL_PREV, FIND_SCROLL_FIRST = 1, 2, 3
FIND_SCROLL_LAST, FIND_SCROLL_ABSOLUTE, FIND_SCROLL_RELATIVE = 4, 5, 6


@dataclass(frozen=True, slots=True)
class Options:
    """How to reach and log in to one computer; kept so the blocking facade can reconnect."""

    host: str | None
    user: str
    password: str
    port: int | None = None
    tls_port: int | None = None
    encryption: Encryption = "mixed"
    ca: str | None = None
    server_name: str | None = None
    mode: int = 0
    listeners: tuple[CtApiListener, ...] | None = None
    timeout: float = DEFAULT_TIMEOUT

    def target(self) -> Target:
        return locate(
            self.host, None if self.listeners is None else list(self.listeners), ca=self.ca
        )


def _as_text(value: Value) -> str:
    """A value as CtAPI sends it: text; booleans as 1/0, as digital tags take them."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _reply_field(reply: Message, name: str, kind: type[T]) -> T:
    """A field of a reply, checked: a server that sends nonsense gets a clear error, not a crash."""
    value = reply.get(name)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise CtApiError.of(
            INTERNAL_ERROR,
            f"the server's reply has no {kind.__name__} {name!r}: {reply!r}",
        )
    return value


def _quality(raw: Any) -> Quality:
    """The reply's quality parts (the plant's own Quality); QUAL_BAD (0) when it has none."""
    if not isinstance(raw, dict):
        return Quality(general=0)
    return Quality(**{k: raw[k] for k in Quality.__dataclass_fields__ if k in raw})


class Session:
    """A logged-in CtAPI session. Use `async with connect(...) as session`."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.target: Target | None = None
        #: The server's hello frame (computer, process, version, tls...).
        self.hello: Message = {}
        #: The server's answer to `open`: user, mode, read_only.
        self.login: Message = {}
        self._connection: Connection | None = None
        self._task_group: anyio.abc.TaskGroup | None = None

    # --- lifetime ---------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        task_group = anyio.create_task_group()
        await task_group.__aenter__()
        try:
            await self._open(task_group)
        except BaseException:
            if self._connection is not None:
                with anyio.CancelScope(shield=True):
                    await self._connection.aclose()
            task_group.cancel_scope.cancel()
            await task_group.__aexit__(None, None, None)
            raise
        self._task_group = task_group
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Log out and close the link; safe to call twice. Call it from the task that opened."""
        await self.disconnect()
        task_group, self._task_group = self._task_group, None
        if task_group is not None:
            task_group.cancel_scope.cancel()
            await task_group.__aexit__(None, None, None)

    async def disconnect(self) -> None:
        """Log out (best effort) and close the link, from any task; `wait_closed` then returns."""
        connection = self._connection
        if connection is None:
            return
        with anyio.CancelScope(shield=True):
            if connection.is_open:
                with (
                    anyio.move_on_after(min(self.options.timeout, 2.0)),
                    contextlib.suppress(CtApiError),  # logging out of a link that is going
                ):
                    await connection.request("close")
            await connection.aclose()

    async def wait_closed(self) -> None:
        """Return once the link is gone (closed by either side, or lost)."""
        await self._link().wait_closed()

    @property
    def is_open(self) -> bool:
        return self._connection is not None and self._connection.is_open

    @property
    def error(self) -> CtApiConnectionError | None:
        """Why the link is gone (None while it is open)."""
        return None if self._connection is None else self._connection.error

    @property
    def read_only(self) -> bool:
        return bool(self.login.get("read_only", False))

    @property
    def encrypted(self) -> bool:
        return bool(self.hello.get("tls", False))

    @property
    def pushes(self) -> MemoryObjectReceiveStream[Message]:
        """Frames the server sends on its own (bounded; the oldest are dropped when full)."""
        return self._link().pushes

    async def _open(self, task_group: anyio.abc.TaskGroup) -> None:
        options = self.options
        target = self.target = options.target()
        encryption: str = options.encryption
        if options.mode & OpenMode.CRYPT and encryption == "mixed":
            encryption = "encrypted"
        plan = attempts(encryption, target, port=options.port, tls_port=options.tls_port)
        # Without a computer name (an IP no directory knows) the IP is the name to verify.
        server_name = options.server_name or target.computer or target.address
        failures: list[CtApiConnectionError] = []
        for attempt in plan:
            context = tls_context(options.ca or target.ca) if attempt.tls else None
            try:
                stream, protocol = await dial(
                    target.address,
                    attempt,
                    encryption=encryption,
                    context=context,
                    server_name=server_name,
                    time_limit=options.timeout,
                )
            except CtApiConnectionError as exc:
                # No silent downgrade past a refused certificate; no second try of a bad name.
                if isinstance(exc, CtApiCertificateError) or exc.name == COMPUTER_NOT_FOUND.name:
                    raise
                failures.append(exc)
                _log.info("ctapi.client.attempt_failed", reason=exc.message)
                continue
            where = attempt.describe(target.address)
            self._connection = Connection(stream, protocol, where=where, timeout=options.timeout)
            self.hello = hello = self._connection.hello
            await task_group.start(self._connection.run)
            if hello.get("type", "ctapi") != "ctapi":
                raise CtApiConnectionError.of(
                    UNKNOWN_REQUEST,
                    f"{target.address}:{attempt.port} is the {hello.get('type')} process "
                    f"{hello.get('process')} of {hello.get('computer')}, not CtAPI: "
                    "use the computer's CtAPI port",
                )
            mode = options.mode | (OpenMode.CRYPT if attempt.tls else 0)
            self.login = await self._connection.request(
                "open", user=options.user, password=options.password, mode=int(mode)
            )
            _log.info(
                "ctapi.client.open",
                server=where,
                computer=hello.get("computer"),
                user=options.user,
                read_only=self.read_only,
            )
            return
        if len(failures) == 1:
            raise failures[0]
        last = failures[-1]
        raise CtApiConnectionError(
            last.code, last.name, "; then ".join(f.message for f in failures)
        )

    def _link(self) -> Connection:
        if self._connection is None:
            raise CtApiConnectionError.of(NOT_CONNECTED, "the session is not open")
        return self._connection

    async def request(self, op: str, **fields: Any) -> Message:
        """Any request of docs/protocol.md, for ops this class has no method for."""
        return await self._link().request(op, **fields)

    # --- tags and Cicode ------------------------------------------------------------------------

    async def ping(self) -> Message:
        return await self.request("ping")

    async def tag_read(self, tag: str) -> str:
        """ctTagRead: the value as text, in engineering units, formatted per the tag."""
        reply = await self.request("tag.read", tag=tag)
        return _reply_field(reply, "value", str)

    async def tag_read_ex(self, tag: str) -> TagValue:
        """ctTagReadEx: the value with its quality and timestamps."""
        reply = await self.request("tag.read_ex", tag=tag)
        return TagValue(
            value=_reply_field(reply, "value", str),
            quality=_quality(reply.get("quality")),
            timestamp=_reply_field(reply, "timestamp", float),
            value_timestamp=_reply_field(reply, "value_timestamp", float),
            quality_timestamp=_reply_field(reply, "quality_timestamp", float),
        )

    async def tag_write(self, tag: str, value: Value) -> None:
        """ctTagWrite: the value in engineering units (booleans as 1/0)."""
        await self.request("tag.write", tag=tag, value=_as_text(value))

    async def cicode(self, command: str, *, window: int = 0, mode: int = 0) -> str:
        """ctCicode: run a Cicode command, e.g. "Version(3)"; its result as text."""
        reply = await self.request("cicode", command=command, window=window, mode=mode)
        return _reply_field(reply, "result", str)

    # --- tag lists ------------------------------------------------------------------------------

    async def list_new(self, mode: int = ListMode.NONE) -> int:
        """ctListNew: a list handle (CT_LIST_EVENT to record events for list_event)."""
        return _reply_field(await self.request("list.new", mode=int(mode)), "list", int)

    async def list_add(self, list_handle: int, tag: str) -> int:
        """ctListAdd: the tag's handle, even for an unknown tag (it fails at list_read)."""
        reply = await self.request("list.add", list=list_handle, tag=tag)
        return _reply_field(reply, "handle", int)

    async def list_add_ex(
        self,
        list_handle: int,
        tag: str,
        *,
        raw: bool = False,
        poll_period_ms: int = 500,
        deadband: float = 0.0,
    ) -> int:
        """ctListAddEx: with raw values, a poll period and a deadband (engineering units)."""
        reply = await self.request(
            "list.add_ex",
            list=list_handle,
            tag=tag,
            raw=raw,
            poll_period_ms=poll_period_ms,
            deadband=deadband,
        )
        return _reply_field(reply, "handle", int)

    async def list_read(self, list_handle: int, *, wait: bool = False) -> dict[int, CtApiError]:
        """ctListRead: read every tag of the list; the tags that failed, with their errors.

        With wait=True the reply comes once a tag changed (CtAPI's overlapped read).
        """
        reply = await self.request("list.read", list=list_handle, wait=wait)
        failed: dict[int, CtApiError] = {}
        for item in reply.get("failed", []):
            if isinstance(item, dict) and isinstance(item.get("handle"), int):
                failed[item["handle"]] = CtApiError.from_wire(item.get("error"))
        return failed

    async def list_data(self, handle: int, *, raw: bool | None = None, item: str = "value") -> str:
        """ctListData / ctListItem: the tag's value (or another item) as of the last read."""
        fields: dict[str, Any] = {"handle": handle, "item": item}
        if raw is not None:
            fields["raw"] = raw
        return _reply_field(await self.request("list.data", **fields), "value", str)

    async def list_write(self, handle: int, value: Value) -> None:
        """ctListWrite: write the tag of a list handle."""
        await self.request("list.write", handle=handle, value=_as_text(value))

    async def list_event(self, list_handle: int, mode: int = ListEventMode.NONE) -> int | None:
        """ctListEvent: the handle of the next changed tag, or None when none is left."""
        reply = await self.request("list.event", list=list_handle, mode=int(mode))
        return None if reply.get("handle") is None else _reply_field(reply, "handle", int)

    async def list_delete(self, handle: int) -> None:
        """ctListDelete: remove one tag from its list."""
        await self.request("list.delete", handle=handle)

    async def list_free(self, list_handle: int) -> None:
        """ctListFree: free the list and every tag in it."""
        await self.request("list.free", list=list_handle)

    # --- searches -------------------------------------------------------------------------------

    def _found(self, find: int, reply: Message) -> Found:
        record = reply.get("record")
        if not isinstance(record, dict):
            raise CtApiError.of(INTERNAL_ERROR, f"the server's reply has no record: {reply!r}")
        return Found(find, _reply_field(reply, "position", int), record)

    async def find_first(self, table: str, filter: str = "") -> Found:
        """ctFindFirst: search a table (Tag, Trend, Alarm, AlarmSummary, DigAlm, ...: docs/ctapi.md
        "Find") or a TRNQUERY, ALMQUERY or CTAPITrend(...) string; the first record.
        `no_more_records` when nothing matches."""
        reply = await self.request("find.first", table=table, filter=filter)
        return self._found(_reply_field(reply, "find", int), reply)

    async def find_next(self, find: int) -> Found:
        """ctFindNext: the next record; `no_more_records` past the last."""
        return self._found(find, await self.request("find.next", find=find))

    async def find_prev(self, find: int) -> Found:
        """ctFindPrev: the previous record; `no_more_records` before the first."""
        return self._found(find, await self.request("find.prev", find=find))

    async def find_scroll(self, find: int, mode: int, offset: int = 0) -> Found:
        """ctFindScroll: move by FIND_SCROLL_* mode (absolute offsets count from 1)."""
        reply = await self.request("find.scroll", find=find, mode=mode, offset=offset)
        return self._found(find, reply)

    async def find_count(self, find: int) -> int:
        """ctFindNumRecords: how many records the search holds."""
        return _reply_field(await self.request("find.count", find=find), "count", int)

    async def find_close(self, find: int) -> None:
        """ctFindClose: release the search."""
        await self.request("find.close", find=find)

    async def find_all(
        self,
        table: str,
        filter: str = "",
    ) -> list[Record]:
        """Every record of a search (first, next... then close); [] when nothing matches."""
        try:
            found = await self.find_first(table, filter)
        except CtApiError as exc:
            if exc.name == NO_MORE_RECORDS.name:
                return []
            raise
        records = [found.record]
        try:
            for _ in range(await self.find_count(found.find) - 1):
                records.append((await self.find_next(found.find)).record)
        finally:
            await self.find_close(found.find)
        return records


@dataclass
class Connecting:
    """What `connect()` returns: await it for a session, or use it with `async with`."""

    options: Options
    _session: Session | None = field(default=None, init=False)

    def __await__(self) -> Generator[Any, None, Session]:
        return self._enter().__await__()

    async def _enter(self) -> Session:
        self._session = Session(self.options)
        return await self._session.__aenter__()

    async def __aenter__(self) -> Session:
        return await self._enter()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.__aexit__(exc_type, exc, tb)


def listeners_of(
    topology: Topology | str | os.PathLike[str] | None = None,
    ready: str | os.PathLike[str] | None = None,
) -> tuple[tuple[CtApiListener, ...] | None, str | None]:
    """The CtAPI listeners (and the CA) a topology or a ready file knows; (None, None) if none."""
    if ready is not None:
        ready_file = read_ready_file(ready)
        return tuple(ready_file.ctapi_listeners()), ready_file.ca_certificate
    if topology is None:
        return None, None
    if not isinstance(topology, Topology):
        try:
            topology = load_path(Path(topology)).model
        except Exception as exc:
            raise CtApiError.of(BAD_REQUEST, f"cannot load the topology: {exc}") from None
    return tuple(topology_listeners(topology)), None


def connect(
    host: str | None,
    *,
    user: str,
    password: str,
    port: int | None = None,
    tls_port: int | None = None,
    encryption: Encryption = "mixed",
    ca: str | os.PathLike[str] | None = None,
    server_name: str | None = None,
    read_only: bool = False,
    batch: bool = False,
    mode: int = 0,
    topology: Topology | str | os.PathLike[str] | None = None,
    ready: str | os.PathLike[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Connecting:
    """Open a CtAPI session to `host` (a computer name, an IP, or None for the local computer).

    `encryption` follows CtAPI's compatibility matrix: "mixed" tries the encrypted port first
    and falls back to the plain one. `topology` or `ready` (a ready file) map computer names to
    addresses and ports, and IPs back to computer names for TLS verification. `mode` adds raw
    CT_OPEN_* flags; `read_only` and `batch` set theirs.
    """
    listeners, ready_ca = listeners_of(topology, ready)
    flags = OpenMode(mode)
    if read_only:
        flags |= OpenMode.READ_ONLY
    if batch:
        flags |= OpenMode.BATCH
    options = Options(
        host=host,
        user=user,
        password=password,
        port=port,
        tls_port=tls_port,
        encryption=encryption,
        ca=os.fspath(ca) if ca is not None else ready_ca,
        server_name=server_name,
        mode=int(flags),
        listeners=listeners,
        timeout=timeout,
    )
    return Connecting(options)
