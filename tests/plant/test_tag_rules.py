"""Compile rules of [[users]] and [[tags]]: each broken file gives its problem, where and why."""

from __future__ import annotations

import pytest

from emulator.topology.compile import compile_topology
from emulator.topology.load import load_demo
from emulator.topology.problems import Severity
from tests.topology.helpers import BASE, compile_text, line_of, process, with_rule


def tag(**fields: object) -> str:
    lines = ["", "[[tags]]"]
    for key, value in fields.items():
        rendered = f'"{value}"' if isinstance(value, str) else str(value).lower()
        lines.append(f"{key} = {rendered}")
    return "\n".join(lines) + "\n"


def test_the_demo_plant_compiles_clean() -> None:
    assert compile_topology(load_demo()) == []


def test_duplicate_users_and_blank_passwords() -> None:
    text = (
        BASE + '\n[[users]]\nname = "a"\npassword = "x"\n\n[[users]]\nname = "A"\npassword = ""\n'
    )
    duplicate = with_rule(compile_text(text), "user-duplicate")
    assert len(duplicate) == 1 and duplicate[0].location.line == line_of(text, 'name = "A"')
    blank = with_rule(compile_text(text), "user-password")
    assert blank[0].severity is Severity.WARNING


@pytest.mark.parametrize(
    ("records", "rule", "field", "message"),
    [
        (tag(name="T1") + tag(name="t1"), "tag-duplicate", "name", "defined twice"),
        (tag(name="BAD.NAME"), "tag-name", "name", "not one CtAPI can reference"),
        (tag(name="T1", cluster="CLUSTR1"), "tag-cluster", "cluster", "not defined"),
        (tag(name="T1", io_server="IO9"), "tag-io-server", "io_server", "not defined"),
        (tag(name="T1", io_server="AL1"), "tag-io-server", "io_server", "alarm server"),
        (tag(name="T1", raw_zero=0), "tag-scaling", "raw_full", "without raw_full"),
        (tag(name="T1", eng_zero=5, eng_full=5), "tag-scaling", "eng_full", "range is empty"),
        (tag(name="T1", raw_zero=0, raw_full=10), "tag-scaling", "raw_zero", "without eng_zero"),
        (
            tag(name="T1", type="int", raw_zero=0, raw_full=99999, eng_zero=0, eng_full=1),
            "tag-scaling",
            "raw_full",
            "does not fit an INT",
        ),
        (tag(name="T1", type="digital", eng_zero=0), "tag-scaling", "eng_zero", "no scaling"),
        (tag(name="T1", format="##,#"), "tag-format", "format", "not a format"),
        (tag(name="T1", array_size=0), "tag-array", "array_size", "outside 1.."),
        (
            tag(name="T1", eng_zero=0, eng_full=100, initial=150),
            "tag-initial",
            "initial",
            "outside 0..100",
        ),
        (tag(name="T1", type="digital", initial=3), "tag-initial", "initial", "digital"),
        (tag(name="T1", type="real", initial="high"), "tag-initial", "initial", "must be a number"),
        (tag(name="T1", type="string", initial=3), "tag-initial", "initial", "must be text"),
    ],
)
def test_each_tag_rule(records: str, rule: str, field: str, message: str) -> None:
    text = BASE + process("AL1", "alarm") + process("IO1", "io", cluster="CLUSTER1") + records
    problems = with_rule(compile_text(text), rule)
    assert problems, compile_text(text)
    problem = problems[0]
    assert problem.severity is Severity.ERROR
    assert message in problem.message
    assert problem.location.field == field
    assert problem.location.table == "tags"
    assert problem.hint


def test_a_tag_without_cluster_in_a_two_cluster_project() -> None:
    text = BASE + '\n[[clusters]]\nname = "CLUSTER2"\n' + tag(name="T1")
    problems = with_rule(compile_text(text), "tag-cluster")
    assert "names no cluster" in problems[0].message


def test_a_format_on_a_string_tag_is_only_a_warning() -> None:
    problems = with_rule(
        compile_text(BASE + tag(name="S", type="string", format="##")), "tag-format"
    )
    assert problems[0].severity is Severity.WARNING
