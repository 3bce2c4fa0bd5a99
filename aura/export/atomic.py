"""Write a folder aside, then move it into place, so a reader never sees half a set of files."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aura.interrupts import interrupts_deferred


@contextmanager
def atomic_directory(target: Path) -> Iterator[Path]:
    """Yield an empty sibling temp folder; on success it replaces ``target``.

    The temp folder sits beside ``target`` (same filesystem, so ``rename`` is atomic). An existing
    ``target`` is first renamed aside and removed only after the new folder is in place, so at
    every moment ``target`` is either the complete old set, absent for the instant between the two
    renames (which Ctrl-C and SIGTERM wait for: stopped there, no set stood at ``target``), or
    the complete new set. On error the temp folder is removed and ``target`` is left untouched.
    """
    target = Path(target).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:8]
    staging = target.with_name(f".{target.name}.tmp-{token}")
    staging.mkdir()
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    retired = target.with_name(f".{target.name}.old-{token}")
    with interrupts_deferred():
        if target.exists():
            target.rename(retired)
        staging.rename(target)
    shutil.rmtree(retired, ignore_errors=True)
