"""Starting the service: check the artifacts and the metrics folder, then run uvicorn with the
options the measurements chose.

`aura serve` and the Docker image (``python -m aura.api``) both start here, so a broken export
stops both with the same one-line message before uvicorn starts (uvicorn itself would print the
lifespan's traceback), and both run the same event loop and protocol. The image holds only the
``serve`` extra, without the CLI's libraries, so ``python -m aura.api`` reads its five options
with the standard library's argparse.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path

from aura.api.artifacts import ArtifactError, load_artifacts
from aura.api.observability import LOGGER_NAME, MULTIPROC_ENV, UVICORN_LOG_CONFIG
from aura.api.settings import (
    ARTIFACTS_ENV,
    EVENT_LOOP,
    HTTP_PROTOCOL,
    KEEP_ALIVE_SECONDS,
    Settings,
)

APP_PATH = "aura.api.app:app"


class LaunchError(Exception):
    """The service cannot start; the message says why and what to do."""


def check_app_path(app_path: str) -> None:
    """``module:attribute`` names a module that can be found, without importing it (the app's
    module loads the models, which only the workers should): uvicorn would print an import
    traceback from each worker instead."""
    module, _, attribute = app_path.partition(":")
    if not module or not attribute:
        raise LaunchError(f"--app {app_path!r} is not 'module:attribute' (e.g. {APP_PATH})")
    try:
        found = importlib.util.find_spec(module)
    except ImportError:  # a parent package that does not exist
        found = None
    if found is None:
        raise LaunchError(f"--app {app_path}: no module {module!r} can be imported")


def check_host(host: str, port: int) -> None:
    """``host`` is an address or a name the resolver knows; uvicorn would read the artifacts
    first and then stop with the resolver's bare "Name or service not known"."""
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
        raise LaunchError(
            f"--host {host!r} is neither an address nor a known host name ({reason}); "
            "use 127.0.0.1 for this machine only, 0.0.0.0 for every interface"
        ) from exc


def check_port(host: str, port: int) -> None:
    """Nothing else listens on ``host:port``: uvicorn would announce the service, load the
    models and only then stop with "address already in use" (another `aura serve` still running,
    most often). Bound and released at once, with the SO_REUSEADDR uvicorn binds with, so a port
    left in TIME_WAIT by the last run is not taken for a busy one."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise LaunchError(
                f"cannot listen on {host}:{port} ({exc.strerror or exc}): another service (an "
                "aura serve still running?) holds it; stop it or choose another --port"
            ) from exc


def serve(
    folder: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    app_path: str = APP_PATH,
    announce: Callable[[str], None] = print,
    keep_alive: int = KEEP_ALIVE_SECONDS,
) -> None:
    """Serve ``folder`` with uvicorn until stopped; LaunchError before anything starts if a
    setting from the environment cannot be used, the artifacts fail their checks (manifest,
    every file, sha256, each model and the tutor pool loaded) or the metrics folder is
    missing."""
    check_app_path(app_path)
    check_host(host, port)
    if port:  # 0: the system picks a free port
        check_port(host, port)
    try:
        Settings.from_env(Path(folder))  # what every worker will read, checked once here
        # Loaded as a worker loads them and dropped: a model onnxruntime cannot load or a tutor
        # pool that is no pool, which only opening them finds, stopped the worker with uvicorn's
        # "startup failed" (exit 3). Opening them here costs ~20 ms on the smoke artifacts.
        manifest = load_artifacts(Path(folder)).manifest
    except (ArtifactError, ValueError) as exc:
        raise LaunchError(str(exc)) from exc
    metrics_dir = os.environ.get(MULTIPROC_ENV)
    if metrics_dir and not Path(metrics_dir).is_dir():
        raise LaunchError(f"{MULTIPROC_ENV}={metrics_dir} is not a folder; create it or unset it")
    # Workers import the app by name, so they learn the folder from the environment.
    os.environ[ARTIFACTS_ENV] = str(Path(folder).resolve())
    with ExitStack() as stack:
        if workers > 1 and not metrics_dir:
            # Workers count requests in files of one fresh folder, so /metrics covers them all.
            os.environ[MULTIPROC_ENV] = stack.enter_context(_metrics_folder())
            # unset before the folder goes, so a later serve in this process makes its own
            stack.callback(os.environ.pop, MULTIPROC_ENV, None)
        if workers == 1 and threading.current_thread() is threading.main_thread():
            _hangup_stops_as_sigterm(stack)
        announce(
            f"serving {folder} (version {manifest.version}) on http://{host}:{port} "
            f"with {workers} worker(s)"
        )
        import uvicorn

        uvicorn.run(
            app_path,
            host=host,
            port=port,
            workers=workers,
            loop=EVENT_LOOP,
            http=HTTP_PROTOCOL,
            timeout_keep_alive=keep_alive,
            access_log=False,
            log_config=UVICORN_LOG_CONFIG,
        )


def _hangup_stops_as_sigterm(stack: ExitStack) -> None:
    """SIGHUP, which under ``--workers N`` makes uvicorn's supervisor start new workers over the
    folder (docs/api.md, New models), was left to its default with one worker, which has no
    supervisor: the process ended at once, the request in flight cut off and nothing logged.
    There it now stops the service as SIGTERM does, saying why, so that it can be started again
    over a new export. ``stack`` puts the handler before back when the service ends."""

    def hangup(signum: int, frame: object) -> None:
        logging.getLogger(LOGGER_NAME).warning(
            "SIGHUP: one worker cannot be restarted over a new export (that takes --workers 2 "
            "or more); stopping as for SIGTERM, the requests in flight answered"
        )
        os.kill(os.getpid(), signal.SIGTERM)

    stack.callback(signal.signal, signal.SIGHUP, signal.signal(signal.SIGHUP, hangup))


def _metrics_folder() -> tempfile.TemporaryDirectory[str]:
    """A fresh temporary folder for the workers' metrics files. A container run with a
    read-only root filesystem has no writable temporary folder, and the service stopped there
    with tempfile's traceback."""
    try:
        return tempfile.TemporaryDirectory(prefix="aura-metrics-")
    except OSError as exc:
        raise LaunchError(
            f"--workers above 1 keeps every worker's metrics in a temporary folder, and none can "
            f"be made ({exc.strerror or exc}): make one writable (a tmpfs at /tmp under a "
            f"read-only root filesystem) or set {MULTIPROC_ENV} to a writable folder"
        ) from exc


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr)


def _whole_number(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``, refused with what it got."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low or (high is not None and value > high):
            span = f"at least {low}" if high is None else f"{low}-{high}"
            raise argparse.ArgumentTypeError(f"must be {span}, got {value}")
        return value

    return parse


def main(argv: Sequence[str] | None = None, prog: str = "python -m aura.api") -> int:
    """``python -m aura.api``, and ``aura serve`` where the ``aura`` CLI is not installed
    (`aura.command`): the service's entry point without the CLI's libraries."""
    parser = argparse.ArgumentParser(prog=prog, description="Serve the AURA prediction API.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind")
    parser.add_argument(
        "--port", type=_whole_number(1, 65535), default=8000, help="port to listen on"
    )
    parser.add_argument(
        "--workers", type=_whole_number(1), default=1, help="uvicorn worker processes"
    )
    parser.add_argument(
        "--keep-alive",
        type=_whole_number(1),
        default=KEEP_ALIVE_SECONDS,
        help="seconds an idle connection stays open",
    )
    parser.add_argument(
        "--artifacts",
        type=Path,
        default=None,
        help=f"artifacts folder (default: ${ARTIFACTS_ENV}, else ./artifacts)",
    )
    args = parser.parse_args(argv)
    folder = args.artifacts or Path(os.environ.get(ARTIFACTS_ENV) or "artifacts")
    try:
        serve(
            folder,
            args.host,
            args.port,
            args.workers,
            announce=_to_stderr,
            keep_alive=args.keep_alive,
        )
    except LaunchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
