"""The service imports no training library: checked in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys

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
