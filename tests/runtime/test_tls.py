"""CtAPI modes and TLS on 3073: the compatibility matrix of reference §4, every cell."""

from __future__ import annotations

import ssl
import stat
from pathlib import Path

import anyio
import pytest
from anyio.streams.tls import TLSAttribute
from cryptography import x509
from cryptography.x509.oid import NameOID

from emulator.ports import CTAPI_PLAIN_PORT, CTAPI_TLS_PORT
from emulator.runtime.certs import CertificateAuthority, CertificateError
from emulator.runtime.limits import Limits
from emulator.runtime.state import default_state_dir
from emulator.runtime.supervisor import Supervisor
from emulator.runtime.tls import server_context
from tests.runtime.helpers import Client, computers_toml, listener, topology

#: Server computers, one per CtAPI mode, each on its own loopback address and default ports.
SERVERS = {
    "unencrypted": ("PLAIN", "127.0.73.1"),
    "mixed": ("MIXED", "127.0.73.2"),
    "encrypted": ("CRYPT", "127.0.73.3"),
}
MATRIX = {  # reference §4: (client, server) -> works
    ("unencrypted", "unencrypted"): True,
    ("unencrypted", "mixed"): True,
    ("unencrypted", "encrypted"): False,
    ("mixed", "unencrypted"): True,
    ("mixed", "mixed"): True,
    ("mixed", "encrypted"): True,
    ("encrypted", "unencrypted"): False,
    ("encrypted", "mixed"): True,
    ("encrypted", "encrypted"): True,
}


async def _plain(address: str) -> bool:
    try:
        client = await Client.connect(address, CTAPI_PLAIN_PORT)
    except OSError:
        return False
    hello = await client.frame()
    await client.aclose()
    return hello["tls"] is False


async def _encrypted(address: str, computer: str, ca: Path) -> bool:
    try:
        client = await Client.connect(address, CTAPI_TLS_PORT, ca=ca, hostname=computer)
    except OSError:
        return False
    hello = await client.frame()
    await client.aclose()
    return hello["tls"] is True and hello["computer"] == computer


async def test_the_compatibility_matrix_every_cell(state_dir: Path) -> None:
    text = computers_toml(*((name, address, mode) for mode, (name, address) in SERVERS.items()))
    async with Supervisor(topology(text), state_dir=state_dir) as sup:
        assert sup.ca_certificate is not None
        seen = {}
        for server, (computer, address) in SERVERS.items():
            plain = await _plain(address)
            encrypted = await _encrypted(address, computer, sup.ca_certificate)
            seen[("unencrypted", server)] = plain
            seen[("encrypted", server)] = encrypted
            seen[("mixed", server)] = encrypted or plain  # a mixed client takes either
        assert seen == MATRIX
        plain_ports = {(i.endpoint.computer, i.port, i.endpoint.tls) for i in sup.listeners}
        assert ("CRYPT", CTAPI_PLAIN_PORT, False) not in plain_ports
        assert ("PLAIN", CTAPI_TLS_PORT, True) not in plain_ports


async def test_disabled_ctapi_opens_neither_port() -> None:
    text = computers_toml(("OFF", "127.0.73.4", "disabled"))
    async with Supervisor(topology(text), ephemeral=True) as sup:
        assert not [i for i in sup.listeners if i.endpoint.process == "CtAPI"]
        assert sup.ca_certificate is None


async def test_plaintext_on_the_tls_port_gets_no_application_bytes(state_dir: Path) -> None:
    text = computers_toml(("CRYPT2", "127.0.73.5", "encrypted"))
    limits = Limits(handshake_timeout=0.3)
    async with Supervisor(
        topology(text), ephemeral=True, state_dir=state_dir, limits=limits
    ) as sup:
        port = listener(sup, "CtAPI", tls=True).port
        talker = await Client.connect("127.0.73.5", port)
        await talker.send({"id": 1, "op": "ping"})
        assert b"hello" not in await talker.rest()
        silent = await Client.connect("127.0.73.5", port)
        assert await silent.rest() == b""  # dropped when the handshake times out
        tls12 = ssl.create_default_context(cafile=str(sup.ca_certificate))
        tls12.maximum_version = ssl.TLSVersion.TLSv1_2
        stream = await anyio.connect_tcp(
            "127.0.73.5", port, tls=True, ssl_context=tls12, tls_hostname="CRYPT2"
        )
        assert stream.extra(TLSAttribute.tls_version) == "TLSv1.2"
        await anyio.aclose_forcefully(stream)
        good = await Client.connect(
            "127.0.73.5", port, ca=sup.ca_certificate, hostname="127.0.73.5"
        )
        assert (await good.frame())["tls"] is True
        await good.aclose()


def test_certificates_name_the_computer_and_its_addresses_and_are_reused(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    ca = CertificateAuthority(state).ensure()
    files = ca.server_certificate("SCADA-A", ["127.0.10.1", "::1"])
    cert = x509.load_pem_x509_certificate(files.certificate.read_bytes())
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "SCADA-A"
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["SCADA-A"]
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["127.0.10.1", "::1"]
    cert.verify_directly_issued_by(ca.certificate)
    assert server_context(files).minimum_version is ssl.TLSVersion.TLSv1_2

    for path in (state, state / "ca", state / "certs"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
    for key in (ca.key_path, files.private_key):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600

    again = CertificateAuthority(state).ensure()
    assert again.certificate_path.read_bytes() == ca.certificate_path.read_bytes()
    before = files.certificate.read_bytes()
    assert again.server_certificate("SCADA-A", ["127.0.10.1", "::1"]) == files
    assert files.certificate.read_bytes() == before
    again.server_certificate("SCADA-A", ["127.0.10.9"])
    assert files.certificate.read_bytes() != before  # the addresses changed: made again


async def test_a_computer_may_bring_its_own_certificate(tmp_path: Path) -> None:
    issuer = CertificateAuthority(tmp_path / "theirs").ensure()
    own = issuer.server_certificate("OWN", ["127.0.73.6"])
    files = f'certificate = "{own.certificate}"\nprivate_key = "{own.private_key}"'
    text = computers_toml(("OWN", "127.0.73.6", "encrypted")).replace(
        'ctapi = "encrypted"', f'ctapi = "encrypted"\n{files}'
    )
    async with Supervisor(topology(text), ephemeral=True, state_dir=tmp_path / "ours") as sup:
        port = listener(sup, "CtAPI", tls=True).port
        client = await Client.connect(
            "127.0.73.6", port, ca=issuer.certificate_path, hostname="OWN"
        )
        assert (await client.frame())["computer"] == "OWN"
        await client.aclose()
        assert sup.ca_certificate != issuer.certificate_path


def test_the_default_state_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_state_dir() == tmp_path / "plant-scada-emulator"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_state_dir() == tmp_path / ".local" / "state" / "plant-scada-emulator"


async def test_an_unusable_certificate_is_refused_before_anything_binds(tmp_path: Path) -> None:
    files = 'certificate = "/nonexistent/server.pem"\nprivate_key = "/nonexistent/server.key"'
    text = computers_toml(("HALF", "127.0.73.7", "mixed")).replace(
        'ctapi = "mixed"', f'ctapi = "mixed"\n{files}'
    )
    sup = Supervisor(topology(text), state_dir=tmp_path)
    with pytest.raises(CertificateError, match="cannot load the certificate"):
        async with sup:
            pass
    client = None
    with pytest.raises(OSError):
        client = await anyio.connect_tcp("127.0.73.7", CTAPI_PLAIN_PORT)
    assert client is None


async def test_ipv6_loopback_works_too(state_dir: Path) -> None:
    text = computers_toml(("SIX", "::1", "mixed"))
    async with Supervisor(topology(text), ephemeral=True, state_dir=state_dir) as sup:
        tls = listener(sup, "CtAPI", tls=True)
        client = await Client.connect("::1", tls.port, ca=sup.ca_certificate, hostname="SIX")
        assert (await client.frame())["computer"] == "SIX"
        await client.aclose()
