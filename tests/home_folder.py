"""A Python snippet run with an empty home folder, for tests of what a library leaves there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

KEPT = {"PATH", "LANG", "PYTHONPATH", "OMP_NUM_THREADS"}


def written_under_a_fresh_home(code: str, tmp_path: Path) -> list[str]:
    """The paths ``code``, run in a new interpreter whose HOME is a new empty folder, left under
    that folder (the interpreter must exit 0); ORT_DISABLE_TELEMETRY and the like are not
    passed on, so the code meets a library's defaults."""
    home = tmp_path / "home"
    home.mkdir()
    env = {name: value for name, value in os.environ.items() if name in KEPT}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "HOME": str(home)},
    )
    assert result.returncode == 0, result.stderr
    return [str(p.relative_to(home)) for p in home.rglob("*")]
