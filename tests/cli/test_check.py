"""`scada-emu check`, `ports` and `schema` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.cli import main
from emulator.ports import DEFAULT_PORTS, RESERVED_PORT_MESSAGE
from tests.topology.helpers import BASE, line_of, process

ROOT = Path(__file__).resolve().parents[2]
INVALID = BASE + process("IO1", "io", port=2080)


def write(tmp_path: Path, text: str, name: str = "plant.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_without_a_file_checks_the_demo_plant(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "check") == (0, "<demo plant>: 0 errors, 0 warnings\n", "")


def test_a_valid_file_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, BASE + process("IO1", "io"))
    assert run(capsys, "check", str(path)) == (0, f"{path}: 0 errors, 0 warnings\n", "")


def test_warnings_alone_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = BASE + process("IO1", "io", port=2075)
    path = write(tmp_path, text)
    code, out, _ = run(capsys, "check", str(path))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(
        f"warning: {path}:{line_of(text, 'port = 2075')} [server_processes 'IO1'] port: port 2075"
    )
    assert lines[1] == f"{path}: 0 errors, 1 warning"


def test_an_invalid_file_exits_1_with_one_line_per_problem_and_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, INVALID)
    code, out, err = run(capsys, "check", str(path))
    assert (code, err) == (1, "")
    problem, summary = out.splitlines()
    line = line_of(INVALID, "port = 2080")
    assert problem == (
        f"error: {path}:{line} [server_processes 'IO1'] port: {RESERVED_PORT_MESSAGE} "
        "(hint: 2080 is the default port of the Alarm server; leave port out to use 2082, "
        "the I/O server default, or choose an unreserved port such as 2089) [reserved-port]"
    )
    assert summary == f"{path}: 1 error, 0 warnings"


def test_an_unknown_key_is_an_error_suggesting_the_nearest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, BASE.replace("address =", "adress =", 1))
    code, out, _ = run(capsys, "check", str(path))
    assert code == 1
    assert "unknown key 'adress' (hint: did you mean 'address'?)" in out


def test_invalid_toml_exits_2_with_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, '[project]\nname = "x"\nport = \n')
    code, out, err = run(capsys, "check", str(path))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"error: {path}:3:8: not valid TOML: Invalid value "
        '(hint: text values need quotes, e.g. name = "SCADA-A") [toml]',
        f"{path}: 1 error, 0 warnings",
    ]


def test_an_unreadable_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", str(tmp_path / "absent.toml"))
    assert (code, out) == (2, "")
    assert "cannot read the topology file: No such file or directory" in err


def test_json_lists_the_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, INVALID)
    code, out, _ = run(capsys, "check", str(path), "--format", "json")
    assert code == 1
    assert json.loads(out) == [
        {
            "severity": "error",
            "rule": "reserved-port",
            "message": RESERVED_PORT_MESSAGE,
            "hint": "2080 is the default port of the Alarm server; leave port out to use 2082, "
            "the I/O server default, or choose an unreserved port such as 2089",
            "file": str(path),
            "table": "server_processes",
            "record": "IO1",
            "field": "port",
            "line": line_of(INVALID, "port = 2080"),
            "column": None,
        }
    ]


def test_json_of_a_valid_file_is_an_empty_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--format", "json")
    assert (code, json.loads(out)) == (0, [])


def test_json_of_invalid_toml_exits_2_with_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "[[computers]]\nname SCADA\n")
    code, out, _ = run(capsys, "check", str(path), "--format", "json")
    (problem,) = json.loads(out)
    assert code == 2
    assert (problem["rule"], problem["line"], problem["column"]) == ("toml", 2, 6)


def test_plan_prints_the_endpoint_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--plan")
    assert code == 0
    lines = out.splitlines()
    assert lines[:3] == [
        "<demo plant>: 0 errors, 0 warnings",
        "",
        "COMPUTER  PROCESS         TYPE             CLUSTER   MODE     ADDRESS     PORT   TLS",
    ]
    assert (
        "SCADA-A   ALARM1          alarm            CLUSTER1  primary  127.0.10.1  2080   no"
        in lines
    )
    assert (
        "SCADA-B   CtAPI           ctapi            -         -        127.0.10.2  3073   yes"
        in lines
    )
    assert len(lines) == 3 + 19


def test_plan_of_a_file_with_errors_says_why_there_is_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "check", str(write(tmp_path, INVALID)), "--plan")
    assert code == 1
    assert out.splitlines()[-1] == "no plan: the topology has errors"


def test_plan_as_json_holds_problems_and_endpoints(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--plan", "--format", "json")
    found = json.loads(out)
    assert code == 0
    assert found["problems"] == []
    assert found["plan"][0] == {
        "computer": "SCADA-A",
        "process": "ALARM1",
        "type": "alarm",
        "cluster": "CLUSTER1",
        "mode": "primary",
        "priority": 1,
        "network_address": "SCADA_A",
        "address": "127.0.10.1",
        "port": 2080,
        "tls": False,
    }


def test_python_dash_m_emulator_check_is_the_same_command(tmp_path: Path) -> None:
    path = write(tmp_path, INVALID)
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 1
    assert RESERVED_PORT_MESSAGE in result.stdout
    assert result.stdout.splitlines()[-1] == f"{path}: 1 error, 0 warnings"


def test_ports_prints_the_default_port_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ports")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["PORT", "PROCESS", "TYPE", "OWNER", "TLS", "NOTE"]
    for entry in DEFAULT_PORTS:
        assert any(line.startswith(f"{entry.port} ") and entry.title in line for line in lines)
    assert f"  {RESERVED_PORT_MESSAGE}" in lines
    assert any("2074-2079" in line for line in lines)


def test_ports_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ports", "--format", "json")
    table = json.loads(out)
    assert code == 0
    assert [row["port"] for row in table] == [entry.port for entry in DEFAULT_PORTS]
    assert table[7] == {
        "port": 3073,
        "type": "ctapi",
        "title": "CtAPI (encrypted)",
        "scope": "computer",
        "tls": True,
        "note": DEFAULT_PORTS[7].note,
    }


def test_schema_describes_every_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema")
    schema = json.loads(out)
    assert code == 0
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    topology = schema["$defs"]["Topology"]
    assert {"project", "computers", "network_addresses", "clusters", "server_processes"} <= set(
        topology["properties"]
    )
    process_schema = schema["$defs"]["ServerProcess"]
    assert process_schema["additionalProperties"] is False
    assert process_schema["properties"]["type"]["enum"] == ["alarm", "io", "reports", "trends"]
    assert process_schema["required"] == ["name", "type", "network_address"]
    assert "description" in process_schema["properties"]["port"]
