"""What the control API's routes and the dashboard's share: a JSON body read no further than a
limit, the error body (also for paths and methods no route takes), and the wrapper that puts a
request's events into the runtime's event log and answers a ControlError with its status.
Documented in docs/control.md ("Routes").
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route

from emulator.control.manager import ControlError, RuntimeManager

Handler = Callable[[Request, RuntimeManager], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Operation:
    """One route as openapi.json describes it: `reply` names the schema of its success answers
    (emulator.control.schemas), in `media`; every error answer is the Error schema."""

    method: str
    path: str
    summary: str
    call: Handler
    reply: str
    body: str | None = None
    responses: tuple[int, ...] = (200,)
    media: str = "application/json"


def problem(status: int, message: str) -> JSONResponse:
    """The error answer: `{"error": message, "status": status}`."""
    return JSONResponse({"error": message, "status": status}, status_code=status)


async def read_json(request: Request, limit: int) -> Any:
    """The body as JSON ({} when empty); past `limit` bytes it stops reading and answers 413."""
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise ControlError(f"the body is larger than {limit} bytes", 413)
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ControlError(f"the body is not JSON: {exc}") from None


def endpoint(handler: Handler, manager: RuntimeManager) -> Callable[[Request], Awaitable[Response]]:
    """`handler` as a Starlette endpoint of `manager`'s runtime."""

    async def call(request: Request) -> Response:
        try:
            with manager.events.active():
                return await handler(request, manager)
        except ControlError as exc:
            return problem(exc.status, exc.message)

    return call


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (no such path, a method the path does not take) in the JSON error
    body the routes answer with, so a client parses every error alike (docs/control.md). A 405
    names every method the path takes in `Allow`, not only those of the first route matched."""
    if not isinstance(exc, HTTPException):  # pragma: no cover - registered for HTTPException only
        raise exc
    path = request.url.path
    if exc.status_code == 404:
        return problem(404, f"no route {path!r}: GET /openapi.json lists the routes")
    if exc.status_code == 405:
        allowed = sorted(_methods(request))
        response = problem(
            405, f"{request.method} is not allowed on {path!r} (allowed: {', '.join(allowed)})"
        )
        response.headers["Allow"] = ", ".join(allowed)
        return response
    response = problem(exc.status_code, str(exc.detail))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


def _methods(request: Request) -> set[str]:
    """Every method that some route of the app takes on the request's path."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE and isinstance(route, Route) and route.methods:
            methods |= route.methods
    return methods
