"""The emulator CA and the per-computer server certificates it signs, kept in the state directory.

A client that trusts the CA once trusts every run: the CA is made once and reused; a server
certificate is reused while it still names the computer and its addresses and is not near its
end. Certificates are bound to the computer name (reference §4), so the subject CN and a DNS SAN
carry it, and IP SANs carry its addresses. Documented in docs/running.md ("Certificates").
"""

from __future__ import annotations

import datetime as dt
import fcntl
import ipaddress
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from emulator.logs import get_logger
from emulator.runtime.files import write_atomic

CA_NAME = "plant-scada-emulator CA"
CA_DAYS = 3650
SERVER_DAYS = 397
#: A server certificate closer than this to its end is made again.
RENEW_BEFORE = dt.timedelta(days=30)

_log = get_logger("emulator.certs")


class CertificateError(Exception):
    """The state directory or a certificate file cannot be used; says which and why."""


@dataclass(frozen=True, slots=True)
class CertificateFiles:
    certificate: Path
    private_key: Path


def private_dir(path: Path, *, tighten: bool = True) -> Path:
    """Create `path` (and parents) with mode 0700; with `tighten`, an existing one too.

    The state directory itself may be one the user chose, so it is never chmod-ed; the
    emulator's own subdirectories (ca, certs) are.
    """
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        if tighten and path.stat().st_mode & 0o077:
            os.chmod(path, 0o700)
    except OSError as exc:
        raise CertificateError(
            f"cannot use the state directory {path}: {exc.strerror or exc} "
            "(choose another with --state-dir)"
        ) from exc
    return path


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Two emulators sharing a state directory must not make two CAs."""
    with open(directory / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class CertificateAuthority:
    """The emulator's own CA, in <state>/ca (ca.pem, ca.key)."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.directory = state_dir / "ca"
        self.certificate_path = self.directory / "ca.pem"
        self.key_path = self.directory / "ca.key"
        self._certificate: x509.Certificate | None = None
        self._key: ec.EllipticCurvePrivateKey | None = None

    def ensure(self) -> CertificateAuthority:
        """Load the CA, or make it when the state directory has none."""
        private_dir(self.state_dir, tighten=False)
        private_dir(self.directory)
        with _locked(self.directory):
            if self.certificate_path.exists() and self.key_path.exists():
                self._load()
            else:
                self._create()
        return self

    @property
    def certificate(self) -> x509.Certificate:
        if self._certificate is None:
            raise CertificateError("the CA is not loaded: call ensure() first")
        return self._certificate

    @property
    def key(self) -> ec.EllipticCurvePrivateKey:
        if self._key is None:
            raise CertificateError("the CA is not loaded: call ensure() first")
        return self._key

    def _load(self) -> None:
        try:
            certificate = x509.load_pem_x509_certificate(self.certificate_path.read_bytes())
            key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise CertificateError(
                f"the emulator CA in {self.directory} cannot be read ({exc}); "
                "remove that directory to make a new CA"
            ) from exc
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise CertificateError(
                f"{self.key_path} is not the emulator CA's key; remove {self.directory} "
                "to make a new CA"
            )
        self._certificate, self._key = certificate, key

    def _create(self) -> None:
        key = _new_key()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
        now = _now()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        write_atomic(self.key_path, _key_pem(key), 0o600)
        write_atomic(
            self.certificate_path, certificate.public_bytes(serialization.Encoding.PEM), 0o644
        )
        self._certificate, self._key = certificate, key
        _log.info("certs.ca_created", path=str(self.certificate_path))

    def server_certificate(self, computer: str, addresses: Sequence[str]) -> CertificateFiles:
        """<state>/certs/<computer>.pem and .key, made or reused (see the module docstring)."""
        directory = private_dir(self.state_dir / "certs")
        stem = _file_stem(computer)
        files = CertificateFiles(directory / f"{stem}.pem", directory / f"{stem}.key")
        sans = _sans(computer, addresses)
        with _locked(directory):
            if self._reusable(files, sans):
                return files
            key = _new_key()
            now = _now()
            certificate = (
                x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, computer)]))
                .issuer_name(self.certificate.subject)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(minutes=5))
                .not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
                .add_extension(x509.SubjectAlternativeName(sans), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(
                    x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
                )
                .add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                    critical=False,
                )
                .sign(self.key, hashes.SHA256())
            )
            write_atomic(files.private_key, _key_pem(key), 0o600)
            write_atomic(
                files.certificate, certificate.public_bytes(serialization.Encoding.PEM), 0o644
            )
            _log.info("certs.server_created", computer=computer, path=str(files.certificate))
        return files

    def _reusable(self, files: CertificateFiles, sans: list[x509.GeneralName]) -> bool:
        if not (files.certificate.exists() and files.private_key.exists()):
            return False
        try:
            certificate = x509.load_pem_x509_certificate(files.certificate.read_bytes())
            certificate.verify_directly_issued_by(self.certificate)
            present = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        except (OSError, ValueError, TypeError, x509.ExtensionNotFound, InvalidSignature):
            return False
        if set(present.value) != set(sans):
            return False
        return certificate.not_valid_after_utc - _now() > RENEW_BEFORE


def _sans(computer: str, addresses: Sequence[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [x509.DNSName(computer)]
    for address in dict.fromkeys(addresses):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(address)))
        except ValueError:
            names.append(x509.DNSName(address))
    return names


def _file_stem(computer: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", computer) or "computer"
