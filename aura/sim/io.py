"""Write the simulated tables to disk, reproducibly (same seed, byte-identical files)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path

from aura.files import sha256_file, written_together
from aura.sim.generate import OnProgress, SimulatedData, generate

FILES = {
    "learners": "learners_data.csv",
    "tutors": "tutors_data.csv",
    "sessions": "sessions_data.csv",
}
TRUTH_FILES = {
    "learners_truth": "learners_truth.csv",
    "tutors_truth": "tutors_truth.csv",
    "sessions_truth": "sessions_truth.csv",
}


RECORD_FILE = "truth/written.json"
"""Beside the truth: the SHA-256 of every file the simulator wrote into a data folder, so that a
later write can tell its own files from a platform's export or a hand-edited table."""


class DataFolderError(ValueError):
    """A data folder holds tables the simulator did not write; writing would replace them."""


def _targets(out_dir: Path) -> dict[str, Path]:
    tables = {key: out_dir / name for key, name in FILES.items()}
    return tables | {key: out_dir / "truth" / name for key, name in TRUTH_FILES.items()}


def check_writable(out_dir: Path) -> None:
    """Refuse to write over tables the simulator did not write, or that changed since it did.

    A folder is the simulator's to rewrite where its record matches every table in it; one from
    before the record existed counts as the simulator's if it holds the whole hidden truth, which
    a platform's export has not. Anything else, a platform's own export above all, is named and
    left as it is."""
    existing = {key: path for key, path in _targets(out_dir).items() if path.exists()}
    if not existing:
        return
    record_path = out_dir / RECORD_FILE
    if record_path.is_file():
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
        except ValueError:  # a record edited by hand vouches for nothing
            record = {}
        changed = [p for k, p in existing.items() if record.get(k) != sha256_file(p)]
    elif all(k in existing for k in TRUTH_FILES):
        changed = []
    else:
        changed = list(existing.values())
    if changed:
        names = ", ".join(str(p.relative_to(out_dir)) for p in changed)
        raise DataFolderError(
            f"data folder {out_dir} holds {names}, which the simulator did not write or which "
            "changed since; nothing was written: name another data_dir (or --out), or move them"
        )


def simulator_wrote(out_dir: Path, hashes: Mapping[str, str]) -> bool:
    """Whether the tables of ``out_dir`` whose SHA-256 ``hashes`` gives (by table name) are the
    simulator's as it wrote them, by the rule `check_writable` applies: its record names each
    hash, or, in a folder from before the record, the whole hidden truth lies beside them. Only
    then do the truth, and every reference drawn from it, hold for those tables."""
    record_path = Path(out_dir) / RECORD_FILE
    if not record_path.is_file():
        return all((Path(out_dir) / "truth" / name).is_file() for name in TRUTH_FILES.values())
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except ValueError:  # a record edited by hand vouches for nothing
        return False
    return isinstance(record, dict) and all(record.get(k) == v for k, v in hashes.items())


def save(data: SimulatedData, out_dir: Path) -> dict[str, Path]:
    """Write the three CSVs to `out_dir` and the hidden truth to `out_dir/truth/`, with the record
    of what was written (`check_writable` refuses a folder holding tables of its own first).
    "~/..." is the home folder's, as pandas' to_csv takes it: the folder was made under a
    literal "~" while pandas wrote the tables under the home folder."""
    out_dir = Path(out_dir).expanduser()
    check_writable(out_dir)
    return _write(data, out_dir)


def _write(data: SimulatedData, out_dir: Path) -> dict[str, Path]:
    """`save` once the folder is checked: the tables and their record replace the last ones all
    together, or, stopped part way (Ctrl-C, a full disk), not at all. Written in place, a stopped
    write left a sessions table cut short that loaded as a smaller dataset without a word, beside
    the new draw's learners and the last one's truth, and a record that refused the folder to the
    next write. Folders made for the write go again with it."""
    written = _targets(out_dir)
    record_path = out_dir / RECORD_FILE
    made = [d for d in (*reversed(out_dir.parents), out_dir, record_path.parent) if not d.is_dir()]
    try:
        record_path.parent.mkdir(parents=True, exist_ok=True)
        with written_together([*written.values(), record_path]) as parts:
            for key, path in written.items():
                getattr(data, key).to_csv(parts[path], index=False, lineterminator="\n")
            record = {key: sha256_file(parts[path]) for key, path in written.items()}
            parts[record_path].write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    except BaseException:
        for folder in reversed(made):
            with suppress(OSError):  # a folder that holds something else stays
                folder.rmdir()
        raise
    return written


def write_datasets(
    out_dir: Path,
    *,
    seed: int,
    n_learners: int,
    n_tutors: int,
    n_sessions: int,
    on_progress: OnProgress | None = None,
) -> dict[str, Path]:
    """Generate the datasets for these parameters and write them; returns the paths. A folder
    holding tables of its own is refused before anything is generated. "~/..." is the home
    folder's, as in `save`. ``on_progress`` is told the sessions drawn (`OnProgress`)."""
    out_dir = Path(out_dir).expanduser()
    check_writable(out_dir)
    return _write(generate(seed, n_learners, n_tutors, n_sessions, on_progress), out_dir)
