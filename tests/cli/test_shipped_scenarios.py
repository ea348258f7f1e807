"""The shipped scenarios are package data, reachable by name after `pip install`
(docs/scenarios.md, "Shipped scenarios"): `scada-emu scenarios`, `scada-emu run failover`,
`scada-emu check failover`, `@pytest.mark.scada_scenario("failover")`.

The package is built as a wheel would have it (setuptools' build_py: package files and
package data, the scenario symlinks copied as files) into a temporary folder, and used from
there, outside the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.cli import main
from emulator.topology import shipped

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120
SETUP = [sys.executable, "-c", "from setuptools import setup; setup()"]


def checkout_scenarios() -> list[str]:
    return sorted(p.stem for p in (ROOT / "scenarios").glob("*.toml"))


def test_every_scenario_of_the_checkout_is_shipped() -> None:
    assert sorted(shipped.names()) == checkout_scenarios()
    for name in checkout_scenarios():
        assert shipped.text(name) == (ROOT / "scenarios" / f"{name}.toml").read_text("utf-8")


def test_scenarios_lists_them_and_prints_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    for name in checkout_scenarios():
        assert f"\n{name} " in out
    assert "Failover: the primary alarm and I/O servers die" in out
    assert main(["scenarios", "failover"]) == 0
    assert capsys.readouterr().out == (ROOT / "scenarios" / "failover.toml").read_text("utf-8")


def test_an_unknown_name_lists_the_shipped_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", "failovr"]) == 2
    err = capsys.readouterr().err
    assert "no file 'failovr' and no shipped scenario of that name" in err
    assert "failover" in err and "scada-emu scenarios" in err


def test_a_file_of_that_name_wins_over_the_shipped_scenario(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "failover").write_text('[project]\nname = "Mine"\n')
    assert not shipped.is_shipped("failover")
    assert shipped.load_source("failover").model.project.name == "Mine"
    assert shipped.load_source("failover.toml").model.project.name == "Failover"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package as a wheel holds it, outside the checkout."""
    lib = tmp_path_factory.mktemp("wheel") / "lib"
    subprocess.run(
        [*SETUP, "-q", "build_py", "--build-lib", str(lib)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=TIMEOUT,
    )
    return lib


def from_package(built: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(built)}
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def test_the_built_package_holds_the_scenarios_as_files(built: Path) -> None:
    folder = built / "emulator" / "data" / "scenarios"
    for name in checkout_scenarios():
        file = (
            built / "emulator" / "data" / "demo.toml" if name == "demo" else folder / f"{name}.toml"
        )
        assert file.is_file() and not file.is_symlink(), file
        assert file.read_bytes() == (ROOT / "scenarios" / f"{name}.toml").read_bytes()


def test_names_work_from_the_built_package(built: Path, tmp_path: Path) -> None:
    where = from_package(built, tmp_path, "-c", "import emulator; print(emulator.__file__)")
    assert where.stdout.strip().startswith(str(built)), where.stderr
    listed = from_package(built, tmp_path, "-m", "emulator", "scenarios")
    assert listed.returncode == 0 and "failover" in listed.stdout, listed.stderr
    checked = from_package(built, tmp_path, "-m", "emulator", "check", "failover")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "failover: 0 errors" in checked.stdout


def test_the_docs_marker_example_works_in_a_project_of_its_own(built: Path, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\nasyncio_mode = 'auto'\n")
    (tmp_path / "test_plant.py").write_text(
        "import pytest\n\n\n"
        '@pytest.mark.scada_scenario("failover")\n'
        "async def test_failover(scada_plant):\n"
        '    assert scada_plant.supervisor.loaded.model.project.name == "Failover"\n\n\n'
        '@pytest.mark.scada_scenario("encrypted-only")\n'
        "async def test_encrypted(scada_plant):\n"
        '    async with scada_plant.client("SCADA-TLS", encryption="encrypted") as session:\n'
        "        assert session.encrypted\n"
    )
    ran = from_package(built, tmp_path, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-2000:]
    assert "2 passed" in ran.stdout
