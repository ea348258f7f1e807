"""The dashboard end to end in Debian's headless chromium, driven by Playwright.

The demo plant runs in-process on ephemeral ports with the control API on 127.0.0.1:0. These
tests skip only when no chromium binary exists and CI is not set; under CI they must run
(.ci/run installs chromium). The first test takes the page's screenshot, into docs/dashboard.png
only when SCADA_EMU_UPDATE_SCREENSHOT=1 (a test run leaves the checkout as it was).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import struct
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx
import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright, expect

from emulator.control import server
from emulator.control.api import build_app
from emulator.plant.trends import TrendServer
from emulator.testing.plant import RunningPlant, start_plant

CHROMIUM = os.environ.get("SCADA_EMU_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "dashboard.png"
#: Set to 1 to write SCREENSHOT anew (the README and docs/dashboard.md show it).
UPDATE_SCREENSHOT = "SCADA_EMU_UPDATE_SCREENSHOT"
#: Milliseconds any one expectation waits for the page (the stream sends within 0.5 s).
WAIT_MS = 5000

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).is_file() and not os.environ.get("CI"),
    reason=f"no chromium at {CHROMIUM}: `apt-get install chromium` (under CI these tests run)",
)
expect.set_options(timeout=WAIT_MS)


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()


def console_errors(page: Page) -> list[str]:
    """Every console error and uncaught exception of the page, as it happens."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    return errors


async def advance(plant: RunningPlant, seconds: float) -> None:
    """Move the virtual clock; the trends primary samples at once (as the plant scan would)."""
    await plant.advance(seconds)
    trends = getattr(plant.supervisor.process("TREND1").process, "trends", None)
    assert isinstance(trends, TrendServer)
    trends.sample(plant.clock.now())


async def test_the_demo_plant_lives_in_the_page(tmp_path: Path) -> None:
    async with (
        start_plant(control=True, clock="virtual", grace=0.1) as plant,
        chromium() as browser,
    ):
        assert plant.control_url is not None
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        errors = console_errors(page)
        async with httpx.AsyncClient(base_url=plant.control_url) as api:
            await page.goto(plant.control_url + "/")
            await expect(page.locator("#live")).to_have_text("live")
            await expect(page.locator("#project")).to_have_text("Demo Plant")

            # the processes, with their states and the alarm pair's roles
            alarm1 = page.locator('[data-process="SCADA-A/ALARM1"]')
            alarm2 = page.locator('[data-process="SCADA-B/ALARM2"]')
            await expect(alarm1).to_have_attribute("data-state", "running")
            await expect(alarm1).to_have_attribute("data-role", "main")
            await expect(alarm2).to_have_attribute("data-role", "standby")
            processes = page.locator("[data-process]")
            await expect(processes).to_have_count(len(plant.manager.processes()))
            await expect(page.locator('[data-process="SCADA-A/CtAPI"] .listener')).to_have_count(2)

            # a tag value moves (driven through the control API)
            await api.put("/tags/TANK1_TEMP", json={"value": 33.3})
            await expect(page.locator('[data-tag="TANK1_TEMP"] .value')).to_have_text("33.3")

            # an alarm comes; acknowledged in the page, it reads acknowledged through CtAPI
            await api.put("/tags/PUMP1_FAULT", json={"value": True})
            row = page.locator('[data-alarm="PUMP1_FAULT_ALM"]')
            await expect(row).to_have_attribute("data-state", "ON unacknowledged")
            await row.get_by_role("button", name="Ack").click()
            await expect(row).to_have_attribute("data-state", "ON acknowledged")
            async with plant.client("SCADA-B") as session:
                assert await session.tag_read("PUMP1_FAULT_ALM.Ack") == "1"
                # ON with the acknowledged mask (1068486)
                assert await session.tag_read("PUMP1_FAULT_ALM.State") == "257"

            # a write from the page, as a CtAPI client writes: the overfill alarm trips
            setpoint = page.locator('[data-tag="TANK1_HIGH_SP"]')
            await setpoint.get_by_role("button", name="Set").click()
            await setpoint.get_by_role("textbox").fill("55")
            await setpoint.get_by_role("button", name="Write").click()
            await expect(setpoint.locator(".value")).to_have_text("55.0")
            assert plant.tag("TANK1_HIGH_SP") == 55.0
            overfill = page.locator('[data-alarm="TANK1_OVERFILL"]')
            await expect(overfill).to_have_attribute("data-state", "ON unacknowledged")

            # the alarm list filters by state
            alarm_filter = page.get_by_label("Show alarms in state")
            await alarm_filter.select_option("unacknowledged")
            await expect(row).to_be_hidden()
            await expect(overfill).to_be_visible()
            await expect(page.locator("#alarm-filtered")).to_contain_text("hidden by the state")
            await alarm_filter.select_option("ON acknowledged")
            await expect(row).to_be_visible()
            await expect(overfill).to_be_hidden()
            await alarm_filter.select_option("")
            await expect(overfill).to_be_visible()

            # trends draw history and live samples
            for _ in range(40):
                await advance(plant, 3.0)
            chart = page.locator('[data-trend="TANK1_LEVEL"]')
            # one sample a second from 0 to 120 s, none missing (it used to accept 40..99: most
            # samples were lost between advances before virtual time was exact)
            await expect(chart).to_have_attribute("data-points", "121")
            # a uPlot chart: time ticks on its axis, the values under the cursor in its legend
            await expect(chart).to_have_attribute(
                "data-ticks", re.compile(r"^\d\d:\d\d:\d\d( \d\d:\d\d:\d\d)+$")
            )
            await expect(chart.locator("canvas")).to_have_count(1)
            legend = chart.locator(".u-legend .u-series")
            await expect(legend.nth(1).locator(".u-value")).to_have_text("--")
            await chart.locator(".u-over").hover()
            await expect(legend.nth(1).locator(".u-value")).to_have_text(
                re.compile(r"^\d+\.\d\d %$")
            )
            await expect(legend.nth(0).locator(".u-value")).to_have_text(
                re.compile(r"^2026-01-01 00:0\d:\d\d$")
            )

            # the traffic view: requests per listener, a connection's last exchanges
            async with plant.client("SCADA-A") as session:
                assert await session.tag_read("TANK1_LEVEL")
                traffic = page.locator("#traffic")
                await expect(traffic.locator("#traffic-connection option")).to_have_count(1)
                exchange = traffic.locator('#exchange-list li[data-op="tag.read"]')
                await expect(exchange).to_contain_text("TANK1_LEVEL")
                await expect(exchange.locator(".reply")).to_contain_text('"ok":true')
                opened = traffic.locator('#exchange-list li[data-op="open"]')
                await expect(opened).to_contain_text('"password":"***"')
                rows = traffic.locator("#traffic-table tbody tr")
                busy = rows.filter(has=page.locator(".connections", has_text=re.compile("^1$")))
                await expect(busy).to_have_count(1)
                await expect(busy.locator(".requests")).to_have_text(re.compile(r"^[2-9]\d*$"))

            # a fault added and cleared from the page
            form = page.locator("#fault-form")
            await form.get_by_label("Name").fill("slow alarms")
            await form.get_by_label("Kind").select_option("latency")
            # no target until one is chosen: never every process by default
            await expect(form.get_by_label("Process")).to_have_value("")
            await form.locator('input[name="amount"]').fill("250")
            await form.get_by_role("button", name="Add fault").click()
            assert plant.manager.faults.active == {}
            await expect(page.locator('[data-fault="slow alarms"]')).to_have_count(0)
            await form.get_by_label("Process").select_option("ALARM2")
            await form.locator('input[name="amount"]').fill("250")
            await form.get_by_role("button", name="Add fault").click()
            fault = page.locator('[data-fault="slow alarms"]')
            await expect(fault).to_have_attribute("data-active", "true")
            assert plant.manager.faults.active["slow alarms"].latency == 250.0
            await fault.get_by_role("button", name="Clear").click()
            await expect(fault).to_have_attribute("data-active", "false")

            # the primary alarm server crashes: the standby becomes main and serves the list
            await expect(alarm1.get_by_role("button", name="Start")).to_be_disabled()
            await alarm1.get_by_role("button", name="Crash").click()
            await expect(alarm1).to_have_attribute("data-state", "failed")
            await expect(alarm1.get_by_role("button", name="Start")).to_be_enabled()
            await expect(alarm2).to_have_attribute("data-role", "main")
            await expect(page.locator("#alarm-server")).to_have_text("from ALARM2")
            await expect(row).to_have_attribute("data-state", "ON acknowledged")
            await expect(page.locator("#health")).to_have_text("unhealthy")
            await page.locator("#toast").evaluate("node => { node.hidden = true; }")
            update = os.environ.get(UPDATE_SCREENSHOT) == "1"
            shot = SCREENSHOT if update else tmp_path / "dashboard.png"
            await page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000  # a page, not a blank
        await page.close()
        assert errors == []


@asynccontextmanager
async def guarded_control(plant: RunningPlant, token: str) -> AsyncIterator[str]:
    """A second control API on the same plant, with a token: its URL."""
    app = build_app(plant.manager, token)
    async with anyio.create_task_group() as tg:
        url = await tg.start(server.serve, app, server.bind("127.0.0.1", 0), token)
        yield url
        tg.cancel_scope.cancel()


async def test_a_narrow_window_with_a_token() -> None:
    token = "a-token-for-the-dashboard-test"
    async with (
        start_plant(clock="virtual", grace=0.1) as plant,
        guarded_control(plant, token) as url,
        chromium() as browser,
    ):
        page = await browser.new_page(viewport={"width": 380, "height": 800})
        errors = console_errors(page)
        await page.goto(f"{url}/?token={token}")
        assert page.url == f"{url}/"
        await expect(page.locator("#live")).to_have_text("live")
        await expect(page.locator('[data-process="SCADA-A/ALARM1"]')).to_be_visible()
        plant.set_tag("PUMP1_FAULT", True)
        await expect(page.locator('[data-alarm="PUMP1_FAULT_ALM"] button')).to_be_visible()
        widths = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"the page scrolls sideways at 380 px: {widths}"
        alarms = page.locator("#alarms .scroll").first
        inner = await alarms.evaluate("node => [node.scrollWidth, node.clientWidth]")
        assert inner[0] <= inner[1], f"the alarm list scrolls sideways at 380 px: {inner}"
        await page.get_by_placeholder("Search tags").fill("pump2")
        await expect(page.locator("#tag-table tbody tr:visible")).to_have_count(5)
        await page.close()
        assert errors == []


def _png_pixels(path: Path) -> tuple[int, int, set[bytes]]:
    """(width, height, the distinct colours) of an 8-bit RGB or RGBA PNG, unfiltered."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        (size,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + size]
        pos += 12 + size
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
    raw, stride = zlib.decompress(idat), width * channels
    previous, colours = bytearray(stride), set[bytes]()
    for y in range(height):
        row_filter = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up, corner = previous[x], previous[x - channels] if x >= channels else 0
            if row_filter == 1:
                line[x] = (line[x] + left) & 0xFF
            elif row_filter == 2:
                line[x] = (line[x] + up) & 0xFF
            elif row_filter == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif row_filter == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                near = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[x] = (line[x] + near) & 0xFF
        if y % 8 == 0:
            colours |= {bytes(line[x : x + 3]) for x in range(0, stride, channels * 4)}
        previous = line
    return width, height, colours


def readme_command() -> list[str]:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    (line,) = [x for x in readme.splitlines() if x.startswith("chromium --headless")]
    return shlex.split(line)


async def test_the_readmes_screenshot_command_shows_the_plant(tmp_path: Path) -> None:
    command = readme_command()
    assert command[-1] == "http://127.0.0.1:8787/" and "--screenshot=dashboard.png" in command
    async with start_plant(control=True, clock="virtual", grace=0.1) as plant:
        assert plant.control_url is not None
        shot = tmp_path / "dashboard.png"
        argv = [CHROMIUM, *command[1:-1], plant.control_url + "/"]
        argv = [f"--screenshot={shot}" if a.startswith("--screenshot=") else a for a in argv]
        root = ["--no-sandbox"] if os.geteuid() == 0 else []
        with anyio.fail_after(60):
            done = await anyio.run_process([*argv[:1], *root, *argv[1:]], check=False)
            dom = await anyio.run_process(
                [CHROMIUM, "--headless", *root, "--dump-dom", plant.control_url + "/"],
                check=False,
            )
    assert done.returncode == 0 and shot.is_file(), done.stderr.decode()
    width, height, colours = _png_pixels(shot)
    assert (width, height) == (1280, 2400)
    assert len(colours) > 40, f"the screenshot looks blank: {len(colours)} colours"
    # what chromium had drawn when it shot (at load): the plant, not the empty page
    text = dom.stdout.decode()
    assert 'data-process="SCADA-A/ALARM1"' in text
    assert re.search(r'data-trend="TANK1_LEVEL" data-points="[1-9]', text), "no trend drawn"
    assert '<h1 id="project">Demo Plant</h1>' in text
