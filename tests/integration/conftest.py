"""A throwaway PostgreSQL server on loopback, for the tests of storage shared across machines.

The server is this machine's PostgreSQL (``initdb`` and ``postgres`` on the PATH or under
``/usr/lib/postgresql/<version>/bin``), started once per test session in a temporary directory
on a free port of 127.0.0.1, with trust authentication, and stopped by the PID it started. When
the tests run as root it runs as the ``postgres`` user, since PostgreSQL refuses to run as root.
Without the binaries the tests that need it are skipped, saying why, unless
``AURA_POSTGRES_REQUIRED`` is set (`.ci/run` sets it once it has installed them).
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from itertools import count
from pathlib import Path
from typing import Any, NoReturn

import psycopg
import pytest
from loopback import free_port

USER = "aura"
START_TIMEOUT = 60.0


def postgres_bin_dir() -> Path | None:
    """The folder holding ``initdb`` and ``postgres``, or None if this machine has neither."""
    found = shutil.which("initdb")
    if found and shutil.which("postgres"):
        return Path(found).resolve().parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parts[-3])
    )
    return versions[-1].parent if versions else None


def unavailable(message: str) -> NoReturn:
    if os.environ.get("AURA_POSTGRES_REQUIRED"):
        pytest.fail(message + " (AURA_POSTGRES_REQUIRED is set)")
    pytest.skip(message)


def run_as() -> dict[str, Any]:
    """Popen arguments that drop root to the postgres user (nothing to do for another user)."""
    if os.geteuid() != 0:
        return {}
    try:
        account = pwd.getpwnam("postgres")
    except KeyError:
        unavailable("running as root and no 'postgres' user to run PostgreSQL as")
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def connect(url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(url, autocommit=True)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[Callable[[], str]]:
    """A factory of fresh, empty databases on one PostgreSQL server: each call returns the
    SQLAlchemy URL of a new database."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        unavailable("no PostgreSQL server binaries (initdb, postgres) on this machine")
    user = run_as()
    root = Path(tempfile.mkdtemp(prefix="aura-postgres-"))
    data = root / "data"
    if user:
        os.chown(root, user["user"], user["group"])
    process: subprocess.Popen[bytes] | None = None
    try:
        init = subprocess.run(
            [str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "-A", "trust"]
            + ["--no-sync", "--no-locale", "-E", "UTF8"],
            capture_output=True,
            text=True,
            **user,
        )
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed ({init.returncode}):\n{init.stderr}")
        port = free_port()
        with (root / "server.log").open("wb") as log:
            process = subprocess.Popen(
                [str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(root)]
                + ["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
                stdout=log,
                stderr=subprocess.STDOUT,
                **user,
            )
        server = f"postgresql://{USER}@127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                connect(f"{server}/postgres").close()
                break
            except psycopg.OperationalError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "PostgreSQL did not start:\n" + (root / "server.log").read_text()
                    ) from None
                time.sleep(0.2)
        numbers = count()

        def new_database() -> str:
            name = f"aura_test_{next(numbers)}"
            with connect(f"{server}/postgres") as conn:
                conn.execute(f"CREATE DATABASE {name}")
            return f"{server}/{name}"

        yield new_database
    finally:
        if process is not None:
            process.send_signal(signal.SIGINT)  # fast shutdown: ends sessions, then stops
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(root, ignore_errors=True)
