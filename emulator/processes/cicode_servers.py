"""Cicode functions that act through the cluster's servers: acknowledge, disable, enable and
clear an alarm, run a report. Registered on the built-in table (emulator.cicode) at import; each
acts on the active server of the record's cluster (emulator.processes.active).

Each returns 0 when done and, failing, its error number as its result ("0 if successful,
otherwise an error code": AlarmAckTag 1033447, AlarmDisableTag 1033461, AlarmEnableTag
1033471): ctCicode succeeds either way. Tag and cluster may be written unquoted. Documented in
docs/ctapi.md ("Cicode").
"""

from __future__ import annotations

from collections.abc import Callable

from emulator.cicode import BUILTINS, CallContext, Value
from emulator.cicode.functions import to_number, to_text
from emulator.plant.alarms import AlarmEvent, AlarmServer
from emulator.processes import active
from emulator.processes.context import Context
from emulator.processes.serving import engine_errors
from emulator.protocol.errors import INVALID_ARGUMENT, ProtocolError

#: AlarmDisableTag's comment is at most 200 characters (1033461).
MAX_DISABLE_COMMENT = 200


def _context(ctx: CallContext) -> Context:
    if ctx.context is None:
        raise ProtocolError(INVALID_ARGUMENT, "alarm and report functions need a running plant")
    return ctx.context


def _user(ctx: CallContext) -> str:
    return ctx.user.name if ctx.user else ""


Action = Callable[[AlarmServer, str], list[AlarmEvent]]


def _alarm_action(ctx: CallContext, args: list[Value], action: Action) -> Value:
    """Act on one alarm (of the cluster in args[1], when given) on its cluster's main."""
    tag = to_text(args[0]).strip()
    cluster = to_text(args[1]).strip() if len(args) > 1 else ""
    with engine_errors():
        action(active.alarm_server_of(_context(ctx), tag, cluster or None), tag)
    _context(ctx).changes.notify()
    return 0


@BUILTINS.register(
    "AlarmAckTag",
    min_args=1,
    max_args=2,
    summary="(Tag [, Cluster]) 0, or the error number",
    returns_error=True,
    names=(0, 1),
)
def alarm_ack_tag(ctx: CallContext, args: list[Value]) -> Value:
    return _alarm_action(
        ctx, args, lambda server, tag: server.acknowledge(tag, _user(ctx), ctx.now)
    )


@BUILTINS.register(
    "AlarmDisableTag",
    min_args=1,
    max_args=4,
    summary="(Tag [, Cluster [, EndTime [, Comment]]]) 0, or the error number",
    returns_error=True,
    names=(0, 1),
)
def alarm_disable_tag(ctx: CallContext, args: list[Value]) -> Value:
    """EndTime: seconds since 1970 when the alarm is enabled again (0 or left out: until
    AlarmEnableTag); Comment: at most 200 characters, logged with the disable event."""
    end = to_number(args[2], "AlarmDisableTag's end time") if len(args) > 2 else 0
    comment = to_text(args[3]) if len(args) > 3 else ""
    if len(comment) > MAX_DISABLE_COMMENT:
        raise ProtocolError(
            INVALID_ARGUMENT, f"the comment has {len(comment)} characters; at most 200"
        )
    if end and end <= ctx.now:
        raise ProtocolError(INVALID_ARGUMENT, f"the end time {end} is not in the future")
    until = float(end) if end else None
    return _alarm_action(
        ctx, args, lambda server, tag: server.disable(tag, _user(ctx), ctx.now, comment, until)
    )


@BUILTINS.register(
    "AlarmEnableTag",
    min_args=1,
    max_args=3,
    summary="(Tag [, Cluster [, Acknowledge]]) 0, or the error number",
    returns_error=True,
    names=(0, 1),
)
def alarm_enable_tag(ctx: CallContext, args: list[Value]) -> Value:
    """Acknowledge (1033471): when true, an alarm that is on once enabled is acknowledged."""
    acknowledge = (
        bool(to_number(args[2], "AlarmEnableTag's acknowledge")) if len(args) > 2 else False
    )
    return _alarm_action(
        ctx,
        args,
        lambda server, tag: server.enable(tag, _user(ctx), ctx.now, acknowledge=acknowledge),
    )


@BUILTINS.register(
    "AlarmClearTag",
    min_args=1,
    max_args=2,
    summary="(Tag [, Cluster]) 0, or the error number; an alarm that is off leaves the list",
    returns_error=True,
    names=(0, 1),
)
def alarm_clear_tag(ctx: CallContext, args: list[Value]) -> Value:
    return _alarm_action(ctx, args, lambda server, tag: server.clear(tag, _user(ctx), ctx.now))


@BUILTINS.register(
    "Report",
    min_args=1,
    max_args=1,
    summary="(Name) 0, or the error number; runs the report now",
    returns_error=True,
    names=(0,),
)
def report(ctx: CallContext, args: list[Value]) -> Value:
    name = to_text(args[0]).strip()
    with engine_errors():
        active.report_server_of(_context(ctx), name).run(name, ctx.now, _user(ctx))
    return 0
