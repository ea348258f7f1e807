"""The compiled form of a large topology file: its model and every compile problem, kept in a
cache so the next `check` or `run` of the unchanged file skips the TOML parse, the decode and
the compile rules (Plant SCADA compiles a project once; its runtime loads the compiled form).

One entry per file path, named by the path's hash, valid while the file's bytes and the
emulator's code are those it was made from. Documented in docs/topology.md ("Compiled form").
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import msgspec

from emulator.runtime.files import write_atomic
from emulator.topology.compile import compile_topology
from emulator.topology.load import LoadedTopology, LoadError, load_bytes, load_demo, read_source
from emulator.topology.model import Topology
from emulator.topology.problems import Problem
from emulator.topology.shipped import is_shipped, load_shipped

#: Where the cache lives instead of the default; "off" (or empty): no cache.
CACHE_ENV = "SCADA_EMU_CACHE_DIR"
#: Files smaller than this (a few thousand tags) compile about as fast as their entry loads.
MIN_BYTES = 1 << 20
#: Changes when the entry's layout does.
FORMAT = 1


class _Entry(msgspec.Struct, array_like=True):
    fingerprint: str
    model: Topology
    decode_problems: tuple[Problem, ...]
    problems: tuple[Problem, ...]


@dataclass(frozen=True, slots=True)
class Compiled:
    """A loaded and compiled file, and what the user is told about its compiled form."""

    loaded: LoadedTopology
    problems: list[Problem]
    #: Set when the compiled form was made (again): why, and where it is kept.
    note: str | None = None
    #: True when the compiled form was reused (nothing was parsed or compiled).
    reused: bool = False


def default_cache_dir() -> Path | None:
    """$SCADA_EMU_CACHE_DIR, else $XDG_CACHE_HOME (~/.cache)/plant-scada-emulator/compiled."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen is not None:
        return None if chosen in ("", "off") else Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "plant-scada-emulator" / "compiled"


def load_and_compile(
    source: str | os.PathLike[str] | None, *, cache: Path | bool | None = True
) -> Compiled:
    """Load a file (None: the packaged demo plant; a bare name with no such file: a shipped
    scenario) and compile it, through the compiled form when the file is large enough and
    `cache` is on (True: default_cache_dir()); LoadError when unreadable."""
    if source is None or is_shipped(source):
        return _compiled(load_demo() if source is None else load_shipped(os.fspath(source)))
    path = Path(source)
    raw = read_source(path)
    where = default_cache_dir() if cache is True else (cache or None)
    if where is None or len(raw) < MIN_BYTES:
        return _compiled(load_bytes(raw, str(path)))
    return _through_cache(raw, str(path), where / f"{_digest(str(path.resolve()))[:32]}.msgpack")


def _through_cache(raw: bytes, source: str, entry_path: Path) -> Compiled:
    fingerprint = _digest(raw, source.encode(), _code_fingerprint().encode())
    entry, why = _read(entry_path)
    if entry is not None and entry.fingerprint == fingerprint:
        loaded = LoadedTopology(source, entry.model, entry.decode_problems, compiled=entry.problems)
        return Compiled(loaded, list(entry.problems), reused=True)
    compiled = _compiled(load_bytes(raw, source))
    loaded, problems = compiled.loaded, compiled.problems
    if entry is not None:
        why = "the file or the emulator changed since it was last compiled"
    data = msgspec.msgpack.encode(
        _Entry(fingerprint, loaded.model, loaded.problems, tuple(problems))
    )
    try:
        entry_path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(entry_path, data)
    except OSError as exc:
        kept = f"its compiled form cannot be kept in {entry_path.parent}: {exc.strerror or exc}"
    else:
        kept = f"its compiled form is kept in {entry_path} for the next check or run"
    note = f"compiled {source} ({len(raw) / 2**20:,.1f} MiB; {why}); {kept}"
    return Compiled(loaded, problems, note=note)


def _compiled(loaded: LoadedTopology) -> Compiled:
    """Compiled, and the problems kept with it so that the supervisor does not compile again."""
    problems = compile_topology(loaded)
    return Compiled(replace(loaded, compiled=tuple(problems)), problems)


def _read(entry_path: Path) -> tuple[_Entry | None, str]:
    """The cache entry and, when there is none, why (for the note)."""
    try:
        data = entry_path.read_bytes()
    except FileNotFoundError:
        return None, "no compiled form of it yet"
    except OSError as exc:
        return None, f"its compiled form cannot be read: {exc.strerror or exc}"
    try:
        return msgspec.msgpack.decode(data, type=_Entry), ""
    except msgspec.DecodeError:
        return None, "its compiled form was damaged or of another version"


def _digest(*parts: bytes | str) -> str:
    digest = hashlib.blake2b(digest_size=32)
    for part in parts:
        chunk = part.encode() if isinstance(part, str) else part
        digest.update(len(chunk).to_bytes(8, "little"))
        digest.update(chunk)
    return digest.hexdigest()


def _code_fingerprint() -> str:
    """What the compiled form depends on besides the file: this emulator's code (each module's
    path, size and modification time), msgspec and Python, and the entry format."""
    package = Path(__file__).resolve().parent.parent
    parts = [f"{FORMAT} {sys.version} {msgspec.__version__}"]
    for module in sorted(package.rglob("*.py")):
        stat = module.stat()
        parts.append(f"{module.relative_to(package)} {stat.st_size} {stat.st_mtime_ns}")
    return _digest("\n".join(parts))


__all__ = ["CACHE_ENV", "Compiled", "LoadError", "default_cache_dir", "load_and_compile"]
