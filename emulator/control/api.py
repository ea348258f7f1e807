"""The control API's HTTP routes (Starlette): JSON in and out, an OpenAPI document built from
the same route table, and a bearer token when one is set. Documented in docs/control.md.
"""

from __future__ import annotations

import hmac
import math
import re
import typing
from typing import Any

import msgspec
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from emulator import __version__
from emulator.control import schemas
from emulator.control.headers import SecurityHeaders
from emulator.control.http import Operation, endpoint, http_error, problem, read_json
from emulator.control.manager import ControlError, RuntimeManager
from emulator.control.metrics import CONTENT_TYPE
from emulator.dashboard import app as dashboard
from emulator.logs import get_logger
from emulator.scenario.config import FaultSpec
from emulator.topology.names import nearest
from emulator.topology.plan import is_loopback

_log = get_logger("emulator.control")

#: Largest request body accepted (a fault or a tag value is a few hundred bytes).
MAX_BODY = 64 * 1024
PROCESS_ACTIONS = ("stop", "start", "crash", "hang")


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status)


async def _object(request: Request) -> dict[str, Any]:
    body = await read_json(request, MAX_BODY)
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object")
    return body


def _number(body: dict[str, Any], key: str) -> float:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ControlError(f"{key!r} must be a finite number")
    return float(value)


# ---- handlers --------------------------------------------------------------------------------


async def health(request: Request, m: RuntimeManager) -> Response:
    healthy, body = m.health()
    return _json(body, 200 if healthy else 503)


async def topology(request: Request, m: RuntimeManager) -> Response:
    data = msgspec.to_builtins(m.topology)
    for user in data.get("users", []):
        user["password"] = "***"  # noqa: S105 -- redacted, not a password
    if data.get("control", {}).get("token"):
        data["control"]["token"] = "***"  # noqa: S105
    if data.get("project", {}).get("server_password"):
        data["project"]["server_password"] = "***"  # noqa: S105
    return _json(data)


async def processes(request: Request, m: RuntimeManager) -> Response:
    return _json([v.to_json() for v in m.processes()])


async def process_action(request: Request, m: RuntimeManager) -> Response:
    action = request.path_params["action"]
    if action not in PROCESS_ACTIONS:
        raise ControlError(f"unknown action {action!r}: use {', '.join(PROCESS_ACTIONS)}", 404)
    name = request.path_params["name"]
    views = await getattr(m, action)(name, request.query_params.get("computer"))
    return _json([v.to_json() for v in views])


async def list_faults(request: Request, m: RuntimeManager) -> Response:
    return _json(m.fault_listing())


async def add_fault(request: Request, m: RuntimeManager) -> Response:
    body = await _object(request)
    if set(body) == {"name"} and isinstance(body["name"], str):
        return _json(await m.add_fault(body["name"]), 201)
    try:
        spec = msgspec.convert(body, FaultSpec)
    except msgspec.ValidationError as exc:
        raise ControlError(fault_problem(exc)) from None
    return _json(await m.add_fault(spec), 201)


_UNKNOWN = re.compile(r"Object contains unknown field `(.+)`")
_MISSING = re.compile(r"Object missing required field `(.+)`")
_ENUM = re.compile(r"Invalid enum value '(.*)' - at `\$\.(\w+)`")
_TYPE = re.compile(r"Expected `(.+?)`, got `(\w+)` - at `\$\.(\w+)`")
_WORDS = {"float": "a number", "int": "a whole number", "str": "text", "bool": "true or false"}


def fault_problem(exc: msgspec.ValidationError) -> str:
    """What is wrong with a fault body, in the words of docs/scenarios.md ("Faults"), not
    msgspec's: the attribute, what it must be, the choices."""
    text = str(exc)
    fields = FaultSpec.__struct_fields__
    if found := _UNKNOWN.fullmatch(text):
        name = found[1]
        near = nearest(name, fields)
        hint = f" (did you mean {near!r}?)" if near else ""
        return f"a fault has no attribute {name!r}{hint}; its attributes: {', '.join(fields[1:])}"
    if found := _MISSING.fullmatch(text):
        return f"a fault needs {found[1]!r} (e.g. kind=latency latency=200)"
    if found := _ENUM.fullmatch(text):
        value, name = found[1], found[2]
        return f"{name} {value!r} is not one of: {', '.join(_choices(name))}"
    if found := _TYPE.fullmatch(text):
        expected = " or ".join(_WORDS.get(w, w) for w in found[1].split(" | ") if w != "null")
        got = _WORDS.get(found[2], found[2])
        return f"{found[3]} must be {expected}, not {got}"
    return f"not a fault: {text}"


def _choices(name: str) -> tuple[str, ...]:
    hint = typing.get_type_hints(FaultSpec).get(name)
    return tuple(str(a) for a in typing.get_args(hint) if isinstance(a, str))


async def clear_fault(request: Request, m: RuntimeManager) -> Response:
    return _json(await m.clear_fault(request.path_params["name"]))


async def clear_faults(request: Request, m: RuntimeManager) -> Response:
    return _json({"cleared": await m.reset()})


async def reset(request: Request, m: RuntimeManager) -> Response:
    """Clear every active fault; with `history` (body or query), the history as well."""
    history = request.query_params.get("history", "false").casefold()
    if history not in ("true", "false", "1", "0"):
        raise ControlError("'history' must be true or false")
    wants = history in ("true", "1")
    if await request.body():
        body = await _object(request)
        unknown = set(body) - {"history"}
        if unknown:
            raise ControlError(f"unknown field(s) {', '.join(sorted(unknown))}: only 'history'")
        if not isinstance(body.get("history", False), bool):
            raise ControlError("'history' must be true or false")
        wants = wants or bool(body.get("history", False))
    answer: dict[str, Any] = {"cleared": await m.reset()}
    if wants:
        answer["history"] = m.reset_history()
    return _json(answer)


async def get_tag(request: Request, m: RuntimeManager) -> Response:
    return _json(m.read_tag(request.path_params["name"]))


async def put_tag(request: Request, m: RuntimeManager) -> Response:
    body = await _object(request)
    value = body.get("value")
    if isinstance(value, float) and not math.isfinite(value):
        raise ControlError("'value' must be finite")
    if not isinstance(value, bool | int | float | str):
        raise ControlError("'value' must be a number, true/false or a string")
    return _json(m.set_tag(request.path_params["name"], value))


async def alarms(request: Request, m: RuntimeManager) -> Response:
    return _json(m.alarms())


async def ack_alarm(request: Request, m: RuntimeManager) -> Response:
    return _json(m.acknowledge(request.path_params["name"]))


async def events(request: Request, m: RuntimeManager) -> Response:
    try:
        since = int(request.query_params.get("since", "0"))
    except ValueError:
        raise ControlError("'since' must be an event number (seq)") from None
    prefix = request.query_params.get("prefix")
    return _json(
        {
            "events": m.events.since(since, prefix),
            "last": m.events.sequence,
            "dropped": m.events.dropped,
        }
    )


async def metrics(request: Request, m: RuntimeManager) -> Response:
    body = m.context.metrics.render(m.supervisor.statuses())
    return Response(body, media_type=CONTENT_TYPE)


async def advance_clock(request: Request, m: RuntimeManager) -> Response:
    body = await _object(request)
    return _json({"now": await m.advance(_number(body, "seconds"))})


async def shift_clock(request: Request, m: RuntimeManager) -> Response:
    body = await _object(request)
    computer = body.get("computer")
    if computer is not None and not isinstance(computer, str):
        raise ControlError("'computer' must be a computer name")
    return _json({"offsets": m.shift_clock(_number(body, "seconds"), computer)})


async def run_report(request: Request, m: RuntimeManager) -> Response:
    return _json(m.run_report(request.path_params["name"]))


OPERATIONS: tuple[Operation, ...] = (
    Operation("GET", "/health", "Every process in its intended state? 200, else 503", health,
              "Health", responses=(200, 503)),
    Operation("GET", "/topology", "The topology and scenario (passwords redacted)", topology,
              "Topology"),
    Operation("GET", "/processes", "Every server process: state, intended state, listeners",
              processes, "Processes"),
    Operation("POST", "/processes/{name}/{action}",
              "stop, start, crash or hang a server process (?computer= to pick one)",
              process_action, "Processes", responses=(200, 404, 409)),
    Operation("GET", "/faults", "Defined faults, each with whether it is active", list_faults,
              "Faults"),
    Operation("POST", "/faults", "Add and activate a fault, or {name} to activate a defined one",
              add_fault, "FaultState", body="Fault", responses=(201, 400, 404)),
    Operation("DELETE", "/faults", "Clear every active fault", clear_faults, "Cleared"),
    Operation("DELETE", "/faults/{name}", "Clear one active fault", clear_fault, "FaultState",
              responses=(200, 404)),
    Operation("POST", "/reset",
              "Clear every active fault; {history: true} or ?history=true: the alarm log, "
              "alarm statuses and trend samples too", reset, "Reset",
              responses=(200, 400)),
    Operation("GET", "/tags/{name}", "A tag's value, text, quality and timestamps", get_tag,
              "TagReading", responses=(200, 404)),
    Operation("PUT", "/tags/{name}",
              "Write {value} to the tag's device, which keeps it as its kind of device would",
              put_tag, "TagReading", body="TagValue", responses=(200, 400, 404, 500)),
    Operation("GET", "/alarms", "Every configured alarm and its state", alarms, "Alarms",
              responses=(200, 409)),
    Operation("POST", "/alarms/{name}/ack", "Acknowledge an alarm", ack_alarm,
              "AlarmAcknowledged", responses=(200, 404, 409)),
    Operation("POST", "/reports/{name}/run", "Run a report now", run_report, "ReportRun",
              responses=(200, 404, 409)),
    Operation("GET", "/events", "Recent events (?since=seq&prefix=fault.)", events, "Events",
              responses=(200, 400)),
    Operation("GET", "/metrics", "Prometheus metrics", metrics, "Text",
              media=CONTENT_TYPE.split(";")[0]),
    Operation("POST", "/clock/advance", "Advance a virtual plant clock: {seconds}",
              advance_clock, "Now", body="Seconds", responses=(200, 400, 409)),
    Operation("POST", "/clock/shift", "Shift a time server's clock: {seconds, computer?}",
              shift_clock, "Offsets", body="Shift", responses=(200, 400, 404)),
)  # fmt: skip


async def _openapi_placeholder(request: Request, m: RuntimeManager) -> Response:
    raise NotImplementedError  # pragma: no cover - build_app serves the document itself


#: The document's own route, listed like the others.
OPENAPI = Operation("GET", "/openapi.json", "This document (OpenAPI 3.1)", _openapi_placeholder,
                    "OpenAPI")  # fmt: skip


def _operation(op: Operation, tag: str) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for code in op.responses:
        success = code < 400 or code == 503  # /health answers its body with 503 too
        schema = schemas.ref(op.reply) if success else schemas.ref("Error")
        media = op.media if success else "application/json"
        responses[str(code)] = {
            "description": _REASONS[code],
            "content": {media: {"schema": schema}},
        }
    for code in (401, 403, 413) if op.method != "GET" else (401, 403):
        responses.setdefault(
            str(code),
            {
                "description": _REASONS[code],
                "content": {"application/json": {"schema": schemas.ref("Error")}},
            },
        )
    entry: dict[str, Any] = {
        "summary": op.summary,
        "tags": [tag],
        "operationId": op.method.lower() + "".join(c if c.isalnum() else "_" for c in op.path),
        "responses": responses,
    }
    parameters = [
        {"name": part[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
        for part in op.path.split("/")
        if part.startswith("{")
    ]
    if parameters:
        entry["parameters"] = parameters
    if op.body is not None:
        entry["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schemas.ref(op.body)}},
        }
    return entry


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of OPERATIONS and of the dashboard's routes, with the schema of
    every answer (emulator.control.schemas)."""
    components: dict[str, Any] = {
        **schemas.components(),
        "TagValue": {
            "type": "object",
            "required": ["value"],
            "properties": {"value": {"type": ["number", "boolean", "string"]}},
        },
        "Seconds": {
            "type": "object",
            "required": ["seconds"],
            "properties": {"seconds": {"type": "number", "minimum": 0}},
        },
        "Shift": {
            "type": "object",
            "required": ["seconds"],
            "properties": {"seconds": {"type": "number"}, "computer": {"type": "string"}},
        },
        "DashboardWrite": {
            "type": "object",
            "required": ["value"],
            "properties": {"value": {"type": ["number", "boolean", "string"]}},
        },
        "Text": {"type": "string"},
    }
    paths: dict[str, Any] = {}
    for op, tag in [
        *((op, "control") for op in (*OPERATIONS, OPENAPI)),
        *((op, "dashboard") for op in dashboard.OPERATIONS),
    ]:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, tag)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "plant-scada-emulator control API",
            "version": __version__,
            "description": "docs/control.md and docs/dashboard.md",
        },
        "tags": [
            {"name": "control", "description": "The control API (docs/control.md)"},
            {"name": "dashboard", "description": "The dashboard's routes (docs/dashboard.md)"},
        ],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{}, {"token": []}],
    }


_REASONS = {
    200: "OK",
    201: "Created",
    400: "Bad request: the body says what is wrong",
    303: "See other: the token was taken, on to the page",
    401: "The control API has a token and the request did not carry it",
    403: "Refused: a Host that is not this machine, or a change from another site's page",
    404: "Not found: no such process, fault, tag or alarm",
    409: "Conflict: not possible in this state",
    413: "The body is larger than the API takes",
    500: "Done, but the emulator could not keep it (the body says what failed)",
    503: "Some process is not in its intended state",
}


def _route(op: Operation, manager: RuntimeManager) -> Route:
    return Route(op.path, endpoint(op.call, manager), methods=[op.method], name=op.path)


class TokenRequired:
    """Every request must carry the token: `Authorization: Bearer TOKEN`."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers", [])).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                response = problem(401, "this control API needs 'Authorization: Bearer TOKEN'")
                response.headers["WWW-Authenticate"] = "Bearer"
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def loopback_host(host: str) -> bool:
    """A Host header naming this machine: localhost or a loopback address, with any port."""
    name = host.strip()
    if name.startswith("["):
        name = name[1:].partition("]")[0]
    elif name.count(":") == 1:
        name = name.partition(":")[0]
    return name.lower() == "localhost" or is_loopback(name)


class LoopbackHostOnly:
    """Without a token the API trusts that only this machine reaches it. A web page that
    rebinds its own DNS name to 127.0.0.1 (DNS rebinding) passes the same-origin check, but
    its requests carry its own name in Host: those are refused."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            host = dict(scope.get("headers", [])).get(b"host", b"").decode("latin-1")
            if not loopback_host(host):
                _log.warning("control.host_refused", host=host[:100], path=scope.get("path"))
                response = problem(
                    403,
                    f"Host {host[:100]!r} is not this machine: without a token this control API "
                    "answers only to localhost or a loopback address (docs/security.md)",
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def build_app(manager: RuntimeManager, token: str | None = None) -> ASGIApp:
    document = openapi()

    async def openapi_json(request: Request) -> Response:
        return _json(document)

    routes: list[BaseRoute] = [_route(op, manager) for op in OPERATIONS]
    routes.append(Route("/openapi.json", openapi_json, methods=["GET"]))
    routes.extend(dashboard.routes(manager))  # the page at / (docs/dashboard.md)
    app: ASGIApp = dashboard.SameOrigin(
        Starlette(routes=routes, exception_handlers={HTTPException: http_error})
    )
    if token:
        return SecurityHeaders(dashboard.TokenCookie(TokenRequired(app, token), token))
    return SecurityHeaders(LoopbackHostOnly(app))
