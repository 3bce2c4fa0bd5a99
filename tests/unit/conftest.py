"""Fixtures the unit tests share."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def folder(pristine: Path, tmp_path: Path) -> Path:
    """A copy of the module's ``pristine`` data folder (written once per module, at the size
    that module's cases need) for one test to edit."""
    return Path(shutil.copytree(pristine, tmp_path / "data"))
