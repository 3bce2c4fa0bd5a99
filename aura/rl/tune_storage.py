"""Where an Optuna study lives: the database URL a worker is given, and that database opened as
an Optuna storage, each way it can fail named in one line.

Apart from the search (`aura.rl.tune`) because it is about databases, not hyperparameters: SQLite
for the workers of one machine, any SQLAlchemy URL (e.g. a PostgreSQL server) for many; the
heartbeat that finds a trial left running by a worker killed outright; and the refusal of a URL
that cannot hold a study (not a URL, a database in memory, another program's SQLite file, one
that cannot be written), before a trial is run on it.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aura.config import project_path
from aura.rl.config import ConfigError


def default_storage(models_dir: Path) -> str:
    """SQLite file beside the models: enough for the workers of one machine."""
    models_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{models_dir / 'optuna.db'}"


STORAGE_EXAMPLES = "sqlite:///models/default/optuna.db or postgresql://user:password@host:5432/db"

HEARTBEAT_SECONDS = 60
"""How often a worker stamps the trial it runs as alive in the study's database."""

STALE_SECONDS = 300
"""A running trial whose stamp is older than this belongs to a worker that was killed outright
(SIGKILL, out of memory, a host lost): the next worker to start a trial records it as failed and
runs its candidate again, once (`STALE_RETRIES`)."""

STALE_RETRIES = 1
"""Times the candidate of a killed worker's trial is run again: a candidate that kills every
worker it runs on (out of memory) is given up after that, recorded as failed."""


def storage_url(storage: str | None, models_dir: Path) -> str:
    """The study's database: the default beside the models, or ``storage`` with a relative
    SQLite path read from the project root, as every path of a params file is (it was read from
    the current folder: the same command run from notebooks/ could not open it)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if storage is None:
        return default_storage(models_dir)
    try:
        parsed = make_url(storage)
    except ArgumentError:  # make_storage names it
        return storage
    database = sqlite_file(parsed)
    if database is None or Path(database).is_absolute():
        return storage
    resolved = str(project_path(database))
    if database != parsed.database:  # a URI: its path, resolved, keeps its scheme
        resolved = f"file:{resolved}"
    return parsed.set(database=resolved).render_as_string(hide_password=False)


def sqlite_file(parsed: Any) -> str | None:
    """The file a SQLite URL opens: its database, or the path of a URI
    (``sqlite:///file:PATH?mode=ro&uri=true``, SQLite's way to open a file read-only), which
    was taken for a relative path named "file:..."; None for another database or memory."""
    if parsed.get_backend_name() != "sqlite" or parsed.database is None:
        return None
    database = parsed.database
    if parsed.query.get("uri") == "true" and database.startswith("file:"):
        database = database.removeprefix("file:")
    return None if database in ("", ":memory:") else database


def shown_url(url: str) -> str:
    """A database URL as given, its password hidden: SQLAlchemy's own rendering of it also
    quotes its path (``sqlite:///file%3A/...`` for ``sqlite:///file:/...``)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return url if parsed.password is None else parsed.render_as_string(hide_password=True)


def make_storage(url: str, attempts: int = 5) -> Any:
    """An Optuna RDB storage; SQLite gets a long lock timeout so concurrent workers wait for
    each other instead of failing with 'database is locked'.

    Each worker stamps its running trial every `HEARTBEAT_SECONDS`; a trial left running by a
    worker killed outright (no Ctrl-C or SIGTERM to record it as failed) stayed RUNNING for ever,
    its candidate never scored. Once its stamp is `STALE_SECONDS` old, the next trial started on
    the study records it as failed and queues its candidate to run again.

    Workers started together on a new database race to create its tables and stamp its schema
    version; the loser's 'already exists' or duplicate-key error is retried, by which time the
    winner has finished. A URL that cannot be used (not a URL, an unknown database, a driver that
    is not installed, a server that does not answer, a SQLite file that cannot be created) is a
    ConfigError naming the URL, its password hidden, and the reason.
    """
    import optuna
    from optuna.exceptions import ExperimentalWarning, StorageInternalError
    from optuna.storages import RetryHeartbeatStaleTrialCallback
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import (
        ArgumentError,
        DBAPIError,
        IntegrityError,
        NoSuchModuleError,
        SQLAlchemyError,
    )

    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(
            f"storage {url!r} is not a database URL; expected e.g. {STORAGE_EXAMPLES}"
        ) from exc
    shown = shown_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise ConfigError(
            f"storage {url} is a SQLite database in memory, which the study would not outlive "
            f"(nor could another worker share it); name a file, e.g. {STORAGE_EXAMPLES}"
        )
    database = sqlite_file(parsed)
    if database is not None:
        _refuse_foreign_sqlite(Path(database), shown)
    kwargs = {"connect_args": {"timeout": 60}} if parsed.get_backend_name() == "sqlite" else {}
    attempt = 0
    while True:
        try:
            with warnings.catch_warnings():  # the heartbeat is Optuna's "experimental" feature
                warnings.simplefilter("ignore", ExperimentalWarning)
                storage = optuna.storages.RDBStorage(
                    url,
                    engine_kwargs=kwargs,
                    heartbeat_interval=HEARTBEAT_SECONDS,
                    grace_period=STALE_SECONDS,
                    heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(
                        max_retry=STALE_RETRIES
                    ),
                )
            storage.get_all_studies()  # reads its tables: a foreign database fails here
            return storage
        except NoSuchModuleError as exc:
            raise ConfigError(
                f"storage {shown}: SQLAlchemy knows no database {parsed.drivername!r}; "
                f"expected e.g. {STORAGE_EXAMPLES}"
            ) from exc
        except ImportError as exc:
            missing = getattr(exc.__cause__, "name", None) or "its driver"
            raise ConfigError(
                f"storage {shown}: the database driver {missing!r} is not installed "
                "(PostgreSQL's, psycopg, comes with aura)"
            ) from exc
        except DBAPIError as exc:
            attempt += 1
            racing = isinstance(exc, IntegrityError) or "already exists" in str(exc)
            if not racing or attempt == attempts:
                reason = "; ".join(
                    line.strip() for line in str(exc.orig).splitlines() if line.strip()
                )
                raise ConfigError(f"storage {shown} cannot be opened: {reason}") from exc
            time.sleep(0.5 * attempt)
        except (StorageInternalError, SQLAlchemyError) as exc:  # a damaged or foreign database
            raise ConfigError(
                f"storage {shown} is not a usable Optuna database: {_first_cause(exc)}"
            ) from exc


def _first_cause(exc: BaseException) -> str:
    """The first line of the database's own error under Optuna's or SQLAlchemy's wrapping."""
    cause = getattr(exc.__cause__, "orig", None) or exc.__cause__ or exc
    return str(cause).splitlines()[0]


@contextlib.contextmanager
def storage_written(url: str) -> Iterator[None]:
    """Name the storage ``url`` (password hidden) in one line when writing to it fails.

    A read-only SQLite file (a study copied to a read-only mount, another user's file) opens
    and reads as any other, and the first write stopped in a traceback of Optuna's "An exception
    is raised during the commit"; reading such a study needs no write (``--n-trials 0``).
    """
    from optuna.exceptions import StorageInternalError
    from sqlalchemy.exc import SQLAlchemyError

    try:
        yield
    except (StorageInternalError, SQLAlchemyError) as exc:
        raise ConfigError(
            f"storage {shown_url(url)} cannot be written: {_first_cause(exc)} "
            "(--n-trials 0 reads a study without writing to it)"
        ) from exc


def _refuse_foreign_sqlite(database: Path, shown: str) -> None:
    """Refuse a SQLite file that holds another program's tables and none of Optuna's.

    Optuna would add its own tables to it and run: a mistyped path to an application's database
    came back with a study inside it. The file is read without being changed (read-only mode);
    one that is not SQLite at all is left to the opening, which names it.
    """
    import sqlite3

    if not database.is_file() or database.stat().st_size == 0:
        return
    try:
        with contextlib.closing(
            sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
        ) as db:
            tables = sorted(
                name
                for (name,) in db.execute("select name from sqlite_master where type = 'table'")
            )
    except sqlite3.DatabaseError:
        return
    if tables and "studies" not in tables:
        listed = ", ".join(tables[:5]) + (f" and {len(tables) - 5} more" if len(tables) > 5 else "")
        raise ConfigError(
            f"storage {shown} holds another program's tables ({listed}) and none of Optuna's; "
            "it is left as it was: name a new file or an Optuna database"
        )
