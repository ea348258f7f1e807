"""The package metadata a public release needs, as the build backend writes it, with no license
deprecation warning; and README links that work where the README is shown off GitHub (the
package index): absolute, and naming files that exist.

The build runs the backend pyproject.toml names (setuptools >= 77) from the test environment,
on a copy of the tree, without network. It skips only where an older setuptools is installed
and CI is not set (`make .venv/.installed-test` installs the test extra, which has it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from email.message import Message
from email.parser import Parser
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
REPOSITORY = PROJECT["urls"]["Repository"]
RAW = REPOSITORY.replace("https://github.com/", "https://raw.githubusercontent.com/")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _setuptools_major() -> int:
    try:
        return int(version("setuptools").split(".")[0])
    except Exception:
        return 0


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Message, Path, str]:
    """(METADATA, the .dist-info folder, the backend's stderr) of a copy of the tree."""
    if _setuptools_major() < 77 and not os.environ.get("CI"):
        pytest.skip("setuptools >= 77 is not installed: `make .venv/.installed-test` has it")
    tree = tmp_path_factory.mktemp("tree")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, tree / name)
    shutil.copytree(ROOT / "emulator", tree / "emulator", ignore=shutil.ignore_patterns("*.pyc"))
    out = tree / "out"
    out.mkdir()
    code = (
        "import sys; from setuptools import build_meta as b; "
        "print(b.prepare_metadata_for_build_wheel(sys.argv[1]))"
    )
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c", code, str(out)],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    info = out / done.stdout.strip().splitlines()[-1]
    metadata = Parser().parsestr((info / "METADATA").read_text("utf-8"))
    return metadata, info, done.stderr


def test_the_build_warns_nothing_about_the_license(built: tuple[Message, Path, str]) -> None:
    _, _, stderr = built
    warnings = [line for line in stderr.splitlines() if "Warning" in line or "!!" in line]
    assert not [w for w in warnings if "licen" in w.lower()], stderr
    assert "SetuptoolsDeprecationWarning" not in stderr, stderr


def test_the_metadata_of_a_public_release(built: tuple[Message, Path, str]) -> None:
    metadata, info, _ = built
    assert metadata["Name"] == "plant-scada-emulator"
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert (info / "licenses" / "LICENSE").read_text("utf-8") == (ROOT / "LICENSE").read_text(
        "utf-8"
    )
    assert metadata["Author"] or metadata["Author-email"]
    urls = dict(u.split(", ", 1) for u in metadata.get_all("Project-URL") or [])
    assert set(urls) >= {"Homepage", "Documentation", "Repository", "Issues"}
    assert all(u.startswith("https://") for u in urls.values())
    classifiers = metadata.get_all("Classifier") or []
    assert "Programming Language :: Python :: 3.11" in classifiers
    assert "Framework :: Pytest" in classifiers
    assert not [c for c in classifiers if c.startswith("License ::")]  # the SPDX string says it
    assert {"scada", "ctapi", "emulator"} <= set(metadata["Keywords"].split(","))
    assert "pytest" in (metadata.get_all("Provides-Extra") or [])
    assert metadata["Description-Content-Type"] == "text/markdown"


def test_the_license_file_is_apache_2() -> None:
    text = (ROOT / "LICENSE").read_text("utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert PROJECT["license"] == "Apache-2.0"


def test_readme_links_are_absolute_and_name_files_that_exist() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    targets = LINK.findall(readme)
    assert len(targets) > 10
    for target in targets:
        assert target.startswith(("https://", "#")), f"README links {target!r}: not absolute"
        for base in (f"{REPOSITORY}/blob/main/", f"{REPOSITORY}/tree/main/", f"{RAW}/main/"):
            if target.startswith(base):
                path = target.removeprefix(base).partition("#")[0]
                assert (ROOT / path).exists(), f"README links {target!r}: no {path} in the tree"
