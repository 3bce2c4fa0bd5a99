"""The files each notebook reads that an earlier notebook writes, and which notebook writes each.

`aura run` asks it before any notebook starts: `--only 04` on a data folder never drawn, or
`--only 06` on a models folder never trained, started a kernel, made a run folder and stopped in
the notebook's first reading cell. Notebook 05 asks it again in its kernel
(`aura.evaluation.saved`).
Notebooks 02 and 03 read no other notebook's file with their default options (their environments
draw learners and tutors from the simulator); a CSV named in their environments' options is
checked when the environment is built with them, and a saved grid (`03_rl_training.load`) by
`aura.rl.saved`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aura.config import project_path
from aura.sim.io import FILES, TRUTH_FILES


@dataclass(frozen=True)
class Input:
    """A file a notebook reads: the folder of `shared` it lies in, its path there, the notebook
    that writes it and, in words, what writes it (the notebook or a command)."""

    folder: str
    name: str
    notebook: str
    made_by: str


@dataclass(frozen=True)
class Reads:
    """What a notebook reads, and what it says when something is missing (what it cannot do)."""

    nothing_yet: str
    files: tuple[Input, ...]


Missing = list[tuple[Input, Path]]
"""Missing files, each with its path."""


def _drawn(*names: str) -> tuple[Input, ...]:
    return tuple(
        Input("data_dir", name, "01_data_synthesis", "notebook 01 or aura generate")
        for name in names
    )


TABLES = _drawn(*FILES.values())
"""The learners, tutors and sessions CSVs notebook 01 draws."""
_GRID = ("03_rl_training", "notebook 03 or aura train-rl")
RL_RESULTS = Input("models_dir", "rl/results.json", *_GRID)
RL_SELECTED = Input("models_dir", "rl/selected.json", *_GRID)
SUPERVISED_METRICS = Input(
    "models_dir",
    "supervised/metrics.json",
    "04_supervised_training",
    "notebook 04 or aura train-supervised",
)
"""Written last into the folder of the forests, which the training writes whole: it stands for
the saved models too."""

INPUTS: dict[str, Reads] = {
    "04_supervised_training": Reads("nothing to train on yet", TABLES),
    "05_evaluation": Reads(
        "nothing to evaluate yet",
        (
            RL_RESULTS,
            SUPERVISED_METRICS,
            *TABLES,
            *_drawn(*(f"truth/{TRUTH_FILES[k]}" for k in ("sessions_truth", "tutors_truth"))),
        ),
    ),
    "06_model_export": Reads("nothing to export yet", (RL_SELECTED, SUPERVISED_METRICS, *TABLES)),
}
"""Each notebook that reads another's files: those files, each with the notebook that writes it."""


def _upstream(notebook: str) -> set[str]:
    """Every notebook whose files ``notebook`` reads, directly or through another notebook."""
    found: set[str] = set()
    todo = [notebook]
    while todo:
        reads = INPUTS.get(todo.pop())
        for made in reads.files if reads else ():
            if made.notebook not in found:
                found.add(made.notebook)
                todo.append(made.notebook)
    return found


def _path(folders: Mapping[str, Any], made: Input) -> Path:
    return (project_path(folders[made.folder]) / made.name).resolve()


def missing_files(
    notebook: str, folders: Mapping[str, Any], written: Iterable[Path] = ()
) -> Missing:
    """The files ``notebook`` reads in ``folders`` (of `shared`: a folder not given is not
    looked at) that are neither there nor among ``written``, each with its path."""
    written = set(written)
    reads = INPUTS.get(notebook)
    found = [
        (made, _path(folders, made))
        for made in (reads.files if reads else ())
        if made.folder in folders
    ]
    return [(made, path) for made, path in found if path not in written and not path.is_file()]


def refusal(notebook: str, missing: Missing) -> str:
    """One line: what ``notebook`` cannot do yet, each missing file with what writes it, and
    the folders to keep when running those first."""
    by_maker: dict[str, list[str]] = {}
    for made, path in missing:
        by_maker.setdefault(made.made_by, []).append(str(path))
    files = "; no ".join(f"{', '.join(paths)} ({made_by})" for made_by, paths in by_maker.items())
    folders = " and ".join(dict.fromkeys(made.folder for made, _ in missing))
    return f"{INPUTS[notebook].nothing_yet}, no {files}: run those first with the same {folders}"


def nearest(missing: Missing, before: Iterable[str] = ()) -> Missing:
    """The missing files to name: those whose notebook neither feeds another missing file's
    notebook nor a notebook of ``before`` (run earlier), whose own check names them. Notebook 05
    on a fresh clone names the grid's and the forests' files, not also the tables the forests
    are trained on."""
    feeding = set().union(*(_upstream(n) for n in {m.notebook for m, _ in missing} | set(before)))
    return [(made, path) for made, path in missing if made.notebook not in feeding]


def missing_inputs(notebooks: Mapping[str, Mapping[str, Any]]) -> str | None:
    """Why a run of ``notebooks`` (each notebook's parameters, in run order) would stop on a
    file a notebook reads that is not there and that no notebook run before it writes (into
    the same folder), as ``"<notebook>: <refusal>"``; None when nothing is missing. The last
    notebook with such a file is named, with the nearest files it lacks."""
    order = list(notebooks)
    for i in reversed(range(len(order))):
        reader, before = order[i], order[:i]
        written = {
            _path(notebooks[made.notebook], made)
            for reads in INPUTS.values()
            for made in reads.files
            if made.notebook in before
        }
        named = nearest(missing_files(reader, notebooks[reader], written), before)
        if named:
            return f"{reader}: {refusal(reader, named)}"
    return None
