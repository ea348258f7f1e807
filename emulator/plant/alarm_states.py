"""An alarm's state as numbers: the `.State` property and ALMQUERY's VALUE bit field.

`.State` (Supported Alarm Properties, 1068486) is a state enumeration with action bit masks:
0 OFF, 1 ON; an analog alarm that is on gives which limit (ctapi-rs docs/AlmQuery.md's codes:
1 deviation high, 2 deviation low, 3 rate of change, 4 low, 5 high, 6 low low, 7 high high).
The masks' values are not in the pages we have: ours are ACKNOWLEDGED 0x100 and DISABLED 0x200.
ALMQUERY's VALUE (ctapi-rs docs/AlmQuery.md): bit 0 good (always 1), bit 1 disabled, bit 2
multiple, bit 3 on, bit 4 acknowledged, bits 5-7 the state code above (analog alarms only:
"for the rest of the alarm types ignore the state information"). Pure functions of the
status's parts, so the alarm engine and the query share them. Documented in docs/ctapi.md.
"""

from __future__ import annotations

from emulator.plant.config import TagValue

OFF, ON = 0, 1
#: Analog states by the condition the limits report (emulator.plant.alarm_limits.Condition).
ANALOG_STATES = {"RATE": 3, "LOW": 4, "HIGH": 5, "LOWLOW": 6, "HIGHHIGH": 7}
DEVIATION_HIGH, DEVIATION_LOW = 1, 2
#: `.State`'s action masks (ours).
ACKNOWLEDGED = 0x100
DISABLED = 0x200
#: ALMQUERY VALUE bits.
GOOD, QUERY_DISABLED, MULTIPLE, QUERY_ON, QUERY_ACKNOWLEDGED = 1, 2, 4, 8, 16
STATE_SHIFT = 5


def state_code(on: bool, condition: str, value: TagValue | None, setpoint: object) -> int:
    """The enumeration: OFF, ON, or an analog alarm's limit while it is on."""
    if not on:
        return OFF
    if condition == "DEVIATION":
        below = (
            isinstance(value, (int, float))
            and isinstance(setpoint, (int, float))
            and value < setpoint
        )
        return DEVIATION_LOW if below else DEVIATION_HIGH
    return ANALOG_STATES.get(condition, ON)


def property_state(code: int, acknowledged: bool, disabled: bool) -> int:
    """`.State`: the enumeration with the acknowledged and disabled masks."""
    return code | (ACKNOWLEDGED if acknowledged else 0) | (DISABLED if disabled else 0)


def query_value(code: int, *, on: bool, acknowledged: bool, disabled: bool, multiple: bool) -> int:
    """ALMQUERY's VALUE: good, disabled, multiple, on, acknowledged, then the state code."""
    return (
        GOOD
        | (QUERY_DISABLED if disabled else 0)
        | (MULTIPLE if multiple else 0)
        | (QUERY_ON if on else 0)
        | (QUERY_ACKNOWLEDGED if acknowledged else 0)
        | (code << STATE_SHIFT)
    )


__all__ = ["ACKNOWLEDGED", "DISABLED", "property_state", "query_value", "state_code"]
