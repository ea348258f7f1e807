"""Slots for those who log in (issue 18.2): a connection that does not log in within the
deadline is closed whatever it sends, and connections not logged in have slots of their own,
so they cannot lock logged-in clients out of CtAPI or a server port (docs/security.md,
"Slots")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio

from emulator.ports import ProcessType
from emulator.runtime.limits import Limits
from tests.hardening.helpers import TIMEOUT, Client, connect, demo, kinds, poll_until

OPEN = {"op": "open", "user": "engineer", "password": "control"}


async def pinging_until_closed(client: Client) -> dict[str, Any]:
    """Ping every 50 ms until the server ends the connection; the frame it ended with."""
    with anyio.fail_after(TIMEOUT):
        while True:
            await client.send({"id": "p", "op": "ping"})
            frame = await client.frame()
            if frame.get("id") != "p":
                return frame
            await anyio.sleep(0.05)


async def test_pings_do_not_keep_a_connection_that_never_logs_in(state_dir: Path) -> None:
    async with demo(state_dir, limits=Limits(login_timeout=0.3)) as sup:
        listeners = kinds(sup)
        for kind in ("ctapi", "ctapi-tls", "alarm"):
            client = await connect(sup, listeners[kind], login=False)
            frame = await pinging_until_closed(client)
            assert frame["error"]["name"] == "login_timeout", (kind, frame)
            assert "log in within 0.3 s of connecting" in frame["error"]["message"]
            await client.aclose()
        # Logged in in time, a client stays past the deadline: CtAPI's open, a server port's
        # auth (connect logs in as a server there, docs/protocol.md "Server authentication").
        ctapi, alarm = (
            await connect(sup, listeners["ctapi"]),
            await connect(sup, listeners["alarm"]),
        )
        assert (await ctapi.request(**OPEN))["ok"]
        assert (await alarm.request("alarm.list"))["ok"]
        await anyio.sleep(0.5)
        for client in (ctapi, alarm):
            assert (await client.request("ping"))["ok"]
            await client.aclose()


async def test_connections_that_never_log_in_cannot_lock_out_those_who_do(
    state_dir: Path,
) -> None:
    limits = Limits(max_connections={ProcessType.CTAPI: 3, ProcessType.ALARM: 2}, evict_after=0.1)
    async with demo(state_dir, limits=limits) as sup:
        listeners = kinds(sup)
        for kind, limit, login in (("ctapi", 3, OPEN), ("alarm", 2, {"op": "alarm.list"})):
            squatters = [await connect(sup, listeners[kind], login=False) for _ in range(limit)]
            for squatter in squatters:
                assert (await squatter.request("ping"))["ok"]
            await anyio.sleep(0.15)  # older than evict_after
            good = await connect(sup, listeners[kind])  # on the alarm port: its auth
            assert (await good.request(**login))["ok"], kind
            closed = await squatters[0].frame()  # the oldest made room
            assert closed == {"event": "closing", "reason": closed["reason"]}
            assert "closed to make room" in str(closed["reason"])
            for squatter in squatters[1:]:
                assert (await squatter.request("ping"))["ok"]
            for client in (*squatters, good):
                await client.aclose()


async def test_a_full_server_says_why_it_refuses(state_dir: Path) -> None:
    limits = Limits(max_connections={ProcessType.CTAPI: 2})
    async with demo(state_dir, limits=limits) as sup:
        plain, tls = kinds(sup)["ctapi"], kinds(sup)["ctapi-tls"]
        held = [await connect(sup, plain), await connect(sup, tls)]
        for client in held:
            assert (await client.request(**OPEN))["ok"]
        ctapi = sup.process("CtAPI", "SCADA-A")
        assert len(ctapi.logged_in) == 2 and not ctapi.prelogin
        refused = await connect(sup, plain, hello=False)
        frame = await refused.frame()
        assert frame["error"]["name"] == "too_many_connections"
        assert "serves 2 at most, all logged in" in frame["error"]["message"]
        await refused.aclose()
        # Young connections that have not logged in fill their own slots: told so, not evicted.
        await held.pop().aclose()
        await poll_until(lambda: len(ctapi.logged_in) == 1, "a logged-in slot is free")
        waiting = [await connect(sup, plain) for _ in range(2)]
        late = await connect(sup, plain, hello=False)
        frame = await late.frame()
        assert frame["error"]["name"] == "too_many_connections"
        assert "2 connections are logging in: try again" in frame["error"]["message"]
        for client in (*held, *waiting, late):
            await client.aclose()
