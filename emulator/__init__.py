"""plant-scada-emulator: the server processes of AVEVA Plant SCADA, emulated on any Linux box."""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    """`__version__` from the installed metadata, looked up on first use (importlib.metadata
    costs a CLI start about 50 ms: docs/performance.md)."""
    if name != "__version__":
        raise AttributeError(f"module 'emulator' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        found = version("plant-scada-emulator")
    except PackageNotFoundError:  # running from a source tree that was never installed
        found = "0.0.0"
    globals()["__version__"] = found
    return found
