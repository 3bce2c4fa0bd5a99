"""`aura runs list`: the runs made, one line each, as their records and pages read them."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from aura.cli import app
from aura.reports.run_compare import AGAINST_KEY, last_complete_run
from aura.reports.run_list import RunLine, list_runs


def _record(runs: Path, name: str, **changes: Any) -> Path:
    folder = runs / name
    folder.mkdir(parents=True)
    record = {
        "run_name": name,
        "status": "ok",
        "params_file": "params/default.yaml",
        "git": {"commit": "1d2c5a6a41a595b4", "dirty": False},
        "started_at": "2026-12-07T20:16:30+00:00",
        "finished_at": "2026-12-07T20:37:30+00:00",
        "left_out": [],
        "notebooks": [{"name": f"0{k}_n.ipynb", "status": "ok"} for k in range(1, 4)],
        **changes,
    }
    (folder / "run.json").write_text(json.dumps(record))
    return folder


def _runs(tmp_path: Path) -> Path:
    """A folder of runs of every kind, written out of order, ``latest`` at the first."""
    runs = tmp_path / "reports" / "runs"
    stopped_notebooks = [
        {"name": "01_n.ipynb", "status": "ok"},
        {"name": "02_n.ipynb", "status": "failed"},
        {"name": "03_n.ipynb", "status": "pending"},
    ]
    _record(
        runs,
        "failed",
        status="failed",
        started_at="2026-12-07T22:00:00+00:00",
        finished_at="2026-12-08T00:05:09+00:00",
        notebooks=stopped_notebooks,
        git={"commit": "263a329aaaa", "dirty": True},
    )
    first = _record(runs, "default-1")
    _record(
        runs,
        "killed",
        status="running",
        started_at="2026-12-07T23:00:00+00:00",
        finished_at=None,
        process={"pid": 2**22 + 12345, "host": socket.gethostname()},  # no such process
        notebooks=stopped_notebooks[:1] + [{"name": "02_n.ipynb", "status": "running"}],
    )
    _record(
        runs,
        "only-01",
        params_file="params/smoke.yaml",
        started_at="2026-12-07T21:00:00+00:00",
        finished_at="2026-12-07T21:00:09+00:00",
        notebooks=stopped_notebooks[:1],
        left_out=["02_n.ipynb", "03_n.ipynb"],
    )
    (runs / "empty").mkdir()
    (runs / "broken").mkdir()
    (runs / "broken" / "run.json").write_text("{")
    (runs.parent / "latest").symlink_to(first)
    return runs


def test_every_run_is_listed_oldest_first_with_its_status_and_where_it_stopped(
    tmp_path: Path,
) -> None:
    runs = _runs(tmp_path)
    lines = list_runs(runs, runs.parent / "latest")
    assert lines[:4] == [
        RunLine(
            "default-1",
            "ok",
            "params/default.yaml",
            "1d2c5a6",
            "2026-12-07 20:16",
            "21 min 0 s",
            "3 of 3",
            True,
        ),
        RunLine(
            "only-01",
            "ok",
            "params/smoke.yaml",
            "1d2c5a6",
            "2026-12-07 21:00",
            "0 min 9 s",
            "1 of 1 (--only: 2 left out)",
            False,
        ),
        RunLine(
            "failed",
            "failed",
            "params/default.yaml",
            "263a329+",
            "2026-12-07 22:00",
            "2 h 5 min",
            "1 of 3, stopped in 02_n",
            False,
        ),
        RunLine(
            "killed",
            "stopped",
            "params/default.yaml",
            "1d2c5a6",
            "2026-12-07 23:00",
            "",
            "1 of 2, stopped in 02_n",
            False,
        ),
    ]
    live = _record(
        runs,
        "live",
        status="running",
        finished_at=None,
        process={"pid": os.getpid(), "host": socket.gethostname()},
        notebooks=[
            {"name": "01_n.ipynb", "status": "ok"},
            {"name": "02_n.ipynb", "status": "running"},
        ],
    )
    line = next(x for x in list_runs(runs, runs.parent / "latest") if x.name == live.name)
    assert (line.status, line.took, line.notebooks) == ("running", "", "1 of 2, in 02_n")
    folders = {line.name: line.status for line in lines[4:]}
    assert folders == {"broken": "run.json unreadable (JSONDecodeError)", "empty": "no run.json"}


def test_the_command_prints_one_aligned_line_a_run(tmp_path: Path) -> None:
    runs = _runs(tmp_path)
    result = CliRunner().invoke(app, ["runs", "list", "--runs-dir", str(runs)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == [
        "run", "status", "params", "commit", "started", "(UTC)", "took", "notebooks", "same", "as",
        "before",
    ]  # fmt: skip
    assert lines[1].split() == [
        "default-1", "ok", "params/default.yaml", "1d2c5a6", "2026-12-07", "20:16", "21", "min",
        "0", "s", "3", "of", "3", "latest",
    ]  # fmt: skip
    assert len(lines) == 7
    starts = {line.index("2026-12-07") for line in lines[1:5]}
    assert len(starts) == 1, "the start column is aligned"


def test_a_run_set_beside_an_earlier_one_says_how_many_values_are_the_same(
    tmp_path: Path,
) -> None:
    """A run's front page says how many of its values the last complete run of its params
    gave; the list says it too, so which runs gave their numbers again reads at a glance."""
    runs = tmp_path / "runs"
    against = {"run": "default-1", "values": 1131, "same": 1127, "headline": []}
    _record(runs, "default-1")
    _record(runs, "default-2", started_at="2026-12-08T09:00:00+00:00", **{AGAINST_KEY: against})
    _record(runs, "odd", started_at="2026-12-08T10:00:00+00:00", **{AGAINST_KEY: {"same": "x"}})
    lines = list_runs(runs, tmp_path / "latest")
    assert [line.same_as_before for line in lines] == ["", "1,127 of 1,131", ""]
    result = CliRunner().invoke(app, ["runs", "list", "--runs-dir", str(runs)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[2].split()[-3:] == ["1,127", "of", "1,131"]


def test_a_missing_or_empty_folder_of_runs_is_said_in_one_line(tmp_path: Path) -> None:
    missing = CliRunner().invoke(app, ["runs", "list", "--runs-dir", str(tmp_path / "nope")])
    assert missing.exit_code == 1
    assert (
        missing.output
        == f"error: {tmp_path / 'nope'}: no such folder of runs (`aura run` makes one)\n"
    )
    empty = CliRunner().invoke(app, ["runs", "list", "--runs-dir", str(tmp_path)])
    assert (
        empty.exit_code == 0 and empty.output == f"no runs in {tmp_path} (`aura run` makes one)\n"
    )


def test_odd_run_records_are_listed_without_a_traceback(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    here = socket.gethostname()
    _record(runs, "naive", started_at="2026-12-07T20:16:30", finished_at="2026-12-07T20:37:30")
    _record(runs, "odd", git="1d2c5a6", notebooks=[1, "x", None, {"status": "failed"}])
    _record(runs, "pid", status="running", finished_at=None, process={"pid": "x", "host": here})
    _record(runs, "big", status="running", finished_at=None, process={"pid": 2**70, "host": here})
    _record(runs, "proc", status="running", finished_at=None, process="12")
    (runs / "listed").mkdir()
    (runs / "listed" / "run.json").write_text("[1, 2]")
    result = CliRunner().invoke(app, ["runs", "list", "--runs-dir", str(runs)])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()[1:]}
    assert "21 min 0 s" in lines["naive"]
    assert lines["listed"].split()[1:6] == ["run.json", "not", "an", "object", "(list)"]
    assert lines["odd"].split()[1:4] == ["ok", "params/default.yaml", "2026-12-07"]
    assert lines["odd"].endswith("0 of 1, stopped in ?")
    assert [lines[name].split()[1] for name in ("pid", "proc", "big")] == [
        "running", "running", "stopped"
    ]  # fmt: skip


def test_a_folder_of_runs_that_cannot_be_read_is_said_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(path: Path) -> Any:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(Path, "iterdir", refused)
    result = CliRunner().invoke(app, ["runs", "list", "--runs-dir", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert result.output == f"error: {tmp_path}: cannot be read (Permission denied)\n"


def test_a_file_given_as_the_folder_of_runs_is_said_to_be_one(tmp_path: Path) -> None:
    file = tmp_path / "metrics.json"
    file.write_text("{}")
    result = CliRunner().invoke(app, ["runs", "list", "--runs-dir", str(file)])
    assert result.exit_code == 1
    assert result.output == f"error: {file}: a file, not a folder of runs\n"


def test_columns_stay_aligned_beside_a_name_of_wide_characters(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    _record(runs, "試行-1", started_at="2026-12-07T19:00:00+00:00")
    _record(runs, "default-1")
    result = CliRunner().invoke(app, ["runs", "list", "--runs-dir", str(runs)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    starts = {cell_len(line[: line.index("ok")]) for line in lines[1:]}
    assert len(starts) == 1, result.output


def test_a_link_to_a_run_beside_it_is_that_run_listed_once(tmp_path: Path) -> None:
    """A link made to name a run by hand is not a second run; a link to a run kept elsewhere is
    that run, under the link's name; a link to nothing is no run."""
    runs = tmp_path / "runs"
    first = _record(runs, "default-1")
    kept = _record(tmp_path / "elsewhere", "kept", started_at="2026-12-08T09:00:00+00:00")
    (runs / "best").symlink_to(first)
    (runs / "also-best").symlink_to(Path("default-1"))
    (runs / "archived").symlink_to(kept)
    (runs / "gone").symlink_to(tmp_path / "deleted")
    lines = list_runs(runs, tmp_path / "latest")
    assert [line.name for line in lines] == ["default-1", "archived"]


def test_the_run_set_beside_is_named_by_its_folder_not_a_link_to_it(tmp_path: Path) -> None:
    """A link beside an earlier run would otherwise be an equal candidate of another name, and
    the front page and `aura runs compare` could name the link."""
    runs = tmp_path / "runs"
    params = {"seed": 1}
    earlier = _record(runs, "default-1", params=params)
    later = _record(runs, "default-2", params=params, started_at="2026-12-08T09:00:00+00:00")
    (runs / "zz-link").symlink_to(earlier)
    assert last_complete_run(later) == earlier
