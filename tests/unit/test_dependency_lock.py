"""constraints.txt locks every package the project installs, and the venv holds those versions.

The lock is held to pyproject.toml's pins (a pin changed without `make lock` fails), to everything
an install of `aura[test]` needs on this platform (a dependency added without the lock fails), and
the running environment to the lock (an install that ignored it fails); a run records the lock.
"""

from __future__ import annotations

import hashlib
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from aura.config import PROJECT_ROOT
from aura.dependency_lock import lock_record, needed, off_lock, read_lock


def pinned(pyproject: Path = PROJECT_ROOT / "pyproject.toml") -> dict[str, str]:
    """pyproject.toml's pins, its dependencies and every extra, as {canonical name: version}."""
    project = tomllib.loads(pyproject.read_text())["project"]
    lines = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        lines += extra
    pins: dict[str, str] = {}
    for line in lines:
        requirement = Requirement(line)
        (spec,) = requirement.specifier
        assert spec.operator == "==", f"pyproject.toml pins {line!r} loosely"
        pins[canonicalize_name(requirement.name)] = spec.version
    return pins


def test_every_pin_in_pyproject_is_the_locked_version() -> None:
    locked = read_lock()
    differ = {
        name: (version, locked.get(name))
        for name, version in pinned().items()
        if locked.get(name) != version
    }
    assert not differ, f"pyproject.toml pin vs constraints.txt (run `make lock`): {differ}"


def test_the_lock_names_everything_an_install_needs() -> None:
    missing = needed() - set(read_lock())
    assert not missing, f"needed by aura[test] but not in constraints.txt: {sorted(missing)}"


def test_the_venv_holds_the_locked_versions() -> None:
    """What `make venv` installed is the lock: the versions the numbers were measured with."""
    differ = off_lock(read_lock(), needed())
    assert not differ, f"installed vs constraints.txt (run `make venv`): {differ}"


def test_what_an_install_needs_follows_extras_and_markers() -> None:
    """The walk asks for an extra's requirements only where the extra is asked for: pytest is
    the test extra's, torch the project's own, mangum the lambda extra's (which test names)."""
    assert {"torch", "numpy", "fastapi", "pytest", "mangum"} <= needed()
    without_test = needed(extras=())
    assert "torch" in without_test and "pytest" not in without_test
    assert "mangum" not in without_test


def test_a_run_records_the_lock_and_what_is_off_it(tmp_path: Path) -> None:
    lock = tmp_path / "constraints.txt"
    lock.write_text("# header\nnumpy==0.0.1\n")
    record = lock_record(lock)
    assert record is not None
    assert record["file"] == "constraints.txt"
    assert record["sha256"] == hashlib.sha256(lock.read_bytes()).hexdigest()
    assert record["off_lock"]["numpy"][1] == "0.0.1"
    assert record["off_lock"]["numpy"][0] not in (None, "0.0.1")
    assert record["off_lock"]["scipy"] == [record["off_lock"]["scipy"][0], None]  # not locked
    assert lock_record(tmp_path / "absent.txt") is None


def test_a_malformed_or_doubled_line_is_refused(tmp_path: Path) -> None:
    lock = tmp_path / "constraints.txt"
    lock.write_text("# header\nnumpy==2.4.6\nscipy>=1.0\n")
    with pytest.raises(ValueError, match=r"line 3: 'scipy>=1.0' is not name==version"):
        read_lock(lock)
    lock.write_text("torch==2.13.0+cpu\n")
    with pytest.raises(ValueError, match="line 1"):
        read_lock(lock)
    lock.write_text("Typing_Extensions==4.0\ntyping-extensions==4.1\n")
    with pytest.raises(ValueError, match="line 2: typing-extensions listed twice"):
        read_lock(lock)


def test_a_loose_pin_in_pyproject_is_refused(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\ndependencies = ["numpy>=2"]\n[project.optional-dependencies]\nx = []\n'
    )
    with pytest.raises(AssertionError, match="pins 'numpy>=2' loosely"):
        pinned(pyproject)


def _distribution(site: Path, name: str, *requires: str) -> None:
    """An installed distribution ``name`` 1.0 in ``site`` requiring ``requires``."""
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    lines = ["Metadata-Version: 2.1", f"Name: {name}", "Version: 1.0"]
    lines += [f"Requires-Dist: {line}" for line in requires]
    (info / "METADATA").write_text("\n".join(lines) + "\n")


def test_the_walk_keeps_true_markers_asked_extras_and_drops_the_root_and_pip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A platform marker that holds is followed with or without extras, an extra a requirement
    asks of its package is followed into that package, a package's own extra named by another
    of its extras is followed, and neither the package itself nor pip (venv's) is needed."""
    _distribution(
        tmp_path,
        "lockdemo",
        "lockdemo-plain",
        'lockdemo-marked; python_version >= "3"',
        'lockdemo-never; python_version < "3"',
        'lockdemo-tested; extra == "test"',
        'lockdemo[serve]; extra == "test"',
        'lockdemo-served; extra == "serve"',
        "lockdemo-fast[speed]",
    )
    _distribution(
        tmp_path, "lockdemo-fast", 'lockdemo-speedup; extra == "speed"', "pip", "lockdemo"
    )
    for name in ("plain", "marked", "never", "tested", "served", "speedup"):
        _distribution(tmp_path, f"lockdemo-{name}")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert needed("lockdemo") == {
        "lockdemo-plain",
        "lockdemo-marked",
        "lockdemo-tested",
        "lockdemo-served",
        "lockdemo-fast",
        "lockdemo-speedup",
    }
    assert needed("lockdemo", extras=()) == {
        "lockdemo-plain",
        "lockdemo-marked",
        "lockdemo-fast",
        "lockdemo-speedup",
    }


def test_packages_off_the_lock_are_listed_by_name_with_a_missing_one_as_none() -> None:
    """run.json and the report list them in this order, the same on every run."""
    names = {f"lockdemo-{letter}" for letter in "hcafgdbe"}
    assert list(off_lock({name: "1.0" for name in names}, names)) == [
        "lockdemo-a",
        "lockdemo-b",
        "lockdemo-c",
        "lockdemo-d",
        "lockdemo-e",
        "lockdemo-f",
        "lockdemo-g",
        "lockdemo-h",
    ]
    assert off_lock({"lockdemo-a": "1.0"}, {"lockdemo-a"}) == {"lockdemo-a": [None, "1.0"]}


def test_a_run_checks_the_projects_packages_not_the_test_tools(tmp_path: Path) -> None:
    """numpy is the project's: another numpy than the lock is named. pytest is the test extra's,
    which an install for running alone leaves out: a run does not list it."""
    lock = tmp_path / "constraints.txt"
    lock.write_text("pytest==0.0.1\nnumpy==0.0.1\n")
    record = lock_record(lock)
    assert record is not None
    assert record["off_lock"]["numpy"] == [metadata.version("numpy"), "0.0.1"]
    assert "pytest" not in record["off_lock"] and "hypothesis" not in record["off_lock"]


def test_a_needed_package_not_installed_is_off_the_lock_as_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An install without the test extra (`pip install -e .`) lacks pytest: a run records it as
    missing, which the report names, instead of stopping on it."""
    _distribution(tmp_path, "lockdemo", "lockdemo-plain", "lockdemo-absent")
    _distribution(tmp_path, "lockdemo-plain")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert needed("lockdemo") == {"lockdemo-plain", "lockdemo-absent"}
    locked = {"lockdemo-plain": "1.0", "lockdemo-absent": "2.0"}
    assert off_lock(locked, needed("lockdemo")) == {"lockdemo-absent": [None, "2.0"]}
