"""Which asyncio event loop the harness's own processes run on.

The generator should be the fastest thing in the room: it uses uvloop when installed (the `bench`
extra). The echo limit must run on the loop the emulator runs on: the harness sets BENCH_LOOP
(asyncio or uvloop) for it after looking at what the emulator process loaded.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def name() -> str:
    """'uvloop' or 'asyncio': what `run` will use."""
    if os.environ.get("BENCH_LOOP", "") == "asyncio":
        return "asyncio"
    try:
        import uvloop  # noqa: F401, PLC0415
    except ImportError:
        return "asyncio"
    return "uvloop"


def run(main: Coroutine[Any, Any, T]) -> T:
    if name() == "uvloop":
        import uvloop  # noqa: PLC0415

        result: T = uvloop.run(main)
        return result
    return asyncio.run(main)
