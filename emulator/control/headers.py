"""The security headers of every control API and dashboard response, errors included.

The dashboard drives the plant from a browser, so another site must not frame it (clickjacking:
`frame-ancestors 'none'` and, for older browsers, X-Frame-Options), nor make a browser run one
of its answers as a script or style of another type (nosniff). The page loads only its own
/dashboard/static files and talks only to its own origin (fetch and the SSE stream), so the
policy allows `'self'` and nothing inline. Documented in docs/security.md.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: What the dashboard needs: its own scripts, styles, fetch and EventSource ('self'), the empty
#: data: favicon; no plugins, no <base>, forms only to itself, never in a frame.
CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
)
_NAMES = frozenset(name for name, _ in HEADERS)


class SecurityHeaders:
    """Adds HEADERS to every HTTP response of `app`, replacing any of the same name. It wraps
    the whole app, outside the token and host checks, so their 401 and 403 carry them too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _NAMES]
                message = {**message, "headers": [*kept, *HEADERS]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
