"""Ctrl-C and SIGTERM stop every `aura` command with one line and exit code 130, wherever they
land: also while a command imports its libraries and checks its params (seconds to tens of
seconds on a busy machine), before the handler of its own work is in place. And a notebook
`aura notebooks record` cannot save is left as it was, as the command says."""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

from aura.cli import app
from aura.config import PARAMS_DIR


class Terminated(Exception):
    """What SIGTERM raises here where no handler of the command's own stands: its default would
    end the test process."""


def stop_with(how: str) -> None:
    if how == "sigterm":
        signal.raise_signal(signal.SIGTERM)
    raise KeyboardInterrupt


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
@pytest.mark.parametrize(
    ("command", "name"),
    [(["export"], "export"), (["params", "check"], "params check")],
    ids=["export", "params-check"],
)
def test_a_command_stopped_while_it_checks_its_params_says_so(
    monkeypatch: pytest.MonkeyPatch, how: str, command: list[str], name: str
) -> None:
    """Stopped in its checks, a command exited 130 without a word (Ctrl-C) or was killed
    without one (SIGTERM, exit 143)."""
    import aura.params_check

    def checking(*args: object, **kwargs: object) -> None:
        stop_with(how)

    def terminated(*args: object) -> None:
        raise Terminated

    monkeypatch.setattr(aura.params_check, "check_declared", checking)
    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        params = str(PARAMS_DIR / "smoke.yaml")
        result = CliRunner().invoke(app, [*command, "--params", params])
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert result.exit_code == 130, result.output
    assert " ".join(result.output.split()) == (
        f"interrupted: aura {name} stopped; no file was left half-written"
    )


def notebook(path: Path, *sources: str) -> bytes:
    v4 = nbformat.v4
    nb = v4.new_notebook(cells=[v4.new_code_cell(source) for source in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(nb, path)
    return path.read_bytes()


def test_notebooks_record_that_cannot_save_leaves_the_notebook_as_it_was(tmp_path: Path) -> None:
    """A full disk (here a limit on file size) while the recorded notebook was saved: nbformat
    truncated the committed notebook, wrote what fitted and the command said "left unchanged"
    of a notebook cut short."""
    path = tmp_path / "big.ipynb"
    before = notebook(path, "# summary\nprint('x' * 20_000)")
    limit = len(before) + 2_000  # the kernel's own small files fit; the recorded notebook not

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    aura = Path(sys.executable).with_name("aura")
    result = subprocess.run(
        [str(aura), "notebooks", "record", str(path)],
        capture_output=True,
        text=True,
        preexec_fn=limited,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.ipynb"]
    assert result.stderr == "error: big.ipynb failed, left unchanged: File too large\n"


def test_notebooks_record_stopped_names_the_notebook_it_left_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aura.reports.notebook_outputs as outputs

    first, second = tmp_path / "a.ipynb", tmp_path / "b.ipynb"
    notebook(first, "1")
    before = notebook(second, "2")
    recorded = []

    def record(path: Path, **_: object) -> Path:
        if path == second:
            raise KeyboardInterrupt
        recorded.append(path)
        return path

    monkeypatch.setattr(outputs, "record_notebook", record)
    result = CliRunner().invoke(app, ["notebooks", "record", str(first), str(second)])
    assert result.exit_code == 130, result.output
    assert result.output.splitlines()[-1] == (
        "interrupted: b.ipynb left unchanged; 1 of 2 recorded before it"
    )
    assert recorded == [first] and second.read_bytes() == before


def test_notebooks_record_stopped_in_a_cell_says_so_and_exits_130(tmp_path: Path) -> None:
    """nbclient takes Ctrl-C and SIGTERM itself while its kernel runs and shuts the kernel
    down, so the recording ended in its "Kernel died" and the command said "failed, left
    unchanged: " with no reason, exit 1, as for a notebook that fails. The cell's kernel sends
    the signal to the command's process, as `kill` would."""
    path = tmp_path / "stop.ipynb"
    before = notebook(
        path, "import os, signal, time\nos.kill(os.getppid(), signal.SIGTERM)\ntime.sleep(10)"
    )
    result = CliRunner().invoke(app, ["notebooks", "record", str(path)])
    assert result.exit_code == 130, result.output
    assert result.output.splitlines()[-1] == (
        "interrupted: stop.ipynb left unchanged; 0 of 1 recorded before it"
    )
    assert path.read_bytes() == before


def record_in_a_process(path: Path, tmp: Path) -> subprocess.CompletedProcess[str]:
    """`aura notebooks record path` in a process of its own, its stderr read as a terminal
    would show it (the kernel's own stderr included) and its temporary files under ``tmp``."""
    import os

    tmp.mkdir()
    aura = Path(sys.executable).with_name("aura")
    return subprocess.run(
        [str(aura), "notebooks", "record", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp)},
        timeout=300,
    )


def test_notebooks_record_stopped_in_a_cell_prints_no_kernel_traceback(tmp_path: Path) -> None:
    """Stopped in a cell, the command said its one line, and above it the kernel's own log
    printed ipykernel's traceback of the reply it could no longer send ("ZMQError: Socket
    operation on non-socket"), twenty lines, on the command's terminal. The kernel's log is
    its own file now, dropped when the recording is stopped."""
    path = tmp_path / "stop.ipynb"
    before = notebook(
        path, "import os, signal, time\nos.kill(os.getppid(), signal.SIGTERM)\ntime.sleep(10)"
    )
    result = record_in_a_process(path, tmp_path / "tmp")
    assert result.returncode == 130, result.stderr
    assert result.stderr == "interrupted: stop.ipynb left unchanged; 0 of 1 recorded before it\n"
    assert path.read_bytes() == before
    assert list((tmp_path / "tmp").iterdir()) == []


def test_notebooks_record_names_the_log_of_a_kernel_that_died(tmp_path: Path) -> None:
    """A kernel that dies says why on its own stderr alone (a library's C-level message, a
    fatal error): the command's line says "Kernel died" and where that log is kept."""
    path = tmp_path / "dies.ipynb"
    before = notebook(path, "import os\nos.write(2, b'out of shared memory\\n')\nos._exit(3)")
    result = record_in_a_process(path, tmp_path / "tmp")
    assert result.returncode == 1, result.stderr
    [log] = (tmp_path / "tmp").iterdir()
    assert log.name.startswith("dies.") and log.name.endswith(".kernel.log")
    assert "out of shared memory\n" in log.read_text()  # with what else the kernel logged
    assert result.stderr == (
        f"error: dies.ipynb failed, left unchanged: Kernel died (the kernel's own log: {log})\n"
    )
    assert path.read_bytes() == before
