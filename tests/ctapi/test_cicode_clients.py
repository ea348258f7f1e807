"""Cicode as CtAPI clients call it (issue 14 item 3), through the CtAPI handler (no sockets).

Sources per test: ctapi-behaviour.md "Cicode through ctCicode" (a failing function returns its
error code as its result, AlarmAckTag 1033447; ctCicode fails only when the call could not be
made), UserInfo 1192352, and the client habits it names (unquoted names, empty trailing
arguments built by string formatting).
"""

from __future__ import annotations

import pytest

from emulator.protocol import errors
from tests.ctapi.helpers import NOW, Session


def cicode(session: Session, command: str) -> str:
    result: str = session.ok("cicode", command=command)["result"]
    return result


def number(error: errors.ErrorCode) -> str:
    """The result a failing function gives: the Plant SCADA number without the base."""
    return str(error.code - errors.ERROR_USER_DEFINED_BASE)


@pytest.fixture
def session() -> Session:
    s = Session()
    s.open()
    return s


def test_a_failing_function_returns_its_error_number_and_ctcicode_succeeds(
    session: Session,
) -> None:
    # AlarmAckTag 1033447 "0 if successful, otherwise an error code"; TagWrite likewise.
    assert cicode(session, 'TagWrite("TANK1_LEVEL", 5)') == number(errors.TAG_READ_ONLY)
    assert cicode(session, 'TagWrite("NO_SUCH_TAG", 5)') == "424"
    assert cicode(session, 'TagWrite("PUMP1_SPEED", "fast")') == "274"
    assert cicode(session, 'TagWrite("PUMP2_CMD", 1)') == "0"
    # a call that cannot be made still fails ctCicode
    assert session.error("cicode", command="NoSuchFunction()") == "unknown_function"
    assert session.error("cicode", command="TagWrite(1)") == "invalid_argument"
    assert session.error("cicode", command="TagWrite(") == "cicode_syntax"


def test_userinfo_getpriv_login_logout(session: Session) -> None:
    # UserInfo 1192352: 1 is the login name; 0 and 2..6 are ours (docs/ctapi.md).
    assert cicode(session, "UserInfo(1)") == "engineer"
    assert cicode(session, "UserInfo(2)") == "Plant engineer"
    assert cicode(session, "UserInfo(0)") == "1"
    assert cicode(session, "UserInfo(3)") == "00:00:00"  # NOW is 2026-01-01 00:00:00 UTC
    assert cicode(session, "UserInfo(4)") == "01/01/2026"
    assert cicode(session, "UserInfo(5)") == ""
    assert session.error("cicode", command="UserInfo(7)") == "out_of_range"
    assert cicode(session, "GetPriv(8, 255)") == "1"
    assert session.error("cicode", command="GetPriv(9, 0)") == "out_of_range"
    # Login(user, password, ...) switches the session's Cicode user; Logout() returns
    assert cicode(session, 'Login("operator", "view")') == "0"
    assert cicode(session, "Name()") == "operator"
    assert cicode(session, "UserInfo(0)") == "2"
    assert cicode(session, "GetPriv(1, 0)") == "0"  # a read-only user: level 0 only
    assert cicode(session, "GetPriv(0, 0)") == "1"
    assert cicode(session, 'Login("operator", "wrong")') == "274"  # login_failed, as a result
    assert cicode(session, "Logout()") == "0"
    assert cicode(session, "Name()") == "engineer"
    assert cicode(session, "Login(operator, view, , )") == "0"  # unquoted, empty trailing
    assert cicode(session, "Name()") == "operator"
    assert session.ok("close")
    session.open()
    assert cicode(session, "Name()") == "engineer"  # a new session starts as who opened it


def test_page_display_and_shutdown_return_documented_numbers(session: Session) -> None:
    # ctapi-behaviour.md: PageDisplay (no pages here: document what it returns); Shutdown
    # refuses with a documented code and never stops the emulator.
    assert cicode(session, 'PageDisplay("Menu")') == number(errors.NO_PAGES)
    assert cicode(session, "PageDisplay(Menu)") == number(errors.NO_PAGES)
    assert cicode(session, "Shutdown()") == number(errors.SHUTDOWN_REFUSED)
    assert cicode(session, 'Shutdown("SCADA-A", "Demo", 1, )') == number(errors.SHUTDOWN_REFUSED)
    assert cicode(session, "Version(3)") == "8.40"  # still serving


def test_unquoted_names_and_empty_arguments(session: Session) -> None:
    # ctapi-behaviour.md: clients build calls by string formatting: unquoted names, empty
    # trailing arguments; Plant SCADA's argument conversion accepts them.
    assert cicode(session, "TagRead(PUMP1_SPEED)") == "1200"  # a name argument: the name
    assert cicode(session, "TagRead(PUMP1_SPEED, , )") == "1200"
    assert cicode(session, "TagRead(TANK_LEVELS, 2, CLUSTER1)") == "50.0"
    assert cicode(session, "TagWrite(PUMP2_CMD, 1, , , )") == "0"
    assert session.plant.read("PUMP2_CMD").value == "1"
    assert cicode(session, "StrLength(NO_SUCH_NAME)") == "12"  # no tag: the name as text
    assert cicode(session, "StrLength(PUMP1_SPEED)") == "4"  # a tag: its value ("1200")
    assert cicode(session, 'StrMid("hello", , 2)') == "he"  # an empty argument is 0 / ""
    assert cicode(session, "Version(,)") == "8.40"  # only empty trailing arguments: none
    assert session.error("cicode", command="Version(, 1)") == "invalid_argument"  # two


def test_time_and_string_functions_clients_use(session: Session) -> None:
    # ctapi-behaviour.md: TimeCurrent(), Version(n), string functions of a client script
    assert cicode(session, "TimeCurrent()") == str(int(NOW))
    assert cicode(session, "Version(0) + Version(1)") == "840"
    assert cicode(session, 'StrUpper(StrTrim("  a b  ")) + IntToStr(StrToInt("42x"))') == "A B42"
