"""Smoke-scale artifacts, built once per session, and the app served from them.

The forests are the real `aura.supervised` pipelines fitted with few trees on a small simulated
dataset; the policies are PPO models trained for a few hundred steps on stand-in environments
with the observation and action spaces of the AURA environments, described by the manifest
features the export gives them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from aura.api.app import create_app
from aura.api.settings import Settings

SEED = 11


@pytest.fixture(scope="session")
def artifacts_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from smoke_artifacts import build_smoke_artifacts

    return build_smoke_artifacts(tmp_path_factory.mktemp("smoke"), seed=SEED)


@pytest.fixture(scope="session")
def client(artifacts_dir: Path) -> Iterator[TestClient]:
    app = create_app(
        settings=Settings(artifacts_dir=artifacts_dir, max_records=1000, max_body_bytes=2_000_000)
    )
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="session")
def rng() -> np.random.Generator:
    return np.random.default_rng(SEED)
