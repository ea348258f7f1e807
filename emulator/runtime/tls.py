"""TLS for the encrypted CtAPI port (3073): one server context per computer.

TLS 1.2 minimum, 1.3 when the client offers it (reference §4: no version is published, ours to
decide). The certificate is the computer's own when the topology names one, else one signed by
the emulator CA.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from pathlib import Path

from emulator.runtime.certs import CertificateAuthority, CertificateError, CertificateFiles
from emulator.topology.model import Computer, Topology
from emulator.topology.plan import Endpoint

#: A client that does not finish its handshake within this many seconds is dropped.
HANDSHAKE_TIMEOUT = 10.0


def _refuse_password() -> str:
    raise CertificateError("the private key is encrypted; give an unencrypted PEM key")


def server_context(files: CertificateFiles) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(files.certificate, files.private_key, password=_refuse_password)
    except (OSError, ssl.SSLError) as exc:
        raise CertificateError(
            f"cannot load the certificate {files.certificate} with the key {files.private_key}: "
            f"{getattr(exc, 'strerror', None) or exc}"
        ) from exc
    return context


def computer_files(
    computer: Computer, addresses: Sequence[str], ca: CertificateAuthority, base: Path
) -> CertificateFiles:
    """The computer's own files (relative to the topology file's folder), or CA-signed ones."""
    if computer.certificate or computer.private_key:
        if not (computer.certificate and computer.private_key):
            raise CertificateError(
                f"computer {computer.name!r} names only one of certificate and private_key; "
                "give both, or neither to use the emulator CA"
            )
        return CertificateFiles(base / computer.certificate, base / computer.private_key)
    return ca.server_certificate(computer.name, addresses)


def contexts_for(
    topology: Topology,
    endpoints: Sequence[Endpoint],
    ca: CertificateAuthority,
    base: Path,
) -> dict[str, ssl.SSLContext]:
    """A server context for each computer that has a TLS endpoint in `endpoints`."""
    by_name = {c.name: c for c in topology.computers}
    contexts: dict[str, ssl.SSLContext] = {}
    for endpoint in endpoints:
        if not endpoint.tls or endpoint.computer in contexts:
            continue
        addresses = [
            a.address
            for a in topology.network_addresses
            if a.computer.casefold() == endpoint.computer.casefold()
        ]
        files = computer_files(by_name[endpoint.computer], addresses, ca, base)
        contexts[endpoint.computer] = server_context(files)
    return contexts
