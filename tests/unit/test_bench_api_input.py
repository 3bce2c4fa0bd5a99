"""The API benchmark refuses an artifacts folder it cannot serve in one line that names
``--artifacts``, before it starts a server or needs wrk."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from aura.config import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "benchmarks" / "bench_api.py"


def test_a_folder_without_artifacts_is_refused_naming_the_option(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--artifacts", str(tmp_path), "--out", str(tmp_path / "x")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "400"},  # rich's error box on one line
    )
    assert out.returncode == 2, out.stderr
    assert "--artifacts" in out.stderr
    assert f"{tmp_path} has no manifest.json" in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "x").exists()
