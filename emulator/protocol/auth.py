"""Server authentication, both sides: the challenge in a server port's hello and the proof of
the shared server password (docs/protocol.md, "Server authentication"). Sans-IO.

Plant SCADA's servers trust each other by sharing one stored server password (reference
section 8); how they prove it is not published, so this is ours: the hello carries a random
`challenge`, and a server answers with HMAC-SHA256 of it keyed by the password. The password
never crosses the wire, and a proof is worth nothing on another connection.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping

#: The request that logs a connection to a server port in.
AUTH = "auth"
#: The account the login throttle counts server-password failures against
#: (emulator.runtime.logins).
SERVER_ACCOUNT = "*server*"
#: What the proof's MAC covers besides the challenge, so it proves nothing anywhere else.
_LABEL = b"plant-scada-emulator server password\n"


def challenge() -> str:
    """A fresh challenge for one connection's hello (128 random bits, hex)."""
    return secrets.token_hex(16)


def proof(password: str, challenge: str) -> str:
    """What a server that knows `password` answers to `challenge` (hex)."""
    mac = hmac.new(password.encode("utf-8"), _LABEL + challenge.encode("utf-8"), hashlib.sha256)
    return mac.hexdigest()


def proves(password: str, challenge: str, given: str) -> bool:
    """Whether `given` is the proof of `password` for `challenge` (constant time)."""
    return hmac.compare_digest(proof(password, challenge).encode(), given.encode("utf-8"))


def server_login(hello: Mapping[str, object], password: str) -> dict[str, str]:
    """The fields of the `auth` request a server sends after `hello` (empty: no login needed)."""
    challenge = hello.get("challenge")
    if hello.get("auth") != "required" or not isinstance(challenge, str):
        return {}
    return {"op": AUTH, "proof": proof(password, challenge)}
