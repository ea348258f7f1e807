"""CtAPI logins against the [[users]] table. Documented in docs/plant.md ("Users").

A remote ctOpen needs a known user and a non-blank password (reference section 5). The check
takes the same path whether or not the user exists, so neither the answer nor its timing tells.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence

from emulator.plant.config import User

#: Compared against when the user does not exist, so that path costs the same.
_NOBODY = User(name="", password=secrets.token_hex(16))


def authenticate(users: Sequence[User], name: str, password: str) -> User | None:
    """The user `name` (case-insensitive) when `password` is theirs and non-blank, else None."""
    found = next((u for u in users if u.name.casefold() == name.casefold()), None)
    candidate = found if found is not None else _NOBODY
    matches = hmac.compare_digest(candidate.password.encode(), password.encode())
    if found is None or not matches or not password.strip():
        return None
    return found
