from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One CA for all hardening tests: certificates are made once and reused."""
    return tmp_path_factory.mktemp("hardening-state")
