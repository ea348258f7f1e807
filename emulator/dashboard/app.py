"""The dashboard's routes on the control API: the page at `/`, its assets, the live channel,
and the few actions the control API lacks (a CtAPI-style tag write, acknowledge all).

The page and its calls obey the control API's token: a browser cannot add an Authorization
header to a page load or an EventSource, so `/?token=TOKEN` trades the token for a cookie
(HttpOnly, SameSite=Strict) that `TokenCookie` turns back into the header. Documented in
docs/dashboard.md.
"""

from __future__ import annotations

import hmac
from http.cookies import CookieError, SimpleCookie
from importlib import resources
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from emulator.control.http import Operation, endpoint, problem, read_json
from emulator.control.manager import ControlError, RuntimeManager
from emulator.dashboard import stream, views
from emulator.logs import get_logger

_log = get_logger("emulator.dashboard")

COOKIE = "scada_emu_token"
#: The user the dashboard's writes and acknowledgements are logged as.
USER = "dashboard"
#: Largest body a dashboard action takes (a tag value).
MAX_BODY = 16 * 1024


def _page() -> bytes:
    return resources.files("emulator.dashboard").joinpath("static/index.html").read_bytes()


def initial_state(manager: RuntimeManager) -> bytes:
    """The snapshot as a JSON data block for the page: drawn before the page's load event, so a
    headless screenshot (`chromium --headless --screenshot`, which shoots at load) is never
    blank. Not a script (CSP allows no inline one): JSON that the page's own script parses.
    Every `<` is escaped, so no text of the plant can end the element."""
    data = views.encode(views.Watch(manager).snapshot()).replace(b"<", b"\\u003c")
    return b'<script id="initial-state" type="application/json">' + data + b"</script>\n"


async def page(request: Request, manager: RuntimeManager) -> Response:
    body = _page().replace(b"</body>", initial_state(manager) + b"</body>", 1)
    return Response(body, media_type="text/html", headers={"Cache-Control": "no-cache"})


async def state(request: Request, manager: RuntimeManager) -> Response:
    return Response(views.encode(views.Watch(manager).snapshot()), media_type="application/json")


async def live(request: Request, manager: RuntimeManager) -> Response:
    return StreamingResponse(
        stream.frames(manager),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def traffic(request: Request, manager: RuntimeManager) -> Response:
    chosen = request.query_params.get("connection")
    return Response(views.encode(views.traffic(manager, chosen)), media_type="application/json")


async def write_tag(request: Request, manager: RuntimeManager) -> Response:
    """Write a tag as a CtAPI client would: only writable tags, within range, as text."""
    body = await read_json(request, MAX_BODY)
    value = body.get("value") if isinstance(body, dict) else None
    if isinstance(value, bool):
        value = "1" if value else "0"
    if not isinstance(value, str | int | float):
        raise ControlError('write {"value": "..."}: a number, true/false or text')
    return JSONResponse(manager.write_tag(request.path_params["name"], str(value), USER))


async def acknowledge_all(request: Request, manager: RuntimeManager) -> Response:
    count = views.acknowledge_all(manager, USER)
    _log.info("alarm.acknowledged_all", by=USER, events=count)
    return JSONResponse({"acknowledged": count})


async def _static(request: Request, manager: RuntimeManager) -> Response:
    raise NotImplementedError  # pragma: no cover - the Mount below serves the files


#: The dashboard's routes, as openapi.json lists them (the control API's document).
OPERATIONS: tuple[Operation, ...] = (
    Operation("GET", "/", "The dashboard page (?token= trades the token for a cookie)", page,
              "Text", responses=(200, 303), media="text/html"),
    Operation("GET", "/dashboard/state", "The dashboard's snapshot", state, "DashboardState"),
    Operation("GET", "/dashboard/stream", "The live channel: a snapshot, then changes", live,
              "Text", media="text/event-stream"),
    Operation("GET", "/dashboard/traffic",
              "Requests per listener, open connections, the last exchanges of one (?connection=)",
              traffic, "Traffic"),
    Operation("POST", "/dashboard/tags/{name}/write", "Write a tag as a CtAPI client would",
              write_tag, "TagReading", body="DashboardWrite", responses=(200, 400, 404)),
    Operation("POST", "/dashboard/alarms/ack", "Acknowledge every alarm on the main servers",
              acknowledge_all, "Acknowledged", responses=(200, 409)),
    Operation("GET", "/dashboard/static/{file}", "The page's scripts, styles and libraries",
              _static, "Text", responses=(200, 404), media="*/*"),
)  # fmt: skip


def routes(manager: RuntimeManager) -> list[BaseRoute]:
    """The dashboard's routes, for the control API's Starlette app."""
    found: list[BaseRoute] = [
        Route(op.path, endpoint(op.call, manager), methods=[op.method])
        for op in OPERATIONS
        if op.call is not _static
    ]
    found.append(
        Mount(
            "/dashboard/static",
            app=StaticFiles(packages=[("emulator.dashboard", "static")]),
            name="dashboard-static",
        )
    )
    return found


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class SameOrigin:
    """A web page of another site must not drive the plant through its visitor's browser (a
    form or fetch to 127.0.0.1 needs no token on loopback): a request that changes something
    and that the browser marks as coming from elsewhere (Sec-Fetch-Site, or an Origin that is
    not this host) is refused with 403. Other clients (the CLI, curl, tests) send neither."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in UNSAFE_METHODS:
            headers = dict(scope.get("headers", []))
            site = headers.get(b"sec-fetch-site")
            origin = headers.get(b"origin")
            host = headers.get(b"host", b"").decode("latin-1")
            elsewhere = (site is not None and site not in (b"same-origin", b"none")) or (
                origin is not None and urlsplit(origin.decode("latin-1")).netloc != host
            )
            if elsewhere:
                _log.warning(
                    "control.cross_site_refused", method=scope["method"], path=scope["path"]
                )
                message = (
                    "a page of another site may not change this plant (Origin is not this host)"
                )
                response = problem(403, message)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class TokenCookie:
    """Outside the token check: `/?token=` sets the cookie, the cookie stands for the header."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
        if (
            scope["path"] == "/"
            and given
            and hmac.compare_digest(given[0].encode(), self.token.encode())
        ):
            response = RedirectResponse("/", status_code=303)
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="strict")
            await response(scope, receive, send)
            return
        headers = list(scope.get("headers", []))
        names = {name for name, _ in headers}
        cookie = _cookie(dict(headers).get(b"cookie", b""))
        if b"authorization" not in names and cookie is not None:
            headers.append((b"authorization", f"Bearer {cookie}".encode()))
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


def _cookie(header: bytes) -> str | None:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header.decode("latin-1"))
    except CookieError:
        return None
    morsel = jar.get(COOKIE)
    return None if morsel is None else morsel.value
