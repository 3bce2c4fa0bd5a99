"""The project's lock, constraints.txt: the exact version of every package an install holds.

pyproject.toml pins AURA's direct dependencies; what they pull in is resolved at install time, so
without a lock a clone installed a year later runs newer libraries than the ones its numbers were
measured with. `make venv`, the Dockerfile and environment.yml install with `-c constraints.txt`;
`make lock` writes it. A run records the lock's digest and any package the environment holds at
another version (`lock_record`), so that a result names the environment it came from.
"""

from __future__ import annotations

import hashlib
import re
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from aura.config import PROJECT_ROOT

LOCK_FILE: Path = PROJECT_ROOT / "constraints.txt"
INSTALLER: frozenset[str] = frozenset({"pip"})
"""Put in every venv by venv itself; no requirement names it (setuptools is torch's: locked)."""

_EXACT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;+]+)$")


def read_lock(path: Path = LOCK_FILE) -> dict[str, str]:
    """The lock as {canonical name: version}. A line that is not `name==version` (a range, a
    local label such as +cpu, which PyPI's build would not match) or a name listed twice (pip
    takes the stricter of two lines without a word) is refused, naming the file and line."""
    locked: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        match = _EXACT.match(line)
        if not match:
            raise ValueError(f"{path.name} line {number}: {line!r} is not name==version")
        name = canonicalize_name(match[1])
        if name in locked:
            raise ValueError(f"{path.name} line {number}: {match[1]} listed twice")
        locked[name] = match[2]
    return locked


def needed(root: str = "aura", extras: tuple[str, ...] = ("test",)) -> set[str]:
    """Every distribution an install of ``root[extras]`` pulls in on this platform: the
    requirements of each installed distribution followed, each marker evaluated as pip does
    (an extra's requirements only where that extra is asked for). A distribution that is not
    installed is needed all the same, its own requirements unknown: the run names it missing
    (`off_lock`) rather than stopping on it."""
    names: set[str] = set()
    visited: set[tuple[str, frozenset[str]]] = set()
    todo: list[tuple[str, frozenset[str]]] = [(canonicalize_name(root), frozenset(extras))]
    while todo:
        name, asked = todo.pop()
        if (name, asked) in visited:
            continue
        visited.add((name, asked))
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for line in requires:
            requirement = Requirement(line)
            marker = requirement.marker
            if marker and not any(marker.evaluate({"extra": e}) for e in ("", *asked)):
                continue
            child = canonicalize_name(requirement.name)
            names.add(child)
            todo.append((child, frozenset(requirement.extras)))
    return names - {canonicalize_name(root)} - INSTALLER


def installed_version(name: str) -> str | None:
    """``name``'s installed version without a local label (2.13.0+cpu is 2.13.0), or None."""
    try:
        return Version(metadata.version(name)).public
    except metadata.PackageNotFoundError:
        return None


def off_lock(locked: dict[str, str], names: set[str]) -> dict[str, list[str | None]]:
    """Each of ``names`` installed at another version than ``locked`` holds, or not locked, as
    {name: [installed, locked]}; empty when the environment is the lock's."""
    differ: dict[str, list[str | None]] = {}
    for name in sorted(names):
        installed = installed_version(name)
        if installed != locked.get(name):
            differ[name] = [installed, locked.get(name)]
    return differ


def lock_record(path: Path | None = None) -> dict[str, Any] | None:
    """What run.json keeps of the lock: the file, its sha256 and the packages off it (an
    install made without it, or a package upgraded by hand), or None without a lock file. The
    packages are the project's own and what they pull in: a run's numbers depend on them, not on
    the test extra's tools, which an install for running alone may leave out."""
    path = path or LOCK_FILE
    if not path.is_file():
        return None
    return {
        "file": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "off_lock": off_lock(read_lock(path), needed(extras=())),
    }
