"""`aura generate` shows how far it is: one learner's 200,000 sessions took over four minutes
here with nothing on the screen. On a terminal a bar moves; in a log (as here) a line marks each
tenth of the sessions drawn, once the generation has run for `GENERATE_QUIET_SECONDS` (0 here,
where it takes a fraction of a second). The tables are those written without it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import Result
from typer.testing import CliRunner

from aura.cli import app, pipeline
from aura.config import PARAMS_DIR
from aura.sim import FILES, TRUTH_FILES, write_datasets

SIZES = {"n_learners": 2, "n_tutors": 5, "n_sessions": 400}  # long histories: many rounds


def _generate(tmp_path: Path) -> Result:
    """`aura generate` at SIZES, seed 7, writing under `tmp_path` (its tables in `data/`)."""
    params = yaml.safe_load((PARAMS_DIR / "default.yaml").read_text(encoding="utf-8"))
    params["shared"] = {
        "seed": 7,
        "data_dir": str(tmp_path / "data"),
        "models_dir": str(tmp_path / "models"),
        "artifacts_dir": str(tmp_path / "artifacts"),
    }
    params["01_data_synthesis"] = SIZES
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params), encoding="utf-8")

    return CliRunner().invoke(app, ["generate", "--params", str(path)])


def test_generate_logs_each_tenth_of_the_sessions_drawn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "GENERATE_QUIET_SECONDS", 0.0)
    result = _generate(tmp_path)

    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("generating: ")]
    assert [line.split(" (")[1].split(")")[0] for line in lines] == [
        f"{10 * tenth}%" for tenth in range(11)
    ]
    assert lines[-1].startswith("generating: 400 of 400 sessions (100%), ")
    write_datasets(tmp_path / "quiet", seed=7, **SIZES)
    for name in [*FILES.values(), *(f"truth/{f}" for f in TRUTH_FILES.values())]:
        assert (tmp_path / "data" / name).read_bytes() == (tmp_path / "quiet" / name).read_bytes()


def test_a_short_generation_logs_no_progress(tmp_path: Path) -> None:
    """Most generations are over in a second: a log gets the tables' paths alone."""
    result = _generate(tmp_path)

    assert result.exit_code == 0, result.output
    assert [line.split(":")[0] for line in result.output.splitlines()] == [
        *FILES,
        *TRUTH_FILES,
    ]
