"""The plant tables of the topology file: what CtAPI and the server processes serve.

Documented in docs/plant.md. Field names follow Plant SCADA's own dialogs where they exist.
"""

from __future__ import annotations

from typing import Literal

import msgspec

TagType = Literal["digital", "int", "long", "real", "string"]
TagValue = bool | int | float | str
AlarmType = Literal["digital", "analog", "advanced"]
TrendType = Literal["periodic", "event"]


class _Record(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class User(_Record):
    name: str
    password: str
    #: A read-only user may read tags but never write them nor call Cicode.
    read_only: bool = False
    full_name: str = ""


class Tag(_Record):
    name: str
    cluster: str | None = None
    #: The I/O server process that owns the tag; default: the cluster's first I/O server.
    io_server: str | None = None
    io_device: str = ""
    address: str = ""
    type: TagType = "real"
    raw_zero: float | None = None
    raw_full: float | None = None
    eng_zero: float | None = None
    eng_full: float | None = None
    eng_units: str = ""
    #: Plant SCADA format string: '#' per digit, '.' before the decimals, e.g. "####.##".
    format: str | None = None
    comment: str = ""
    initial: TagValue | None = None
    writable: bool = True
    array_size: int = 1


class AlarmCategory(_Record):
    number: int
    name: str = ""
    priority: int = 0


class Alarm(_Record):
    #: The alarm tag: the alarm's unique name, as `.Tag` in CtAPI's alarm tables.
    tag: str
    name: str = ""
    description: str = ""
    type: AlarmType = "digital"
    cluster: str | None = None
    #: Digital: Var Tag A (and B): the alarm is on while A (and not B) is true.
    #: Analog: the variable tag compared against the limits below.
    variable: str | None = None
    variable_b: str | None = None
    #: Advanced: a Cicode expression, on while it is true.
    expression: str | None = None
    #: Analog deviation: the setpoint, a number or the name of a tag.
    setpoint: float | str | None = None
    high_high: float | None = None
    high: float | None = None
    low: float | None = None
    low_low: float | None = None
    deviation: float | None = None
    #: Analog rate of change: engineering units per second.
    rate: float | None = None
    #: Hysteresis of the high-high/high/low/low-low and deviation limits, in engineering units.
    deadband: float = 0.0
    category: int = 0
    #: 0-255, 1 highest; default: the category's priority.
    priority: int | None = None
    area: int = 0
    help: str = ""
    #: Custom1..Custom8.
    custom: list[str] = msgspec.field(default_factory=list)


class Trend(_Record):
    name: str
    #: The tag (or expression) sampled.
    tag: str
    type: TrendType = "periodic"
    cluster: str | None = None
    #: Seconds between samples of a periodic trend.
    sample_period: float = 1.0
    #: A digital tag gating a periodic trend, or firing an event trend.
    trigger: str | None = None
    comment: str = ""


class Report(_Record):
    name: str
    cluster: str | None = None
    #: Synchronisation time of day, "HH:MM:SS" (default midnight) and period in seconds.
    time: str = "00:00:00"
    period: float | None = None
    #: A digital tag: the report runs on its FALSE->TRUE edge.
    trigger: str | None = None
    #: Text filled with tag values: "{Tag_Name}" or "{Tag_Name:.2f}".
    template: str = ""
    comment: str = ""
