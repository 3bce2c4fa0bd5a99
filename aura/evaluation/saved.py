"""What notebook 05 evaluates: the results notebooks 03 and 04 saved in a models folder."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from aura.files import read_json

MADE_BY: dict[str, tuple[str, str]] = {
    "rl/results.json": ("03_rl_training", "notebook 03 or aura train-rl"),
    "supervised/metrics.json": ("04_supervised_training", "notebook 04 or aura train-supervised"),
}
"""Each saved file the evaluation reads: the notebook that writes it, and what writes it in
words."""


def missing_results(models_dir: Path, made_first: Iterable[str] = ()) -> str | None:
    """What the evaluation lacks in ``models_dir``: each missing file and what makes it, but for
    those a notebook of ``made_first`` (run before it) writes; None when nothing is missing.
    `aura run --only 05` on a fresh models folder asks it before any notebook starts."""
    made_first = set(made_first)
    missing = [
        f"{models_dir / name} ({made_by})"
        for name, (notebook, made_by) in MADE_BY.items()
        if notebook not in made_first and not (models_dir / name).is_file()
    ]
    if not missing:
        return None
    return (
        f"nothing to evaluate yet, no {'; no '.join(missing)}: run those first with the same "
        "models_dir"
    )


def saved_results(models_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The RL grid's results and the supervised metrics in ``models_dir``, or a
    FileNotFoundError naming each missing file and what makes it: notebook 05 opened before 03
    and 04 had run on the same folder ended in a bare "No such file or directory"."""
    problem = missing_results(models_dir)
    if problem:
        raise FileNotFoundError(problem)
    rl, supervised = (read_json(models_dir / name) for name in MADE_BY)
    return rl["results"], supervised
