"""What the harness reads about processes (/proc) and how it places them on this machine's CPUs."""

from __future__ import annotations

import contextlib
import os
import resource

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far; 0.0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return 0.0
    # The command name may hold spaces; the fields after it are space separated.
    fields = stat[stat.rindex(b")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def busy_cpu_seconds() -> float:
    """CPU seconds every process of the machine has used so far (/proc/stat, all CPUs)."""
    try:
        with open("/proc/stat", "rb") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0
    # user nice system idle iowait irq softirq steal ...: busy is all but idle and iowait.
    return (sum(fields[:8]) - fields[3] - fields[4]) / _TICKS


def load_average() -> float:
    """The 1-minute load average: how busy the machine was around a run."""
    try:
        with open("/proc/loadavg", "rb") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0


def rss_kib(pid: int) -> int:
    """Resident set size of a process in KiB (VmRSS); 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


def raise_nofile(wanted: int) -> int:
    """Raise the open-file limit towards `wanted` (children inherit it); the limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


def cpus() -> list[int]:
    """The CPUs this process may run on."""
    return sorted(os.sched_getaffinity(0))


def placement() -> tuple[int | None, int | None]:
    """(server CPU, generator CPU): separate cores when there are two or more, else no pinning."""
    available = cpus()
    if len(available) < 2:
        return None, None
    return available[-1], available[0]


def pin(cpu: int | None) -> None:
    """Keep the calling process on one CPU (no-op for None)."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})


def prioritise(niceness: int) -> None:
    """Set the calling process's nice value (negative needs root; ignored when refused)."""
    if niceness:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, 0, niceness)
