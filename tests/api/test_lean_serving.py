"""The service imports no training library: checked in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys

from home_folder import written_under_a_fresh_home

HEAVY = ("torch", "sklearn", "pandas", "skl2onnx", "stable_baselines3", "gymnasium", "scipy")


def test_serving_imports_neither_torch_nor_sklearn_nor_pandas(artifacts_dir) -> None:
    code = f"""
import json, sys
from fastapi.testclient import TestClient
from aura.api.app import create_app
from aura.api.settings import Settings
with TestClient(create_app(settings=Settings(artifacts_dir={str(artifacts_dir)!r}))) as c:
    assert c.get("/health").status_code == 200
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_serving_leaves_onnxruntime_telemetry_off(artifacts_dir, tmp_path) -> None:
    """onnxruntime's Linux wheels collect usage telemetry for upload to Microsoft unless
    ORT_DISABLE_TELEMETRY is set before it starts: the service, on a private network, wrote a
    device id and an event store under its home folder (~/.cache/Microsoft/...) at every start,
    and where that folder is read-only (Lambda, a read-only container) printed a warning in
    colour between its JSON log lines."""
    code = f"""
from fastapi.testclient import TestClient
from aura.api.app import create_app
from aura.api.settings import Settings
with TestClient(create_app(settings=Settings(artifacts_dir={str(artifacts_dir)!r}))) as c:
    assert c.get("/health").status_code == 200
"""
    assert written_under_a_fresh_home(code, tmp_path) == []
