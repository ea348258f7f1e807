"""Drop-in stand-ins for Plant SCADA's client libraries: the ctypes-level CtApi.dll shim.

    from emulator.compat import installed
    with installed(ready_file="ready.json"):
        from ctypes import windll, GetLastError
        handle = windll.CtApi.ctOpen(b"", b"engineer", b"control", 0)

Documented in docs/client.md ("The CtAPI shim").
"""

from emulator.compat.ctapi import CtApi
from emulator.compat.install import install, installed, uninstall
from emulator.compat.overlapped import CTOVERLAPPED
from emulator.compat.tagvalue import CT_TAGVALUE_ITEMS

__all__ = ["CTOVERLAPPED", "CT_TAGVALUE_ITEMS", "CtApi", "install", "installed", "uninstall"]
