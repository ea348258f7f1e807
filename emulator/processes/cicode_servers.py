"""Cicode functions that act through the cluster's servers: acknowledge, disable and enable an
alarm, run a report. Registered on the built-in table (emulator.cicode) at import; each acts on
the active server of the record's cluster (emulator.processes.active), so ctCicode fails with
`server_unavailable` while none runs. Documented in docs/ctapi.md ("Cicode").
"""

from __future__ import annotations

from collections.abc import Callable

from emulator.cicode import BUILTINS, CallContext, Value
from emulator.cicode.functions import to_text
from emulator.plant.alarms import AlarmEvent, AlarmServer
from emulator.processes import active
from emulator.processes.context import Context
from emulator.processes.serving import engine_errors
from emulator.protocol.errors import INVALID_ARGUMENT, ProtocolError


def _context(ctx: CallContext) -> Context:
    if ctx.context is None:
        raise ProtocolError(INVALID_ARGUMENT, "alarm and report functions need a running plant")
    return ctx.context


def _user(ctx: CallContext) -> str:
    return ctx.user.name if ctx.user else ""


Action = Callable[[AlarmServer, str, str, float], list[AlarmEvent]]


def _alarm_action(ctx: CallContext, args: list[Value], action: Action) -> Value:
    """Acknowledge, disable or enable one alarm on its cluster's main; 0 when done."""
    tag = to_text(args[0]).strip()
    with engine_errors():
        action(active.alarm_server_of(_context(ctx), tag), tag, _user(ctx), ctx.now)
    _context(ctx).changes.notify()
    return 0


@BUILTINS.register("AlarmAckTag", min_args=1, max_args=2, summary="(Tag [, Cluster]) 0")
def alarm_ack_tag(ctx: CallContext, args: list[Value]) -> Value:
    return _alarm_action(ctx, args, AlarmServer.acknowledge)


@BUILTINS.register("AlarmDisableTag", min_args=1, max_args=2, summary="(Tag [, Cluster]) 0")
def alarm_disable_tag(ctx: CallContext, args: list[Value]) -> Value:
    return _alarm_action(ctx, args, AlarmServer.disable)


@BUILTINS.register("AlarmEnableTag", min_args=1, max_args=2, summary="(Tag [, Cluster]) 0")
def alarm_enable_tag(ctx: CallContext, args: list[Value]) -> Value:
    return _alarm_action(ctx, args, AlarmServer.enable)


@BUILTINS.register("Report", min_args=1, max_args=1, summary="(Name) 0; runs the report now")
def report(ctx: CallContext, args: list[Value]) -> Value:
    name = to_text(args[0]).strip()
    with engine_errors():
        active.report_server_of(_context(ctx), name).run(name, ctx.now, _user(ctx))
    return 0
