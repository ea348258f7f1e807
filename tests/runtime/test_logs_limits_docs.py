"""Log formats, the open-file limit, and the protocol docs' error table against errors.py."""

from __future__ import annotations

import io
import json
import re
import resource
from pathlib import Path

import structlog

from emulator.logs import configure
from emulator.protocol.errors import BY_NAME
from emulator.runtime.limits import raise_open_files

PROTOCOL_DOC = Path(__file__).parents[2] / "docs" / "protocol.md"


def test_json_lines_off_a_terminal_and_console_lines_when_forced() -> None:
    try:
        out = io.StringIO()
        configure("auto", "info", out)
        structlog.get_logger().info("supervisor.ready", listeners=3)
        structlog.get_logger().debug("hidden")
        (line,) = out.getvalue().splitlines()
        assert json.loads(line) | {"timestamp": None} == {
            "event": "supervisor.ready",
            "listeners": 3,
            "level": "info",
            "timestamp": None,
        }
        out = io.StringIO()
        configure("console", "debug", out)
        structlog.get_logger().debug("connection.open", peer="127.0.0.1:1")
        assert "connection.open" in out.getvalue() and not out.getvalue().startswith("{")
    finally:
        structlog.reset_defaults()


def test_the_soft_open_file_limit_is_raised_to_the_hard_limit() -> None:
    soft = raise_open_files()
    now_soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert soft == now_soft
    assert hard in (resource.RLIM_INFINITY, now_soft)


def test_the_protocol_error_table_is_the_one_in_errors_py() -> None:
    text = PROTOCOL_DOC.read_text()
    section = text.split("\n## Errors\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| (\d+) \| ([^|]+) \|", section, re.MULTILINE)
    assert len(rows) >= 7
    for name, code, message in rows:
        assert (BY_NAME[name].code, BY_NAME[name].message) == (int(code), message.strip())
