from __future__ import annotations

import pytest

from emulator.topology.compile import compile_topology
from emulator.topology.load import demo_text, load_text

#: The demo plant without its own scenario, for tests that bring theirs.
PLANT = demo_text().split("\n# ---- Scenario")[0]


def problems_of(extra: str) -> list[str]:
    return [p.format() for p in compile_topology(load_text(PLANT + extra, "plant.toml"))]


def test_the_demo_plant_compiles_clean() -> None:
    assert [p for p in problems_of("") if p.startswith("error")] == []


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            '[scenario]\ntick = "0s"',
            "[scenario] tick: '0s' must be more than 0 seconds [scenario-tick]",
        ),
        ("[scenario]\nspeed = 0", "speed 0.0 must be more than 0"),
        (
            '[[generators]]\ntag = "TANK1_LEVL"\nkind = "sine"',
            "[generators 'TANK1_LEVL'] tag: generator of unknown tag 'TANK1_LEVL' "
            "(hint: did you mean 'TANK1_LEVEL'?) [generator-tag]",
        ),
        (
            '[[generators]]\ntag = "A"\nkind = "sine"\n[[generators]]\ntag = "a"\nkind = "sine"',
            "already has a generator",
        ),
        (
            '[[generators]]\ntag = "TANK1_LEVEL"\nkind = "constant"',
            "a constant generator needs value",
        ),
        ('[[generators]]\ntag = "TANK1_LEVEL"\nkind = "steps"', "a steps generator needs steps"),
        (
            '[[generators]]\ntag = "PRODUCT_CODE"\nkind = "ramp"',
            "but 'PRODUCT_CODE' is a string tag",
        ),
        (
            '[[generators]]\ntag = "TANK1_LEVEL"\nkind = "constant"\nvalue = "x"',
            "a text value for the real tag",
        ),
        (
            '[[generators]]\ntag = "TANK1_LEVEL"\nkind = "sine"\nperiod = "soon"',
            "'soon' is not a duration",
        ),
        (
            '[[generators]]\ntag = "TANK1_LEVEL"\nkind = "sine"\nwrite_hold = -5',
            "write_hold: -5.0 is not a duration: use a finite number >= 0 [generator-period]",
        ),
        (
            '[[generators]]\ntag = "TANK1_LEVEL"\nkind = "sine"\nwrite_hold = "a while"',
            "'a while' is not a duration",
        ),
        (
            '[[generators]]\ntag = "TANK1_LEVEL"\nkind = "square"\nduty = 2.0',
            "duty 2.0 is outside 0..1",
        ),
        ('[[generators]]\ntag = "TANK1_LEVEL"\nkind = "sine"\nnoise = -1.0', "noise must be >= 0"),
        (
            '[[generators]]\ntag = "TANK1_LEVEL"\nkind = "sine"\nmin = 5.0\nmax = 1.0',
            "min 5.0 is above max 1.0",
        ),
        (
            '[[generators]]\ntag = "TANK1_LEVEL"\nkind = "expression"\nexpression = "FLOW_IN -"',
            "bad expression 'FLOW_IN -': expected a value",
        ),
        (
            '[[generators]]\ntag = "TANK1_LEVEL"\nkind = "expression"\n'
            'expression = "FLOW_IN - FLOWOUT"',
            "the expression reads unknown tag 'flowout' (hint: did you mean 'FLOW_OUT'?)",
        ),
        ('[[timeline]]\nat = "5x"\naction = "stop"\nprocess = "IO1"', "'5x' is not a duration"),
        (
            '[[timeline]]\nat = 5\nevery = 0\naction = "stop"\nprocess = "IO1"',
            "must be more than 0 seconds",
        ),
        (
            '[[timeline]]\nat = 5\naction = "stop"',
            "[timeline 'stop'] process: a stop event needs process",
        ),
        (
            '[[timeline]]\nat = 5\naction = "set_tag"\ntag = "PUMP1_RUN"',
            "a set_tag event needs value",
        ),
        (
            '[[timeline]]\nat = 5\naction = "crash"\nprocess = "ALRM1"',
            "unknown server process 'ALRM1' (hint: did you mean 'ALARM1'?)",
        ),
        ('[[timeline]]\nat = 5\naction = "set_tag"\ntag = "NOPE"\nvalue = 1', "unknown tag 'NOPE'"),
        (
            '[[timeline]]\nat = 5\naction = "add_fault"\nfault = "slow"',
            "unknown fault 'slow' (hint: define [[faults]] first)",
        ),
        (
            '[[timeline]]\nat = 5\naction = "run_report"\nreport = "Weekly"',
            "unknown report 'Weekly'",
        ),
        (
            '[[timeline]]\nat = 5\naction = "shift_clock"\nseconds = 5.0\ncomputer = "SCADA-C"',
            "unknown computer 'SCADA-C'",
        ),
        (
            '[[faults]]\nname = "x"\nkind = "bandwidth"',
            "[faults 'x'] rate: a bandwidth fault needs rate > 0 [fault-attribute]",
        ),
        ('[[faults]]\nname = "x"\nkind = "error_reply"\nerror = "boom"', "unknown error 'boom'"),
        (
            '[[faults]]\nname = "x"\nkind = "timeout"\nprocess = "IO9"',
            "unknown server process 'IO9'",
        ),
        ('[[faults]]\nname = "x"\nkind = "timeout"\ncomputer = "PC"', "unknown computer 'PC'"),
        (
            '[[faults]]\nname = "x"\nkind = "timeout"\n[[faults]]\nname = "X"\nkind = "timeout"',
            "already exists",
        ),
        ('[control]\nhost = "0.0.0.0"', "needs a token"),
        ('[control]\nhost = "0.0.0.0"\ntoken = "short"', "warning: plant.toml"),
        ("[control]\nport = 70000", "port 70000 is outside 0..65535"),
    ],
)
def test_scenario_rules_say_what_where_and_what_to_do(extra: str, expected: str) -> None:
    found = problems_of("\n" + extra + "\n")
    assert any(expected in p for p in found), found


def test_good_scenario_tables_compile_clean() -> None:
    found = problems_of(
        """
[scenario]
seed = 7
tick = "500ms"
[[generators]]
tag = "CLUSTER1.TANK1_LEVEL"
kind = "expression"
expression = "(FLOW_IN - FLOW_TRANSFER) / 60"
integrate = true
[[faults]]
name = "slow"
kind = "latency"
latency = 200.0
process = "CtAPI"
computer = "SCADA-A"
[[timeline]]
at = "1m"
every = "10m"
action = "add_fault"
fault = "slow"
"""
    )
    assert [p for p in found if p.startswith("error")] == []
