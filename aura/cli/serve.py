"""``aura serve``: the prediction API with uvicorn, once the artifacts are checked."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from aura.api.settings import KEEP_ALIVE_SECONDS
from aura.cli import app
from aura.cli.common import FOLDER_METAVAR, err_console, fail, named_folder


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="uvicorn worker processes.")] = 1,
    keep_alive: Annotated[
        int, typer.Option(min=1, help="Seconds an idle connection stays open.")
    ] = KEEP_ALIVE_SECONDS,
    artifacts: Annotated[
        str | None,
        typer.Option(
            help="Artifacts folder, from the current folder (default: $AURA_ARTIFACTS, else "
            "the project's artifacts/).",
            callback=named_folder("the exported folder to serve"),
            metavar=FOLDER_METAVAR,
        ),
    ] = None,
    app_path: Annotated[
        str, typer.Option("--app", help="ASGI application import path.")
    ] = "aura.api.app:app",
) -> None:
    """Serve the prediction API (FastAPI over the ONNX artifacts) with uvicorn.

    The artifacts are checked first (manifest, every file, sha256), so a missing or altered
    export stops here with a message instead of starting a service that cannot answer.
    """
    from aura.api.launch import LaunchError
    from aura.api.launch import serve as launch
    from aura.api.settings import ARTIFACTS_ENV
    from aura.config import ARTIFACTS_DIR

    folder = Path(artifacts or os.environ.get(ARTIFACTS_ENV) or ARTIFACTS_DIR)
    try:
        launch(
            folder,
            host,
            port,
            workers,
            app_path,
            announce=err_console.print,
            keep_alive=keep_alive,
        )
    except LaunchError as exc:
        raise fail(str(exc)) from exc
