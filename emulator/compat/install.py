"""Put the CtAPI shim where code written for CtApi.dll looks for it, and take it away again.

Such code does `from ctypes import windll, GetLastError` and calls `windll.CtApi.ctOpen(...)`
(or loads `WinDLL("CtApi.dll")`). On Linux ctypes has none of these names; `install()` adds
them, answering only for CtApi: asking for any other DLL raises OSError, as a missing DLL does.
"""

from __future__ import annotations

import ctypes
import ntpath
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from emulator.compat.ctapi import CtApi
from emulator.logs import get_logger

_log = get_logger("emulator.compat")

#: The names install() sets on the ctypes module.
PATCHED: tuple[str, ...] = ("windll", "WinDLL", "GetLastError", "get_last_error", "SetLastError")

_MISSING = object()
_saved: list[tuple[CtApi, dict[str, Any]]] = []


def _is_ctapi(name: str) -> bool:
    base = ntpath.basename(str(name)).casefold()
    return base in ("ctapi", "ctapi.dll")


class WinDllLoader:
    """Stands in for `ctypes.windll`: `windll.CtApi` and `windll.LoadLibrary("CtApi.dll")`."""

    def __init__(self, ctapi: CtApi) -> None:
        self._ctapi = ctapi

    def LoadLibrary(self, name: str) -> CtApi:  # noqa: N802 (ctypes' name)
        if _is_ctapi(name):
            return self._ctapi
        raise OSError(f"could not find module {name!r}: the emulator provides only CtApi.dll")

    def __getattr__(self, name: str) -> CtApi:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.LoadLibrary(name)

    def __getitem__(self, name: str) -> CtApi:
        return self.LoadLibrary(name)


def install(ctapi: CtApi | None = None, **config: Any) -> CtApi:
    """Patch ctypes so `windll.CtApi`, `WinDLL("CtApi")` and `GetLastError` reach the shim.

    Pass a CtApi, or CtApi's keyword arguments (ready_file, topology, encryption, ca...).
    Undo with `uninstall()`; calls nest.
    """
    shim = ctapi if ctapi is not None else CtApi(**config)
    loader = WinDllLoader(shim)

    def win_dll(name: str, *args: Any, **kwargs: Any) -> CtApi:
        return loader.LoadLibrary(name)

    _saved.append((shim, {name: getattr(ctypes, name, _MISSING) for name in PATCHED}))
    ctypes.windll = loader  # type: ignore[attr-defined]
    ctypes.WinDLL = win_dll  # type: ignore[attr-defined]
    ctypes.GetLastError = shim.GetLastError  # type: ignore[attr-defined]
    ctypes.get_last_error = shim.GetLastError  # type: ignore[attr-defined]
    ctypes.SetLastError = shim.SetLastError  # type: ignore[attr-defined]
    _log.info("ctapi.shim.installed", ready_file=str(shim.ready_file or ""), depth=len(_saved))
    return shim


def uninstall() -> None:
    """Restore what the last `install()` replaced (on Linux: remove the names again)."""
    if not _saved:
        return
    shim, previous = _saved.pop()
    for name, value in previous.items():
        if value is _MISSING:
            if hasattr(ctypes, name):
                delattr(ctypes, name)
        else:
            setattr(ctypes, name, value)
    shim.close_all()
    _log.info("ctapi.shim.uninstalled", depth=len(_saved))


@contextmanager
def installed(ctapi: CtApi | None = None, **config: Any) -> Iterator[CtApi]:
    """`install()` for the duration of a with block; closes the shim's connections after."""
    shim = install(ctapi, **config)
    try:
        yield shim
    finally:
        uninstall()
