from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.plant.config import TagType, TagValue
from emulator.scenario.config import Generator, Step
from emulator.scenario.generators import (
    MAX_TICKS_PER_ADVANCE,
    TIMED_KINDS,
    Generators,
    Normal,
    coerce,
)

START = 1_767_225_600.0


def run(
    *specs: Generator,
    seconds: float,
    types: dict[str, TagType] | None = None,
    current: dict[str, TagValue] | None = None,
    seed: int = 1,
    tick: float = 1.0,
) -> dict[str, TagValue]:
    engine = Generators(specs, seed=seed, tick=tick, start=START, types=types or {})
    return engine.advance(START + seconds, current or {}).values


def gen(tag: str = "T", **fields: Any) -> Generator:
    return Generator(tag=tag, **fields)


def test_constant_keeps_the_tag_type() -> None:
    values = run(
        gen("A", kind="constant", value=3.7),
        gen("B", kind="constant", value=1),
        gen("S", kind="constant", value="BLEND-B"),
        seconds=1,
        types={"A": "int", "B": "digital", "S": "string"},
    )
    assert values == {"A": 4, "B": True, "S": "BLEND-B"}


def test_sine_follows_its_period_and_phase() -> None:
    spec = gen(kind="sine", offset=50, amplitude=10, period="1m")
    assert run(spec, seconds=15)["T"] == pytest.approx(60)
    assert run(spec, seconds=45)["T"] == pytest.approx(40)
    assert run(gen(kind="sine", amplitude=2, period=60, phase=15), seconds=60)[
        "T"
    ] == pytest.approx(2)


def test_square_is_high_for_its_duty() -> None:
    spec = gen(kind="square", offset=0.5, amplitude=0.5, period=10, duty=0.3)
    highs = [run(spec, seconds=s, types={"T": "digital"})["T"] for s in range(1, 11)]
    assert highs == [True, True, False, False, False, False, False, False, False, True]


def test_ramp_wraps_or_holds_at_its_end() -> None:
    assert run(gen(kind="ramp", start=10, rate=2), seconds=5)["T"] == 20
    assert run(gen(kind="ramp", start=0, end=10, rate=3), seconds=4)["T"] == pytest.approx(2)
    assert run(gen(kind="ramp", start=0, end=10, rate=3, hold=True), seconds=4)["T"] == 10


def test_steps_repeat_every_period_and_hold_before_the_first() -> None:
    spec = gen(
        kind="steps",
        period="1m",
        steps=[Step(at="10s", value="A"), Step(at=30, value="B")],
    )
    assert run(spec, seconds=5, types={"T": "string"}) == {}
    assert run(spec, seconds=20, types={"T": "string"})["T"] == "A"
    assert run(spec, seconds=65, types={"T": "string"})["T"] == "B"
    assert run(spec, seconds=75, types={"T": "string"})["T"] == "A"
    once = gen(kind="steps", repeat=False, period=10, steps=[Step(at=2, value=7)])
    assert run(once, seconds=100)["T"] == 7


def test_random_walk_starts_at_the_tag_value_and_is_seeded() -> None:
    spec = gen(kind="random_walk", step=0.5)
    first = run(spec, seconds=1, current={"t": 100.0}, seed=4)["T"]
    assert isinstance(first, float) and abs(first - 100) < 5
    assert run(spec, seconds=30, seed=4) == run(spec, seconds=30, seed=4)
    assert run(spec, seconds=30, seed=4) != run(spec, seconds=30, seed=5)


def test_expression_integrates_flow_in_minus_flow_out() -> None:
    level = gen(
        "LEVEL", kind="expression", expression="(FLOW_IN - FLOW_OUT) / 60", integrate=True, max=100
    )
    current: dict[str, TagValue] = {"flow_in": 120.0, "flow_out": 60.0, "level": 50.0}
    assert run(level, seconds=10, current=current)["LEVEL"] == pytest.approx(60)
    assert run(level, seconds=3600, current=current)["LEVEL"] == 100


def test_expression_reads_values_generated_earlier_in_the_same_tick() -> None:
    values = run(
        gen("A", kind="ramp", start=0, rate=1),
        gen("B", kind="expression", expression="A * 2"),
        seconds=3,
    )
    assert values == {"A": 3, "B": 6}


def test_an_expression_that_fails_keeps_the_value_and_reports() -> None:
    engine = Generators(
        [gen("B", kind="expression", expression="1 / A")], seed=0, tick=1, start=START, types={}
    )
    result = engine.advance(START + 2, {"a": 0})
    assert result.values == {}
    assert "cannot be evaluated" in result.errors["B"]


def test_noise_and_limits() -> None:
    spec = gen(kind="constant", value=10, noise=5, min=8, max=12)
    values = [run(spec, seconds=s, seed=s)["T"] for s in range(1, 40)]
    assert all(isinstance(v, float) and 8 <= v <= 12 for v in values)
    assert len(set(values)) > 2


def test_the_tick_grid_does_not_depend_on_how_often_advance_is_called() -> None:
    specs = [gen("W", kind="random_walk", noise=0.1), gen("S", kind="sine", noise=1)]
    once = Generators(specs, seed=9, tick=0.5, start=START, types={})
    often = Generators(specs, seed=9, tick=0.5, start=START, types={})
    latest: dict[str, TagValue] = {}
    for step in range(1, 41):
        latest.update(often.advance(START + step * 0.25, {}).values)
    assert once.advance(START + 10, {}).values == latest
    assert often.advance(START + 10, {}).values == {}  # nothing new is due
    assert once.next_tick() == START + 10.5


def test_a_clock_that_jumps_far_skips_ahead() -> None:
    engine = Generators([gen(kind="ramp")], seed=0, tick=1, start=START, types={})
    result = engine.advance(START + MAX_TICKS_PER_ADVANCE + 10, {})
    assert result.skipped == 10
    assert result.values["T"] == MAX_TICKS_PER_ADVANCE + 10


def test_tick_must_be_positive() -> None:
    with pytest.raises(ValueError, match="tick"):
        Generators([], seed=0, tick=0, start=START, types={})


kinds = st.sampled_from(["sine", "square", "ramp", "random_walk", "constant"])


@settings(max_examples=50, deadline=None)
@given(
    kinds,
    st.integers(0, 2**32),
    st.floats(0.1, 5),
    st.floats(0, 3),
    st.floats(-100, 100),
    st.floats(0, 50),
)
def test_same_seed_and_clock_give_the_same_values_within_limits(  # noqa: PLR0917
    kind: str, seed: int, tick: float, noise: float, low: float, span: float
) -> None:
    spec = gen(kind=kind, value=1.0, amplitude=30, noise=noise, min=low, max=low + span)
    a = run(spec, seconds=20, seed=seed, tick=tick)
    b = run(spec, seconds=20, seed=seed, tick=tick)
    assert a == b
    value = a["T"]
    assert isinstance(value, float) and math.isfinite(value)
    assert low <= value <= low + span


@given(
    st.floats(-1e6, 1e6, allow_nan=False),
    st.sampled_from(["digital", "int", "long", "real", "string"]),
)
def test_coerce_always_gives_the_tag_type(value: float, tag_type: TagType) -> None:
    result = coerce(value, tag_type)
    expected = {"digital": bool, "int": int, "long": int, "real": float, "string": str}[tag_type]
    assert type(result) is expected


finite = st.floats(-1e6, 1e6, allow_nan=False)
valid_specs = st.builds(
    Generator,
    tag=st.sampled_from(["A", "B", "C"]),
    kind=st.sampled_from(["constant", "sine", "ramp", "square", "random_walk", "steps"]),
    value=st.one_of(st.none(), finite, st.booleans()),
    offset=finite,
    amplitude=finite,
    period=st.floats(0.5, 1e5),
    phase=st.floats(0, 1e5),
    duty=st.floats(0, 1),
    start=finite,
    end=st.one_of(st.none(), finite),
    rate=finite,
    hold=st.booleans(),
    step=st.floats(0, 100),
    steps=st.lists(st.builds(Step, at=st.floats(0, 100), value=finite), max_size=4),
    repeat=st.booleans(),
    noise=st.floats(0, 10),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(valid_specs, max_size=4), st.floats(0.1, 10), st.floats(0, 500))
def test_valid_generators_never_fail(specs: list[Generator], tick: float, seconds: float) -> None:
    engine = Generators(specs, seed=1, tick=tick, start=START, types={"C": "int"})
    result = engine.advance(START + seconds, {"a": 1.0, "b": True, "c": 3})
    assert result.errors == {}
    for value in result.values.values():
        assert isinstance(value, bool | int | float | str)


def test_normal_draws_are_seeded_standard_normal_and_small() -> None:
    source = Normal(1, 0, "t")
    assert source.at(7, 0.0, 1.0) == Normal(1, 0, "t").at(7, 0.0, 1.0)  # same seed, same draw
    values = [source.at(n, 2.0, 3.0) for n in range(20_000)]
    mean = sum(values) / len(values)
    spread = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    assert abs(mean - 2.0) < 0.1 and abs(spread - 3.0) < 0.1
    within = sum(abs(v - 2.0) < 3.0 for v in values) / len(values)
    assert abs(within - 0.6827) < 0.02  # one sigma holds 68 % of a normal's mass
    others = [Normal(seed, i, "t").at(0, 0.0, 1.0) for seed in (1, 2) for i in (0, 1)]
    assert len(set(others)) == 4
    assert not hasattr(source, "__dict__")


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(sorted(TIMED_KINDS)),
    seed=st.integers(0, 1000),
    noise=st.sampled_from([0.0, 0.5]),
    jumps=st.lists(st.integers(1, 40), min_size=1, max_size=8),
)
def test_a_timed_generator_computed_when_read_gives_what_stepping_gives(
    kind: str, seed: int, noise: float, jumps: list[int]
) -> None:
    """Skipped at every tick and computed when read (value_now), a timed generator gives the
    value stepping every tick gives at that tick, however many ticks went by unread."""
    specs = [
        gen(
            "T",
            kind=kind,
            value=5.0,
            offset=2.0,
            amplitude=3.0,
            period="17s",
            rate=0.5,
            steps=[Step(at=0, value=1.0), Step(at="5s", value=4.0)],
            noise=noise,
        ),
        gen("W", kind="random_walk", step=0.5),
        gen("E", kind="expression", expression="1 + 1"),
    ]
    stepped = Generators(specs, seed=seed, tick=1.0, start=START, types={})
    lazy = Generators(specs, seed=seed, tick=1.0, start=START, types={})
    assert lazy.timed == ["T", "W"] and lazy.reads == {"w", "e"}  # a walk starts from its tag
    now = START
    assert lazy.value_now("T") is None  # no tick yet
    for jump in jumps:
        now += jump
        want = stepped.advance(now, {})
        got = lazy.advance(now, {}, skip_timed=True)
        assert "T" not in got.values and got.values["E"] == want.values["E"]
        assert lazy.value_now("t") == want.values.get("T")
        assert lazy.value_now("W") == want.values["W"]
        assert lazy.tick_time() == want.time
    assert lazy.reads == {"e"}  # the walk carries its own value once started


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    noise=st.sampled_from([0.0, 0.7]),
    reads=st.lists(st.tuples(st.integers(0, 30), st.booleans()), min_size=1, max_size=10),
)
def test_a_random_walk_computed_when_read_gives_what_stepping_gives(
    seed: int, noise: float, reads: list[tuple[int, bool]]
) -> None:
    """A random walk no expression reads is stepped from where it was last computed when read:
    whatever the reads and writes between, its values are those of stepping it at every tick,
    its min/max clamps and noise included, and a write holds until the next tick."""
    spec = gen("W", kind="random_walk", step=3.0, min=-2.0, max=4.0, noise=noise)
    stepped = Generators([spec], seed=seed, tick=1.0, start=START, types={})
    lazy = Generators([spec], seed=seed, tick=1.0, start=START, types={})
    now, held = START, False
    for jump, write in reads:
        held = held and not jump
        for _ in range(jump):  # one tick at a time: what stepping gives at each of them
            now += 1
            want = stepped.advance(now, {"w": 1.5})
            assert lazy.advance(now, {"w": 1.5}, skip_timed=True).values == {}
        if lazy.ticks:
            assert lazy.value_now("W") == (None if held else want.values["W"])
        if write:
            stepped.written("W", 3.25, now)
            lazy.written("W", 3.25, now)
            held = True  # the plant holds the written value until the next tick
            assert lazy.value_now("W") is None
