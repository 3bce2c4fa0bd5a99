"""What a run records about where it ran: the commit, the library versions and the processor.

A number in a report is traced back to the code and the environment that gave it: the git commit
(and whether the tree had uncommitted changes), the versions of the libraries it depends on, and
the processor, which decides the last-bit rounding of PyTorch's matrix products and so the path RL
training takes. `aura run` writes these into each run's run.json, the ONNX export into its
manifest, and the benchmarks into their reports; the host's speed, recorded beside them, is
`aura.reports.host`.
"""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from aura.config import PROJECT_ROOT

TRACKED_LIBRARIES: tuple[str, ...] = (
    "aura",  # the version a citation names, beside the commit
    "numpy",
    "scipy",
    "pandas",
    "pandera",
    "scikit-learn",
    "torch",
    "gymnasium",
    "stable-baselines3",
    "optuna",
    "onnx",
    "skl2onnx",
    "onnxruntime",
    "fastapi",
    "pydantic",
    "papermill",
    "nbconvert",
)
"""Distributions whose versions are recorded in run.json (a number depends on all of them)."""


def git_state(root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """Commit and dirtiness of the working tree, or ``None`` values outside a git checkout."""

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(
                ["git", *args], cwd=root, capture_output=True, text=True, check=True, timeout=30
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip()

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain") if commit else None
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def library_versions() -> dict[str, str | None]:
    """Installed versions of the libraries a result depends on (``None`` if not installed)."""
    versions: dict[str, str | None] = {}
    for name in TRACKED_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def processor_name(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The processor's model name. Trained agents depend on it: MKL picks the code branch of
    PyTorch's matrix products by processor, and on another processor their last-bit rounding
    differs and RL training takes another path from the same seed (docs/rl.md, Determinism)."""
    try:
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
