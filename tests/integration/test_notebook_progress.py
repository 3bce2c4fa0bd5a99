"""The line notebook 03 draws over a grid's steps: what it says, and what an executed notebook
keeps of it (the last update only, not a log of frames)."""

from __future__ import annotations

import re

import nbformat
import papermill as pm
import pytest

from aura.reports.progress import ProgressLine


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_time_left_is_reckoned_from_steps_trained_here_not_kept_ones() -> None:
    clock = Clock()
    line = ProgressLine(clock=clock)
    line(300, 1_000)  # 300 steps kept from an earlier run, done at once
    text = line.bundle(500, 1_000, now=110.0)["text/plain"]
    # 200 steps in 10 s: the 500 still to train take 25 s (reckoned from all 500: 10 s).
    assert text == "500 of 1,000 steps (50%), 0:00:10 elapsed, 0:00:25 left"


def test_a_finished_grid_says_its_time_and_nothing_left() -> None:
    line = ProgressLine(clock=Clock())
    line(0, 1_800_000)
    bundle = line.bundle(1_800_000, 1_800_000, now=100.0 + 262)
    assert bundle["text/plain"] == "1,800,000 of 1,800,000 steps (100%), 0:04:22 elapsed"
    assert '<progress value="1800000" max="1800000"' in bundle["text/html"]


def test_a_grid_kept_whole_from_an_earlier_run_says_so() -> None:
    """A report of a run that trained nothing read "72,000 of 72,000 steps (100%), 0:00:30
    elapsed", as if it had trained them in 30 s."""
    line = ProgressLine(clock=Clock())
    line(72_000, 72_000)
    text = line.bundle(72_000, 72_000, now=130.0)["text/plain"]
    assert text == "72,000 of 72,000 steps (100%), all kept from an earlier run, 0:00:30 elapsed"


def test_nothing_is_left_to_reckon_before_a_step_is_trained() -> None:
    line = ProgressLine(clock=Clock())
    line(400, 1_000)
    assert "left" not in line.bundle(400, 1_000, now=130.0)["text/plain"]


def test_outside_ipython_it_draws_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    line = ProgressLine()
    line(1, 2)
    assert line.handle is None
    assert capsys.readouterr().out == ""


@pytest.mark.slow
def test_an_executed_notebook_keeps_only_the_last_update(tmp_path) -> None:
    """Reports from StepProgress's thread and its last one from the cell itself, in a kernel."""
    code = """\
import time
from aura.reports.progress import ProgressLine
from aura.rl.progress import StepProgress

line = ProgressLine()
with StepProgress(total=4096, on_progress=line) as steps:
    for _ in range(4):
        with steps.counter.get_lock():
            steps.counter.value += 1024
        time.sleep(0.6)
print("trained")
"""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    notebook.cells = [nbformat.v4.new_code_cell(code)]
    source, executed = tmp_path / "progress.ipynb", tmp_path / "executed.ipynb"
    nbformat.write(notebook, source)
    pm.execute_notebook(str(source), str(executed), kernel_name="python3", progress_bar=False)
    outputs = nbformat.read(executed, as_version=4).cells[0].outputs
    assert [o.output_type for o in outputs] == ["display_data", "stream"]
    text = outputs[0].data["text/plain"]
    done = re.fullmatch(r"4,096 of 4,096 steps \(100%\), (\d+):(\d\d):(\d\d) elapsed", text)
    assert done, text
    hours, minutes, seconds = map(int, done.groups())
    assert 3600 * hours + 60 * minutes + seconds >= 2  # the four sleeps: 2.4 s at least
    assert "left" not in text
    assert outputs[1].text == "trained\n"
