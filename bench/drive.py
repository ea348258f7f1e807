"""Runs the load generator as its own process (pinned to the generator CPU) and reads its answer."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import msgspec

from bench.servers import BenchError
from bench.spec import Load, Result, decode_result, encode


def _argv(load: Load) -> list[str]:
    return [sys.executable, "-m", "bench.loadgen", encode(load).decode()]


def _describe(load: Load) -> str:
    return f"{load.mode} load against {load.target.kind} {load.target.host}:{load.target.port}"


def _result(load: Load, line: str, stderr: str) -> Result:
    try:
        return decode_result(line)
    except msgspec.DecodeError:
        raise BenchError(f"{_describe(load)}: no result; stderr: {stderr[-800:]}") from None


def run(load: Load) -> Result:
    """One closed- or open-loop run; BenchError when the generator fails."""
    budget = load.warmup_s + load.duration_s + 120.0
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and module
            _argv(load), capture_output=True, text=True, timeout=budget, check=False
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"{_describe(load)} did not finish within {budget:.0f} s") from None
    if done.returncode != 0:
        detail = done.stderr.strip()[-800:].removeprefix("bench.loadgen: ")
        raise BenchError(f"{_describe(load)} failed: {detail}")
    lines = done.stdout.strip().splitlines()
    return _result(load, lines[-1] if lines else "", done.stderr)


class Holding:
    """A generator holding connections open: what it announced, and how to let go."""

    def __init__(self, load: Load, process: subprocess.Popen[str], announced: dict[str, Any]):
        self.load = load
        self.process = process
        self.announced = announced

    def release(self, deadline_s: float = 60.0) -> Result:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("release\n")
        self.process.stdin.flush()
        try:
            out, err = self.process.communicate(timeout=deadline_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise BenchError(f"{_describe(self.load)} did not let go in {deadline_s} s") from None
        lines = out.strip().splitlines()
        return _result(self.load, lines[-1] if lines else "", err)


@contextmanager
def holding(load: Load, deadline_s: float = 120.0) -> Iterator[Holding]:
    """Start a hold or half_open generator and wait until it says it holds its connections."""
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        _argv(load),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    timer = threading.Timer(deadline_s, process.kill)
    timer.start()
    try:
        first = process.stdout.readline()
    finally:
        timer.cancel()
    try:
        announced = msgspec.json.decode(first)
    except msgspec.DecodeError:
        process.kill()
        _, err = process.communicate()
        raise BenchError(f"{_describe(load)} never held its connections: {err[-800:]}") from None
    hold = Holding(load, process, announced)
    try:
        yield hold
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
