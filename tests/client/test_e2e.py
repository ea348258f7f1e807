"""The client against the real emulator (Supervisor + CtAPI process) on 2073 and 3073 alike.

Sessions are opened in the test body, not in fixtures: pytest-asyncio may tear a fixture down
in another task than it set it up, and both the supervisor and a session hold a task group.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest

from emulator.client.encryption import Encryption
from emulator.client.errors import CtApiConnectionError, CtApiError
from emulator.client.session import FIND_SCROLL_LAST, Session, connect
from emulator.protocol import errors as codes
from emulator.protocol.ctapi_flags import CT_LIST_EVENT, CT_LIST_EVENT_NEW, CT_OPEN_CRYPT
from emulator.protocol.errors import citect
from tests.client.emulator import encrypted_only, running

ENCRYPTIONS = pytest.mark.parametrize("encryption", ["unencrypted", "encrypted"])


@asynccontextmanager
async def engineer_on_scada_a(state_dir: Path, encryption: Encryption) -> AsyncIterator[Session]:
    """engineer/control on SCADA-A of the demo plant, on 2073 or on 3073."""
    async with (
        running(state_dir) as demo,
        connect(
            "SCADA-A", user="engineer", password="control", encryption=encryption, ready=demo.ready
        ) as opened,
    ):
        assert opened.encrypted == (encryption == "encrypted")
        yield opened


@ENCRYPTIONS
async def test_read_write_and_version(tmp_path: Path, encryption: Encryption) -> None:
    async with engineer_on_scada_a(tmp_path, encryption) as session:
        assert session.hello["computer"] == "SCADA-A"
        assert session.login["user"] == "engineer"
        assert not session.read_only
        assert await session.tag_read("PUMP1_SPEED") == "1200"
        await session.tag_write("VALVE_TRANSFER_POS", 40)
        assert await session.tag_read("VALVE_TRANSFER_POS") == "40"
        await session.tag_write("PUMP2_CMD", True)
        assert await session.tag_read("PUMP2_CMD") == "1"
        assert re.fullmatch(r"\d+(\.\d+)*", await session.cicode("Version(3)"))
        value = await session.tag_read_ex("TANK1_LEVEL")
        assert value.value == "62.0"
        assert value.quality.general == 3  # QUAL_GOOD
        assert value.timestamp > 0


@ENCRYPTIONS
async def test_unknown_tag_and_out_of_range(tmp_path: Path, encryption: Encryption) -> None:
    async with engineer_on_scada_a(tmp_path, encryption) as session:
        with pytest.raises(CtApiError) as missing:
            await session.tag_read("NO_SUCH_TAG")
        assert (missing.value.code, missing.value.name) == (citect(424), "tag_not_found")
        assert missing.value.is_citect
        with pytest.raises(CtApiError) as too_fast:
            await session.tag_write("PUMP1_SPEED", 99999)
        assert too_fast.value.name == "out_of_range"
        assert session.is_open  # a Plant SCADA error leaves the link fine


@ENCRYPTIONS
async def test_a_tag_list_with_events(tmp_path: Path, encryption: Encryption) -> None:
    async with engineer_on_scada_a(tmp_path, encryption) as session:
        tags = await session.list_new(CT_LIST_EVENT)
        speed = await session.list_add(tags, "PUMP2_SPEED")
        level = await session.list_add_ex(tags, "TANK2_LEVEL", poll_period_ms=100, deadband=0.5)
        missing = await session.list_add(tags, "NO_SUCH_TAG")  # a handle even when unknown
        failed = await session.list_read(tags)
        assert list(failed) == [missing]
        assert failed[missing].name == "tag_not_found"
        with pytest.raises(CtApiError) as error:
            await session.list_data(missing)
        assert error.value.code == citect(424)
        assert await session.list_data(speed) == "0"
        assert await session.list_data(level) == "35.0"
        new = set()
        while (handle := await session.list_event(tags, CT_LIST_EVENT_NEW)) is not None:
            new.add(handle)
        assert {speed, level} <= new
        await session.tag_write("PUMP2_SPEED", 700)
        await session.list_read(tags)
        assert await session.list_event(tags) == speed
        assert await session.list_event(tags) is None
        assert await session.list_data(speed) == "700"
        await session.list_write(speed, 800)
        await session.list_delete(level)
        with pytest.raises(CtApiError) as deleted:
            await session.list_data(level)
        assert deleted.value.name == "unknown_handle"
        await session.list_free(tags)
        assert await session.tag_read("PUMP2_SPEED") == "800"


@ENCRYPTIONS
async def test_requests_pipeline_on_one_link(tmp_path: Path, encryption: Encryption) -> None:
    tags = ["PUMP1_SPEED", "TANK1_LEVEL", "FLOW_IN", "PRODUCT_CODE", "BATCH_COUNT"] * 4
    results: dict[int, str] = {}
    async with engineer_on_scada_a(tmp_path, encryption) as session:

        async def read(index: int, tag: str) -> None:
            results[index] = await session.tag_read(tag)

        async with anyio.create_task_group() as task_group:
            for index, tag in enumerate(tags):
                task_group.start_soon(read, index, tag)
    for index, tag in enumerate(tags):
        assert results[index] == results[tags.index(tag)]
    assert results[3] == "BLEND-A42"


@ENCRYPTIONS
async def test_bad_password(tmp_path: Path, encryption: Encryption) -> None:
    async with running(tmp_path) as demo:
        with pytest.raises(CtApiError) as error:
            await connect(
                "SCADA-A",
                user="engineer",
                password="wrong",
                encryption=encryption,
                ready=demo.ready,
            )
    assert (error.value.code, error.value.name) == (citect(274), "login_failed")


@ENCRYPTIONS
async def test_read_only_sessions_refuse_writes_and_cicode(
    tmp_path: Path, encryption: Encryption
) -> None:
    async with (
        running(tmp_path) as demo,
        connect(
            "SCADA-A",
            user="engineer",
            password="control",
            read_only=True,
            encryption=encryption,
            ready=demo.ready,
        ) as flagged,
        connect(
            "SCADA-A", user="operator", password="view", encryption=encryption, ready=demo.ready
        ) as operator,
    ):
        for session in (flagged, operator):
            assert session.read_only
            assert await session.tag_read("PUMP1_SPEED")
            with pytest.raises(CtApiError) as write:
                await session.tag_write("PUMP1_SPEED", 1)
            assert (write.value.code, write.value.name) == (
                codes.ACCESS_DENIED.code,
                "access_denied",
            )
            with pytest.raises(CtApiError) as cicode:
                await session.cicode("Version(3)")
            assert cicode.value.name == "access_denied"


async def test_ip_resolves_to_the_computer_name_for_tls(tmp_path: Path) -> None:
    async with (
        running(tmp_path) as demo,
        connect(
            "127.0.10.2",
            user="engineer",
            password="control",
            encryption="encrypted",
            ready=demo.ready,
        ) as session,
    ):
        assert session.encrypted
        assert session.hello["computer"] == "SCADA-B"
        assert session.target is not None
        assert session.target.computer == "SCADA-B"


async def test_crypt_is_refused_on_the_plain_port(tmp_path: Path) -> None:
    async with running(tmp_path) as demo:
        with pytest.raises(CtApiError) as error:
            await connect(
                "SCADA-A",
                user="engineer",
                password="control",
                encryption="unencrypted",
                mode=CT_OPEN_CRYPT,
                ready=demo.ready,
            )
    assert error.value.name == "encryption_unavailable"


async def test_plaintext_client_against_an_encrypted_only_server(tmp_path: Path) -> None:
    async with running(tmp_path, encrypted_only()) as secure:
        with pytest.raises(CtApiConnectionError) as refused:
            await connect(
                "SECURE-PC",
                user="engineer",
                password="control",
                encryption="unencrypted",
                ready=secure.ready,
            )
        assert refused.value.name == "connection_refused"
        assert "asked for an unencrypted connection" in refused.value.message
        assert "accepts only encrypted" in refused.value.message
        (tls_port,) = [
            x.port
            for x in secure.supervisor.listeners
            if x.endpoint.tls and x.endpoint.type == "ctapi"
        ]
        with pytest.raises(CtApiConnectionError) as plain_on_tls:
            await connect(
                "127.0.11.1",
                port=tls_port,
                user="engineer",
                password="control",
                encryption="unencrypted",
                timeout=0.3,
            )
        assert "encrypted port" in plain_on_tls.value.message
        async with connect(
            "SECURE-PC", user="engineer", password="control", ready=secure.ready
        ) as mixed:
            assert mixed.encrypted
            assert await mixed.tag_read("X") == "5"


async def test_a_port_of_another_process_is_not_ctapi(tmp_path: Path) -> None:
    async with running(tmp_path) as demo:
        (alarm,) = [x for x in demo.supervisor.listeners if x.endpoint.process == "ALARM1"]
        with pytest.raises(CtApiConnectionError) as error:
            await connect(
                "127.0.10.1",
                port=alarm.port,
                user="engineer",
                password="control",
                encryption="unencrypted",
            )
    assert "is the alarm process ALARM1 of SCADA-A, not CtAPI" in error.value.message


@ENCRYPTIONS
async def test_a_waiting_list_read_completes_on_a_change(
    tmp_path: Path, encryption: Encryption
) -> None:
    """CtAPI's overlapped ctListRead: the reply comes later, while other requests go on."""
    async with engineer_on_scada_a(tmp_path, encryption) as session:
        tags = await session.list_new(CT_LIST_EVENT)
        speed = await session.list_add_ex(tags, "PUMP1_SPEED", poll_period_ms=0)
        await session.list_read(tags)
        done = anyio.Event()

        async def wait_for_change() -> None:
            await session.list_read(tags, wait=True)
            done.set()

        async with anyio.create_task_group() as task_group:
            task_group.start_soon(wait_for_change)
            await anyio.wait_all_tasks_blocked()
            with pytest.raises(CtApiError) as busy:
                await session.list_read(tags)  # one pending read per list
            assert busy.value.name == "list_busy"
            assert not done.is_set()
            await session.tag_write("PUMP1_SPEED", 1100)  # pipelined past the waiting read
            with anyio.fail_after(5):
                await done.wait()
        assert await session.list_event(tags) == speed
        assert await session.list_data(speed) == "1100"


@ENCRYPTIONS
async def test_find_tags_and_alarms(tmp_path: Path, encryption: Encryption) -> None:
    async with engineer_on_scada_a(tmp_path, encryption) as session:
        first = await session.find_first("Tag", "TAG=PUMP1_*")
        assert first.position == 1
        assert str(first.record["TAG"]).startswith("PUMP1_")
        count = await session.find_count(first.find)
        assert count >= 4
        second = await session.find_next(first.find)
        assert second.position == 2
        assert (await session.find_prev(first.find)).record == first.record
        last = await session.find_scroll(first.find, FIND_SCROLL_LAST)
        assert last.position == count
        with pytest.raises(CtApiError) as past:
            await session.find_next(first.find)
        assert past.value.name == "no_more_records"
        await session.find_close(first.find)
        with pytest.raises(CtApiError) as closed:
            await session.find_count(first.find)
        assert closed.value.name == "unknown_handle"
        speeds = await session.find_all("Tag", "TAG=PUMP?_SPEED")
        assert [(r["TAG"], r["ENG_UNITS"]) for r in speeds] == [
            ("PUMP1_SPEED", "rpm"),
            ("PUMP2_SPEED", "rpm"),
        ]
        assert await session.find_all("Tag", "TAG=NOTHING*") == []
        alarms = await session.find_all("DigAlm")
        assert "PUMP1_FAULT_ALM" in {r["TAG"] for r in alarms}
