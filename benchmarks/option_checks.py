"""Option checks the benchmarks share, as typer callbacks: a bad value is refused with typer's
usage error naming the option, before any run (a benchmark writes its report after minutes)."""

from __future__ import annotations

from pathlib import Path

import typer

from aura.api.artifacts import ArtifactError, verify_artifacts
from aura.files import unwritable


def writable_out(out: Path | None) -> Path | None:
    """``--out``, if a report can be written there (None: the benchmark's default, in
    reports/bench/)."""
    problem = None if out is None else unwritable(out)
    if problem:
        raise typer.BadParameter(f"{out} {problem}")
    return out


def servable_artifacts(folder: Path) -> Path:
    """``--artifacts``, if the service would start on it (manifest, every file, sha256)."""
    try:
        verify_artifacts(folder)
    except ArtifactError as exc:
        raise typer.BadParameter(str(exc)) from None
    return folder
