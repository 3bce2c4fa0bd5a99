"""The studies of docs/rl.md as params files (`params/studies/`): each is the default params with
the changes its header lists, passes every check a run makes, and trains into a models folder of
its own, so a recorded number is one command away and never overwrites the default grid (nor,
through `aura run`, the default export)."""

from __future__ import annotations

import shlex
from itertools import takewhile
from pathlib import Path

import pytest

from aura.config import NOTEBOOKS_DIR, PARAMS_DIR, load_params
from aura.params_check import check_params
from aura.params_edit import COMMAND, derive_params
from aura.reports.runner import discover_notebooks

STUDIES = sorted((PARAMS_DIR / "studies").glob("*.yaml"))
HEADER = f"# default.yaml with, by `{COMMAND}`:"


def settings(study: Path) -> list[str]:
    """The changes a study's header lists, as `--set` values."""
    lines = study.read_text(encoding="utf-8").splitlines()
    assert lines[0] == HEADER, f"{study.name} was not derived from default.yaml"
    listed = takewhile(lambda line: line.startswith("#   "), lines[1:])  # then the base's own
    return [line.removeprefix("#   ") for line in listed]


def test_there_are_studies() -> None:
    assert len(STUDIES) >= 5


@pytest.mark.parametrize("study", STUDIES, ids=[s.stem for s in STUDIES])
def test_a_study_is_the_default_params_with_its_listed_changes(study: Path) -> None:
    listed = settings(study)
    text, _ = derive_params(PARAMS_DIR / "default.yaml", listed)
    again = " ".join(f"--set {shlex.quote(s)}" for s in listed)
    assert text == study.read_text(encoding="utf-8"), (
        f"{study.name} is no longer default.yaml with its changes; write it again: "
        f"aura params derive --out {study.relative_to(PARAMS_DIR.parent)} --force {again}"
    )


@pytest.mark.parametrize("study", STUDIES, ids=[s.stem for s in STUDIES])
def test_a_study_passes_every_check_and_keeps_its_folders_apart(study: Path) -> None:
    params = load_params(study)
    check_params(params, discover_notebooks(NOTEBOOKS_DIR), study)
    assert params["shared"]["models_dir"] == f"models/studies/{study.stem}"
    assert params["shared"]["artifacts_dir"] == f"artifacts-studies/{study.stem}"
