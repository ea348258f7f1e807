"""The Python client of the emulator's CtAPI ports (docs/client.md)."""

from emulator.client.blocking import CtApiClient
from emulator.client.errors import CtApiCertificateError, CtApiConnectionError, CtApiError
from emulator.client.session import Session, TagValue, connect
from emulator.plant.state import Quality

__all__ = [
    "CtApiCertificateError",
    "CtApiClient",
    "CtApiConnectionError",
    "CtApiError",
    "Quality",
    "Session",
    "TagValue",
    "connect",
]
