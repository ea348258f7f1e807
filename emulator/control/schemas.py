"""JSON Schemas of the control API's and the dashboard's answers, for openapi.json
(`emulator.control.api.openapi`). The structs the answers are made from (the topology, a fault,
an alarm's status, a report run) give their schemas through msgspec; the rest is written here,
next to nothing else, and tests/control/test_openapi.py checks real answers against them.
"""

from __future__ import annotations

from typing import Any

import msgspec

from emulator.plant.alarms import AlarmStatus
from emulator.plant.reports import ReportRun
from emulator.scenario.config import FaultSpec
from emulator.topology.model import Topology

REF = "#/components/schemas/{name}"


def ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(name=name)}


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "required": list(required),
        "properties": {**required, **(optional or {})},
    }


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


STRING = {"type": "string"}
NUMBER = {"type": "number"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_NUMBER = {"type": ["number", "null"]}
VALUE = {"type": ["number", "boolean", "string", "null"]}


def _written() -> dict[str, Any]:
    """The answers' schemas written out here."""
    listener = _object({"address": STRING, "port": INTEGER, "tls": BOOLEAN})
    process = _object(
        {
            "computer": STRING,
            "process": STRING,
            "type": STRING,
            "cluster": NULLABLE_STRING,
            "mode": NULLABLE_STRING,
            "state": {"enum": ["starting", "running", "stopping", "stopped", "failed"]},
            "intended": {"enum": ["running", "stopped"]},
            "hung": BOOLEAN,
            "healthy": BOOLEAN,
            "reason": NULLABLE_STRING,
            "listeners": _array(ref("Listener")),
        }
    )
    quality = _object(
        {
            "general": INTEGER,
            "substatus": INTEGER,
            "limit": INTEGER,
            "extended_substatus": INTEGER,
            "datasource_error": INTEGER,
            "override": BOOLEAN,
            "control_inhibit": BOOLEAN,
        }
    )
    event = {
        **_object({"seq": INTEGER, "time": NUMBER, "event": STRING, "level": STRING}),
        "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
    }
    alarm_fields = {"tag": STRING, "name": STRING, "category": INTEGER, "state": STRING}
    return {
        "Error": _object({"error": STRING, "status": INTEGER}),
        "Listener": listener,
        "Process": process,
        "Processes": _array(ref("Process")),
        "Health": _object(
            {
                "status": {"enum": ["healthy", "unhealthy"]},
                "processes": _array(ref("Process")),
                "faults": _array(STRING),
            }
        ),
        "FaultState": {"allOf": [ref("Fault"), _object({"active": BOOLEAN})]},
        "Faults": _array(ref("FaultState")),
        "Cleared": _object({"cleared": _array(STRING)}),
        "Reset": _object({"cleared": _array(STRING)}, {"history": _array(STRING)}),
        "Quality": quality,
        "TagReading": _object(
            {
                "tag": STRING,
                "value": VALUE,
                "text": STRING,
                "quality": ref("Quality"),
                "timestamp": NUMBER,
                "value_timestamp": NUMBER,
            }
        ),
        "AlarmRow": {
            "allOf": [
                ref("AlarmStatus"),
                _object({**alarm_fields, "cluster": NULLABLE_STRING}),
            ]
        },
        "Alarms": _array(ref("AlarmRow")),
        "AlarmAcknowledged": {
            "allOf": [ref("AlarmStatus"), _object({"tag": STRING, "state": STRING})]
        },
        "Event": event,
        "Events": _object({"events": _array(ref("Event")), "last": INTEGER, "dropped": INTEGER}),
        "Now": _object({"now": NUMBER}),
        "Offsets": _object({"offsets": {"type": "object", "additionalProperties": NUMBER}}),
        "OpenAPI": _object(
            {"openapi": STRING, "info": {"type": "object"}, "paths": {"type": "object"}}
        ),
        "Acknowledged": _object({"acknowledged": INTEGER}),
        "DashboardState": {
            **_object(
                {
                    key: {"type": "object"} if key in ("project", "alarms", "samples") else {}
                    for key in (
                        "project",
                        "computers",
                        "clusters",
                        "fault_kinds",
                        "clock",
                        "now",
                        "health",
                        "processes",
                        "alarms",
                        "faults",
                        "tags",
                        "trends",
                        "samples",
                        "events",
                    )
                }
            ),
            "description": "docs/dashboard.md, 'The live channel': the snapshot",
        },
        "Traffic": _object(
            {
                "listeners": _array(ref("ListenerTraffic")),
                "connections": _array(ref("ConnectionTraffic")),
                "connection": NULLABLE_STRING,
            }
        ),
        "ListenerTraffic": _object(
            {
                "computer": STRING,
                "process": STRING,
                "address": STRING,
                "port": INTEGER,
                "tls": BOOLEAN,
                "connections": INTEGER,
                "requests": INTEGER,
                "ops": {"type": "object", "additionalProperties": INTEGER},
            }
        ),
        "ConnectionTraffic": _object(
            {
                "id": STRING,
                "computer": STRING,
                "process": STRING,
                "listener": STRING,
                "peer": STRING,
                "exchanges": _array(ref("Exchange")),
            }
        ),
        "Exchange": _object(
            {
                "time": NUMBER,
                "op": STRING,
                "ok": BOOLEAN,
                "request": STRING,
                "reply": STRING,
            }
        ),
    }


def components() -> dict[str, Any]:
    """Every named schema the document refers to: the structs' and the written ones."""
    (fault, *_), structs = msgspec.json.schema_components(
        [FaultSpec, Topology, AlarmStatus, ReportRun], ref_template=REF
    )
    written = _written()
    clash = set(structs) & set(written)
    if clash:  # a programming error: rename the written schema
        raise RuntimeError(f"schema names taken by the topology's structs: {sorted(clash)}")
    return {**structs, "Fault": fault, **written}  # structs: by their own names
