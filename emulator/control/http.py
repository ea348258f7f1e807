"""What the control API's routes and the dashboard's share: a JSON body read no further than a
limit, the error body, and the wrapper that puts a request's events into the runtime's event log
and answers a ControlError with its status. Documented in docs/control.md ("Routes").
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from emulator.control.manager import ControlError, RuntimeManager

Handler = Callable[[Request, RuntimeManager], Awaitable[Response]]


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
