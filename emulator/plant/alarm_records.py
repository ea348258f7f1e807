"""An alarm as a record of CtAPI's alarm find tables (Alarm, AlarmSummary, DigAlm, AnaAlm, AdvAlm).

The fields are those of ctapi-behaviour.md ("Alarms as tags and tables", 1150514): TAG, NAME,
DESC, HELP, CATEGORY, STATE, TIME, DATE, AREA, CLUSTER, ALMCOMMENT, EQUIPMENT, CUSTOM1-8,
MILLISEC, ACKDATE, ACKTIME, ACKMILLI, USERNAME, and PRIORITY; AnaAlm adds VALUE and its limits.
Dates are the project's date format, dd-mm-yyyy by default, times HH:MM:SS, both UTC; a time
that never happened is "". Pure. Documented in docs/plant.md ("Alarms").
"""

from __future__ import annotations

from datetime import UTC, datetime

from emulator.plant.config import Alarm, TagValue

#: AnaAlm's limit fields and the Alarm attribute each shows.
ANALOG_FIELDS = {
    "HIGH": "high",
    "LOW": "low",
    "HIGHHIGH": "high_high",
    "LOWLOW": "low_low",
    "DEADBAND": "deadband",
    "RATE": "rate",
    "DEVIATION": "deviation",
}


def date_text(moment: float | None) -> str:
    """dd-mm-yyyy (the project's default date format), UTC; "" for None."""
    return "" if moment is None else datetime.fromtimestamp(moment, UTC).strftime("%d-%m-%Y")


def time_text(moment: float | None) -> str:
    return "" if moment is None else datetime.fromtimestamp(moment, UTC).strftime("%H:%M:%S")


def millis(moment: float | None) -> TagValue:
    return "" if moment is None else round(moment * 1000) % 1000


def alarm_record(
    alarm: Alarm,
    *,
    state: str,
    priority: int,
    on_time: float | None,
    ack_time: float | None,
    ack_user: str,
    value: TagValue | None,
) -> dict[str, TagValue]:
    """The record of one alarm (CLUSTER is the caller's: it knows the cluster's name)."""
    custom = [*alarm.custom, *[""] * 8][:8]
    fields: dict[str, TagValue] = {
        "TAG": alarm.tag,
        "NAME": alarm.name,
        "DESC": alarm.description,
        "HELP": alarm.help,
        "CATEGORY": alarm.category,
        "PRIORITY": priority,
        "STATE": state,
        "TIME": time_text(on_time),
        "DATE": date_text(on_time),
        "MILLISEC": millis(on_time),
        "AREA": alarm.area,
        "CLUSTER": alarm.cluster or "",
        "ALMCOMMENT": "",
        "EQUIPMENT": "",
        **{f"CUSTOM{i + 1}": text for i, text in enumerate(custom)},
        "ACKDATE": date_text(ack_time),
        "ACKTIME": time_text(ack_time),
        "ACKMILLI": millis(ack_time),
        "USERNAME": ack_user,
    }
    if alarm.type == "analog":
        fields["VALUE"] = "" if value is None else value
        for name, attribute in ANALOG_FIELDS.items():
            limit = getattr(alarm, attribute)
            fields[name] = "" if limit is None else limit
    return fields


__all__ = ["ANALOG_FIELDS", "alarm_record", "date_text", "millis", "time_text"]
