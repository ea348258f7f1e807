"""`CtApi`: an object that behaves like `ctypes.windll.CtApi`, talking to the emulator.

Same functions, same arguments (ASCII bytes, `byref(buffer)`, `sizeof(buffer)`), same returns
(handles as integers with 0 for failure, BOOL as 1/0) and errors in a thread-local
`GetLastError()`, so code written for CtApi.dll runs unchanged (emulator.compat.install puts it
where such code looks). Each ctOpen handle is a blocking CtApiClient; list and tag handles are
the shim's own integers, mapped to the server's per-connection handles. Documented in
docs/client.md ("The CtAPI shim").
"""

from __future__ import annotations

import contextlib
import ctypes
import inspect
import itertools
import math
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from emulator.client.blocking import CtApiClient
from emulator.client.encryption import Encryption
from emulator.client.errors import CtApiConnectionError, CtApiError
from emulator.client.locate import READY_FILE_ENV
from emulator.client.loop import BackgroundLoop
from emulator.client.session import Found, Record
from emulator.compat.buffers import (
    ArgumentError,
    is_null,
    needs_buffer,
    number,
    real,
    store,
    text,
    write,
    write_bytes,
    write_what_fits,
)
from emulator.compat.overlapped import Pending, completed
from emulator.compat.properties import DBTYPE_STR, encode
from emulator.compat.scale import convert
from emulator.compat.tagvalue import fill
from emulator.logs import get_logger
from emulator.protocol.ctapi_flags import OpenMode
from emulator.protocol.errors import (
    ALREADY_OPEN,
    BUFFER_TOO_SMALL,
    INVALID_ARGUMENT,
    INVALID_HANDLE,
    IO_PENDING,
    NO_MORE_RECORDS,
    TAG_NOT_FOUND,
    UNKNOWN_HANDLE,
)

_log = get_logger("emulator.compat.ctapi")

#: ctListData's dwMode bit for the raw (unscaled) value (ctapi.h CT_FMT_NO_SCALE).
CT_FMT_NO_SCALE = 0x1

#: ctListItem's dwItem (ctapi.h CT_LIST_*) as the `item` names of the list.data request.
LIST_ITEMS: dict[int, str] = {
    0x1: "value",
    0x2: "timestamp",
    0x3: "value_timestamp",
    0x4: "quality_timestamp",
    0x5: "quality_general",
    0x6: "quality_substatus",
    0x7: "quality_limit",
    0x8: "quality_extended_substatus",
    0x9: "quality_datasource_error",
    0xA: "quality_override",
    0xB: "quality_control_mode",
}

TRUE = 1
FALSE = 0

T = TypeVar("T")


@dataclass(slots=True)
class _List:
    link: int
    server: int


@dataclass(slots=True)
class _Search:
    link: int
    server: int
    #: The object handle ctGetProperty takes, and the record the search stands on.
    object: int
    record: Record


@dataclass(slots=True)
class _Tag:
    list: int
    link: int
    server: int


class _Function:
    """One exported function: callable, with the restype/argtypes/errcheck ctypes lets you set."""

    def __init__(
        self, name: str, body: Callable[..., int], failed: Callable[[int, str], int]
    ) -> None:
        self.__name__ = name
        self._body = body
        self._failed = failed
        parameters = inspect.signature(body).parameters.values()
        self._most = sum(1 for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD)
        self._least = sum(
            1 for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty
        )
        self.restype: Any = ctypes.c_int
        self.argtypes: Any = None
        self.errcheck: Any = None

    def __call__(self, *args: Any) -> Any:
        # A native DLL ignores extra trailing arguments (ctapi-go passes the handle twice to
        # ctFindClose); too few is a caller's bug, reported as ERROR_INVALID_PARAMETER.
        if len(args) < self._least:
            result: Any = self._failed(
                INVALID_ARGUMENT.code,
                f"{self.__name__} takes {self._least} arguments, got {len(args)}",
            )
        else:
            result = self._body(*args[: self._most])
        restype = self.restype
        if restype is None:
            result = None
        elif isinstance(restype, type) and issubclass(restype, ctypes._SimpleCData):
            result = restype(result).value
        elif callable(restype):
            result = restype(result)
        if self.errcheck is not None:
            result = self.errcheck(result, self, args)
        return result

    def __repr__(self) -> str:
        return f"<CtApi function {self.__name__} (emulator shim)>"


class CtApi:
    """The emulator's CtApi.dll. Configure where the emulator is, or let the environment say.

    `ready_file` (default: $SCADA_EMU_READY_FILE) or `topology` name the emulator's computers;
    without either, ctOpen's computer must be an IP or a host name on the default ports.
    `encryption` is the client's mode ("mixed" by default); CT_OPEN_CRYPT asks for "encrypted".
    """

    ctOpen: _Function
    ctClose: _Function
    ctCicode: _Function
    ctTagRead: _Function
    ctTagReadEx: _Function
    ctTagWrite: _Function
    ctTagWriteEx: _Function
    ctListNew: _Function
    ctListFree: _Function
    ctListAdd: _Function
    ctListAddEx: _Function
    ctListDelete: _Function
    ctListRead: _Function
    ctListWrite: _Function
    ctListData: _Function
    ctListItem: _Function
    ctListEvent: _Function
    ctGetOverlappedResult: _Function
    ctFindFirst: _Function
    ctFindNext: _Function
    ctFindPrev: _Function
    ctFindScroll: _Function
    ctFindNumRecords: _Function
    ctFindClose: _Function
    ctGetProperty: _Function
    ctSetManagedBinDirectory: _Function
    ctClientCreate: _Function
    ctOpenEx: _Function
    ctCloseEx: _Function
    ctClientDestroy: _Function
    ctCancelIO: _Function
    ctFindFirstEx: _Function
    ctTagGetProperty: _Function
    ctEngToRaw: _Function
    ctRawToEng: _Function

    def __init__(
        self,
        *,
        ready_file: str | os.PathLike[str] | None = None,
        topology: str | os.PathLike[str] | None = None,
        encryption: Encryption = "mixed",
        ca: str | os.PathLike[str] | None = None,
        timeout: float = 10.0,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        self.ready_file = ready_file
        self.topology = topology
        self.encryption: Encryption = encryption
        self.ca = ca
        self.timeout = timeout
        #: Extra keyword arguments for every CtApiClient (ports, retry delays...).
        self.client_options = dict(client_options or {})
        self._last = threading.local()
        self._lock = threading.Lock()
        self._handles = itertools.count(1)
        self._links: dict[int, CtApiClient] = {}
        self._created: set[int] = set()  # ctClientCreate handles (open ones are in _links too)
        self._lists: dict[int, _List] = {}
        self._tags: dict[int, _Tag] = {}
        self._searches: dict[int, _Search] = {}
        self._objects: dict[int, int] = {}  # object handle -> search handle
        self._loop: BackgroundLoop | None = None
        self._pending = Pending()
        for name in _EXPORTS:
            failure = -1 if name == "ctFindNumRecords" else FALSE

            def failed(code: int, detail: str, name: str = name, failure: int = failure) -> int:
                self.SetLastError(code)
                _log.warning("ctapi.shim.bad_argument", function=name, detail=detail)
                return failure

            setattr(self, name, _Function(name, getattr(self, f"_{name}"), failed))

    # --- errors -------------------------------------------------------------------------------

    def GetLastError(self) -> int:
        """The error of this thread's last failed call, as ctypes.GetLastError gives it."""
        return int(getattr(self._last, "code", 0))

    def SetLastError(self, code: int) -> None:
        self._last.code = code

    def _guard(self, function: str, body: Callable[[], int], failure: int = FALSE) -> int:
        """Run one call: failures become `failure` (0/FALSE) and GetLastError, never raise."""
        try:
            return body()
        except ArgumentError as exc:
            self.SetLastError(exc.error.code)
            level = "debug" if exc.error.code == 111 else "warning"
            getattr(_log, level)("ctapi.shim.bad_argument", function=function, detail=exc.detail)
        except CtApiError as exc:
            self.SetLastError(exc.code)
            _log.debug("ctapi.shim.failed", function=function, error=exc.name, code=exc.code)
        except Exception as exc:  # a DLL call returns, whatever it was given
            # Junk a native DLL would have rejected (or crashed on): never an exception out.
            self.SetLastError(INVALID_ARGUMENT.code)
            _log.warning("ctapi.shim.unexpected", function=function, error=repr(exc))
        return failure

    # --- handles ------------------------------------------------------------------------------

    def _new_handle(self) -> int:
        with self._lock:
            return next(self._handles)

    def _link(self, handle: Any) -> CtApiClient:
        """The client of an open ctOpen handle; INVALID_HANDLE (Win32 6: the link is not open,
        open it again) otherwise."""
        key = number(handle, "hCtapi")
        client = self._links.get(key)
        if client is None:
            raise CtApiError.of(INVALID_HANDLE, f"no open CtAPI connection {handle!r}")
        return client

    def _list(self, handle: Any) -> tuple[int, _List]:
        return _entry(self._lists, handle, "hList", "tag list")

    def _tag(self, handle: Any) -> tuple[int, _Tag]:
        return _entry(self._tags, handle, "hTag", "list tag")

    def _shared_loop(self) -> BackgroundLoop:
        with self._lock:
            if self._loop is None or not self._loop.running:
                self._loop = BackgroundLoop("ctapi-shim")
            return self._loop

    def _directory(self) -> dict[str, Any]:
        ready = self.ready_file or os.environ.get(READY_FILE_ENV) or None
        if ready:
            return {"ready": Path(ready)}
        if self.topology is not None:
            return {"topology": self.topology}
        return {}

    def close_all(self) -> None:
        """Close every connection and stop the shim's event loop (uninstall calls it)."""
        for handle in list(self._links):
            self._ctClose(handle)
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is not None:
            loop.stop()

    # --- connections --------------------------------------------------------------------------

    def _connect(self, sComputer: Any, sUser: Any, sPassword: Any, nMode: Any) -> CtApiClient:
        """A CtApiClient for ctOpen's arguments; NULL (None or 0) or "" strings are local."""
        computer = text(sComputer, "sComputer", optional=True)
        user = text(sUser, "sUser", optional=True) or ""
        password = text(sPassword, "sPassword", optional=True) or ""
        mode = number(nMode, "nMode")
        encryption: Encryption = "encrypted" if mode & OpenMode.CRYPT else self.encryption
        options: dict[str, Any] = {
            "user": user,
            "password": password,
            "mode": mode,
            "encryption": encryption,
            "timeout": self.timeout,
            **self._directory(),
            **self.client_options,
        }
        if self.ca is not None:
            options["ca"] = self.ca
        client = CtApiClient(
            computer or None,
            reconnect=bool(mode & OpenMode.RECONNECT),
            loop=self._shared_loop(),
            **options,
        )
        _log.info("ctapi.shim.open", computer=computer or "(local)", user=user)
        return client

    def _ctOpen(self, sComputer: Any, sUser: Any, sPassword: Any, nMode: Any) -> int:
        def body() -> int:
            client = self._connect(sComputer, sUser, sPassword, nMode)
            handle = self._new_handle()
            self._links[handle] = client
            return handle

        return self._guard("ctOpen", body)

    def _ctClientCreate(self) -> int:
        """A client handle with no connection yet: ctOpenEx opens on it (CtAPI 1150507)."""

        def body() -> int:
            handle = self._new_handle()
            self._created.add(handle)
            return handle

        return self._guard("ctClientCreate", body)

    def _created_handle(self, hCtapi: Any) -> int:
        key = number(hCtapi, "hCtapi")
        if key not in self._created:
            raise CtApiError.of(INVALID_HANDLE, f"no ctClientCreate handle {hCtapi!r}")
        return key

    def _ctOpenEx(self, sComputer: Any, sUser: Any, sPassword: Any, nMode: Any, hCtapi: Any) -> int:
        """Open on a ctClientCreate handle; ALREADY_OPEN when it is open (ctCloseEx first)."""

        def body() -> int:
            key = self._created_handle(hCtapi)
            if key in self._links:
                raise CtApiError.of(ALREADY_OPEN, f"handle {key} is open; ctCloseEx it first")
            client = self._connect(sComputer, sUser, sPassword, nMode)
            with self._lock:
                if key not in self._created or key in self._links:
                    client.close()  # another thread opened or destroyed it meanwhile
                    raise CtApiError.of(ALREADY_OPEN, f"handle {key} changed while opening")
                self._links[key] = client
            return TRUE

        return self._guard("ctOpenEx", body)

    def _ctCloseEx(self, hCtapi: Any, bDestroy: Any = FALSE) -> int:
        """Close the connection; the handle stays for ctOpenEx unless bDestroy (1150505)."""

        def body() -> int:
            key = self._created_handle(hCtapi)
            destroy = bool(number(bDestroy, "bDestroy"))
            client = self._links.pop(key, None)
            if client is None and not destroy:
                raise CtApiError.of(INVALID_HANDLE, f"handle {key} is not open")
            if client is not None:
                client.close()
            if destroy:
                self._created.discard(key)
            return TRUE

        return self._guard("ctCloseEx", body)

    def _ctClientDestroy(self, hCtapi: Any) -> int:
        """Free a ctClientCreate handle, closing its connection if still open (1150506)."""

        def body() -> int:
            key = self._created_handle(hCtapi)
            self._created.discard(key)
            client = self._links.pop(key, None)
            if client is not None:
                client.close()
            return TRUE

        return self._guard("ctClientDestroy", body)

    def _ctSetManagedBinDirectory(self, sPath: Any) -> int:
        """C# wrappers call it before anything else; the shim loads nothing, so any path does."""

        def body() -> int:
            path = text(sPath, "sPath", optional=True)
            _log.debug("ctapi.shim.managed_bin_directory", path=path)
            return TRUE

        return self._guard("ctSetManagedBinDirectory", body)

    def _ctClose(self, hCtapi: Any) -> int:
        def body() -> int:
            key = number(hCtapi, "hCtapi")
            client = self._links.pop(key, None)  # one pop: two threads cannot both close it
            self._created.discard(key)  # ctClose of a ctOpenEx handle also destroys it
            if client is None:
                raise CtApiError.of(INVALID_HANDLE, f"no open CtAPI connection {hCtapi!r}")
            client.close()
            return TRUE

        return self._guard("ctClose", body)

    # --- tags and Cicode ----------------------------------------------------------------------

    def _ctTagRead(self, hCtapi: Any, sTag: Any, sValue: Any, dwLength: Any) -> int:
        def body() -> int:
            tag = text(sTag, "sTag")
            assert tag is not None
            link = self._link(hCtapi)  # a bad handle is told before a bad buffer
            needs_buffer(sValue, dwLength)
            write(sValue, dwLength, link.tag_read(tag))
            return TRUE

        return self._guard("ctTagRead", body)

    def _ctTagReadEx(
        self, hCtapi: Any, sTag: Any, sValue: Any, dwLength: Any, pctTagValueItems: Any
    ) -> int:
        def body() -> int:
            tag = text(sTag, "sTag")
            assert tag is not None
            link = self._link(hCtapi)
            needs_buffer(sValue, dwLength)
            value = link.tag_read_ex(tag)
            write(sValue, dwLength, value.value)
            fill(pctTagValueItems, value)
            return TRUE

        return self._guard("ctTagReadEx", body)

    def _ctTagWriteEx(self, hCtapi: Any, sTag: Any, sValue: Any, pctOverlapped: Any) -> int:
        """Complete on return, even with a CTOVERLAPPED (which is marked complete)."""
        done = self._ctTagWrite(hCtapi, sTag, sValue)
        if not done:
            return done

        def body() -> int:
            completed(pctOverlapped)
            return TRUE

        return self._guard("ctTagWriteEx", body)

    def _ctTagWrite(self, hCtapi: Any, sTag: Any, sValue: Any) -> int:
        def body() -> int:
            tag = text(sTag, "sTag")
            value = text(sValue, "sValue")
            assert tag is not None and value is not None
            self._link(hCtapi).tag_write(tag, value)
            return TRUE

        return self._guard("ctTagWrite", body)

    def _ctCicode(
        self,
        hCtapi: Any,
        sCmd: Any,
        hWin: Any,
        nMode: Any,
        sResult: Any,
        dwLength: Any,
        pctOverlapped: Any = None,
    ) -> int:
        def body() -> int:
            command = text(sCmd, "sCmd")
            assert command is not None
            result = self._link(hCtapi).cicode(
                command, window=number(hWin, "hWin"), mode=number(nMode, "nMode")
            )
            write(sResult, dwLength, result)
            completed(pctOverlapped, len(result.encode("ascii", errors="replace")))
            return TRUE

        return self._guard("ctCicode", body)

    # --- tag lists ----------------------------------------------------------------------------

    def _ctListNew(self, hCtapi: Any, dwMode: Any) -> int:
        def body() -> int:
            link = number(hCtapi, "hCtapi")
            server = self._link(link).list_new(number(dwMode, "dwMode"))
            handle = self._new_handle()
            self._lists[handle] = _List(link, server)
            return handle

        return self._guard("ctListNew", body)

    def _ctListFree(self, hList: Any) -> int:
        def body() -> int:
            key, entry = self._list(hList)
            client = self._links.get(entry.link)
            if client is not None:
                with contextlib.suppress(CtApiConnectionError):  # gone with its link
                    client.list_free(entry.server)
            # pop, not del: another thread may have freed it while list_free ran
            self._lists.pop(key, None)
            for tag in [t for t, e in self._tags.items() if e.list == key]:
                self._tags.pop(tag, None)
            return TRUE

        return self._guard("ctListFree", body)

    def _add(self, hList: Any, add: Callable[[CtApiClient, int], int]) -> int:
        key, entry = self._list(hList)
        server = add(self._link(entry.link), entry.server)
        handle = self._new_handle()
        self._tags[handle] = _Tag(key, entry.link, server)
        return handle

    def _ctListAdd(self, hList: Any, sTag: Any) -> int:
        def body() -> int:
            tag = text(sTag, "sTag")
            assert tag is not None
            return self._add(hList, lambda client, server: client.list_add(server, tag))

        return self._guard("ctListAdd", body)

    def _ctListAddEx(
        self,
        hList: Any,
        sTag: Any,
        bRaw: Any,
        nPollPeriodMS: Any,
        dDeadband: Any,
    ) -> int:
        def body() -> int:
            tag = text(sTag, "sTag")
            assert tag is not None
            raw = bool(number(bRaw, "bRaw"))
            period = number(nPollPeriodMS, "nPollPeriodMS")
            percent = real(dDeadband, "dDeadband")
            return self._add(
                hList,
                lambda client, server: client.list_add_ex(
                    server,
                    tag,
                    raw=raw,
                    poll_period_ms=period,
                    deadband=self._deadband_units(client, tag, percent),
                ),
            )

        return self._guard("ctListAddEx", body)

    def _ctListDelete(self, hTag: Any) -> int:
        def body() -> int:
            key, entry = self._tag(hTag)
            self._link(entry.link).list_delete(entry.server)
            self._tags.pop(key, None)
            return TRUE

        return self._guard("ctListDelete", body)

    def _ctListRead(self, hList: Any, pctOverlapped: Any = None) -> int:
        """With a CTOVERLAPPED the read is pending until a tag changes (list.read wait)."""

        def body() -> int:
            _, entry = self._list(hList)
            link = self._link(entry.link)
            if is_null(pctOverlapped):
                # Tags that failed report their error at ctListData, as in CtAPI.
                link.list_read(entry.server)
                return TRUE
            future = link.submit(lambda session: session.list_read(entry.server, wait=True))
            self._pending.start(pctOverlapped, future, owner=entry.link)
            raise CtApiError.of(IO_PENDING, "ctListRead completes when a tag of the list changes")

        return self._guard("ctListRead", body)

    def _ctGetOverlappedResult(
        self, hCtapi: Any, pctOverlapped: Any, pdwBytes: Any, bWait: Any
    ) -> int:
        def body() -> int:
            self._link(hCtapi)
            length = self._pending.result(pctOverlapped, wait=bool(number(bWait, "bWait")))
            store(pdwBytes, length)
            return TRUE

        return self._guard("ctGetOverlappedResult", body)

    def _ctCancelIO(self, hCtapi: Any, pctOverlapped: Any = None) -> int:
        """Cancel the handle's pending overlapped call (all of them when pctOverlapped is NULL);
        FALSE with INVALID_ARGUMENT (Plant SCADA 274: the link is fine) when none is pending."""

        def body() -> int:
            key = number(hCtapi, "hCtapi")
            self._link(key)
            if self._pending.cancel(key, pctOverlapped) == 0:
                raise CtApiError.of(
                    INVALID_ARGUMENT, "no overlapped call of this handle is pending"
                )
            return TRUE

        return self._guard("ctCancelIO", body)

    def _ctListWrite(self, hTag: Any, sValue: Any, pctOverlapped: Any = None) -> int:
        def body() -> int:
            value = text(sValue, "sValue")
            assert value is not None
            _, entry = self._tag(hTag)
            self._link(entry.link).list_write(entry.server, value)
            completed(pctOverlapped)
            return TRUE

        return self._guard("ctListWrite", body)

    def _ctListData(self, hTag: Any, pBuffer: Any, dwLength: Any, dwMode: Any = 0) -> int:
        def body() -> int:
            _, entry = self._tag(hTag)
            raw = True if number(dwMode, "dwMode") & CT_FMT_NO_SCALE else None
            write(pBuffer, dwLength, self._link(entry.link).list_data(entry.server, raw=raw))
            return TRUE

        return self._guard("ctListData", body)

    def _ctListItem(
        self,
        hTag: Any,
        dwItem: Any,
        pBuffer: Any,
        dwLength: Any,
        dwMode: Any = 0,
    ) -> int:
        def body() -> int:
            _, entry = self._tag(hTag)
            code = number(dwItem, "dwItem")
            item = LIST_ITEMS.get(code)
            if item is None:
                raise ArgumentError(
                    INVALID_ARGUMENT, f"dwItem {code} is not a CT_LIST_* item (1..11)"
                )
            raw = True if number(dwMode, "dwMode") & CT_FMT_NO_SCALE else None
            value = self._link(entry.link).list_data(entry.server, raw=raw, item=item)
            write(pBuffer, dwLength, value)
            return TRUE

        return self._guard("ctListItem", body)

    def _ctListEvent(self, hList: Any, dwMode: Any) -> int:
        """The shim handle of the next changed tag; 0 (NULL) with no error when none is left."""

        def body() -> int:
            key, entry = self._list(hList)
            server = self._link(entry.link).list_event(entry.server, number(dwMode, "dwMode"))
            if server is None:
                self.SetLastError(0)
                return 0
            for handle, tag in self._tags.items():
                if tag.list == key and tag.server == server:
                    return handle
            return 0  # a tag deleted since the read

        return self._guard("ctListEvent", body)

    # --- searches ---------------------------------------------------------------------------

    def _search(self, handle: Any) -> _Search:
        return _entry(self._searches, handle, "hnd", "open search")[1]

    def _landed(self, search: _Search, found: Found, pObjHnd: Any) -> None:
        search.record = found.record
        store(pObjHnd, search.object)

    def _open_search(self, hCtapi: Any, table: str, filter_text: str, pObjHnd: Any) -> int:
        link = number(hCtapi, "hCtapi")
        found = self._link(link).find_first(table, filter_text)
        handle, obj = self._new_handle(), self._new_handle()
        search = _Search(link, found.find, obj, found.record)
        self._searches[handle] = search
        self._objects[obj] = handle
        store(pObjHnd, obj)
        return handle

    def _ctFindFirst(
        self, hCtapi: Any, szTableName: Any, szFilter: Any, pObjHnd: Any, dwFlags: Any = 0
    ) -> int:
        """A search handle, and in *pObjHnd the object handle ctGetProperty reads."""

        def body() -> int:
            table = text(szTableName, "szTableName")
            assert table is not None
            filter_text = text(szFilter, "szFilter", optional=True) or ""
            return self._open_search(hCtapi, table, filter_text, pObjHnd)

        return self._guard("ctFindFirst", body)

    def _ctFindFirstEx(
        self,
        hCtapi: Any,
        szTableName: Any,
        szFilter: Any,
        szCluster: Any,
        pObjHnd: Any,
        dwFlags: Any = 0,
    ) -> int:
        """ctFindFirst within one cluster (1150515): a CLUSTER= term joins the filter."""

        def body() -> int:
            table = text(szTableName, "szTableName")
            assert table is not None
            filter_text = text(szFilter, "szFilter", optional=True) or ""
            cluster = text(szCluster, "szCluster", optional=True) or ""
            return self._open_search(hCtapi, table, in_cluster(filter_text, cluster), pObjHnd)

        return self._guard("ctFindFirstEx", body)

    def _ctTagGetProperty(
        self,
        hCtapi: Any,
        szTagName: Any,
        szProperty: Any,
        pData: Any,
        dwBufferLength: Any,
        dwType: Any,
    ) -> int:
        """A field of the tag's Tag-table record (ENG_UNITS, ENG_FULL, COMMENT...), as dwType."""

        def body() -> int:
            tag = text(szTagName, "szTagName")
            name = text(szProperty, "szProperty")
            assert tag is not None and name is not None
            record = self._tag_record(self._link(hCtapi), tag)
            field = next((k for k in record if k.casefold() == name.casefold()), None)
            if field is None:
                known = ", ".join(record)
                raise CtApiError.of(INVALID_ARGUMENT, f"no property {name!r}; a tag has {known}")
            write_bytes(
                pData, dwBufferLength, encode(record[field], number(dwType, "dwType"), field)
            )
            return TRUE

        return self._guard("ctTagGetProperty", body)

    @staticmethod
    def _tag_record(client: CtApiClient, tag: str) -> Record:
        """The tag's record of the Tag table (what ctTagGetProperty reads)."""
        if not tag or any(c in tag for c in "*?; ="):
            raise CtApiError.of(INVALID_ARGUMENT, f"szTagName {tag!r} is not one tag name")
        cluster, _, bare = tag.rpartition(".") if "." in tag else ("", "", tag)
        try:
            found = client.find_first("Tag", in_cluster(f"TAG={bare}", cluster))
        except CtApiError as exc:
            if exc.code == NO_MORE_RECORDS.code:
                raise CtApiError.of(TAG_NOT_FOUND, f"no tag {tag!r}") from None
            raise
        with contextlib.suppress(CtApiError):
            client.find_close(found.find)
        return found.record

    def _deadband_units(self, client: CtApiClient, tag: str, percent: float) -> float:
        """ctListAddEx's deadband, a percentage of the tag's engineering range (-1.0: the tag's
        own, and the emulator's tags have none; CtAPI 1150524), in the engineering units
        list.add_ex takes."""
        if percent in (-1.0, 0.0):
            return 0.0
        if not 0 < percent < math.inf:
            raise ArgumentError(
                INVALID_ARGUMENT, f"dDeadband {percent}: a percentage >= 0, or -1.0 for the tag's"
            )
        try:
            record = self._tag_record(client, tag)
        except CtApiError as exc:
            if exc.code == TAG_NOT_FOUND.code:
                return 0.0  # the handle comes anyway; the error shows at ctListRead
            raise
        try:
            span = abs(float(record["ENG_FULL"]) - float(record["ENG_ZERO"]))
        except (KeyError, ValueError):
            return 0.0  # a tag without a numeric range (a string) has no deadband
        return span * percent / 100.0

    def _ctEngToRaw(self, pResult: Any, dValue: Any, pctScale: Any, dwMode: Any) -> int:
        def body() -> int:
            convert(pResult, dValue, pctScale, dwMode, to_raw=True)
            return TRUE

        return self._guard("ctEngToRaw", body)

    def _ctRawToEng(self, pResult: Any, dValue: Any, pctScale: Any, dwMode: Any) -> int:
        def body() -> int:
            convert(pResult, dValue, pctScale, dwMode, to_raw=False)
            return TRUE

        return self._guard("ctRawToEng", body)

    def _ctFindNext(self, hnd: Any, pObjHnd: Any) -> int:
        def body() -> int:
            search = self._search(hnd)
            self._landed(search, self._link(search.link).find_next(search.server), pObjHnd)
            return TRUE

        return self._guard("ctFindNext", body)

    def _ctFindPrev(self, hnd: Any, pObjHnd: Any) -> int:
        def body() -> int:
            search = self._search(hnd)
            self._landed(search, self._link(search.link).find_prev(search.server), pObjHnd)
            return TRUE

        return self._guard("ctFindPrev", body)

    def _ctFindScroll(self, hnd: Any, dwMode: Any, dwOffset: Any, pObjHnd: Any) -> int:
        """The record number it lands on (from 1); 0 on failure."""

        def body() -> int:
            search = self._search(hnd)
            found = self._link(search.link).find_scroll(
                search.server, number(dwMode, "dwMode"), number(dwOffset, "dwOffset")
            )
            self._landed(search, found, pObjHnd)
            return found.position

        return self._guard("ctFindScroll", body)

    def _ctFindNumRecords(self, hnd: Any) -> int:
        """The number of records of the search; -1 on failure."""

        def body() -> int:
            search = self._search(hnd)
            return self._link(search.link).find_count(search.server)

        return self._guard("ctFindNumRecords", body, failure=-1)

    def _ctFindClose(self, hnd: Any) -> int:
        def body() -> int:
            key = number(hnd, "hnd")
            search = self._search(key)
            client = self._links.get(search.link)
            if client is not None:
                with contextlib.suppress(CtApiConnectionError):  # gone with its link
                    client.find_close(search.server)
            self._searches.pop(key, None)
            self._objects.pop(search.object, None)
            return TRUE

        return self._guard("ctFindClose", body)

    def _ctGetProperty(
        self,
        hnd: Any,
        szName: Any,
        pData: Any,
        dwBufferLength: Any,
        dwResultLength: Any,
        dwType: Any,
    ) -> int:
        """A field of the record the search stands on, as DBTYPE `dwType` (DBTYPE_STR 129)."""

        def body() -> int:
            store(dwResultLength, 0)  # nothing stored until a value is
            name = text(szName, "szName")
            assert name is not None
            key = number(hnd, "hnd")
            search = self._searches.get(self._objects.get(key, key))
            if search is None:
                raise CtApiError.of(UNKNOWN_HANDLE, f"no search object {hnd!r}")
            field, value = record_field(search.record, name)
            if value is None:
                known = ", ".join(search.record)
                raise ArgumentError(
                    INVALID_ARGUMENT, f"no property {name!r}; this record has {known}"
                )
            dbtype = number(dwType, "dwType")
            data = encode(value, dbtype, field)
            # the length stored, without a string's NUL: clients slice with it (ctapi-rs)
            stored, whole = write_what_fits(pData, dwBufferLength, data, dbtype == DBTYPE_STR)
            store(dwResultLength, stored)
            if not whole:
                raise ArgumentError(
                    BUFFER_TOO_SMALL, f"{field} needs {len(data)} bytes, the buffer has fewer"
                )
            return TRUE

        return self._guard("ctGetProperty", body)


_FIELD_NAME = re.compile(r"^object\.fields\((\d+)\)\.name$", re.IGNORECASE)


def record_field(record: dict[str, Any], name: str) -> tuple[str, Any]:
    """(field, value) of `name` in a record (case-insensitive), value None when absent; also
    the field metadata pyctapi's search() reads (1150521): "object.fields.count" and
    "object.fields(n).name", n from 1, as the native library answers them."""
    if name.casefold() == "object.fields.count":
        return name, len(record)
    numbered = _FIELD_NAME.match(name)
    if numbered is not None:
        names = list(record)
        index = int(numbered.group(1))
        return name, names[index - 1] if 1 <= index <= len(names) else None
    field = next((k for k in record if k.casefold() == name.casefold()), name)
    return field, record.get(field)


def in_cluster(filter_text: str, cluster: str) -> str:
    """`filter_text` with a CLUSTER term when `cluster` is given (ctapi_find.parse_filter's
    syntax: `;`-separated terms, or spaces when there is no `;`)."""
    if not cluster:
        return filter_text
    terms = filter_text.split(";") if ";" in filter_text else filter_text.split()
    return ";".join([t for t in terms if t.strip()] + [f"CLUSTER={cluster}"])


def _entry(table: dict[int, T], handle: Any, argument: str, what: str) -> tuple[int, T]:
    """(key, entry) of a shim handle; UNKNOWN_HANDLE (a Plant SCADA code: the link is fine)
    naming what it should have been."""
    key = number(handle, argument)
    entry = table.get(key)
    if entry is None:
        raise CtApiError.of(UNKNOWN_HANDLE, f"no {what} {handle!r}")
    return key, entry


#: The functions CtApi.dll exports that the shim provides.
_EXPORTS: tuple[str, ...] = (
    "ctOpen",
    "ctClose",
    "ctCicode",
    "ctTagRead",
    "ctTagReadEx",
    "ctTagWrite",
    "ctTagWriteEx",
    "ctListNew",
    "ctListFree",
    "ctListAdd",
    "ctListAddEx",
    "ctListDelete",
    "ctListRead",
    "ctListWrite",
    "ctListData",
    "ctListItem",
    "ctListEvent",
    "ctGetOverlappedResult",
    "ctFindFirst",
    "ctFindNext",
    "ctFindPrev",
    "ctFindScroll",
    "ctFindNumRecords",
    "ctFindClose",
    "ctGetProperty",
    "ctSetManagedBinDirectory",
    "ctClientCreate",
    "ctOpenEx",
    "ctCloseEx",
    "ctClientDestroy",
    "ctCancelIO",
    "ctFindFirstEx",
    "ctTagGetProperty",
    "ctEngToRaw",
    "ctRawToEng",
)
