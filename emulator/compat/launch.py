"""Run a program written for Windows' CtApi.dll (pyctapi and its examples) unchanged, here.

Such a program checks `platform.system() == "Windows"` at import and loads Citect's DLLs by
path (`CDLL(bin_dir + "/CiDebugHelp")`, `.../CtUtil32`, `.../Ct_ipc`, `.../CtApi`) before it
calls `windll.CtApi`. `windows_view()` gives this process alone what that needs: the shim
installed (emulator.compat.install), `platform.system()` answering "Windows", and `CDLL` of a
Citect DLL, whatever its folder, answering with the shim (CtApi) or an empty stand-in (the
support DLLs); every other library loads as before. `run_script` runs a script under it.
`scada-emu pyctapi SCRIPT` is the command; documented in docs/client.md ("pyctapi unchanged").
"""

from __future__ import annotations

import ctypes
import ntpath
import platform
import runpy
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from emulator.compat.ctapi import CtApi
from emulator.compat.install import install, uninstall

#: The DLLs of Citect's Bin folder that CtAPI programs load (pyctapi's header lists them).
CITECT_DLLS = ("CtApi", "CiDebugHelp", "CtUtil32", "Ct_ipc", "CtEng32", "CtRes32")
_BY_KEY = {name.casefold(): name for name in CITECT_DLLS}


def citect_dll(name: object) -> str | None:
    """The Citect DLL a path names (`C:/.../Bin/CtApi`, `ctapi.dll`), else None."""
    base = ntpath.basename(str(name)).casefold()
    if base.endswith(".dll"):
        base = base[:-4]
    return _BY_KEY.get(base)


class SupportDll:
    """A Citect support DLL (CtUtil32, ...): loads, and has no function a program may call."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, function: str) -> Any:
        raise AttributeError(
            f"function {function!r} not found: the emulator's {self._name}.dll is empty "
            "(only CtApi.dll has functions)"
        )

    def __repr__(self) -> str:
        return f"<{self._name}.dll, the emulator's stand-in>"


@contextmanager
def windows_view(ctapi: CtApi | None = None, **config: Any) -> Iterator[CtApi]:
    """The shim installed, `platform.system()` "Windows" and Citect's DLLs loadable by path,
    until the block ends (everything restored, the shim's connections closed)."""
    shim = install(ctapi, **config)
    real_cdll = ctypes.CDLL
    real_system = platform.system

    def cdll(name: Any, *args: Any, **kwargs: Any) -> Any:
        dll = citect_dll(name)
        if dll == "CtApi":
            return shim
        if dll is not None:
            return SupportDll(dll)
        return real_cdll(name, *args, **kwargs)

    ctypes.CDLL = cdll  # type: ignore[misc, assignment]
    platform.system = lambda: "Windows"
    try:
        yield shim
    finally:
        ctypes.CDLL = real_cdll  # type: ignore[misc]
        platform.system = real_system
        uninstall()


def run_script(script: str | Path, args: Sequence[str] = (), **config: Any) -> None:
    """Run `script` as `python script args...` would, under `windows_view(**config)`: its
    folder first on sys.path, sys.argv its own; SystemExit passes through."""
    path = Path(script)
    if not path.is_file():
        raise FileNotFoundError(f"no script {str(path)!r}: give the path of a Python file")
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    sys.argv = [str(path), *args]
    sys.path.insert(0, str(path.resolve().parent))
    try:
        with windows_view(**config):
            runpy.run_path(str(path), run_name="__main__")
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path


__all__ = ["CITECT_DLLS", "SupportDll", "citect_dll", "run_script", "windows_view"]
