"""The pure parts of the client: reply matching, locating a computer, the encryption matrix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.client.encryption import Attempt, attempts
from emulator.client.errors import CtApiConnectionError, CtApiError
from emulator.client.locate import (
    CtApiListener,
    Target,
    locate,
    read_ready_file,
    topology_listeners,
)
from emulator.client.pair import servers_from_ready
from emulator.client.protocol import ClientProtocol, Fatal, Hello, Push, Reply
from emulator.protocol.framing import encode
from emulator.topology.load import load_demo

# --- reply matching -----------------------------------------------------------------------------


@given(
    order=st.permutations(range(6)),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8),
)
def test_replies_match_their_requests_whatever_the_order_and_chunking(
    order: list[int], cuts: list[int]
) -> None:
    protocol = ClientProtocol()
    ids = [protocol.request("tag.read", {"tag": f"T{n}"})[0] for n in range(6)]
    stream = encode({"event": "hello", "computer": "X"}) + b"".join(
        encode({"id": ids[n], "ok": True, "value": str(n)}) for n in order
    )
    stream += encode({"event": "changed"})
    events = []
    start = 0
    for cut in [*sorted(c for c in cuts if c < len(stream)), len(stream)]:
        events += protocol.receive(stream[start:cut])
        start = cut
    assert isinstance(events[0], Hello)
    replies = [e for e in events if isinstance(e, Reply)]
    assert [(r.id, r.message["value"]) for r in replies] == [(ids[n], str(n)) for n in order]
    assert isinstance(events[-1], Push)
    assert protocol.outstanding == frozenset()


def test_a_reply_nobody_waits_for_is_dropped() -> None:
    protocol = ClientProtocol()
    rid, _ = protocol.request("tag.read", {"tag": "A"})
    protocol.forget(rid)
    assert protocol.receive(encode({"id": rid, "ok": True, "value": "1"})) == []
    assert protocol.receive(encode({"id": 999, "ok": True})) == []


def test_error_replies_and_broken_frames() -> None:
    protocol = ClientProtocol()
    rid, _ = protocol.request("open", {"user": "u", "password": ""})
    (reply,) = protocol.receive(
        encode({"id": rid, "ok": False, "error": {"code": 5, "name": "x", "message": "m"}})
    )
    assert isinstance(reply, Reply)
    assert reply.error is not None
    assert (reply.error.code, reply.error.name) == (5, "x")
    (fatal,) = protocol.receive(encode({"id": None, "ok": False, "error": "nonsense"}))
    assert isinstance(fatal, Fatal)
    assert fatal.error.name == "internal_error"
    assert protocol.receive(b"more\n") == []  # nothing after a fatal event
    broken = ClientProtocol()
    (garbage,) = broken.receive(b"\x16\x03\x01 not json\n")
    assert isinstance(garbage, Fatal)
    assert isinstance(garbage.error, CtApiConnectionError)


def test_request_refuses_envelope_fields() -> None:
    with pytest.raises(ValueError, match="set by the client"):
        ClientProtocol().request("tag.read", {"id": 3})


def test_error_from_a_malformed_wire_object() -> None:
    error = CtApiError.from_wire({"code": True, "name": 3})
    assert (error.code, error.name) == (31, "unknown")
    assert not error.is_citect
    assert error.citect_number is None


# --- locating a computer ------------------------------------------------------------------------

DEMO = topology_listeners(load_demo().model)


def test_a_computer_name_resolves_to_its_address_and_ports() -> None:
    target = locate("scada-a", DEMO)
    assert target == Target("SCADA-A", "127.0.10.1", 2073, 3073, None, known=True)


def test_an_ip_resolves_back_to_its_computer_name() -> None:
    assert locate("127.0.10.2", DEMO).computer == "SCADA-B"
    unknown = locate("127.0.0.9", DEMO)
    assert (unknown.computer, unknown.known) == (None, False)


def test_empty_means_the_local_computer() -> None:
    assert locate("", DEMO).computer == "SCADA-A"
    assert locate(None, DEMO).computer == "SCADA-A"


def test_unknown_computer_names_the_known_ones() -> None:
    with pytest.raises(CtApiError) as error:
        locate("SCADA-Z", DEMO)
    assert error.value.name == "computer_not_found"
    assert "SCADA-A" in error.value.message
    with pytest.raises(CtApiError):
        locate("", None)
    with pytest.raises(CtApiError):
        locate("", [])


def test_without_a_directory_the_host_is_used_as_given() -> None:
    assert locate("plant-pc", None) == Target("plant-pc", "plant-pc", 2073, 3073)
    assert locate("::1", None).computer is None


def test_the_ready_file_gives_bound_ports_and_the_ca(tmp_path: Path) -> None:
    path = tmp_path / "ready.json"
    path.write_text(
        json.dumps(
            {
                "pid": 1,
                "ca_certificate": "ca/ca.pem",
                "listeners": [
                    {
                        "computer": "PC1",
                        "process": "CtAPI",
                        "type": "ctapi",
                        "address": "127.0.0.1",
                        "port": 40001,
                        "tls": False,
                    },
                    {
                        "computer": "PC1",
                        "process": "CtAPI",
                        "type": "ctapi",
                        "address": "127.0.0.1",
                        "port": 40002,
                        "tls": True,
                    },
                    {
                        "computer": "PC1",
                        "process": "IO1",
                        "type": "io",
                        "address": "127.0.0.1",
                        "port": 40003,
                    },
                ],
            }
        )
    )
    ready = read_ready_file(path)
    assert ready.ca_certificate == str(tmp_path / "ca/ca.pem")
    target = locate("127.0.0.1", ready.ctapi_listeners(), ca=ready.ca_certificate)
    assert (target.computer, target.plain_port, target.tls_port) == ("PC1", 40001, 40002)


@pytest.mark.parametrize("content", ["", "{", '{"listeners": 3}', "[]"])
def test_an_unusable_ready_file_says_which_and_why(tmp_path: Path, content: str) -> None:
    path = tmp_path / "ready.json"
    path.write_text(content)
    with pytest.raises(CtApiError, match="ready file"):
        read_ready_file(path)
    with pytest.raises(CtApiError, match="scada-emu run --ready-file"):
        read_ready_file(tmp_path / "missing.json")


def test_the_pair_client_reads_the_ready_file_as_the_client_does(tmp_path: Path) -> None:
    with pytest.raises(CtApiError, match="scada-emu run --ready-file"):
        servers_from_ready(tmp_path / "missing.json", "alarm")
    path = tmp_path / "ready.json"
    path.write_text('{"listeners": 3}')
    with pytest.raises(CtApiError, match="ready file"):
        servers_from_ready(path, "alarm")


# --- the compatibility matrix -------------------------------------------------------------------


def _target(plain: int | None, tls: int | None) -> Target:
    return Target("PC", "127.0.0.1", plain, tls, known=True)


SERVERS = {"unencrypted": _target(2073, None), "mixed": _target(2073, 3073)}
SERVERS["encrypted"] = _target(None, 3073)

#: Reference section 4: client row, server column.
MATRIX = {
    ("unencrypted", "unencrypted"): [Attempt(2073, False)],
    ("unencrypted", "mixed"): [Attempt(2073, False)],
    ("unencrypted", "encrypted"): None,
    ("mixed", "unencrypted"): [Attempt(2073, False)],
    ("mixed", "mixed"): [Attempt(3073, True), Attempt(2073, False)],
    ("mixed", "encrypted"): [Attempt(3073, True)],
    ("encrypted", "unencrypted"): None,
    ("encrypted", "mixed"): [Attempt(3073, True)],
    ("encrypted", "encrypted"): [Attempt(3073, True)],
}


@pytest.mark.parametrize(("client", "server"), sorted(MATRIX))
def test_compatibility_matrix(client: str, server: str) -> None:
    expected = MATRIX[(client, server)]
    if expected is None:
        with pytest.raises(CtApiConnectionError) as error:
            attempts(client, SERVERS[server])
        assert error.value.name == "connection_refused"
        assert f"asked for an {client} connection" in error.value.message
    else:
        assert attempts(client, SERVERS[server]) == expected


def test_ports_given_by_the_caller_override_the_directory() -> None:
    assert attempts("encrypted", _target(2073, 3073), port=5000) == [Attempt(5000, True)]
    assert attempts("mixed", _target(None, None), port=1, tls_port=2) == [
        Attempt(2, True),
        Attempt(1, False),
    ]
    with pytest.raises(CtApiConnectionError, match="encryption must be one of"):
        attempts("tls", _target(1, 2))


def test_listener_names_are_matched_per_address() -> None:
    two_cards = [
        CtApiListener("PC", "10.0.0.1", 2073, False),
        CtApiListener("PC", "10.0.0.2", 2073, False),
        CtApiListener("PC", "10.0.0.2", 3073, True),
    ]
    assert locate("10.0.0.1", two_cards).tls_port is None
    assert locate("10.0.0.2", two_cards).tls_port == 3073
    assert locate("PC", two_cards).address == "10.0.0.1"


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "LOCALHOST"])
def test_a_loopback_address_no_listener_owns_is_the_local_computer(host: str) -> None:
    # pyctapi's examples (examples/test_wrapper.py) open "127.0.0.1": on the runtime's own
    # machine that is the local computer (docs/ctapi.md "Our decisions").
    listeners = [
        CtApiListener("SCADA-A", "127.0.10.1", 2073, False),
        CtApiListener("SCADA-B", "127.0.10.2", 2073, False),
    ]
    target = locate(host, listeners)
    assert (target.computer, target.address, target.plain_port) == ("SCADA-A", "127.0.10.1", 2073)
    assert locate("127.0.10.2", listeners).computer == "SCADA-B"
    assert locate("10.9.9.9", listeners).known is False
