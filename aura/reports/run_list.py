"""The runs `aura run` has made, one line each, for `aura runs list`.

A folder of runs grows by one for every `aura run`, named by params and time; which of them
finished, with which params and commit, and which one ``reports/latest`` shows, took opening
each one's run.json. A run killed outright still says ``running`` in its record; its status is
read as its front page reads it (`aura.reports.run_status`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aura.reports.index import took_text
from aura.reports.run_compare import AGAINST_KEY
from aura.reports.run_status import RUN_RECORD, RUNNING, record_time, run_folders, run_status


@dataclass(frozen=True)
class RunLine:
    """One run as `aura runs list` shows it."""

    name: str
    status: str
    params: str
    commit: str
    started: str
    took: str
    notebooks: str
    latest: bool
    same_as_before: str = ""
    """How many of its metrics' values are the same as in the last complete run of its params
    before it, as its front page says (empty where it was set beside none)."""


def _took(record: dict[str, Any]) -> str:
    """How long the run took, or empty where it has not finished."""
    start, end = record_time(record, "started_at"), record_time(record, "finished_at")
    return took_text(start, end) if start and end else ""


def _started(record: dict[str, Any]) -> str:
    start = record_time(record, "started_at")
    return f"{start:%Y-%m-%d %H:%M}" if start else str(record.get("started_at") or "")


def _notebooks(record: dict[str, Any], status: str) -> str:
    """How many of the run's notebooks ran through, and the one it is in or stopped in."""
    listed = record.get("notebooks")
    notebooks = [nb for nb in listed if isinstance(nb, dict)] if isinstance(listed, list) else []
    ok = sum(nb.get("status") == "ok" for nb in notebooks)
    line = f"{ok} of {len(notebooks)}"
    where = next(
        (str(nb.get("name", "?")) for nb in notebooks if nb.get("status") not in ("ok", "pending")),
        None,
    )
    if where:
        line += f", {'in' if status == RUNNING else 'stopped in'} {Path(where).stem}"
    left_out = record.get("left_out")
    if isinstance(left_out, list) and left_out:
        line += f" (--only: {len(left_out)} left out)"
    return line


def _same_as_before(record: dict[str, Any]) -> str:
    """The values the same as in the run it was set beside, as its record keeps them ("1,127 of
    1,131"), or empty."""
    against = record.get(AGAINST_KEY)
    if not isinstance(against, dict):
        return ""
    same, values = against.get("same"), against.get("values")
    if not (isinstance(same, int) and isinstance(values, int)):
        return ""
    return f"{same:,} of {values:,}"


def run_line(folder: Path, latest: Path | None) -> RunLine:
    """One run folder's line; a folder without a readable run.json says so in its status."""
    is_latest = latest is not None and folder.resolve() == latest
    try:
        record = json.loads((folder / RUN_RECORD).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return RunLine(folder.name, f"no {RUN_RECORD}", "", "", "", "", "", is_latest)
    except (OSError, ValueError, RecursionError) as exc:
        problem = f"{RUN_RECORD} unreadable ({type(exc).__name__})"
        return RunLine(folder.name, problem, "", "", "", "", "", is_latest)
    if not isinstance(record, dict):
        problem = f"{RUN_RECORD} not an object ({type(record).__name__})"
        return RunLine(folder.name, problem, "", "", "", "", "", is_latest)
    git = record.get("git") if isinstance(record.get("git"), dict) else {}
    commit = str(git.get("commit") or "")[:7] + ("+" if git.get("dirty") else "")
    status = run_status(record)[0]
    return RunLine(
        name=folder.name,
        status=status,
        params=str(record.get("params_file") or ""),
        commit=commit,
        started=_started(record),
        took=_took(record),
        notebooks=_notebooks(record, status),
        latest=is_latest,
        same_as_before=_same_as_before(record),
    )


def list_runs(runs_dir: Path, latest_link: Path) -> list[RunLine]:
    """Every run folder of ``runs_dir``, oldest first (by the start its record gives, else by
    name, which ends in the start's UTC time)."""
    latest = latest_link.resolve() if latest_link.exists() else None
    lines = [run_line(folder, latest) for folder in run_folders(runs_dir)]
    return sorted(lines, key=lambda line: (line.started or line.name, line.name))
