"""Write the simulated tables to disk, reproducibly (same seed, byte-identical files)."""

from __future__ import annotations

from pathlib import Path

from aura.sim.generate import SimulatedData, generate

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


def save(data: SimulatedData, out_dir: Path) -> dict[str, Path]:
    """Write the three CSVs to `out_dir` and the hidden truth to `out_dir/truth/`."""
    out_dir = Path(out_dir)
    (out_dir / "truth").mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for key, name in FILES.items():
        written[key] = out_dir / name
        getattr(data, key).to_csv(written[key], index=False, lineterminator="\n")
    for key, name in TRUTH_FILES.items():
        written[key] = out_dir / "truth" / name
        getattr(data, key).to_csv(written[key], index=False, lineterminator="\n")
    return written


def write_datasets(
    out_dir: Path, *, seed: int, n_learners: int, n_tutors: int, n_sessions: int
) -> dict[str, Path]:
    """Generate the datasets for these parameters and write them; returns the paths."""
    return save(generate(seed, n_learners, n_tutors, n_sessions), Path(out_dir))
