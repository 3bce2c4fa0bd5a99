"""A run's metrics files are strict JSON: a NaN or an infinity (a reference's missing interval in
a results table) is written as null, which every JSON reader accepts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aura import config
from aura.config import PROJECT_ROOT, project_relative
from aura.reports import write_metrics
from aura.reports.metrics import collect_metrics


def strict(text: str) -> object:
    """Parse as a strict reader does: NaN, Infinity and -Infinity are errors."""

    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_non_finite_numbers_are_written_as_null(tmp_path: Path) -> None:
    table = pd.DataFrame({"policy": ["random", "PPO"], "ci_low": [np.nan, 0.80]})
    write_metrics(
        tmp_path,
        "05_evaluation",
        {
            "rl": table.to_dict(orient="records"),
            "inf": float("inf"),
            "minus_inf": np.float64("-inf"),
            "array": np.array([1.5, np.nan]),
            "fine": 0.25,
        },
    )
    written = strict((tmp_path / "metrics" / "05_evaluation.json").read_text())
    assert written == {
        "rl": [{"policy": "random", "ci_low": None}, {"policy": "PPO", "ci_low": 0.80}],
        "inf": None,
        "minus_inf": None,
        "array": [1.5, None],
        "fine": 0.25,
    }
    merged = collect_metrics(tmp_path)
    assert strict((tmp_path / "metrics.json").read_text()) == merged == {"05_evaluation": written}


def test_a_file_written_with_nan_before_is_merged_as_strict_json(tmp_path: Path) -> None:
    """A run's metrics from before, with Python's NaN in them, still merge into strict JSON."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "03_rl_training.json").write_text('{"ci_low": NaN, "mean": 0.8}\n')
    collect_metrics(tmp_path)
    merged = strict((tmp_path / "metrics.json").read_text())
    assert merged == {"03_rl_training": {"ci_low": None, "mean": 0.8}}


def test_what_json_cannot_hold_is_still_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="object is not JSON serialisable"):
        write_metrics(tmp_path, "01", {"bad": object()})


def test_records_name_paths_from_the_project_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run's records read the same in every clone: a path under the project is written from
    its root, one outside it whole, and a run folder given from the root (as `aura run` passes
    it to the notebooks) is written there whatever the working directory."""
    assert project_relative(PROJECT_ROOT / "data" / "smoke") == "data/smoke"
    assert project_relative("data/smoke") == "data/smoke"
    outside = tmp_path / "outside" / "x.csv"
    assert project_relative(outside) == str(outside.resolve())
    root = tmp_path / "project"  # a project of the test's own: nothing is written in the clone
    monkeypatch.setattr(config, "PROJECT_ROOT", root)
    monkeypatch.chdir(tmp_path)  # notebooks run from notebooks/
    run_dir = root / "reports" / "runs" / "default-x"
    assert project_relative(run_dir) == "reports/runs/default-x"
    write_metrics(project_relative(run_dir), "01_data_synthesis", {"n": 1})
    assert strict((run_dir / "metrics" / "01_data_synthesis.json").read_text()) == {"n": 1}


@pytest.mark.parametrize(
    ("headline", "problem"),
    [
        ({"mean": 0.5}, "got a dict"),
        ([{"metric": "mean", "value": 0.5}, "mean"], "row 1 is a str"),
        ([{"metric": "mean", "valeu": 0.5}], "row 0 has key(s) valeu"),
    ],
)
def test_a_headline_that_is_not_a_list_of_rows_is_refused_by_the_notebook(
    tmp_path: Path, headline: object, problem: str
) -> None:
    """docs/extending.md, a notebook: the front page stopped in an AttributeError after the run,
    naming no notebook; the notebook's own cell refuses it, with or without a run."""
    for run_dir in (tmp_path, None):
        with pytest.raises(ValueError, match=rf"07_example's metrics: .*; {re.escape(problem)}"):
            write_metrics(run_dir, "07_example", {"headline": headline})
    assert not (tmp_path / "metrics").exists()
    write_metrics(tmp_path, "07_example", {"headline": [{"metric": "mean", "value": 0.5}]})
