"""A run's status as a reader should take it, from its ``run.json``.

A run writes its status as it goes (``running``, then ``ok``, ``failed`` or ``interrupted``), but
a run killed outright (SIGKILL, the out-of-memory killer, a lost machine) writes nothing more, and
its ``run.json`` said ``running`` for ever. So a run records the process that runs it, its id and
host, as it starts: a ``running`` run whose process is gone on this host stopped without a word.
From another host the process cannot be looked at, and the status says so. A process id reused
since by another process reads as the run still under way.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RUN_RECORD = "run.json"
"""The file of a run's folder that records it: params, command, commit, host, status, notebooks."""
RUNNING = "running"


def run_folders(runs_dir: Path) -> list[Path]:
    """The folders of ``runs_dir``, each run once, by name. A link made to name a run by hand
    (``runs/best -> runs/default-20261207-2016``) is the run it points at, not a run of its own:
    the folder is kept under its own name and the link passed over. A link to a run kept
    elsewhere is that run, under the link's name."""
    by_target: dict[Path, Path] = {}
    for folder in sorted(runs_dir.iterdir(), key=lambda p: (p.is_symlink(), p.name)):
        if folder.is_dir():
            by_target.setdefault(folder.resolve(), folder)
    return sorted(by_target.values())


def record_time(record: Mapping[str, Any], key: str) -> datetime | None:
    """A time stamp of a run's record (``started_at``, ``finished_at``) in UTC, or None where it
    is missing or does not parse (a run under way, a hand-edited record). A stamp without a zone
    is local time, as Python reads it; the front page, `aura runs list` and the choice of the
    run a run is set beside all read a record's times through here."""
    try:
        return datetime.fromisoformat(str(record.get(key))).astimezone(UTC)
    except ValueError:
        return None


def this_process() -> dict[str, Any]:
    """The process and host that run a run, as its run.json records them."""
    return {"pid": os.getpid(), "host": socket.gethostname()}


def process_exists(pid: int) -> bool:
    """Whether a process of id ``pid`` exists on this host (of any user)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # none, or an id past any process's
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


STOPPED = "stopped"
"""The status of a run whose process is gone without having said how the run ended."""


def run_status(record: dict[str, Any]) -> tuple[str, str]:
    """The status of a run, as a word and as a line to show, from its record. A ``running``
    one names its process, so that a page written as it ran still tells its reader what to
    look for, and is ``stopped`` if that process is gone from this host."""
    status = str(record.get("status", "unknown"))
    process = record.get("process")
    pid, host = (
        (process.get("pid"), process.get("host")) if isinstance(process, dict) else (None, None)
    )
    if status != RUNNING or not isinstance(pid, int) or host is None:
        return status, status
    here = socket.gethostname()
    if host != here:
        return status, f"{RUNNING} (process {pid} on {host}; from {here} it cannot be checked)"
    if not process_exists(int(pid)):
        return STOPPED, f"{STOPPED} without a word (process {pid} on {host} is gone)"
    return status, f"{RUNNING} (process {pid} on {host})"
