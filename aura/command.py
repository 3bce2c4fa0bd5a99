"""The ``aura`` console script: the whole CLI (`aura.cli`) where the project is installed in
full, and ``aura serve`` alone where only the prediction service is (the Docker image, a Lambda
package: the ``serve`` extra, without the CLI or its libraries).

The script named ``aura.cli`` directly, so in the image ``aura serve`` stopped with an import
traceback; there it now runs `aura.api.launch`, which reads the same five options with the
standard library's argparse, and any other command is refused in one line.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

SERVE_ONLY = (
    "this install holds the prediction service alone ({missing} is not installed): its one "
    "command is `aura serve [--host --port --workers --keep-alive --artifacts]`; install the "
    "project in full for the others"
)


def main() -> None:
    """Run the CLI, or ``aura serve`` where the CLI cannot be imported."""
    try:
        from aura.cli import app
    except ModuleNotFoundError as exc:
        raise SystemExit(serve_only(sys.argv[1:], exc.name or "the CLI")) from None
    app()


def serve_only(argv: Sequence[str], missing: str) -> int:
    """``aura serve ...`` without the CLI; the exit code."""
    if argv[:1] == ["serve"]:
        from aura.api.launch import main as serve

        return serve(argv[1:], prog="aura serve")
    print("error: " + SERVE_ONLY.format(missing=missing), file=sys.stderr)
    return 1
