"""What notebook 05 evaluates: the results notebooks 03 and 04 saved in a models folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aura.files import read_json
from aura.notebook_inputs import RL_RESULTS, SUPERVISED_METRICS, missing_files, nearest, refusal

NOTEBOOK = "05_evaluation"


def saved_results(models_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The RL grid's results and the supervised metrics in ``models_dir``, or a
    FileNotFoundError naming each missing file and what makes it: notebook 05 opened before 03
    and 04 had run on the same folder ended in a bare "No such file or directory". `aura run`
    makes the same check (`aura.notebook_inputs`) before any notebook starts."""
    missing = nearest(missing_files(NOTEBOOK, {"models_dir": models_dir}))
    if missing:
        raise FileNotFoundError(refusal(NOTEBOOK, missing))
    rl, supervised = (
        read_json(Path(models_dir) / made.name) for made in (RL_RESULTS, SUPERVISED_METRICS)
    )
    return rl["results"], supervised
