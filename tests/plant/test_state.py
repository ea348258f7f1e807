"""The Plant: references, reads as CtAPI shows them, checked writes, generator API, change feed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.plant.clock import VirtualClock
from emulator.plant.config import Tag
from emulator.plant.state import (
    QUAL_BAD,
    QUAL_GOOD,
    STATUS_WRITE_SUCCESSFUL,
    ChangeFeed,
    Plant,
)
from emulator.processes.context import Context
from emulator.protocol.errors import ProtocolError
from emulator.topology.load import load_demo
from emulator.topology.model import Cluster, Topology

NOW = 1_767_225_600.0


DEMO = load_demo().model


@pytest.fixture
def plant() -> Plant:
    return Plant(DEMO, now=NOW)


def fails(plant: Plant, name: str, action: str = "read", value: str = "1") -> str:
    with pytest.raises(ProtocolError) as caught:
        if action == "read":
            plant.read(name)
        else:
            plant.write(name, value, NOW + 1)
    return caught.value.error.name


@pytest.mark.parametrize(
    ("reference", "value"),
    [
        ("PUMP1_SPEED", "1200"),
        ("pump1_speed", "1200"),
        ("CLUSTER1.PUMP1_SPEED", "1200"),
        ("cluster1.Pump1_Speed.Field.V", "1200"),
        ("PUMP1_SPEED.V", "1200"),
        ("PUMP1_SPEED.Valid", "1200"),
        ("PUMP1_CURRENT", "42.5"),
        ("TANK1_LEVEL", "62.0"),
        ("BLEND_RATIO", "0.248"),
        ("PUMP1_RUN", "1"),
        ("PRODUCT_CODE", "BLEND-A42"),
        ("TANK_LEVELS[3]", "50.0"),
        ("TANK_LEVELS.Field.V[0]", "50.0"),
        ("TANK_LEVELS", "50.0,50.0,50.0,50.0"),
        ("PUMP1_SPEED.Q", "3"),
        ("PUMP1_SPEED.Status", "0"),
        ("PUMP1_SPEED.OverrideMode", "0"),
        ("PUMP1_SPEED.T", "2026-01-01T00:00:00.000Z"),
        ("PUMP1_SPEED.Field.VT", "2026-01-01T00:00:00.000Z"),
    ],
)
def test_reads_show_engineering_values_formatted(plant: Plant, reference: str, value: str) -> None:
    assert plant.read(reference).value == value


def test_raw_reads_show_the_device_value(plant: Plant) -> None:
    assert plant.read("PUMP1_SPEED", raw=True).value == "25600"
    assert plant.read("TANK1_LEVEL", raw=True).value == "13920"


@pytest.mark.parametrize(
    ("reference", "error"),
    [
        ("NO_SUCH_TAG", "tag_not_found"),
        ("CLUSTER1.NO_SUCH_TAG", "tag_not_found"),
        ("NOCLUSTER.PUMP1_SPEED", "tag_not_found"),
        ("PUMP1_SPEED.Bogus", "invalid_argument"),
        ("PUMP1_SPEED.Field.V.Q", "invalid_argument"),
        ("TANK_LEVELS[4]", "out_of_range"),
        ("PUMP1_SPEED[1]", "out_of_range"),
        ("", "invalid_argument"),
        ("A B", "invalid_argument"),
        ("PUMP1_SPEED..V", "invalid_argument"),
        ("x" * 600, "invalid_argument"),
    ],
)
def test_bad_references_say_what_is_wrong(plant: Plant, reference: str, error: str) -> None:
    assert fails(plant, reference) == error


def test_a_near_miss_suggests_the_tag(plant: Plant) -> None:
    with pytest.raises(ProtocolError, match="did you mean 'PUMP1_SPEED'"):
        plant.read("PUMP1_SPED")


def test_a_write_is_scaled_stored_raw_and_timestamped(plant: Plant) -> None:
    plant.write("PUMP1_SPEED", "1000", NOW + 5, "engineer")
    reading = plant.read("PUMP1_SPEED")
    assert reading.value == "1000"
    assert plant.read("PUMP1_SPEED", raw=True).value == "21333"
    assert reading.value_timestamp == NOW + 5
    assert plant.read("PUMP1_SPEED.Status").value == str(STATUS_WRITE_SUCCESSFUL)


@pytest.mark.parametrize(
    ("reference", "value", "error"),
    [
        ("TANK1_LEVEL", "50", "tag_read_only"),
        ("PUMP1_SPEED", "1501", "out_of_range"),
        ("PUMP1_SPEED", "-1", "out_of_range"),
        ("PUMP1_SPEED", "fast", "invalid_argument"),
        ("PUMP1_RUN", "2", "invalid_argument"),
        ("PLANT_MODE", "40000", "out_of_range"),
        ("PRODUCT_CODE", "x" * 256, "out_of_range"),
        ("PUMP1_SPEED.Valid", "1", "tag_read_only"),
        ("PUMP1_SPEED.Status", "1", "tag_read_only"),
        ("PUMP1_SPEED.Q", "1", "tag_read_only"),
        ("PUMP1_SPEED.OverrideMode", "x", "invalid_argument"),
        ("PUMP1_SPEED.ControlMode", "-1", "out_of_range"),
        ("NO_SUCH_TAG", "1", "tag_not_found"),
    ],
)
def test_bad_writes_give_the_runtime_error(
    plant: Plant, reference: str, value: str, error: str
) -> None:
    assert fails(plant, reference, "write", value) == error


def test_an_array_takes_one_item_at_a_time() -> None:
    tag = Tag(name="A", type="int", array_size=3, initial=1)
    plant = Plant(Topology(tags=[tag]), now=NOW)
    assert fails(plant, "A", "write", "5") == "invalid_argument"
    plant.write("A[1]", "5", NOW)
    assert plant.read("A").value == "1,5,1"


def test_override_mode_switches_what_the_tag_reads(plant: Plant) -> None:
    plant.write("PUMP1_SPEED.Override", "700", NOW)
    assert plant.read("PUMP1_SPEED").value == "1200"
    plant.write("PUMP1_SPEED.OverrideMode", "1", NOW)
    reading = plant.read("PUMP1_SPEED")
    assert (reading.value, reading.quality.override) == ("700", True)
    assert plant.read("PUMP1_SPEED.Field").value == "1200"
    plant.write("PUMP1_SPEED.OverrideMode", "0", NOW)
    reading = plant.read("PUMP1_SPEED")  # the same text, remembered: still follows the mode
    assert (reading.value, reading.quality.override) == ("1200", False)


def test_remembered_references_stay_bounded_and_failures_are_not_remembered(
    plant: Plant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("emulator.plant.state.RESOLVE_CACHE", 3)
    for name in ("PUMP1_SPEED", "pump1_speed", "PUMP1_SPEED.Field", "TANK1_LEVEL", "TANK1_LEVEL"):
        plant.read(name)
        assert len(plant._resolved) <= 3
    for _ in range(2):
        assert fails(plant, "PUMP1_SPEED[3]") == "out_of_range"
        assert fails(plant, "TANK9_LEVEL") == "tag_not_found"
    assert "TANK9_LEVEL" not in plant._resolved


def test_kept_references_outlive_the_bound(plant: Plant, monkeypatch: pytest.MonkeyPatch) -> None:
    """The engines' configured references stay resolved however many client references come
    and go; the bound still holds for the others."""
    monkeypatch.setattr("emulator.plant.state.RESOLVE_CACHE", 2)
    plant.keep(["PUMP1_SPEED", "TANK1_LEVEL"])
    plant.read("PUMP1_SPEED")
    plant.read("TANK1_LEVEL")
    for name in ("pump1_speed", "PUMP1_SPEED.Field", "tank1_level", "PUMP1_RUN", "pump1_run"):
        plant.read(name)
        assert {"PUMP1_SPEED", "TANK1_LEVEL"} <= plant._resolved.keys()
        assert len(plant._resolved) <= 2 + 2
    plant.write("PUMP1_SPEED.OverrideMode", "1", NOW)  # a kept reference still follows the mode
    assert plant.read("PUMP1_SPEED").quality.override


def test_a_held_tag_reads_and_sets_as_its_name_does(plant: Plant) -> None:
    state = plant.named("tank1_level")
    assert state is plant.tag("TANK1_LEVEL")
    assert plant.value_of(state) == plant.value("TANK1_LEVEL")
    assert plant.set_field(state, 42.0, NOW + 1)
    assert not plant.set_field(state, 42.0, NOW + 2)
    assert (plant.value("TANK1_LEVEL"), plant.read("TANK1_LEVEL").timestamp) == (42.0, NOW + 2)
    plant.write("TANK1_LEVEL.Override", "7", NOW)
    plant.write("TANK1_LEVEL.OverrideMode", "1", NOW)
    assert plant.value_of(state) == plant.value("TANK1_LEVEL") == 7.0
    with pytest.raises(ProtocolError):
        plant.named("NO_SUCH_TAG")


def test_many_changes_are_heard_once(plant: Plant) -> None:
    heard: list[int] = []
    plant.changes.subscribe(lambda: heard.append(1))
    versions = plant.tag("TANK1_LEVEL").version, plant.tag("PUMP1_SPEED").version
    with plant.changing():
        plant.set_value("TANK1_LEVEL", 1.0, NOW + 1)
        with plant.changing():
            plant.set_value("PUMP1_SPEED", 5, NOW + 1)
        assert heard == []
    assert heard == [1]
    assert (plant.tag("TANK1_LEVEL").version, plant.tag("PUMP1_SPEED").version) == (
        versions[0] + 1,
        versions[1] + 1,
    )
    with plant.changing():
        plant.set_value("TANK1_LEVEL", 1.0, NOW + 2)  # no change: nothing to hear
    assert heard == [1]


def test_a_value_computed_when_read_is_told_to_no_one(plant: Plant) -> None:
    heard: list[int] = []
    plant.changes.subscribe(lambda: heard.append(1))
    state = plant.named("TANK1_LEVEL")
    revision, version = plant.revision, state.version
    assert plant.settle(state, 12.5, NOW + 1)
    assert (plant.value_of(state), state.value_timestamp) == (12.5, NOW + 1)
    assert (heard, plant.revision, state.version) == ([], revision, version + 1)
    plant.touch()  # the tick that made it is the news
    assert (heard, plant.revision) == ([1], revision + 1)


def test_control_inhibit_refuses_writes_to_the_value(plant: Plant) -> None:
    plant.write("PUMP1_SPEED.ControlMode", "1", NOW)
    assert fails(plant, "PUMP1_SPEED", "write", "100") == "tag_read_only"
    assert plant.read("PUMP1_SPEED").quality.control_inhibit


def test_generators_set_values_and_quality_and_the_feed_hears(plant: Plant) -> None:
    heard: list[int] = []
    plant.changes.subscribe(lambda: heard.append(1))
    assert plant.set_value("TANK1_LEVEL", 95.0, NOW + 1)
    assert not plant.set_value("TANK1_LEVEL", 95.0, NOW + 2)
    assert plant.read("TANK1_LEVEL").value == "95.0"
    assert plant.read("TANK1_LEVEL").timestamp == NOW + 2
    assert plant.set_quality("TANK1_LEVEL", QUAL_BAD, NOW + 3)
    assert plant.set_value("TANK1_LEVEL", 10.0, NOW + 4)
    assert plant.read("TANK1_LEVEL.Valid").value == "95.0"
    assert plant.set_quality("TANK1_LEVEL", QUAL_GOOD, NOW + 5)
    assert plant.read("TANK1_LEVEL.Valid").value == "10.0"
    assert len(heard) == 4
    assert plant.value("PUMP1_RUN") is True
    assert plant.value("TANK1_LEVEL.Q") == QUAL_GOOD


def test_one_plant_per_runtime_context() -> None:
    context = Context(topology=load_demo().model, clock=VirtualClock(NOW), changes=ChangeFeed())
    assert context.plant is context.plant
    assert context.plant.read("PUMP1_SPEED.T").timestamp == NOW


def test_a_tag_of_two_clusters_needs_its_cluster() -> None:
    topology = Topology(
        clusters=[Cluster(name="C1"), Cluster(name="C2")],
        tags=[Tag(name="T", cluster="C1", initial=1.0), Tag(name="T", cluster="C2", initial=2.0)],
    )
    plant = Plant(topology, now=NOW)
    assert plant.read("C2.T").value == "2"
    with pytest.raises(ProtocolError, match="several clusters"):
        plant.read("T")


_WRITABLE_NUMERIC = [
    t for t in DEMO.tags if t.writable and t.type in ("int", "long", "real") and t.array_size == 1
]


@given(
    st.sampled_from(_WRITABLE_NUMERIC),
    st.floats(min_value=0, max_value=1, allow_nan=False),
)
def test_a_write_in_range_reads_back_within_the_format_and_scaling(
    tag: Tag, fraction: float
) -> None:
    plant = Plant(DEMO, now=NOW)
    spec = plant.tag(tag.name).spec
    low, high = spec.eng_range or (0.0, 1000.0)
    value = low + (high - low) * fraction
    plant.write(tag.name, repr(value), NOW)
    shown = float(plant.read(tag.name).value)
    decimals = spec.format.decimals if spec.format else (6 if spec.type == "real" else 0)
    raw_step = 0.5 if spec.type != "real" else 0.0  # int raw counts round to whole numbers
    step = (
        raw_step * (high - low) / (spec.scale.raw_full - spec.scale.raw_zero)
        if spec.scale
        else raw_step
    )
    assert abs(shown - value) <= 0.5 * 10**-decimals + abs(step) + 1e-9


@given(st.sampled_from([t.name for t in DEMO.tags]), st.text(max_size=20))
def test_any_write_is_stored_or_refused_with_a_protocol_error(name: str, text: str) -> None:
    plant = Plant(DEMO, now=NOW)
    try:
        plant.write(name, text, NOW + 1)
    except ProtocolError as exc:
        assert exc.error.name in {"tag_read_only", "invalid_argument", "out_of_range"}
        assert plant.read(name).timestamp == NOW
    else:
        assert plant.read(name).timestamp == NOW + 1


def test_a_cluster_prefix_looks_only_in_that_cluster() -> None:
    clusters = [Cluster(name="C1"), Cluster(name="C2")]
    plant = Plant(Topology(clusters=clusters, tags=[Tag(name="ONLY1", cluster="C1")]), now=NOW)
    with pytest.raises(ProtocolError, match="no tag 'ONLY1' in cluster 'C2'"):
        plant.read("C2.ONLY1")
    named_like = Plant(
        Topology(clusters=clusters, tags=[Tag(name="C2", cluster="C1", initial=7.0)]), now=NOW
    )
    assert named_like.read("C2.V").value == "7"  # a tag named like a cluster, with its item
