"""Every export, called with junk: it returns its failure value and sets GetLastError.

A native CtApi.dll returns FALSE/NULL on arguments it cannot use (ctapi-behaviour.md "How
clients call": ctapi-go resolves every export at start and calls them with uintptr values);
the shim must never let a Python exception out to the caller's program instead.
"""

from __future__ import annotations

import ctypes
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.compat import CTOVERLAPPED, CtApi
from emulator.compat.ctapi import _EXPORTS

#: Exports that may succeed whatever they are given: a new client handle, and a path the shim
#: does not use. Each still must not raise.
MAY_SUCCEED = {"ctClientCreate", "ctSetManagedBinDirectory"}

junk: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.binary(max_size=40),
    st.text(max_size=10),
    st.lists(st.integers(), max_size=3),
    st.builds(object),
    st.builds(ctypes.c_int, st.integers(min_value=-(2**31), max_value=2**31 - 1)),
    st.builds(ctypes.c_double, st.floats()),
    st.builds(ctypes.c_void_p),
    st.builds(ctypes.create_string_buffer, st.integers(0, 64)),
    st.builds(lambda: ctypes.byref(ctypes.c_ulong())),
    st.builds(lambda: ctypes.byref(ctypes.c_double())),
    st.builds(lambda: ctypes.byref(ctypes.create_string_buffer(8))),
    st.builds(lambda: ctypes.byref(CTOVERLAPPED())),
    st.builds(lambda: ctypes.pointer(ctypes.c_char())),
)


@settings(max_examples=400, deadline=None)
@given(
    name=st.sampled_from([n for n in _EXPORTS if n != "ctClientCreate"]),
    args=st.lists(junk, max_size=8),
)
def test_every_export_fails_cleanly_on_junk(name: str, args: list[Any]) -> None:
    # No ready file: a ctOpen that gets as far as connecting fails at once (87), dialling no one.
    dll = CtApi(ready_file=Path("/nonexistent/ready.json"))
    try:
        result = getattr(dll, name)(*args)
        assert isinstance(result, int)
        if name in MAY_SUCCEED and result == 1:
            return
        assert result == (-1 if name == "ctFindNumRecords" else 0), (name, args)
        assert dll.GetLastError() != 0, (name, args)
    finally:
        dll.close_all()


def test_client_create_ignores_arguments() -> None:
    dll = CtApi(ready_file=Path("/nonexistent/ready.json"))
    assert dll.ctClientCreate(b"junk", 5, None) > 0


def test_every_export_is_documented() -> None:
    # docs/client.md ("Functions") is the shim's reference: one table row per export.
    docs = (Path(__file__).resolve().parents[2] / "docs" / "client.md").read_text("utf-8")
    for name in _EXPORTS:
        assert f"`{name}(" in docs, f"document {name} in docs/client.md"
