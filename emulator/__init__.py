"""plant-scada-emulator: the server processes of AVEVA Plant SCADA, emulated on any Linux box."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("plant-scada-emulator")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
