"""nbval over the committed notebooks: they must run and reproduce their recorded summaries.

The notebooks run in a separate pytest process (``pytest --nbval-lax``) so the single ``pytest``
command covers them in file order 01..06, as one chain: later notebooks read what earlier ones
wrote under data/nbval/. In lax mode every cell runs and any error fails, while outputs are
compared only on cells tagged ``nbval-check-output``, which ``make notebooks`` sets on
``# summary`` cells. The other tests here exercise that machinery on throwaway notebooks.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from aura.config import PROJECT_ROOT
from aura.reports.notebook_outputs import (
    CHECK_TAG,
    committed_notebooks,
    notebook_problems,
    record_notebook,
)

SANITIZE = Path(__file__).with_name("nbval_sanitize.cfg")
NOTEBOOKS = committed_notebooks()


def run_nbval(paths: list[Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run nbval on ``paths`` in a fresh pytest process and return its result."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--nbval-lax",
        "--nbval-kernel-name=python3",
        f"--nbval-sanitize-with={SANITIZE}",
        "-p",
        "no:cacheprovider",
        "-q",
        *map(str, paths),
    ]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=3600)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_in_recorded_form(notebook: Path) -> None:
    problems = notebook_problems(notebook)
    assert not problems, (
        f"{notebook.name} is not in recorded form; run `make notebooks`: " + "; ".join(problems)
    )


@pytest.mark.slow
def test_notebooks_reproduce_their_recorded_summaries() -> None:
    assert NOTEBOOKS, "no notebooks/NN_*.ipynb found: nothing would be compared"
    result = run_nbval(NOTEBOOKS, cwd=PROJECT_ROOT)
    assert result.returncode == 0, f"nbval failed:\n{result.stdout}\n{result.stderr}"


TINY = [
    ("seed = 3\nrun_dir = None", ["parameters"]),
    "import time\nprint('noise', time.time())",
    "# summary\nprint('total', sum(range(seed * 4)))",
    "{'answer': 42}",
]


def test_record_keeps_only_summary_outputs(tmp_path: Path, make_notebook) -> None:
    path = record_notebook(make_notebook(tmp_path / "01_tiny.ipynb", TINY))
    nb = nbformat.read(path, as_version=4)
    params, noise, summary, last = nb.cells
    assert noise.outputs == [] and last.outputs == [] and params.outputs == []
    assert summary.outputs[0]["text"] == "total 66\n"
    assert CHECK_TAG in summary.metadata["tags"]
    assert params.metadata["tags"] == ["parameters"]
    assert [c.execution_count for c in nb.cells] == [None, None, 3, None]
    assert set(nb.metadata) == {"kernelspec", "language_info"}
    assert notebook_problems(path) == []


def test_problems_are_reported_for_unrecorded_notebooks(tmp_path: Path, make_notebook) -> None:
    path = make_notebook(tmp_path / "02_raw.ipynb", TINY)
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="noise 1\n")]
    nb.cells[1].execution_count = 2
    nbformat.write(nb, path)
    problems = " ".join(notebook_problems(path))
    assert "cell 2 has an execution count" in problems
    assert "cell 2 is not a summary cell but has outputs" in problems
    assert "summary cell 3 is not tagged" in problems


@pytest.mark.slow
def test_nbval_passes_on_a_recorded_notebook_and_catches_a_changed_result(
    tmp_path: Path, make_notebook
) -> None:
    path = record_notebook(make_notebook(tmp_path / "01_tiny.ipynb", TINY))
    ok = run_nbval([path], cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr

    nb = nbformat.read(path, as_version=4)
    nb.cells[2].outputs[0]["text"] = "total 67\n"  # as if the code's result had changed
    nbformat.write(nb, path)
    changed = run_nbval([path], cwd=tmp_path)
    assert changed.returncode != 0
    assert "total 67" in changed.stdout and "total 66" in changed.stdout


@pytest.mark.slow
def test_nbval_fails_on_an_error_in_any_cell(tmp_path: Path, make_notebook) -> None:
    path = record_notebook(make_notebook(tmp_path / "01_tiny.ipynb", TINY))
    nb = nbformat.read(path, as_version=4)
    nb.cells[3].source = "raise RuntimeError('broken')"
    nbformat.write(nb, path)
    result = run_nbval([path], cwd=tmp_path)
    assert result.returncode != 0
    assert "broken" in result.stdout
