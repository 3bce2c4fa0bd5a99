"""nbval over the committed notebooks: they must run and reproduce their recorded summaries.

The notebooks run in a separate pytest process (``pytest --nbval-lax``) so the single ``pytest``
command covers them in file order 01..06, as one chain: later notebooks read what earlier ones
wrote under data/nbval/. In lax mode every cell runs and any error fails, while outputs are
compared only on cells tagged ``nbval-check-output``, which ``make notebooks`` sets on
``# summary`` cells. The other tests here exercise that machinery on throwaway notebooks.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import nbformat
import pytest

from aura.config import PROJECT_ROOT
from aura.reports.notebook_outputs import (
    CHECK_TAG,
    NotANotebookError,
    NotebookFailedError,
    committed_notebooks,
    is_summary_cell,
    notebook_problems,
    record_notebook,
    strip_notebook,
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


def _printed(cell) -> str:
    """What a cell printed: one print may reach the notebook as two stream outputs, its line and
    then its newline, as the kernel flushes between them."""
    return "".join(o["text"] for o in cell.outputs if o["output_type"] == "stream")


def test_record_keeps_only_summary_outputs(tmp_path: Path, make_notebook) -> None:
    path = record_notebook(make_notebook(tmp_path / "01_tiny.ipynb", TINY))
    nb = nbformat.read(path, as_version=4)
    params, noise, summary, last = nb.cells
    assert noise.outputs == [] and last.outputs == [] and params.outputs == []
    assert _printed(summary) == "total 66\n"
    assert CHECK_TAG in summary.metadata["tags"]
    assert params.metadata["tags"] == ["parameters"]
    assert [c.execution_count for c in nb.cells] == [None, None, 3, None]
    assert set(nb.metadata) == {"kernelspec", "language_info"}
    assert notebook_problems(path) == []


def test_record_keeps_a_summary_cells_lines_as_one_output(tmp_path: Path, make_notebook) -> None:
    """Two prints with a flush and a pause between them were recorded as two outputs: a
    committed summary read as two blocks, and a test of its first output saw half of it."""
    summary = (
        "# summary\nimport time\nprint('total', 66, flush=True)\ntime.sleep(0.5)\nprint('n', 3)"
    )
    path = record_notebook(make_notebook(tmp_path / "01_lines.ipynb", [TINY[0], summary]))
    outputs = nbformat.read(path, as_version=4).cells[1].outputs
    assert [(o.output_type, o.name, o.text) for o in outputs] == [
        ("stream", "stdout", "total 66\nn 3\n")
    ]


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


def test_a_notebook_is_recorded_from_its_own_folder(tmp_path: Path, make_notebook) -> None:
    """As nbval and `aura run` run it: a relative path in a notebook means one thing in all
    three. The test process runs from the project's folder, not the notebook's."""
    folder = tmp_path / "notebooks"
    cells = [("run_dir = None", ["parameters"]), "# summary\nimport os\nprint(os.getcwd())"]
    path = record_notebook(make_notebook(folder / "01_where.ipynb", cells))
    summary = nbformat.read(path, as_version=4).cells[1]
    assert _printed(summary) == f"{folder.resolve()}\n"


@pytest.mark.parametrize(
    ("first_line", "summary"),
    [
        ("# summary", True),
        ("# Summary: scores beside their references", True),
        ("#summary", True),
        ("\n\n# summary", True),  # blank lines above it
        ("# summaries follow below", False),
        ("# summary_rows = len(table)", False),  # the word, not a name that starts with it
        ("x = 1  # summary", False),
    ],
)
def test_a_summary_cell_is_one_whose_first_line_is_the_marker(
    first_line: str, summary: bool
) -> None:
    cell = nbformat.v4.new_code_cell(f"{first_line}\nprint(1)")
    assert is_summary_cell(cell) is summary
    assert is_summary_cell(nbformat.v4.new_markdown_cell(f"{first_line}\ntext")) is False


def test_stripping_keeps_what_a_reader_needs_and_drops_what_changes_by_run() -> None:
    """Cell metadata a run writes (timings, scroll state) goes; the cell's tags and JupyterLab's
    hidden-source flag stay. A cell that is no longer a summary loses its nbval tag, one that is
    keeps it once, and a summary output's display metadata goes."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python", "version": "3.11.7"},
        "widgets": {"state": {}},
    }
    was_summary = nbformat.v4.new_code_cell("x = 1", execution_count=4)
    was_summary.metadata = {"tags": [CHECK_TAG], "execution": {"iopub.status.busy": "t"}}
    plain = nbformat.v4.new_code_cell("y = 2", execution_count=5)
    plain.metadata = {"tags": ["parameters", CHECK_TAG], "scrolled": True}
    summary = nbformat.v4.new_code_cell("# summary\nshow()", execution_count=6)
    summary.metadata = {"tags": [CHECK_TAG], "jupyter": {"source_hidden": True}, "collapsed": 1}
    summary.outputs = [
        nbformat.v4.new_output(
            "display_data", data={"text/plain": "t"}, metadata={"text/plain": {"isolated": True}}
        )
    ]
    nb.cells = [was_summary, plain, summary]
    strip_notebook(nb)
    assert [dict(cell.metadata) for cell in nb.cells] == [
        {},
        {"tags": ["parameters"]},
        {"tags": [CHECK_TAG], "jupyter": {"source_hidden": True}},
    ]
    assert [cell.execution_count for cell in nb.cells] == [None, None, 6]
    assert summary.outputs[0]["metadata"] == {}
    assert dict(nb.metadata) == {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }


def test_a_recorded_notebook_ends_its_file_with_a_newline(tmp_path: Path, make_notebook) -> None:
    """As Jupyter and nbformat write a notebook: without it, every diff of the file ends in
    "No newline at end of file"."""
    path = record_notebook(make_notebook(tmp_path / "01_tiny.ipynb", TINY[:1]))
    assert path.read_text().endswith("}\n")


def test_committed_notebooks_are_listed_in_run_order(tmp_path: Path, make_notebook) -> None:
    for stem in ("10_last", "02_second", "01_first", "helper"):
        make_notebook(tmp_path / f"{stem}.ipynb", ["x = 1"])
    assert [p.stem for p in committed_notebooks(tmp_path)] == ["01_first", "02_second", "10_last"]


def test_problems_name_a_count_without_outputs_and_a_stray_nbval_tag(
    tmp_path: Path, make_notebook
) -> None:
    path = make_notebook(
        tmp_path / "01_raw.ipynb",
        [("# summary\nprint(1)", [CHECK_TAG]), ("x = 1", [CHECK_TAG])],
    )
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    nbformat.write(nb, path)
    assert notebook_problems(path) == [
        "summary cell 1 has outputs but no execution count",
        f"cell 2 is tagged {CHECK_TAG} but is not a summary cell",
    ]


def test_record_leaves_no_kernel_log_open_or_behind(
    tmp_path: Path, make_notebook, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kernel's log is a temporary file: the recording kept a descriptor of it open for
    each notebook recorded. A quiet kernel's log is removed, and none stays open."""
    import os
    import tempfile

    logs = tmp_path / "tmp"
    logs.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(logs))

    def open_logs() -> list[str]:
        fds = Path("/proc/self/fd")
        targets = (os.readlink(fd) for fd in fds.iterdir() if fd.is_symlink())
        return [t for t in targets if t.startswith(str(logs))]

    record_notebook(make_notebook(tmp_path / "01_tiny.ipynb", TINY))
    assert open_logs() == []
    assert list(logs.iterdir()) == []


def test_stripping_leaves_markdown_cells_as_nbformat_defines_them() -> None:
    """A markdown cell has no outputs and no execution count in nbformat's schema: a recorded
    notebook whose prose cells had them would not validate."""
    nb = nbformat.v4.new_notebook()
    prose = nbformat.v4.new_markdown_cell("# summary\nThe results.")
    prose.metadata = {"tags": ["intro"]}
    nb.cells = [prose, nbformat.v4.new_code_cell("x = 1", execution_count=1)]
    strip_notebook(nb)
    nbformat.validate(nb)
    assert set(prose) == {"id", "cell_type", "source", "metadata"}
    assert prose.metadata == {"tags": ["intro"]}


def test_a_failed_recording_leaves_no_quiet_kernel_log_behind(
    tmp_path: Path, make_notebook, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kernel's log is named only when the kernel wrote something; one that said nothing is
    removed when a cell fails, as when the notebook is recorded. A loaded machine may have the
    kernel write (ipykernel's "IOStream.flush timed out"): then its log is kept and named."""
    import tempfile

    logs = tmp_path / "tmp"
    logs.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(logs))
    path = make_notebook(tmp_path / "01_fails.ipynb", ["x = 1", "raise ValueError('boom')"])
    with pytest.raises(NotebookFailedError) as failed:
        record_notebook(path)
    kept = list(logs.iterdir())
    assert all(log.stat().st_size > 0 for log in kept), "a quiet kernel's log is not kept"
    named = "".join(f" (the kernel's own log: {log})" for log in kept)
    assert str(failed.value) == f"01_fails.ipynb failed in cell 2: ValueError: boom{named}"


def test_recording_a_file_that_is_no_notebook_names_it(tmp_path: Path) -> None:
    """As the command does for a name it is given: `make notebooks` records every NN_*.ipynb
    without reading them first."""
    path = tmp_path / "01_list.ipynb"
    path.write_text("[1, 2]")
    with pytest.raises(NotANotebookError, match=f"^{path} is not a notebook: "):
        record_notebook(path)


def without_ids(path: Path, *cells: int) -> dict[int, str]:
    """Drop the ids of ``cells`` (numbered from 1) from the notebook at ``path``, as a notebook
    written by hand or by an older tool has none, and return the ids the other cells keep."""
    nb = json.loads(path.read_text())
    for number in cells:
        del nb["cells"][number - 1]["id"]
    path.write_text(json.dumps(nb, indent=1))
    return {i: cell["id"] for i, cell in enumerate(nb["cells"], start=1) if "id" in cell}


def test_record_gives_cells_without_an_id_one_and_keeps_the_others(
    tmp_path: Path, make_notebook
) -> None:
    """A 4.5 notebook whose cells had no id was recorded under nbformat's warning, over three
    lines, that a future version will refuse it. Recording gives each such cell an id, unique in
    the notebook, and leaves the ids the cells had as they were: nbval and diffs follow them."""
    from nbformat.warnings import MissingIDFieldWarning

    path = make_notebook(tmp_path / "01_tiny.ipynb", TINY)
    kept = without_ids(path, 2, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MissingIDFieldWarning)
        record_notebook(path)
    saved = json.loads(path.read_text())["cells"]
    ids = [cell.get("id") for cell in saved]
    assert all(ids) and len(set(ids)) == len(ids), ids
    assert {i: ids[i - 1] for i in kept} == kept
    assert notebook_problems(path) == []


def test_a_notebook_missing_cell_ids_is_not_in_recorded_form(tmp_path: Path, make_notebook) -> None:
    """Recording gives a cell without an id one: a committed notebook whose cells have none
    (a fork's, one written by hand) is named before nbval runs it under nbformat's warning."""
    path = make_notebook(tmp_path / "01_raw.ipynb", ["x = 1", "y = 2", "z = 3"])
    without_ids(path, 1, 3)
    assert notebook_problems(path) == ["cell 1 has no id", "cell 3 has no id"]


def test_the_command_says_once_in_one_line_that_it_gave_cells_ids(
    tmp_path: Path, make_notebook
) -> None:
    """As the user sees it: no nbformat warning, one line saying how many cells were given an
    id, and nothing of it when the notebook is recorded again (the ids were saved)."""
    aura = Path(sys.executable).with_name("aura")
    path = make_notebook(tmp_path / "01_tiny.ipynb", TINY)
    without_ids(path, 1, 2, 3)
    first = subprocess.run(
        [str(aura), "notebooks", "record", str(path)], capture_output=True, text=True, timeout=300
    )
    assert first.returncode == 0, first.stderr
    assert first.stderr == ""
    assert first.stdout == f"✓ [1/1] {path} (3 cells had no id and were given one)\n"
    again = subprocess.run(
        [str(aura), "notebooks", "record", str(path)], capture_output=True, text=True, timeout=300
    )
    assert (again.returncode, again.stderr, again.stdout) == (0, "", f"✓ [1/1] {path}\n")
