"""Where a CtAPI computer listens: resolve what a caller passes to ctOpen into an address.

ctOpen takes a computer name, an IP, or nothing for the local computer (so do 127.0.0.1, ::1
and `localhost` when no listener has them). The certificate of the
encrypted port is bound to the computer name (reference section 4), so an IP must be mapped back
to its computer name for TLS verification. Two sources know the emulator's listeners: the
topology (default ports, through the plan) and the ready file `scada-emu run --ready-file`
writes (the ports actually bound, and the emulator CA). Pure: no sockets, no clock.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec

from emulator.client.errors import CtApiError
from emulator.ports import CTAPI_PLAIN_PORT, CTAPI_TLS_PORT, ProcessType
from emulator.protocol.errors import BAD_REQUEST, COMPUTER_NOT_FOUND
from emulator.topology.model import Topology
from emulator.topology.plan import plan

#: What a program on the runtime's own machine opens (pyctapi's examples): the local computer
#: when no listener has that address (docs/ctapi.md "Our decisions").
_THIS_MACHINE = ("127.0.0.1", "::1")

#: The environment variable naming the ready file of a running emulator.
READY_FILE_ENV = "SCADA_EMU_READY_FILE"


@dataclass(frozen=True, slots=True)
class CtApiListener:
    """One CtAPI listener of one computer."""

    computer: str
    address: str
    port: int
    tls: bool


class ReadyListener(msgspec.Struct, kw_only=True):
    computer: str
    process: str
    type: str
    address: str
    port: int
    tls: bool = False
    #: The cluster and the redundancy mode (primary, standby) of a cluster server process.
    cluster: str | None = None
    mode: str | None = None


class ReadyFile(msgspec.Struct, kw_only=True):
    """The part of the runtime's ready file a client needs (other keys are ignored)."""

    listeners: list[ReadyListener]
    #: The emulator CA: a PEM file path, or the PEM text itself.
    ca_certificate: str | None = None
    #: What servers prove on the server ports (docs/protocol.md "Server authentication").
    server_password: str | None = None

    def ctapi_listeners(self) -> list[CtApiListener]:
        return [
            CtApiListener(x.computer, x.address, x.port, x.tls)
            for x in self.listeners
            if x.type == ProcessType.CTAPI.value
        ]


@dataclass(frozen=True, slots=True)
class Target:
    """A resolved computer: where to connect, and which name its certificate carries."""

    #: The computer name (TLS server name); None when nothing maps the address to a name.
    computer: str | None
    address: str
    #: The plain (2073) and encrypted (3073) ports; None when the computer has no such listener.
    plain_port: int | None
    tls_port: int | None
    #: The emulator CA (path or PEM text) when the source knows it.
    ca: str | None = None
    #: True when the ports come from a directory that knows the computer's listeners.
    known: bool = False


def read_ready_file(path: str | os.PathLike[str]) -> ReadyFile:
    """The ready file at `path`; CtApiError naming the file and the problem when unusable."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise CtApiError.of(
            BAD_REQUEST,
            f"cannot read the ready file {os.fspath(path)!r}: {exc.strerror or exc}; "
            f"start the emulator with `scada-emu run --ready-file {os.fspath(path)}`",
        ) from None
    try:
        ready = msgspec.json.decode(raw, type=ReadyFile)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise CtApiError.of(
            BAD_REQUEST, f"the ready file {os.fspath(path)!r} is not usable: {exc}"
        ) from None
    ca = ready.ca_certificate
    if ca and not ca.lstrip().startswith("-----BEGIN") and not Path(ca).is_absolute():
        # A relative CA path is relative to the ready file, not to the caller's directory.
        ready.ca_certificate = str(Path(path).parent / ca)
    return ready


def topology_listeners(topology: Topology) -> list[CtApiListener]:
    """The CtAPI listeners the plan of `topology` binds (default ports)."""
    try:
        endpoints = plan(topology)
    except (KeyError, ValueError) as exc:
        raise CtApiError.of(
            BAD_REQUEST,
            f"the topology does not compile ({exc}); run `scada-emu check` on it",
        ) from None
    return [
        CtApiListener(e.computer, e.address, e.port, e.tls)
        for e in endpoints
        if e.type is ProcessType.CTAPI
    ]


def _ip(text: str) -> str | None:
    """The normalised IP when `text` is one (IPv6 brackets tolerated), else None."""
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        return None


def locate(
    host: str | None,
    listeners: Sequence[CtApiListener] | None = None,
    *,
    ca: str | None = None,
) -> Target:
    """Resolve `host` (computer name, IP, or empty for the local computer) to a Target.

    With no `listeners` (no topology, no ready file) the host is used as given, on the default
    ports. With listeners, a computer name must be one of them; an IP maps back to its computer.
    """
    host = (host or "").strip()
    if listeners is None:
        if not host:
            raise CtApiError.of(
                COMPUTER_NOT_FOUND,
                "no computer given and no topology or ready file to find the local one",
            )
        ip = _ip(host)
        return Target(
            None if ip else host, ip or host, CTAPI_PLAIN_PORT, CTAPI_TLS_PORT, ca, known=False
        )
    computers = _names(listeners)
    if not host:
        if not computers:
            raise CtApiError.of(
                COMPUTER_NOT_FOUND, "the emulator has no CtAPI listener on any computer"
            )
        return _target(computers[0], None, listeners, ca)
    ip = _ip(host)
    if ip is not None:
        owner = next((x.computer for x in listeners if _ip(x.address) == ip), None)
        if owner is None and ip in _THIS_MACHINE and computers:
            # The runtime's own machine (pyctapi's "127.0.0.1"): the local computer (ours).
            return _target(computers[0], None, listeners, ca)
        if owner is None:
            return Target(None, ip, CTAPI_PLAIN_PORT, CTAPI_TLS_PORT, ca, known=False)
        return _target(owner, ip, listeners, ca)
    name = next((c for c in computers if c.casefold() == host.casefold()), None)
    if name is None and host.casefold() == "localhost" and computers:
        name = computers[0]
    if name is None:
        known = ", ".join(computers) or "none"
        raise CtApiError.of(
            COMPUTER_NOT_FOUND,
            f"computer {host!r} has no CtAPI listener in the emulator (computers with CtAPI: "
            f"{known}); pass one of them, one of their IPs, or an empty name for the local one",
        )
    return _target(name, None, listeners, ca)


def _names(listeners: Iterable[CtApiListener]) -> list[str]:
    names: list[str] = []
    for x in listeners:
        if x.computer not in names:
            names.append(x.computer)
    return names


def _target(
    computer: str, ip: str | None, listeners: Sequence[CtApiListener], ca: str | None
) -> Target:
    """The computer's listeners on one address: the IP asked for, else its first address."""
    own = [x for x in listeners if x.computer == computer]
    address = ip or own[0].address
    here = [x for x in own if _ip(x.address) == _ip(address) or x.address == address]
    plain = next((x.port for x in here if not x.tls), None)
    tls = next((x.port for x in here if x.tls), None)
    return Target(computer, address, plain, tls, ca, known=True)
