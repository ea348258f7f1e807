"""One small adapter per CtAPI implementation: the Python shim (emulator.compat) and the native
library (libctapi.so through ctypes.CDLL with use_errno). Each turns the data of calls.py
into real arguments, makes the call and reports an Outcome; nothing else differs."""

from __future__ import annotations

import ctypes
from ctypes import byref, c_char_p, c_double, c_int, c_int32, c_uint32, c_void_p
from pathlib import Path
from typing import Any

from emulator.compat import CT_TAGVALUE_ITEMS, CTOVERLAPPED, CtApi
from emulator.compat import scale as shim_scale
from tests.conformance.calls import (
    HANDLE,
    IO_PENDING,
    Buf,
    Case,
    DoubleOut,
    DwordOut,
    HandleOut,
    Outcome,
    Overlapped,
    Ref,
    Scale,
    TagValueItems,
)


class CTSCALE(ctypes.Structure):
    _pack_ = 1
    _fields_ = [(n, c_double) for n in ("RawZero", "RawFull", "EngZero", "EngFull")]


# ctapi.h's signatures: H handle, S char*, D DWORD, I int/BOOL, L LONG, F double, P pointer.
SIGNATURES: dict[str, tuple[str, str]] = {
    "ctOpen": ("H", "SSSD"),
    "ctOpenEx": ("I", "SSSDH"),
    "ctClientCreate": ("H", ""),
    "ctClientDestroy": ("I", "H"),
    "ctClose": ("I", "H"),
    "ctCloseEx": ("I", "HI"),
    "ctCancelIO": ("I", "HP"),
    "ctGetOverlappedResult": ("I", "HPPI"),
    "ctSetManagedBinDirectory": ("I", "S"),
    "ctCicode": ("D", "HSDDPDP"),
    "ctTagRead": ("I", "HSPD"),
    "ctTagReadEx": ("I", "HSPDP"),
    "ctTagWrite": ("I", "HSS"),
    "ctTagWriteEx": ("I", "HSSP"),
    "ctTagGetProperty": ("I", "HSSPDD"),
    "ctEngToRaw": ("I", "PFPD"),
    "ctRawToEng": ("I", "PFPD"),
    "ctFindFirst": ("H", "HSSPD"),
    "ctFindFirstEx": ("H", "HSSSPD"),
    "ctFindNext": ("I", "HP"),
    "ctFindPrev": ("I", "HP"),
    "ctFindScroll": ("D", "HDLP"),
    "ctFindClose": ("I", "H"),
    "ctFindNumRecords": ("L", "H"),
    "ctGetProperty": ("I", "HSPDPD"),
    "ctListNew": ("H", "HD"),
    "ctListFree": ("I", "H"),
    "ctListAdd": ("H", "HS"),
    "ctListAddEx": ("H", "HSIIF"),
    "ctListDelete": ("I", "H"),
    "ctListRead": ("I", "HP"),
    "ctListWrite": ("I", "HSP"),
    "ctListData": ("I", "HPDD"),
    "ctListEvent": ("H", "HD"),
    "ctListItem": ("I", "HDPDD"),
}
CTYPES = {"H": c_void_p, "S": c_char_p, "D": c_uint32, "I": c_int, "L": c_int32, "F": c_double}
CTYPES["P"] = c_void_p


def failed(function: str, returned: Any) -> bool:
    if function == "ctFindNumRecords":
        return bool(returned < 0)
    return not returned


class Backend:
    """Runs a case's calls; subclasses say how one call is made and how errors are read."""

    name = ""

    def function(self, name: str) -> Any:
        raise NotImplementedError

    def last_error(self) -> int:
        raise NotImplementedError

    def close(self) -> None:
        """Nothing to release by default."""

    def scale(self, arg: Scale) -> ctypes.Structure:
        """ctapi.h's CTSCALE: four doubles, raw zero and full, engineering zero and full."""
        return CTSCALE(arg.raw_zero, arg.raw_full, arg.eng_zero, arg.eng_full)

    def run(self, case: Case) -> list[Outcome]:
        saved: dict[str, int] = {}
        self.overlapped: dict[str, CTOVERLAPPED] = {}
        self.unnamed: list[CTOVERLAPPED] = []
        transcript = []
        for step in case.steps:
            kinds = SIGNATURES[step.function][1]
            args, outs = [], []
            for kind, arg in zip(kinds, step.args, strict=True):
                real, out = self.argument(kind, arg, saved)
                args.append(real)
                outs.append(out)
            returned = self.function(step.function)(*args)
            error = self.last_error() if failed(step.function, returned) else None
            if error == IO_PENDING and step.function != "ctGetOverlappedResult":
                returned, error = self.complete(step.args, args, saved)
            restype = SIGNATURES[step.function][0]
            shown = returned
            if restype == "H":
                shown = HANDLE if returned else None
                if step.save and returned:
                    saved[step.save] = int(returned)
            results = []
            for arg, out in zip(step.args, outs, strict=True):
                if out is not None:
                    results.append(self.result(arg, out, saved))
            transcript.append(Outcome(shown, tuple(results), error))
        return transcript

    def complete(self, spec: tuple[Any, ...], args: list[Any], saved: dict[str, int]) -> Any:
        """An overlapped call that went pending, as its completion: Win32 lets such a call finish
        before it returns (TRUE) or after (FALSE, 997), and once the client has waited for it
        (ctGetOverlappedResult, bWait TRUE) the two cannot be told apart."""
        ov = next(real for arg, real in zip(spec, args, strict=True) if isinstance(arg, Overlapped))
        link = saved.get("h", saved.get("c", 0))
        count = c_uint32(0)
        done = self.function("ctGetOverlappedResult")(link, ov, byref(count), 1)
        return done, None if done else self.last_error()

    def argument(self, kind: str, arg: Any, saved: dict[str, int]) -> tuple[Any, Any]:
        """The ctypes argument for `arg`, and the object to read back after the call (or None)."""
        if isinstance(arg, Ref):
            return saved.get(arg.name, 0xBAD0), None
        if arg is None:
            return None, None
        if isinstance(arg, str):
            return arg.encode("ascii"), None
        if isinstance(arg, Buf):
            buf = ctypes.create_string_buffer(arg.fill, arg.size)
            return byref(buf), buf
        if isinstance(arg, Overlapped):
            ov = self.overlapped.get(arg.name) if arg.name else None
            if ov is None:
                ov = CTOVERLAPPED.from_buffer_copy(b"\xff" * ctypes.sizeof(CTOVERLAPPED))
                if arg.name:
                    self.overlapped[arg.name] = ov
                else:
                    self.unnamed.append(ov)
            return byref(ov), ov
        if isinstance(arg, TagValueItems):
            items = CT_TAGVALUE_ITEMS()
            return byref(items), items
        if isinstance(arg, DoubleOut):
            value = c_double(-1.0)
            return byref(value), value
        if isinstance(arg, DwordOut):
            dword = c_uint32(0xFFFFFFFF)
            return byref(dword), dword
        if isinstance(arg, HandleOut):
            handle = c_void_p(None)
            return byref(handle), handle
        if isinstance(arg, Scale):
            return byref(self.scale(arg)), None
        if kind == "F":
            return float(arg), None
        return arg, None

    @staticmethod
    def result(arg: Any, out: Any, saved: dict[str, int]) -> Any:
        if isinstance(arg, Buf):
            return out.value
        if isinstance(arg, Overlapped):
            return ("dwStatus", out.dwStatus, "dwLength", out.dwLength)
        if isinstance(arg, TagValueItems):
            return (
                out.dwLength,
                out.bQualityGeneral,
                out.bQualitySubstatus,
                out.bQualityLimit,
                out.bQualityExtendedSubstatus,
                out.nQualityDatasourceErrorCode,
                out.bOverride,
                out.bControlMode,
                out.nTimestamp > 0,
                out.nValueTimestamp > 0,
                out.nQualityTimestamp > 0,
            )
        if isinstance(arg, HandleOut):
            if out.value:
                saved[arg.name] = int(out.value)
            return HANDLE if out.value else None
        return out.value


class ShimBackend(Backend):
    """emulator.compat's CtApi, called as ctypes code calls windll.CtApi."""

    name = "shim"

    def __init__(self, ready: Path) -> None:
        self.api = CtApi(ready_file=ready)

    def function(self, name: str) -> Any:
        return getattr(self.api, name)

    def scale(self, arg: Scale) -> ctypes.Structure:
        """The shim's own CTSCALE class (the same layout, which it checks for)."""
        return shim_scale.CTSCALE(
            shim_scale.CTHSCALE(arg.raw_zero, arg.raw_full),
            shim_scale.CTHSCALE(arg.eng_zero, arg.eng_full),
        )

    def last_error(self) -> int:
        return self.api.GetLastError()

    def close(self) -> None:
        self.api.close_all()


class NativeBackend(Backend):
    """libctapi.so through ctypes.CDLL(use_errno=True): errno carries the last error, and the
    library's own GetLastError() must say the same."""

    name = "native"

    def __init__(self, library: Path) -> None:
        self.dll = ctypes.CDLL(str(library), use_errno=True)
        for name, (restype, argtypes) in SIGNATURES.items():
            function = getattr(self.dll, name)
            function.restype = CTYPES[restype]
            function.argtypes = [CTYPES[kind] for kind in argtypes]
        self.dll.GetLastError.restype = c_uint32
        self.dll.GetLastError.argtypes = []

    def function(self, name: str) -> Any:
        return getattr(self.dll, name)

    def last_error(self) -> int:
        code = ctypes.get_errno() & 0xFFFFFFFF
        reported = self.dll.GetLastError()
        assert code == reported, f"errno {code} but GetLastError() {reported}"
        return code
