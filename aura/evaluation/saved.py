"""What notebook 05 evaluates: the results notebooks 03 and 04 saved in a models folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aura.files import read_json

MADE_BY: dict[str, str] = {
    "rl/results.json": "notebook 03 or aura train-rl",
    "supervised/metrics.json": "notebook 04 or aura train-supervised",
}
"""Each saved file the evaluation reads, and what writes it."""


def saved_results(models_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The RL grid's results and the supervised metrics in ``models_dir``, or a
    FileNotFoundError naming each missing file and what makes it: notebook 05 opened before 03
    and 04 had run on the same folder ended in a bare "No such file or directory"."""
    missing = [
        f"{models_dir / name} ({made_by})"
        for name, made_by in MADE_BY.items()
        if not (models_dir / name).is_file()
    ]
    if missing:
        raise FileNotFoundError(
            f"nothing to evaluate yet, no {'; no '.join(missing)}: run those first with the same "
            "models_dir"
        )
    rl, supervised = (read_json(models_dir / name) for name in MADE_BY)
    return rl["results"], supervised
