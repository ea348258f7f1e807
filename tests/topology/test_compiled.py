"""The compiled form of a large file: made once, reused while the file is unchanged, made again
with a note saying why; problems keep their file lines; files too large for memory are refused."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from emulator.cli import main
from emulator.topology import compiled, load
from emulator.topology.compile import compile_topology
from emulator.topology.load import LoadError, load_text
from tests.topology.helpers import BASE, line_of, process

#: A warning with a line (port 2075 is another process type's default).
TEXT = BASE + process("IO1", "io", port=2075)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every file counts as large; the cache in tmp_path."""
    monkeypatch.setattr(compiled, "MIN_BYTES", 0)
    where = tmp_path / "cache"
    monkeypatch.setenv(compiled.CACHE_ENV, str(where))
    return where


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plant.toml"
    path.write_text(text, "utf-8")
    return path


def test_the_compiled_form_is_made_once_then_reused(tmp_path: Path, cache: Path) -> None:
    path = write(tmp_path, TEXT)
    first = compiled.load_and_compile(path)
    assert first.note is not None and "no compiled form of it yet" in first.note
    assert str(cache) in first.note and not first.reused
    second = compiled.load_and_compile(path)
    assert second.reused and second.note is None
    assert second.loaded.model == first.loaded.model
    assert second.problems == first.problems
    [warning] = second.problems
    assert warning.location.line == line_of(TEXT, "port = 2075")
    # The supervisor compiles the loaded topology again: it gets the same, without the rules.
    assert compile_topology(second.loaded) == second.problems
    assert compile_topology(first.loaded) == first.problems


def test_a_changed_file_is_compiled_again(tmp_path: Path, cache: Path) -> None:
    path = write(tmp_path, TEXT)
    compiled.load_and_compile(path)
    path.write_text(BASE + process("IO1", "io"), "utf-8")
    again = compiled.load_and_compile(path)
    assert again.note is not None and "changed since it was last compiled" in again.note
    assert again.problems == [] and not again.reused
    assert compiled.load_and_compile(path).reused


def test_a_damaged_entry_is_replaced(tmp_path: Path, cache: Path) -> None:
    path = write(tmp_path, TEXT)
    compiled.load_and_compile(path)
    [entry] = cache.iterdir()
    entry.write_bytes(b"\x93garbage")
    again = compiled.load_and_compile(path)
    assert again.note is not None and "damaged or of another version" in again.note
    assert len(again.problems) == 1
    assert compiled.load_and_compile(path).reused


def test_a_cache_that_cannot_be_written_still_compiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compiled, "MIN_BYTES", 0)
    blocked = tmp_path / "file"
    blocked.write_text("", "utf-8")
    monkeypatch.setenv(compiled.CACHE_ENV, str(blocked / "cache"))
    result = compiled.load_and_compile(write(tmp_path, TEXT))
    assert result.note is not None and "cannot be kept" in result.note
    assert len(result.problems) == 1


def test_small_files_and_off_use_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    where = tmp_path / "cache"
    monkeypatch.setenv(compiled.CACHE_ENV, str(where))
    path = write(tmp_path, TEXT)
    assert compiled.load_and_compile(path).note is None  # under MIN_BYTES
    monkeypatch.setattr(compiled, "MIN_BYTES", 0)
    monkeypatch.setenv(compiled.CACHE_ENV, "off")
    assert compiled.load_and_compile(path).note is None
    assert not where.exists()


def test_a_toml_error_is_not_kept(tmp_path: Path, cache: Path) -> None:
    path = write(tmp_path, '[project]\nname = "x"\nport = \n')
    for _ in range(2):
        with pytest.raises(LoadError) as caught:
            compiled.load_and_compile(path)
        assert caught.value.location.line == 3
    assert not cache.exists()


def test_check_says_when_it_compiles(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, TEXT)
    assert main(["check", str(path)]) == 0
    out, err = capsys.readouterr()
    assert err.startswith(f"note: compiled {path} (")
    assert main(["check", str(path)]) == 0
    again, err = capsys.readouterr()
    assert (again, err) == (out, "")


def test_a_file_too_large_for_memory_is_refused_before_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(load, "available_memory", lambda: 100 * load.MEMORY_PER_BYTE)
    monkeypatch.setattr(tomllib, "loads", lambda _: pytest.fail("decoded"))
    with pytest.raises(LoadError) as caught:
        load_text(TEXT, "plant.toml")
    assert caught.value.rule == "too-large"
    assert "too large to load here" in caught.value.message
    path = write(tmp_path, TEXT)
    assert main(["check", str(path)]) == 2
    assert "too large to load here" in capsys.readouterr().err


def test_available_memory_is_known_here() -> None:
    available = load.available_memory()
    assert available is None or available > 0
