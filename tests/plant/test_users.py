"""CtAPI logins: a known user, the right non-blank password; one answer for every failure."""

from __future__ import annotations

from emulator.plant.config import User
from emulator.plant.users import authenticate

USERS = [
    User(name="engineer", password="control"),
    User(name="operator", password="view", read_only=True),
    User(name="blank", password=""),
]


def test_the_right_password_logs_in_whatever_the_case_of_the_name() -> None:
    user = authenticate(USERS, "ENGINEER", "control")
    assert user is not None and user.name == "engineer"


def test_every_failure_is_the_same_none() -> None:
    assert authenticate(USERS, "engineer", "Control") is None
    assert authenticate(USERS, "nobody", "control") is None
    assert authenticate(USERS, "blank", "") is None
    assert authenticate(USERS, "", "") is None
    assert authenticate([], "engineer", "control") is None
