"""The loader: TOML errors with line and column, decode problems in TOML words, file lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.topology.load import (
    DEMO_SOURCE,
    LoadError,
    demo_text,
    load_demo,
    load_path,
    load_text,
)
from emulator.topology.problems import Severity
from tests.topology.helpers import BASE, SOURCE, line_of, process, record_line

ROOT = Path(__file__).resolve().parents[2]


def decode(text: str) -> list[tuple[str | None, str, str | None, int | None]]:
    """(rule, message, field, line) of each decode problem."""
    return [
        (p.rule, p.message, p.location.field, p.location.line)
        for p in load_text(text, SOURCE).problems
    ]


# ---- unreadable files and TOML syntax ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        ('[project]\nname = "x"\nport = \n', "not valid TOML: Invalid value", 3, 8),
        (
            "[[computers]]\nname SCADA\n",
            "not valid TOML: Expected '=' after a key in a key/value pair",
            2,
            6,
        ),
        ("[x]\n[x]\n", "not valid TOML: Cannot declare ('x',) twice", 2, 3),
        (
            '[project]\nname = "x',
            "not valid TOML: Unterminated string at the end of the file",
            2,
            10,
        ),
    ],
)
def test_invalid_toml_raises_with_line_and_column(
    text: str, message: str, line: int, column: int
) -> None:
    with pytest.raises(LoadError) as caught:
        load_text(text, SOURCE)
    error = caught.value
    assert error.message == message
    assert (error.location.file, error.location.line, error.location.column) == (
        SOURCE,
        line,
        column,
    )
    assert error.problem.severity is Severity.ERROR
    assert str(error).startswith(f"error: {SOURCE}:{line}:{column}: {message}")


def test_an_unquoted_text_value_gets_a_hint() -> None:
    with pytest.raises(LoadError) as caught:
        load_text("[project]\nname = Demo\n", SOURCE)
    assert caught.value.hint == 'text values need quotes, e.g. name = "SCADA-A"'


def test_a_missing_file_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as caught:
        load_path(tmp_path / "absent.toml")
    assert caught.value.message == "cannot read the topology file: No such file or directory"
    assert caught.value.rule == "unreadable"


def test_a_directory_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as caught:
        load_path(tmp_path)
    assert caught.value.message == "cannot read the topology file: Is a directory"


def test_a_file_that_is_not_utf8_is_a_load_error_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'[project]\nname = "Usine \xe9"\n')
    with pytest.raises(LoadError) as caught:
        load_path(path)
    assert caught.value.message == "the file is not UTF-8 text (byte 24)"
    assert caught.value.location.line == 2
    assert caught.value.hint == "save it as UTF-8"


def test_deeply_nested_values_are_a_load_error_not_a_crash() -> None:
    with pytest.raises(LoadError):
        load_text("a = " + "[" * 100_000 + "]" * 100_000)


# ---- decode problems ---------------------------------------------------------------------------


def test_an_unknown_key_names_the_nearest_known_one() -> None:
    text = BASE.replace('address = "127.0.20.2"', 'adress = "127.0.20.2"')
    problems = load_text(text, SOURCE).problems
    assert [(p.rule, p.message, p.hint, p.location.line) for p in problems] == [
        ("unknown-key", "unknown key 'adress'", "did you mean 'address'?", line_of(text, "adress")),
        (
            "missing-field",
            "missing required field 'address'",
            "add address = ... to this record",
            record_line(text, "SCADA_B"),
        ),
    ]


def test_an_unknown_key_far_from_every_name_lists_the_known_ones() -> None:
    (problem,) = load_text('[[clusters]]\nname = "C"\nzzz = 1\n', SOURCE).problems
    assert problem.hint == "known keys: name, description"


def test_a_record_with_only_an_unknown_key_is_kept_for_the_rules() -> None:
    loaded = load_text('[[clusters]]\nname = "C"\ncolour = "red"\n', SOURCE)
    assert [c.name for c in loaded.model.clusters] == ["C"]
    assert [p.rule for p in loaded.problems] == ["unknown-key"]


def test_an_unknown_table_names_the_nearest_known_one() -> None:
    text = BASE + '\n[[server_process]]\nname = "IO1"\n'
    assert decode(text) == [
        (
            "unknown-table",
            "unknown table 'server_process'",
            None,
            line_of(text, "[[server_process]]"),
        )
    ]
    assert load_text(text).problems[0].hint == "did you mean 'server_processes'?"


def test_every_bad_field_of_one_record_is_reported() -> None:
    text = BASE + process("IO1", "ios", port="2090", priority=1.5, mode="main")
    assert decode(text) == [
        ("invalid-value", "invalid value 'ios'", "type", line_of(text, 'type = "ios"')),
        ("invalid-value", "invalid value 'main'", "mode", line_of(text, 'mode = "main"')),
        (
            "wrong-type",
            'expected a whole number, got the string "2090"',
            "port",
            line_of(text, "port ="),
        ),
        (
            "wrong-type",
            "expected a whole number, got the number 1.5",
            "priority",
            line_of(text, "priority ="),
        ),
    ]


def test_an_invalid_value_lists_the_allowed_ones_and_suggests_the_nearest() -> None:
    problems = load_text(BASE + process("IO1", "alarms"), SOURCE).problems
    assert problems[0].hint == (
        "did you mean 'alarm'? allowed values: 'alarm', 'io', 'reports', 'trends'"
    )
    problems = load_text(
        BASE.replace('name = "SCADA-A"', 'name = "SCADA-A"\nctapi = "tls"')
    ).problems
    assert problems[0].hint == "allowed values: 'disabled', 'unencrypted', 'mixed', 'encrypted'"


def test_enumerated_values_ignore_case() -> None:
    text = BASE + process("IO1", "IO", mode="Primary")
    text = text.replace('name = "SCADA-A"', 'name = "SCADA-A"\nctapi = "Encrypted"')
    loaded = load_text(text)
    assert loaded.problems == ()
    assert loaded.model.server_processes[0].type == "io"
    assert loaded.model.server_processes[0].mode == "primary"
    assert loaded.model.computers[0].ctapi == "encrypted"


@pytest.mark.parametrize(
    ("value", "message", "hint"),
    [
        ('"2090"', 'expected a whole number, got the string "2090"', "write 2090 without quotes"),
        (
            "2090.0",
            "expected a whole number, got the number 2090.0",
            "write 2090 without the decimal point",
        ),
        ("2090.5", "expected a whole number, got the number 2090.5", None),
        ("true", "expected a whole number, got true", None),
        ("[2090]", "expected a whole number, got a list", None),
        ("{ n = 1 }", "expected a whole number, got a table", None),
        ("1979-05-27", "expected a whole number, got the date/time 1979-05-27", None),
    ],
)
def test_a_port_that_is_not_a_whole_number_is_an_error(
    value: str, message: str, hint: str | None
) -> None:
    text = BASE + process("IO1", "io") + f"port = {value}\n"
    (problem,) = load_text(text, SOURCE).problems
    assert (problem.rule, problem.message, problem.hint) == ("wrong-type", message, hint)
    assert problem.location.line == line_of(text, "port =")


def test_a_bad_item_of_a_list_is_named_by_position() -> None:
    text = BASE + process("IO1", "io").replace('"SCADA_A"', '["SCADA_A", 7]')
    (problem,) = load_text(text).problems
    assert problem.message == "item 2: expected a string, got the whole number 7"
    assert problem.location.field == "network_address"


def test_a_string_boolean_gets_a_hint() -> None:
    text = BASE.replace('name = "SCADA-A"', 'name = "SCADA-A"\nodbc = "true"')
    (problem,) = load_text(text).problems
    assert problem.message == 'expected true or false, got the string "true"'
    assert problem.hint == "write true without quotes"


def test_a_missing_required_field_points_at_the_record() -> None:
    text = BASE + '\n[[network_addresses]]\nname = "NA3"\ncomputer = "SCADA-A"\n'
    assert decode(text) == [
        ("missing-field", "missing required field 'address'", None, record_line(text, "NA3"))
    ]


def test_a_single_table_written_as_an_array_is_an_error() -> None:
    text = '[[project]]\nname = "x"\n'
    (problem,) = load_text(text).problems
    assert problem.message == "project must be a table"
    assert problem.rule == "not-a-table"


def test_an_array_table_written_as_a_single_table_is_an_error() -> None:
    text = '[clusters]\nname = "C"\n'
    (problem,) = load_text(text).problems
    assert problem.message == "clusters must be an array of tables"
    assert (
        problem.hint
        == "write each record under its own [[clusters]] header (two pairs of brackets)"
    )
    assert problem.location.line == 1


def test_a_record_that_is_not_a_table_is_an_error() -> None:
    (problem,) = load_text('clusters = ["C1"]\n').problems
    assert problem.message == "each record of clusters must be a table"
    assert problem.location.line == 1


def test_records_that_fail_are_left_out_and_remembered_by_name() -> None:
    text = BASE.replace('name = "SCADA-B"', 'name = "SCADA-B"\nodbc = 1')
    loaded = load_text(text)
    assert [c.name for c in loaded.model.computers] == ["SCADA-A"]
    assert loaded.is_undecoded("computers", "scada-b")
    assert not loaded.is_undecoded("computers", "SCADA-A")


# ---- locations ---------------------------------------------------------------------------------


def test_where_points_at_the_record_and_field_lines() -> None:
    text = BASE + process("IO1", "io", port=2090)
    loaded = load_text(text, SOURCE)
    where = loaded.where("server_processes", 0, "port")
    assert (where.file, where.table, where.record, where.field, where.line) == (
        SOURCE,
        "server_processes",
        "IO1",
        "port",
        line_of(text, "port = 2090"),
    )
    assert loaded.where("server_processes", 0).line == record_line(text, "IO1")
    assert loaded.where("server_processes", 0, "cluster").line == record_line(text, "IO1")
    assert str(where) == f"{SOURCE}:{line_of(text, 'port = 2090')} [server_processes 'IO1'] port"


def test_where_skips_records_that_failed_to_decode() -> None:
    text = BASE + process("BAD", "nope") + process("IO1", "io", port=2090)
    loaded = load_text(text, SOURCE)
    assert [p.name for p in loaded.model.server_processes] == ["IO1"]
    assert loaded.where("server_processes", 0, "port").line == line_of(text, "port = 2090")


def test_keys_inside_multiline_strings_are_not_mistaken_for_fields() -> None:
    text = '[[clusters]]\ndescription = """\nname = "not a key"\n"""\nname = "C1"\n'
    loaded = load_text(text)
    assert loaded.where("clusters", 0, "name").line == 5


def test_an_inline_array_of_tables_points_at_its_key() -> None:
    text = '[project]\nname = "x"\n'.replace(
        "[project]", 'clusters = [{ name = "C", x = 1 }]\n[project]'
    )
    (problem,) = load_text(text).problems
    assert problem.location.line == 1


def test_a_model_built_in_code_has_no_lines() -> None:
    from emulator.topology.load import LoadedTopology
    from emulator.topology.model import Cluster, Topology

    loaded = LoadedTopology.from_model(Topology(clusters=[Cluster(name="C")]))
    assert loaded.where("clusters", 0, "name").line is None


# ---- the demo plant ----------------------------------------------------------------------------


def test_the_demo_plant_loads_without_problems() -> None:
    loaded = load_demo()
    assert loaded.source == DEMO_SOURCE
    assert loaded.problems == ()
    assert [c.name for c in loaded.model.computers] == ["SCADA-A", "SCADA-B"]


def test_the_scenario_demo_is_the_packaged_demo() -> None:
    scenario = ROOT / "scenarios" / "demo.toml"
    packaged = ROOT / "emulator" / "data" / "demo.toml"
    assert scenario.read_bytes() == packaged.read_bytes()
    assert demo_text() == packaged.read_text("utf-8")
