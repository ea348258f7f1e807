"""The client's encryption modes and the CtAPI compatibility matrix (reference section 4).

| client \\ server | unencrypted | mixed | encrypted |
| unencrypted     | works       | works | fails     |
| mixed           | works       | works | works     |
| encrypted       | fails       | works | works     |

A mixed client tries the encrypted port first and falls back to the plain one. Pure: this module
decides which ports to try, in which order, and words the failure; the connection dials.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Literal

from emulator.client.errors import CtApiConnectionError
from emulator.client.locate import Target
from emulator.protocol.errors import BAD_REQUEST, CONNECTION_REFUSED
from emulator.runtime.state import default_state_dir

Encryption = Literal["mixed", "encrypted", "unencrypted"]
ENCRYPTIONS: tuple[Encryption, ...] = ("mixed", "encrypted", "unencrypted")


@dataclass(frozen=True, slots=True)
class Attempt:
    """One port to dial, with or without TLS."""

    port: int
    tls: bool

    def describe(self, address: str) -> str:
        kind = "encrypted" if self.tls else "unencrypted"
        return f"{kind} CtAPI port {address}:{self.port}"


def attempts(
    encryption: str,
    target: Target,
    *,
    port: int | None = None,
    tls_port: int | None = None,
) -> list[Attempt]:
    """The ports to try, in order. Raises when the target is known to refuse the mode.

    `port` overrides the plain port and `tls_port` the encrypted one; with
    encryption="encrypted" and no `tls_port`, `port` names the encrypted port.
    """
    if encryption not in ENCRYPTIONS:
        raise CtApiConnectionError(
            BAD_REQUEST.code,
            BAD_REQUEST.name,
            f"encryption must be one of {', '.join(ENCRYPTIONS)}, not {encryption!r}",
        )
    if encryption == "encrypted" and tls_port is None:
        tls_port = port
    plain = port if port is not None else target.plain_port
    tls = tls_port if tls_port is not None else target.tls_port
    wanted: list[Attempt] = []
    if encryption in ("mixed", "encrypted") and tls is not None:
        wanted.append(Attempt(tls, True))
    if encryption in ("mixed", "unencrypted") and plain is not None:
        wanted.append(Attempt(plain, False))
    if not wanted:
        raise refused_by_server(encryption, target)
    return wanted


def _who(target: Target) -> str:
    return target.computer or target.address


def refused_by_server(encryption: str, target: Target) -> CtApiConnectionError:
    """The directory says the server has no listener for what the client asked."""
    if encryption == "encrypted":
        what = "an encrypted connection, but the server accepts only unencrypted ones (no 3073)"
        fix = "use encryption='mixed' or 'unencrypted', or set ctapi = \"mixed\" on the computer"
    elif encryption == "unencrypted":
        what = "an unencrypted connection, but the server accepts only encrypted ones (no 2073)"
        fix = "use encryption='mixed' or 'encrypted'"
    else:
        what = "a connection, but the server has no CtAPI listener"
        fix = "set ctapi on the computer to mixed, encrypted or unencrypted"
    return CtApiConnectionError(
        CONNECTION_REFUSED.code,
        CONNECTION_REFUSED.name,
        f"{_who(target)} refused: the client asked for {what}; {fix}",
    )


def refused_port(attempt: Attempt, address: str, encryption: str, reason: str) -> str:
    """Why one dial failed, saying which side refused what."""
    hint = ""
    if encryption == "unencrypted":
        hint = (
            "; the server may be encrypted-only (mixed mode off): "
            "use encryption='encrypted' or 'mixed'"
        )
    elif encryption == "encrypted":
        hint = "; the server may be unencrypted-only: use encryption='unencrypted' or 'mixed'"
    return f"the server refused the {attempt.describe(address)} ({reason}){hint}"


def default_ca() -> str | None:
    """The CA `scada-emu run` keeps in its default state directory, when there is one."""
    path = default_state_dir() / "ca" / "ca.pem"
    return str(path) if path.is_file() else None


def tls_context(ca: str | None) -> ssl.SSLContext:
    """TLS 1.2 or later, verifying the server against `ca` (a PEM path or PEM text).

    Without `ca`: the emulator CA of the default state directory when it exists (what
    `make run` uses), else the system's trust store, which does not know the emulator CA.
    """
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    ca = ca or default_ca()
    if ca is None:
        return context
    try:
        if ca.lstrip().startswith("-----BEGIN"):
            context.load_verify_locations(cadata=ca)
        else:
            context.load_verify_locations(cafile=ca)
    except (OSError, ssl.SSLError) as exc:
        raise CtApiConnectionError(
            BAD_REQUEST.code,
            BAD_REQUEST.name,
            f"cannot load the CA certificate {ca[:80]!r}: {exc}; pass the emulator CA "
            "(the ready file's ca_certificate, or the certs directory of the state dir)",
        ) from None
    return context
