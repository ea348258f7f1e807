"""A small blocking client of the control API, for the `scada-emu` subcommands and shell
harnesses. Standard library only (urllib): the CLI needs nothing else to reach a plant."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

#: Where the control API is, unless --control, the ready file or this variable say otherwise.
DEFAULT_URL = "http://127.0.0.1:8787"
URL_ENV = "SCADA_EMU_CONTROL"
TOKEN_ENV = "SCADA_EMU_CONTROL_TOKEN"  # noqa: S105 -- the variable's name, not a token


class ControlClientError(Exception):
    """The plant did not answer, or answered with an error; `status` is the HTTP status or 0."""

    def __init__(self, message: str, status: int = 0, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


def control_url(url: str | None = None, ready_file: str | os.PathLike[str] | None = None) -> str:
    """--control, else the ready file's "control", else $SCADA_EMU_CONTROL, else the default."""
    if url:
        return url.rstrip("/") if "://" in url else f"http://{url}"
    if ready_file is not None:
        try:
            data = json.loads(Path(ready_file).read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise ControlClientError(f"cannot read the ready file {ready_file}: {exc}") from None
        if not isinstance(data, dict) or not data.get("control"):
            raise ControlClientError(f"the ready file {ready_file} names no control API")
        return str(data["control"]).rstrip("/")
    return os.environ.get(URL_ENV, DEFAULT_URL).rstrip("/")


class ControlClient:
    def __init__(self, url: str, token: str | None = None, timeout: float = 10.0) -> None:
        self.url = url
        self.token = token if token is not None else os.environ.get(TOKEN_ENV)
        self.timeout = timeout

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """(status, decoded JSON or text); ControlClientError when unreachable or 4xx/5xx
        other than a 503 from /health."""
        data = None if body is None else json.dumps(body).encode()
        import urllib.error  # noqa: PLC0415 -- only when a request is made: `scada-emu run` and
        import urllib.request  # noqa: PLC0415 -- `--help` need only this module's names

        request = urllib.request.Request(self.url + path, data=data, method=method)  # noqa: S310
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return response.status, _decode(response.read(), response.headers)
        except urllib.error.HTTPError as exc:
            decoded = _decode(exc.read(), exc.headers)
            if exc.code == 503 and path == "/health":
                return exc.code, decoded
            message = decoded.get("error") if isinstance(decoded, dict) else str(decoded)
            raise ControlClientError(f"{method} {path}: {message}", exc.code, decoded) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ControlClientError(
                f"no control API at {self.url} ({reason}): is `scada-emu run` running? "
                "Give --control URL or --ready-file"
            ) from None

    def get(self, path: str) -> Any:
        return self.request("GET", path)[1]

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, {} if body is None else body)[1]

    def put(self, path: str, body: Any) -> Any:
        return self.request("PUT", path, body)[1]

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)[1]


def _decode(raw: bytes, headers: Any) -> Any:
    content_type = headers.get("Content-Type", "") if headers is not None else ""
    text = raw.decode("utf-8", "replace")
    if "json" in content_type:
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text
